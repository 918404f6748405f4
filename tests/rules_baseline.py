"""A realistic, internally consistent set of quality records on which no built-in rule fires.

Rule tests copy it, break one thing, and check that exactly the expected rule notices. ``run_rule`` runs
one registered rule the way the engine does (defaults merged with options, fixed "now").
"""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

from evidence_kit_builtin.rules.management import MR_INPUTS

from evidence_kit._plugins import build_registry, get_plugin_manager
from evidence_kit.contracts import RuleContext
from evidence_kit.model import Finding, Location, Record, RecordSet

NOW = dt.datetime(2026, 11, 30, 12, 0, tzinfo=dt.UTC)
GTIN = "00812345000016"
UDI = f"(01){GTIN}(11)250105(17)281231(10)L2511"
SOP = [{"doc_number": "SOP-QA-012", "rev": "C"}]


def sig(name: str, uid: str, at: str, meaning: str) -> dict[str, str]:
    return {"printed_name": name, "signer_id": uid, "signed_at": at, "meaning": meaning}


ALVAREZ, CHEN, KIM = ("Rosa Alvarez", "ralvarez"), ("Jun Chen", "jchen"), ("Dana Kim", "dkim")

BASELINE: dict[str, tuple[str, dict[str, Any]]] = {
    "DM-LVP200": (
        "device_master",
        {
            "id": "DM-LVP200",
            "di": GTIN,
            "issuing_agency": "GS1",
            "device_name": "Meridian LVP-200 Infusion Pump",
            "version_model": "LVP-200",
            "lot_controlled": True,
            "expiration_date_controlled": True,
            "gudid_published": "2024-06-01",
            "expected_life_years": 7,
        },
    ),
    "SOP-QA-012-C": (
        "controlled_document",
        {
            "id": "SOP-QA-012-C",
            "doc_number": "SOP-QA-012",
            "rev": "C",
            "title": "Complaint handling",
            "status": "effective",
            "created_at": "2025-11-20T09:00:00-06:00",
            "approval": sig(*CHEN, "2025-12-01T10:00:00-06:00", "approved"),
            "effective_date": "2025-12-15",
        },
    ),
    "TRN-0101": (
        "training",
        {
            "id": "TRN-0101",
            "trainee": {"name": ALVAREZ[0], "user_id": ALVAREZ[1]},
            "doc_number": "SOP-QA-012",
            "rev": "C",
            "completed_at": "2025-12-10T09:00:00-06:00",
        },
    ),
    "TRN-0102": (
        "training",
        {
            "id": "TRN-0102",
            "trainee": {"name": CHEN[0], "user_id": CHEN[1]},
            "doc_number": "SOP-QA-012",
            "rev": "C",
            "completed_at": "2025-12-11T09:00:00-06:00",
        },
    ),
    "CMP-2026-0001": (
        "complaint",
        {
            "id": "CMP-2026-0001",
            "device_name": "Meridian LVP-200 Infusion Pump",
            "event_date": "2026-01-10",
            "received_date": "2026-01-14",
            "aware_date": "2026-01-14",
            "channel": "written",
            "udi": UDI,
            "lot": "L2511",
            "complainant": {
                "name": "St. Olaf Hospital Biomed",
                "address": "1 Hospital Way, Austin, MN",
                "phone": "+1 507 555 0101",
            },
            "description": "Occlusion alarm did not sound during a downstream occlusion test on the bench.",
            "fails_specification": True,
            "investigated": True,
            "investigation": {
                "started": "2026-01-15",
                "closed": "2026-02-20",
                "findings": "Pressure sensor drift beyond tolerance.",
                "root_cause": "Sensor drift",
            },
            "mdr_decision": {
                "reportable": False,
                "decision_date": "2026-01-20",
                "rationale": "No death or serious injury; bench test only.",
                "decided_by": ALVAREZ[0],
            },
            "corrective_action_needed": True,
            "capa_ids": ["CAPA-2026-003"],
            "corrections": ["Replaced pump at customer site"],
            "reply": {"date": "2026-02-22", "text": "Investigation summary sent."},
            "status": "closed",
            "closed_date": "2026-03-01",
            "created_at": "2026-01-14T08:30:00-06:00",
            "procedures": SOP,
            "signatures": [
                sig(*ALVAREZ, "2026-01-14T09:00:00-06:00", "authored"),
                sig(*CHEN, "2026-03-01T15:00:00-06:00", "approved"),
            ],
        },
    ),
    "CMP-2026-0002": (
        "complaint",
        {
            "id": "CMP-2026-0002",
            "device_name": "Meridian LVP-200 Infusion Pump",
            "event_date": "2026-03-30",
            "received_date": "2026-04-01",
            "aware_date": "2026-04-01",
            "udi": UDI,
            "complainant": {
                "name": "Lakeside Clinic",
                "address": "22 Shore Rd, Bayfield, WI",
                "phone": "+1 715 555 0144",
            },
            "description": "Free-flow event during set change; patient received an over-infusion.",
            "investigated": True,
            "investigation": {"started": "2026-04-02", "closed": "2026-05-10", "findings": "Set misloaded; no defect."},
            "mdr_decision": {
                "reportable": True,
                "decision_date": "2026-04-03",
                "rationale": "Serious injury possible.",
                "decided_by": ALVAREZ[0],
                "report_number": "3012345678-2026-00004",
                "device_failed_spec": False,
                "used_for_treatment_or_diagnosis": True,
                "relation_to_event": "Device in use; use error suspected.",
            },
            "corrective_action_needed": False,
            "no_capa_rationale": "Use error; labeling already warns.",
            "corrections": {"none": True, "reason": "No device defect found."},
            "reply": {"date": "2026-05-12"},
            "status": "closed",
            "closed_date": "2026-05-15",
        },
    ),
    "MDR-2026-0004": (
        "mdr_report",
        {
            "id": "MDR-2026-0004",
            "complaint_id": "CMP-2026-0002",
            "report_number": "3012345678-2026-00004",
            "report_type": "30-day",
            "reporter_type": "manufacturer",
            "aware_date": "2026-04-01",
            "submitted_at": "2026-04-24",
            "ack": {"received": True, "at": "2026-04-25T10:00:00Z"},
        },
    ),
    "CAPA-2026-003": (
        "capa",
        {
            "id": "CAPA-2026-003",
            "kind": "corrective",
            "title": "Occlusion alarm threshold drift",
            "opened_at": "2026-01-22",
            "triggers": [{"type": "complaint", "id": "CMP-2026-0001"}, {"type": "nonconformance", "id": "NC-2026-011"}],
            "problem": "Occlusion pressure sensor drifts out of tolerance.",
            "root_cause": "Supplier changed sensor die attach.",
            "root_cause_at": "2026-02-01",
            "need_evaluation": "Recurrence likely; action needed.",
            "action_plan": ["Tighten incoming inspection", "Supplier corrective action"],
            "plan_approved_at": "2026-02-10",
            "implemented_at": "2026-03-01",
            "implementation_evidence": "ECO-2026-014 released.",
            "no_adverse_effect_verification": "Verification report VR-77.",
            "effectiveness": {
                "method": "Trend of occlusion complaints",
                "criteria": "No recurrence in 60 days",
                "result": "No recurrence",
                "at": "2026-05-01",
                "by": CHEN[0],
            },
            "status": "closed",
            "closed_at": "2026-05-05",
            "owner": CHEN[0],
        },
    ),
    "NC-2026-011": (
        "nonconformance",
        {
            "id": "NC-2026-011",
            "detected_at": "2026-01-18",
            "product": "Pressure sensor PS-4",
            "lot": "S-9981",
            "description": "Sensors out of tolerance at incoming inspection.",
            "evaluation": "Investigation needed; supplier notified.",
            "investigation_needed": True,
            "disposition": "return",
            "capa_ids": ["CAPA-2026-003"],
            "status": "closed",
            "closed_at": "2026-05-06",
        },
    ),
    "DR-L2511": (
        "device_record",
        {
            "id": "DR-L2511",
            "device_name": "Meridian LVP-200 Infusion Pump",
            "di": GTIN,
            "lot": "L2511",
            "udi": UDI,
            "qty_made": 500,
            "qty_released": 495,
            "manufacture_date": "2025-01-05",
            "expiry_date": "2028-12-31",
            "release": {"by": KIM[0], "at": "2025-01-20T10:00:00-06:00"},
            "first_ship_at": "2025-01-22T08:00:00-06:00",
            "in_commercial_distribution": True,
            "product_status": "released",
        },
    ),
    "LI-L2511": (
        "label_inspection",
        {
            "id": "LI-L2511",
            "lot": "L2511",
            "label_rev": "D",
            "inspected_at": "2025-01-15T09:00:00-06:00",
            "inspector": {"name": KIM[0], "user_id": KIM[1]},
            "label_creator": "Lee Park",
            "items": {"udi": "pass", "expiry": "pass", "storage": "pass", "handling": "pass", "processing": "n/a"},
            "na_justification": {"processing": "Device needs no further processing by the user."},
            "udi": UDI,
            "printed_expiry": "2028-12-31",
            "printed_manufacture_date": "2025-01-05",
            "lot_serial_checked": True,
            "pre_use_inspection": {
                "result": "pass",
                "by": "Lee Park",
                "at": "2025-01-15T08:00:00-06:00",
                "mdf_label_rev": "D",
            },
            "signatures": [sig(*KIM, "2025-01-15T09:30:00-06:00", "verified")],
        },
    ),
    "LR-L2511": (
        "labeling_release",
        {
            "id": "LR-L2511",
            "lot": "L2511",
            "label_inspection_id": "LI-L2511",
            "released_by": KIM[0],
            "released_at": "2025-01-16T09:00:00-06:00",
            "signatures": [sig(*KIM, "2025-01-16T09:00:00-06:00", "released")],
        },
    ),
    "SRV-2026-040": (
        "servicing",
        {
            "id": "SRV-2026-040",
            "device_name": "Meridian LVP-200 Infusion Pump",
            "udi": UDI,
            "service_date": "2026-06-03",
            "technicians": [{"name": "Omar Haddad"}],
            "service_type": "repair",
            "service_performed": "Replaced keypad membrane; ran functional test.",
            "test_results": ["Functional test PASS"],
            "complaint_evaluation": {"is_complaint": False, "by": ALVAREZ[0], "at": "2026-06-04T10:00:00-05:00"},
        },
    ),
    "IA-2026-02": (
        "internal_audit",
        {
            "id": "IA-2026-02",
            "scope": "Complaint handling",
            "criteria": "ISO 13485:2016 8.2.2; SOP-QA-012",
            "processes_audited": ["complaint handling"],
            "audit_date": "2026-04-01",
            "report_date": "2026-04-03",
            "auditors": [{"name": "Priya Shah"}],
            "auditee_owners": [{"name": ALVAREZ[0]}],
            "findings": [{"id": "F1", "description": "Reply template outdated", "correction": "Template updated"}],
            "conclusions": "Process effective; one minor finding.",
        },
    ),
    "MR-2025-2": (
        "management_review",
        {
            "id": "MR-2025-2",
            "review_date": "2025-11-20",
            "planned_interval_months": 6,
            "inputs": list(MR_INPUTS),
            "outputs": [{"decision": "Add QA engineer", "owner": "CEO", "due_date": "2026-03-01"}],
        },
    ),
    "MR-2026-1": (
        "management_review",
        {
            "id": "MR-2026-1",
            "review_date": "2026-05-20",
            "planned_interval_months": 6,
            "inputs": list(MR_INPUTS),
            "outputs": [{"decision": "Qualify second sensor supplier", "owner": CHEN[0], "due_date": "2026-12-31"}],
        },
    ),
    "CR-2026-01": (
        "correction_removal",
        {
            "id": "CR-2026-01",
            "action_type": "correction",
            "device_name": "Meridian LVP-200 Infusion Pump",
            "lots": ["L2511"],
            "action_initiated": "2026-03-02",
            "risk_to_health": True,
            "report_806_submitted": "2026-03-13",
            "report_number": "Z-1234-2026",
        },
    ),
    "DC-2026-05": (
        "design_change",
        {
            "id": "DC-2026-05",
            "title": "Sensor firmware filter",
            "approved_at": "2026-01-05T10:00:00-06:00",
            "implemented_at": "2026-01-20T10:00:00-06:00",
            "validation_completed_at": "2026-01-15",
            "first_release_at": "2026-02-01",
        },
    ),
    "BR-24-017": (
        "drug_batch_record",
        {
            "id": "BR-24-017",
            "product_name": "Metformin HCl ER",
            "strength": "500 mg",
            "lot": "24-017",
            "manufacture_date": "2026-02-01",
            "expiry_date": "2028-02-01",
            "yield_percent": 98.5,
            "yield_limits": {"min": 95, "max": 101},
            "discrepancy": False,
            "qcu_approval": {"by": "QA Lead", "at": "2026-02-10T10:00:00-05:00"},
            "release_at": "2026-02-11T09:00:00-05:00",
        },
    ),
    "DEV-2026-09": (
        "drug_deviation",
        {
            "id": "DEV-2026-09",
            "batch_ids": ["BR-24-016"],
            "opened_at": "2026-01-20",
            "description": "Granulation endpoint exceeded.",
            "other_batches_assessed": ["24-015"],
            "conclusion": "No impact on quality.",
            "followup": "Operator retrained.",
            "qcu_approval": {"by": "QA Lead", "at": "2026-01-30T10:00:00-05:00"},
        },
    ),
    "DCMP-2026-03": (
        "drug_complaint",
        {
            "id": "DCMP-2026-03",
            "received_date": "2026-03-01",
            "drug_name": "Metformin HCl ER",
            "strength": "500 mg",
            "lot": "24-017",
            "complainant_name": "J. Doe",
            "nature": "Tablets chipped in bottle.",
            "reply": {"date": "2026-03-20"},
            "qcu_review": {"by": "QA Lead", "at": "2026-03-02T10:00:00-05:00"},
            "ade_reportability_decision": {
                "reportable": False,
                "decided_by": "Safety",
                "at": "2026-03-02T12:00:00-05:00",
            },
            "investigated": True,
            "findings": "Transit damage.",
            "followup": "Carrier notified.",
        },
    ),
}


def records(data: dict[str, tuple[str, dict[str, Any]]] | None = None) -> RecordSet:
    """Build a RecordSet; each record sits on its own line of ``exports/<type>.jsonl``."""
    out = []
    for line, (rtype, body) in enumerate((data or BASELINE).values(), start=1):
        rid = str(body["id"])
        loc = Location(f"exports/{rtype}.jsonl", rid, line=line, path=f"/{line - 1}")
        out.append(Record(rtype, rid, body, loc, "0" * 64, "json"))
    return RecordSet.of(out)


def baseline() -> dict[str, tuple[str, dict[str, Any]]]:
    """Return a deep copy of the baseline to break."""
    return copy.deepcopy(BASELINE)


_REGISTRY = build_registry(get_plugin_manager(entry_points=False))
RULES = _REGISTRY.rules


def run_rule(code: str, recs: RecordSet, **options: Any) -> list[Finding]:
    """Run one registered rule as the engine does."""
    plugin, rule = RULES[code]
    ctx = RuleContext(code, rule.severity, rule.cites, rule.hint, {**rule.options, **options}, NOW, {}, plugin)
    return list(rule.check(recs, ctx))
