"""Rules that tie public MDR data (openFDA, MAUDE) to the firm's own complaint files.

An investigator compares what the firm told FDA with what its complaint files say. The openFDA
and MAUDE records in a bundle are matched to complaints by MDR report number
(``complaint.mdr_decision.report_number``) or, failing that, by the UDI as printed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from evidence_kit import Finding, Record, RecordSet, RuleContext, Severity, rule

__all__ = ["RULES", "ComplaintIndex"]

_SOURCES = frozenset({"openfda-json", "maude-foi"})


def _norm(udi: object) -> str:
    return re.sub(r"[\s()]", "", udi).upper() if isinstance(udi, str) else ""


def _mdr_udis(mdr: Record) -> set[str]:
    out = {_norm(mdr.data.get("udi"))}
    for dev in mdr.data.get("devices") or ():
        if hasattr(dev, "get"):
            out.add(_norm(dev.get("udi_public")))
    return out - {""}


@dataclass(frozen=True)
class ComplaintIndex:
    """The bundle's complaints by the MDR report number they record and by their UDI (normalised)."""

    by_number: dict[str, Record]
    by_udi: dict[str, Record]

    @classmethod
    def of(cls, records: RecordSet) -> ComplaintIndex:
        """Index every complaint once, so matching is linear in the number of MDRs."""
        by_number: dict[str, Record] = {}
        by_udi: dict[str, Record] = {}
        for c in records.of_type("complaint"):
            decision = c.data.get("mdr_decision")
            if isinstance(decision, Mapping) and isinstance(decision.get("report_number"), str):
                by_number.setdefault(decision["report_number"], c)
            udi = _norm(c.data.get("udi"))
            if udi:
                by_udi.setdefault(udi, c)
        return cls(by_number, by_udi)

    def match(self, mdr: Record) -> tuple[Record | None, str]:
        """Return the complaint an MDR belongs to and how it was matched (``report number`` or ``UDI``)."""
        number = mdr.data.get("report_number")
        if isinstance(number, str) and number in self.by_number:
            return self.by_number[number], "report number"
        for udi in sorted(_mdr_udis(mdr)):
            if udi in self.by_udi:
                return self.by_udi[udi], "UDI"
        return None, ""


def _own_prefixes(ctx: RuleContext) -> list[str]:
    configured = ctx.options.get("own_report_prefixes") or []
    fei = ctx.settings.get("establishment", {}).get("fei") if hasattr(ctx.settings, "get") else None
    return [str(p) for p in configured] or ([str(fei)] if fei else [])


def _matched_mdrs(records: RecordSet) -> Iterator[tuple[Record, Record | None, str]]:
    """Yield ``(public MDR, its complaint or None, how matched)``; no index is built without an openFDA extract."""
    mdrs = [r for r in records.of_type("mdr_report") if r.source in _SOURCES]
    if mdrs:
        index = records.derived(ComplaintIndex.of)
        for mdr in mdrs:
            complaint, how = index.match(mdr)
            yield mdr, complaint, how


@rule(
    "openfda.mdr-without-complaint",
    title="An MDR the firm filed (per openFDA/MAUDE) has no complaint file in the bundle",
    cites=("21 CFR 820.35(a)", "21 CFR 803.18(b)(1)"),
    hint="Add the complaint to the bundle and record the MDR report number in its mdr_decision.report_number.",
    record_types={"mdr_report", "complaint"},
    options={"own_report_prefixes": []},
    options_schema={
        "type": "object",
        "properties": {"own_report_prefixes": {"type": "array", "items": {"type": "string"}}},
    },
)
def mdr_without_complaint(records: RecordSet, ctx: RuleContext) -> Iterator[Finding]:
    """Every public MDR whose report number starts with one of the firm's numbers must match a complaint.

    The firm's numbers are the rule option ``own_report_prefixes``, or else the establishment FEI:
    a manufacturer's MDR report numbers begin with its registration number.
    """
    prefixes = _own_prefixes(ctx)
    for mdr, complaint, _ in _matched_mdrs(records):
        number = str(mdr.data.get("report_number") or "")
        if not prefixes or not any(number.startswith(p + "-") for p in prefixes):
            continue
        if complaint is None:
            yield ctx.finding(
                mdr,
                field="/report_number",
                message=(
                    f"MDR {number} in {mdr.location.file} (line {mdr.location.line}) was filed under the firm's "
                    f"number {number.split('-')[0]}, but no complaint in the bundle names it in "
                    "mdr_decision.report_number or carries its UDI."
                ),
            )


@rule(
    "openfda.aware-date-mismatch",
    title="The awareness date FDA was told differs from the complaint's",
    cites=("21 CFR 803.50(a)", "21 CFR 803.3"),
    hint="Correct the complaint's aware_date, or file a supplemental MDR correcting the date reported to FDA.",
    record_types={"mdr_report", "complaint"},
    severity=Severity.WARNING,
)
def aware_date_mismatch(records: RecordSet, ctx: RuleContext) -> Iterator[Finding]:
    """The MDR's manufacturer-aware date (MAUDE ``date_manufacturer_received``) must equal the complaint's."""
    for mdr, complaint, how in _matched_mdrs(records):
        reported = mdr.data.get("aware_date")
        if complaint is None or not reported:
            continue
        own = complaint.data.get("aware_date") or complaint.data.get("received_date")
        if own and own != reported:
            yield ctx.finding(
                complaint,
                field="/aware_date" if complaint.data.get("aware_date") else "/received_date",
                message=(
                    f"Complaint {complaint.id} ({complaint.location.file}) gives {own} as the date the firm became "
                    f"aware, but MDR {mdr.id} ({mdr.location.file}, matched by {how}) told FDA {reported}."
                ),
            )


@rule(
    "openfda.complaint-not-reportable",
    title="A complaint decided not reportable has an MDR on file with FDA",
    cites=("21 CFR 803.18(b)(1)(i)", "21 CFR 820.35(a)"),
    hint="Correct the complaint's mdr_decision: reportable is true and report_number names the MDR.",
    record_types={"mdr_report", "complaint"},
)
def complaint_not_reportable(records: RecordSet, ctx: RuleContext) -> Iterator[Finding]:
    """A complaint matched to a public MDR must not record the decision "not reportable"."""
    for mdr, complaint, how in _matched_mdrs(records):
        decision = complaint.data.get("mdr_decision") if complaint else None
        if complaint is not None and isinstance(decision, Mapping) and decision.get("reportable") is False:
            yield ctx.finding(
                complaint,
                field="/mdr_decision/reportable",
                message=(
                    f"Complaint {complaint.id} ({complaint.location.file}) records the MDR decision "
                    f"'not reportable', but MDR {mdr.id} ({mdr.location.file}, matched by {how}) is on file with FDA."
                ),
            )


RULES = (mdr_without_complaint, aware_date_mismatch, complaint_not_reportable)
