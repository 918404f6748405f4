"""The gap plugin: risk-file, improvement-plan and continuity-plan record types, and two analyses.

* ``gap`` (profile ``fda-qmsr``): coverage of the QMSR catalogue; ``evidence-kit gap BUNDLE``.
* ``qmm-readiness`` (profile ``qmm``): the CDER QMM self-assessment and improvement-plan tracker.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from evidence_kit import RecordSet, RecordType, Report, hookimpl
from evidence_kit_builtin._schemas import load_schema
from evidence_kit_builtin.gap import coverage, qmm

#: name → (title, date field, clauses)
TYPES: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "risk_management_file": (
        "Risk management file",
        "approved_at",
        ("ISO 13485:2016 7.1", "ISO 14971:2019 4.5"),
    ),
    "improvement_plan": (
        "QMM improvement plan",
        "assessment_date",
        ("FDA CDER QMM program: improvement opportunity and progress reports",),
    ),
    "business_continuity_plan": (
        "Business continuity plan",
        "last_reviewed",
        ("FDA CDER QMM white paper (Sept 2023), practice area 2: Business Continuity",),
    ),
}


@dataclass(frozen=True)
class GapAnalysis:
    """The QMSR gap analysis as an :class:`evidence_kit.Analysis`."""

    name: str = "gap"
    title: str = "QMSR gap analysis"
    profiles: frozenset[str] = frozenset({"fda-qmsr"})

    def analyse(
        self, records: RecordSet, report: Report, settings: Mapping[str, Any], now: dt.datetime
    ) -> dict[str, Any]:
        """Return the coverage map (see :func:`coverage.gap_analysis`)."""
        return coverage.gap_analysis(records, report, settings, now)

    def render_text(self, result: Mapping[str, Any]) -> str:
        """Return the coverage map as text."""
        return coverage.render_text(result)

    def render_pdf(self, result: Mapping[str, Any]) -> bytes:
        """Return the coverage table and trend charts as PDF pages."""
        from evidence_kit_builtin.gap import pages  # reportlab graphics: imported only when drawing

        return pages.render_gap_pdf(result)


@dataclass(frozen=True)
class QmmReadiness:
    """The CDER QMM self-assessment as an :class:`evidence_kit.Analysis`."""

    name: str = "qmm-readiness"
    title: str = "QMM practice-area readiness"
    profiles: frozenset[str] = frozenset({"qmm"})

    def analyse(
        self, records: RecordSet, report: Report, settings: Mapping[str, Any], now: dt.datetime
    ) -> dict[str, Any]:
        """Return the self-assessment (see :func:`qmm.qmm_readiness`)."""
        return qmm.qmm_readiness(records, report, settings, now)

    def render_text(self, result: Mapping[str, Any]) -> str:
        """Return the self-assessment as text."""
        return qmm.render_text(result)

    def render_pdf(self, result: Mapping[str, Any]) -> bytes:
        """Return the readiness pages, the improvement-plan tracker and charts as PDF pages."""
        from evidence_kit_builtin.gap import pages  # reportlab graphics: imported only when drawing

        return pages.render_qmm_pdf(result)


@hookimpl
def evidence_kit_record_types() -> list[RecordType]:
    """Register the risk management file, improvement plan and business continuity plan."""
    defs = load_schema("defs")
    return [
        RecordType(name, title, load_schema(name), date_field=date_field, cites=cites, resources=(defs,))
        for name, (title, date_field, cites) in TYPES.items()
    ]


@hookimpl
def evidence_kit_analyses() -> list[GapAnalysis | QmmReadiness]:
    """Register the gap analysis and the QMM self-assessment."""
    return [GapAnalysis(), QmmReadiness()]
