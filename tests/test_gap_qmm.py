"""QMM self-assessment: indicators from records, the improvement-plan tracker, FOIA marking, PDF pages."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from evidence_kit_builtin.gap.evidence import foia_confidential
from evidence_kit_builtin.gap.pages import render_gap_pdf, render_qmm_pdf
from evidence_kit_builtin.gap.plugin import GapAnalysis, QmmReadiness
from evidence_kit_builtin.rules.improvement_plan import (
    action_owner_missing,
    add_months,
    checkpoint_overdue,
    checkpoints,
)
from gap_helpers import NOW, SETTINGS, capa, complaint, rec, sop
from pypdf import PdfReader

from evidence_kit.model import FOIA_NOTICE, RecordSet, Report


def _report() -> Report:
    return Report("0", "acme-sterile", "qmm", NOW.isoformat(), (), (), (), 0)


def _plan(**extra: Any) -> Any:
    data = {
        "id": "QMM-IP-2026",
        "site": "Acme Sterile Fill, Building 4",
        "assessment_date": "2026-05-15",
        "opportunity": {"practice_area": "apqs", "description": "Cut CAPA cycle time with root-cause coaching"},
        "actions": [
            {
                "id": "A1",
                "description": "Train investigators in RCA",
                "owner": "J. Ortiz",
                "due_date": "2026-07-31",
                "status": "done",
            },
            {"id": "A2", "description": "Monthly CAPA ageing review", "status": "in-progress"},
        ],
        "checkpoints": [{"month": 3, "reported_at": "2026-08-14", "summary": "RCA training done"}],
        **extra,
    }
    return rec("improvement_plan", data)


def _records() -> list[Any]:
    return [
        capa(1, "2026-01-05", "2026-02-14"),
        capa(2, "2026-02-01", "2026-05-01", result="Not effective: deviation recurred"),
        capa(3, "2026-03-01", "2026-04-10"),
        capa(4, "2026-06-01", None),
        rec("drug_deviation", {"id": "DEV-101", "opened_at": "2026-02-02", "category": "Filter integrity failure"}),
        rec("drug_deviation", {"id": "DEV-117", "opened_at": "2026-06-12", "category": "filter  integrity failure"}),
        rec("drug_deviation", {"id": "DEV-120", "opened_at": "2026-07-01", "category": "Label mix-up"}),
        rec(
            "training",
            {
                "id": "TRN-1",
                "completed_at": "2026-03-01",
                "effectiveness": {"method": "observed task", "result": "competent"},
            },
        ),
        rec("training", {"id": "TRN-2", "completed_at": "2026-03-02"}),
        rec(
            "management_review",
            {
                "id": "MR-2026-1",
                "review_date": "2026-04-20",
                "outputs": [
                    {
                        "decision": "Hire two QA investigators (budget approved)",
                        "owner": "VP Quality",
                        "due_date": "2026-09-01",
                    }
                ],
            },
        ),
        rec(
            "management_review",
            {
                "id": "MR-2025-2",
                "review_date": "2025-10-20",
                "outputs": [{"decision": "Update quality policy", "owner": "VP Quality"}],
            },
        ),
        rec("business_continuity_plan", {"id": "BCP-API-1", "title": "API supply", "last_reviewed": "2026-02-01"}),
        rec("business_continuity_plan", {"id": "BCP-UTIL-1", "title": "Utilities", "last_reviewed": "2025-06-30"}),
        rec(
            "drug_batch_record",
            {
                "id": "BR-24001",
                "manufacture_date": "2026-03-03",
                "audit_trail_review": {"by": "QA", "at": "2026-03-05"},
            },
        ),
        rec("drug_batch_record", {"id": "BR-24002", "manufacture_date": "2026-03-10"}),
        sop("SOP-QMS-001-B", "Quality policy", "QMM Management Commitment; 21 CFR 211.22", kind="quality-policy"),
        _plan(),
    ]


def test_indicators_are_computed_from_records() -> None:
    result = QmmReadiness().analyse(RecordSet.of(_records()), _report(), SETTINGS, NOW)
    areas = {a["area"]: a for a in result["practice_areas"]}
    apqs = areas["apqs"]["indicators"]
    assert apqs["capa_effectiveness_rate"]["numerator"] == 2 and apqs["capa_effectiveness_rate"]["denominator"] == 3
    assert apqs["capa_cycle_time_days"] == {
        "title": "CAPA cycle time (days)",
        "count": 3,
        "median_days": 40,
        "max_days": 89,
    }
    assert apqs["repeat_deviations"]["groups"] == {"filter integrity failure": ["DEV-101", "DEV-117"]}
    eng = areas["engagement"]["indicators"]["training_effectiveness_rate"]
    assert (eng["numerator"], eng["denominator"]) == (1, 2)
    mr = areas["commitment"]["indicators"]["management_review_resource_decisions"]
    assert mr["records"] == ["MR-2026-1"] and mr["denominator"] == 2
    bc = areas["continuity"]["indicators"]["continuity_plans_reviewed_12_months"]
    assert bc["records"] == ["BCP-API-1"] and bc["stale"] == ["BCP-UTIL-1"]
    at = areas["technical"]["indicators"]["audit_trail_review_coverage"]
    assert (at["numerator"], at["denominator"]) == (1, 2)
    assert areas["commitment"]["procedures"][0]["id"] == "SOP-QMS-001-B"
    assert areas["continuity"]["latest"] == "2026-02-01" and areas["continuity"]["age_days"] == 302
    assert "score" not in str(sorted(areas["apqs"])) and "not an FDA QMM score" in result["note"]
    assert result["counts"]["warning"] == 0


def test_area_without_evidence_is_a_warning() -> None:
    result = QmmReadiness().analyse(RecordSet.of([capa(1, "2026-01-05", "2026-02-14")]), _report(), SETTINGS, NOW)
    assert {f["requirement"] for f in result["findings"]} == {"QMM-1", "QMM-2", "QMM-4", "QMM-5"}
    assert all(f["severity"] == "warning" for f in result["findings"])


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [("2026-05-15", 3, "2026-08-15"), ("2026-08-31", 6, "2027-02-28"), ("2027-11-30", 3, "2028-02-29")],
)
def test_add_months(day: str, months: int, expected: str) -> None:
    assert add_months(dt.date.fromisoformat(day), months).isoformat() == expected


def test_checkpoints_and_overdue_rule() -> None:
    plan = _plan()
    cps = checkpoints(plan.data, NOW.date())
    assert cps == [
        {"month": 3, "due": "2026-08-15", "reported": "2026-08-14", "status": "reported"},
        {"month": 6, "due": "2026-11-15", "reported": None, "status": "overdue"},
    ]
    (f,) = run_rule_(checkpoint_overdue, [plan])
    assert "6-month checkpoint was due 2026-11-15" in f.message and f.location.field == "/checkpoints"
    on_time = _plan(checkpoints=[{"month": 3, "reported_at": "2026-08-14"}, {"month": 6, "reported_at": "2026-11-10"}])
    assert run_rule_(checkpoint_overdue, [on_time]) == []
    (undated,) = run_rule_(checkpoint_overdue, [_plan(assessment_date=None)])
    assert undated.location.field == "/assessment_date"
    (owner,) = run_rule_(action_owner_missing, [plan])
    assert owner.location.field == "/actions/1" and "no owner and no due_date" in owner.message


def run_rule_(r: Any, records: list[Any]) -> list[Any]:
    from gap_helpers import run_rule

    return run_rule(r, records)


def test_foia_flag_from_binder_or_inspection() -> None:
    assert not foia_confidential(SETTINGS)
    assert foia_confidential({**SETTINGS, "binder": {"foia_confidential": True}})
    assert foia_confidential({"inspection": {"foia_confidential": True}})
    assert FOIA_NOTICE == "Confidential commercial information \u2014 FOIA exemption (b)(4) requested"


def _text(pdf: bytes) -> list[str]:
    return [p.extract_text() or "" for p in PdfReader(io.BytesIO(pdf)).pages]


def _has_raster(pdf: bytes) -> bool:
    for page in PdfReader(io.BytesIO(pdf)).pages:
        xobjects = (page.get("/Resources") or {}).get("/XObject") or {}
        if any(x.get_object().get("/Subtype") == "/Image" for x in xobjects.values()):
            return True
    return False


def test_qmm_pages_show_readiness_and_tracker_with_foia_notice() -> None:
    settings = {**SETTINGS, "binder": {"foia_confidential": True}}
    result = QmmReadiness().analyse(RecordSet.of(_records()), _report(), settings, NOW)
    pdf = render_qmm_pdf(result)
    pages = _text(pdf)
    joined = "\n".join(pages)
    assert "Business Continuity" in joined and "Improvement-plan tracker" in joined and "overdue" in joined
    assert "CAPA effectiveness rate" in joined and "2/3" in joined
    assert all("FOIA exemption (b)(4) requested" in p for p in pages)
    assert not _has_raster(pdf)
    assert render_qmm_pdf(result) == pdf  # deterministic


def test_gap_pages_table_and_vector_charts() -> None:
    records = [
        *_records(),
        complaint(1, "2026-01-14", failure_mode="Free flow"),
        complaint(2, "2026-01-20", failure_mode="Occlusion alarm silent"),
        complaint(3, "2026-03-02", failure_mode="Free flow"),
    ]
    result = GapAnalysis().analyse(RecordSet.of(records), _report(), SETTINGS, NOW)
    pdf = render_gap_pdf(result)
    joined = "\n".join(_text(pdf))
    assert "QMSR-820.45(a)" in joined and "Outsourcing and Purchasing" in joined
    assert "complaints per month by failure mode" in joined and "2026-01" in joined and "CAPA-001" in joined
    assert "FOIA" not in joined
    assert not _has_raster(pdf)
