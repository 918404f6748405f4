"""Integrated risk management: risk-file links, new hazards, CAPA risk evaluation, control verification."""

from __future__ import annotations

from typing import Any

from evidence_kit_builtin.rules.risk import (
    capa_evaluation_missing,
    control_unverified,
    new_hazard,
    reference_dangling,
    reference_missing,
)
from gap_helpers import capa, complaint, rec, run_rule


def _risk_file(**extra: Any) -> Any:
    data = {
        "id": "RMF-IP200-D",
        "product": "Infusion pump IP-200",
        "rev": "D",
        "approved_at": "2025-06-01",
        "hazards": [
            {
                "id": "HAZ-01",
                "description": "Over-infusion",
                "failure_modes": ["Free flow", "Pump runs fast"],
                "hazardous_situations": [
                    {
                        "id": "HS-01",
                        "description": "Drug overdose delivered",
                        "harms": ["Overdose", "Death"],
                        "risk_control_ids": ["RC-01"],
                    }
                ],
            },
            {
                "id": "HAZ-02",
                "description": "Under-infusion",
                "failure_modes": ["Occlusion alarm silent"],
                "hazardous_situations": [{"id": "HS-02", "harms": ["Delayed therapy"]}],
            },
        ],
        "risk_controls": [
            {
                "id": "RC-01",
                "description": "Anti-free-flow clamp",
                "option": "inherent-safety",
                "verification": {
                    "method": "test",
                    "result": "pass",
                    "at": "2025-05-02",
                    "ref": {"type": "document", "id": "VER-RC-01"},
                },
            },
            {"id": "RC-02", "description": "Occlusion pressure alarm", "verification": {"method": "test"}},
            {
                "id": "RC-03",
                "description": "IFU warning",
                "verification": {"result": "pass", "ref": {"type": "document", "id": "VER-MISSING"}},
            },
        ],
        **extra,
    }
    return rec("risk_management_file", data)


def test_no_risk_file_means_the_pack_is_silent() -> None:
    records = [complaint(1, "2026-01-14", failure_mode="Battery swelling"), capa(1, "2026-01-20", None)]
    for r in (reference_missing, reference_dangling, new_hazard, capa_evaluation_missing):
        assert run_rule(r, records) == []


def test_records_must_link_a_risk_or_say_none_applies() -> None:
    records = [
        _risk_file(),
        complaint(1, "2026-01-14", risk_ids=["HAZ-02"]),
        complaint(2, "2026-02-03", risk_none={"none": True, "reason": "Cosmetic scratch, no hazard"}),
        complaint(3, "2026-02-09", risk_none={"none": True}),
        rec("nonconformance", {"id": "NC-2026-007", "detected_at": "2026-03-01"}),
        capa(1, "2026-01-20", None, risk_ids=["RC-99"], risk_evaluation="No change to estimated risk"),
    ]
    missing = run_rule(reference_missing, records)
    assert [(f.location.record, f.location.field) for f in missing] == [
        ("CMP-2026-0003", "/risk_ids"),
        ("NC-2026-007", "/risk_ids"),
    ]
    (dangling,) = run_rule(reference_dangling, records)
    assert dangling.location.record == "CAPA-001" and dangling.location.field == "/risk_ids/0"
    assert "RC-99" in dangling.message


def test_new_hazard_from_complaint_failure_mode_or_harm() -> None:
    records = [
        _risk_file(),
        complaint(1, "2026-01-14", failure_mode="occlusion alarm  silent", harm="Delayed therapy"),
        complaint(2, "2026-02-03", failure_mode="Battery swelling", harm="Burn"),
        complaint(3, "2026-02-09", failure_mode="Pump runs fast", harm="none"),
    ]
    found = run_rule(new_hazard, records)
    assert [(f.location.record, f.location.field) for f in found] == [
        ("CMP-2026-0002", "/failure_mode"),
        ("CMP-2026-0002", "/harm"),
    ]
    assert found[0].message.startswith("New hazard not in the risk file")
    assert "Battery swelling" in found[0].message


def test_capa_without_risk_evaluation() -> None:
    records = [
        _risk_file(),
        capa(1, "2026-01-20", None),
        capa(2, "2026-01-21", None, risk_evaluation="RMF rev E"),
        capa(3, "2026-01-22", None, status="cancelled"),
    ]
    (f,) = run_rule(capa_evaluation_missing, records)
    assert f.location.record == "CAPA-001" and f.location.field == "/risk_evaluation"


def test_risk_control_verification_is_linked() -> None:
    records = [_risk_file(), rec("document", {"id": "VER-RC-01", "file": "v.pdf", "pages": 2})]
    found = run_rule(control_unverified, records)
    assert [f.location.field for f in found] == ["/risk_controls/1/verification", "/risk_controls/2/verification"]
    assert "RC-02 has no verification result" in found[0].message
    assert "document VER-MISSING, which is not in the bundle" in found[1].message
