"""Bad data is a finding or nothing, never an exception: every gap rule and analysis on hostile shapes."""

from __future__ import annotations

from typing import Any

import pytest
from evidence_kit_builtin.gap.pages import render_gap_pdf, render_qmm_pdf
from evidence_kit_builtin.gap.plugin import GapAnalysis, QmmReadiness
from evidence_kit_builtin.rules import improvement_plan, risk, terminology
from gap_helpers import NOW, SETTINGS, rec, run_rule

from evidence_kit.model import RecordSet, Report

WEIRD: list[Any] = [None, 7, "text", ["a", 3, None], {"k": [1, {"x": None}]}, True, 1.5]


def _hostile() -> list[Any]:
    out = []
    for i, w in enumerate(WEIRD):
        out += [
            rec(
                "complaint",
                {"id": f"C{i}", "received_date": w, "failure_mode": w, "harm": w, "risk_ids": w, "risk_none": w},
            ),
            rec(
                "capa",
                {
                    "id": f"K{i}",
                    "opened_at": w,
                    "closed_at": w,
                    "status": "closed",
                    "effectiveness": w,
                    "risk_evaluation": w,
                    "risk_ids": w,
                },
            ),
            rec("nonconformance", {"id": f"N{i}", "risk_ids": w, "category": w}),
            rec("risk_management_file", {"id": f"R{i}", "hazards": w, "risk_controls": w}),
            rec(
                "risk_management_file",
                {
                    "id": f"RR{i}",
                    "hazards": [{"id": w, "failure_modes": w, "hazardous_situations": [w, {"harms": w}]}],
                    "risk_controls": [
                        w,
                        {"id": "RC", "verification": w},
                        {"id": "RC2", "verification": {"result": "ok", "ref": w}},
                    ],
                },
            ),
            rec(
                "improvement_plan",
                {"id": f"P{i}", "assessment_date": w, "actions": w, "checkpoints": w, "opportunity": w},
            ),
            rec(
                "improvement_plan",
                {
                    "id": f"PP{i}",
                    "assessment_date": "2026-01-10",
                    "actions": [w],
                    "checkpoints": [{"month": w, "reported_at": w}],
                },
            ),
            rec("management_review", {"id": f"M{i}", "review_date": w, "outputs": w}),
            rec("training", {"id": f"T{i}", "completed_at": w, "effectiveness": w}),
            rec("business_continuity_plan", {"id": f"B{i}", "last_reviewed": w}),
            rec("drug_deviation", {"id": f"D{i}", "opened_at": w, "category": w, "description": w}),
            rec("controlled_document", {"id": f"S{i}", "status": w, "kind": w, "title": w}),
            rec("document", {"id": f"F{i}", "file": w, "pages": w, "title": w}, attachments=("../../etc/passwd.pdf",)),
        ]
    return out


RULES = [*terminology.evidence_kit_rules(), *risk.evidence_kit_rules(), *improvement_plan.evidence_kit_rules()]


@pytest.mark.parametrize("r", RULES, ids=lambda r: r.code)
def test_rules_never_raise(r: Any, tmp_path: Any) -> None:
    findings = run_rule(r, _hostile(), {**SETTINGS, "bundle": str(tmp_path)})
    assert all(f.code == r.code for f in findings)


def test_analyses_and_pages_never_raise(tmp_path: Any) -> None:
    records = RecordSet.of(_hostile())
    report = Report("0", "hostile", "fda-qmsr", NOW.isoformat(), (), (), (), 0)
    settings = {**SETTINGS, "bundle": str(tmp_path), "binder": {"foia_confidential": "yes"}}
    assert render_gap_pdf(GapAnalysis().analyse(records, report, settings, NOW)).startswith(b"%PDF-")
    assert render_qmm_pdf(QmmReadiness().analyse(records, report, settings, NOW)).startswith(b"%PDF-")
