"""Every built-in rule: silent on the realistic baseline, and firing on one targeted defect.

Each case breaks one thing in a copy of tests/rules_baseline.py and names the record and the JSON Pointer
the finding must point at.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from evidence_kit.model import Severity, canonical_json

from .rules_baseline import KIM, RULES, UDI, baseline, records, run_rule, sig

Data = dict[str, tuple[str, dict[str, Any]]]
DEL = object()


def put(rid: str, pointer: str, value: Any) -> Callable[[Data], None]:
    """Set (or delete, with DEL) the value at ``pointer`` in record ``rid``."""

    def apply(d: Data) -> None:
        node: Any = d[rid][1]
        parts = pointer.strip("/").split("/")
        for p in parts[:-1]:
            node = node[int(p)] if isinstance(node, list) else node.setdefault(p, {})
        last = parts[-1]
        if value is DEL:
            del node[last]
        elif isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value

    return apply


def add(rtype: str, body: dict[str, Any]) -> Callable[[Data], None]:
    def apply(d: Data) -> None:
        d[body["id"]] = (rtype, body)

    return apply


def both(*steps: Callable[[Data], None]) -> Callable[[Data], None]:
    def apply(d: Data) -> None:
        for s in steps:
            s(d)

    return apply


@dataclass
class Case:
    code: str
    record: str
    field: str
    change: Callable[[Data], None]
    options: dict[str, Any] = field(default_factory=dict)
    severity: Severity | None = None


C1, C7, CAPA, NC = "CMP-2026-0001", "CMP-2026-0002", "CAPA-2026-003", "NC-2026-011"
LI, LR, DR, SRV, MDR = "LI-L2511", "LR-L2511", "DR-L2511", "SRV-2026-040", "MDR-2026-0004"
W = Severity.WARNING


def _digest_ok(d: Data) -> None:
    body = d[C1][1]
    unsigned = {k: v for k, v in body.items() if k != "signatures"}
    body["signatures"][0]["record_digest"] = hashlib.sha256(canonical_json(unsigned).encode()).hexdigest()
    body["description"] = body["description"] + " Edited after signing."


CASES = [
    # Part 11
    Case("part11.signature-incomplete", C1, "/signatures/0/printed_name", put(C1, "/signatures/0/printed_name", "")),
    Case(
        "part11.signature-incomplete", C1, "/signatures/1/signed_at", put(C1, "/signatures/1/signed_at", "2026-03-01")
    ),
    Case("part11.signature-meaning-unknown", C1, "/signatures/0/meaning", put(C1, "/signatures/0/meaning", "ok")),
    Case(
        "part11.signature-no-zone",
        C1,
        "/signatures/0/signed_at",
        put(C1, "/signatures/0/signed_at", "2026-01-14T09:00:00"),
    ),
    Case(
        "part11.signature-future",
        C1,
        "/signatures/1/signed_at",
        put(C1, "/signatures/1/signed_at", "2027-01-01T00:00:00Z"),
    ),
    Case(
        "part11.signature-before-created",
        C1,
        "/signatures/0/signed_at",
        put(C1, "/signatures/0/signed_at", "2026-01-14T08:00:00-06:00"),
    ),
    Case(
        "part11.signature-order",
        C1,
        "/signatures/1/signed_at",
        put(C1, "/signatures/1/signed_at", "2026-01-14T08:45:00-06:00"),
    ),
    Case("part11.signer-id-shared", C1, "/signatures/1/signer_id", put(C1, "/signatures/1/signer_id", "ralvarez")),
    Case("part11.signature-digest-mismatch", C1, "/signatures/0/record_digest", _digest_ok),
    Case(
        "part11.signature-id-reused",
        LR,
        "/signatures/0/signature_id",
        both(put(LI, "/signatures/0/signature_id", "SIG-1"), put(LR, "/signatures/0/signature_id", "SIG-1")),
    ),
    Case(
        "part11.signer-inactive",
        LI,
        "/signatures/0/signed_at",
        put(LI, "/signatures/0/inactive_from", "2025-01-01T00:00:00Z"),
        severity=W,
    ),
    Case("part11.audit-trail-missing", CAPA, "/audit_trail", lambda d: None, options={"types": ["capa"]}),
    Case(
        "part11.audit-trail-order",
        CAPA,
        "/audit_trail/1/ts",
        put(
            CAPA,
            "/audit_trail",
            [
                {"ts": "2026-02-01T10:00:00Z", "user_id": "jchen", "action": "create"},
                {"ts": "2026-01-01T10:00:00Z", "user_id": "jchen", "action": "modify", "field": "problem", "old": "x"},
            ],
        ),
    ),
    Case(
        "part11.audit-trail-prior-value",
        CAPA,
        "/audit_trail/0/old",
        put(
            CAPA,
            "/audit_trail",
            [{"ts": "2026-02-01T10:00:00Z", "user_id": "jchen", "action": "modify", "field": "root_cause"}],
        ),
    ),
    Case(
        "part11.audit-trail-delete-reason",
        CAPA,
        "/audit_trail/0/reason",
        put(
            CAPA,
            "/audit_trail",
            [{"ts": "2026-02-01T10:00:00Z", "user_id": "jchen", "action": "delete", "field": "owner", "old": "A"}],
        ),
    ),
    Case(
        "part11.audit-trail-review-late",
        C1,
        "/audit_trail_review/at",
        put(C1, "/audit_trail_review", {"by": "QA", "at": "2026-03-02T09:00:00-06:00"}),
    ),
    # Chronology
    Case("chronology.future-date", CAPA, "/closed_at", put(CAPA, "/closed_at", "2026-12-24")),
    Case("chronology.complaint-order", C1, "/investigation/started", put(C1, "/investigation/started", "2026-01-12")),
    Case("chronology.capa-order", CAPA, "/implemented_at", put(CAPA, "/implemented_at", "2026-02-05")),
    Case(
        "chronology.design-change-order",
        "DC-2026-05",
        "/implemented_at",
        put("DC-2026-05", "/implemented_at", "2026-01-02T10:00:00-06:00"),
    ),
    Case(
        "chronology.validation-after-release",
        "DC-2026-05",
        "/validation_completed_at",
        put("DC-2026-05", "/validation_completed_at", "2026-02-10"),
    ),
    Case("chronology.effectiveness-too-soon", CAPA, "/effectiveness/at", put(CAPA, "/effectiveness/at", "2026-03-10")),
    Case(
        "chronology.document-effective-before-approval",
        "SOP-QA-012-C",
        "/effective_date",
        put("SOP-QA-012-C", "/effective_date", "2025-11-25"),
    ),
    Case(
        "chronology.procedure-not-in-force", C1, "/procedures/0", put("SOP-QA-012-C", "/effective_date", "2026-02-01")
    ),
    Case("chronology.procedure-not-in-force", C1, "/procedures/0/rev", put(C1, "/procedures/0/rev", "B")),
    Case(
        "chronology.training-after-signature",
        C1,
        "/signatures/0/signed_at",
        put("TRN-0101", "/completed_at", "2026-02-01T09:00:00-06:00"),
    ),
    # Complaints
    Case("complaints.device-name-missing", C1, "/device_name", put(C1, "/device_name", " ")),
    Case("complaints.received-date-missing", C1, "/received_date", put(C1, "/received_date", DEL)),
    Case("complaints.device-id-missing", C1, "/udi", put(C1, "/udi", DEL)),
    Case(
        "complaints.device-id-missing",
        C1,
        "/device_id_unknown_reason",
        both(put(C1, "/udi", DEL), put(C1, "/device_id_unknown_reason", "Complainant discarded the device")),
        severity=W,
    ),
    Case("complaints.complainant-missing", C1, "/complainant/phone", put(C1, "/complainant/phone", DEL)),
    Case(
        "complaints.complainant-missing",
        C1,
        "/complainant/phone",
        both(put(C1, "/complainant/phone", DEL), put(C1, "/complainant/unknown_reason", "Anonymous caller")),
        severity=W,
    ),
    Case("complaints.description-missing", C1, "/description", put(C1, "/description", "Broken.")),
    Case("complaints.correction-missing", C7, "/corrections", put(C7, "/corrections", {"none": True, "reason": ""})),
    Case("complaints.reply-missing", C7, "/reply", put(C7, "/reply", {"text": "Called back"})),
    Case(
        "complaints.investigation-not-justified",
        C7,
        "/no_investigation_justification",
        both(put(C7, "/investigated", False), put(C7, "/investigation", DEL)),
    ),
    Case(
        "complaints.investigation-not-justified",
        C7,
        "/similar_investigation_ref",
        both(put(C7, "/investigated", False), put(C7, "/similar_investigation_ref", "CMP-1999-0001")),
    ),
    Case("complaints.mdr-decision-missing", C1, "/mdr_decision/rationale", put(C1, "/mdr_decision/rationale", DEL)),
    Case("complaints.mdr-decision-missing", C1, "/mdr_decision", put(C1, "/mdr_decision", DEL)),
    Case("complaints.investigation-record-missing", C1, "/investigation", put(C1, "/investigation", DEL)),
    Case(
        "complaints.investigation-incomplete",
        C1,
        "/investigation/findings",
        put(C1, "/investigation/findings", DEL),
        severity=W,
    ),
    Case(
        "complaints.capa-decision-missing", C7, "/corrective_action_needed", put(C7, "/corrective_action_needed", DEL)
    ),
    Case(
        "complaints.mdr-details-missing",
        C7,
        "/mdr_decision/relation_to_event",
        put(C7, "/mdr_decision/relation_to_event", DEL),
        severity=Severity.INFO,
    ),
    Case("complaints.not-timely", C1, "/documented_date", put(C1, "/channel", "oral"), severity=W),
    Case("complaints.not-timely", C7, "/closed_date", put(C7, "/closed_date", "2026-09-01"), severity=W),
    Case(
        "complaints.before-release",
        C1,
        "/received_date",
        put(DR, "/release/at", "2026-01-20T10:00:00-06:00"),
        severity=W,
    ),
    Case("complaints.capa-missing", C1, "/capa_ids", put(C1, "/capa_ids", [])),
    Case("complaints.capa-dangling", C1, "/capa_ids/0", put(C1, "/capa_ids", ["CAPA-2026-099"])),
    Case("complaints.capa-one-way", CAPA, "/triggers/0/id", put(C1, "/capa_ids", DEL), severity=W),
    # Servicing
    Case("servicing.device-name-missing", SRV, "/device_name", put(SRV, "/device_name", "")),
    Case("servicing.device-id-missing", SRV, "/udi", put(SRV, "/udi", DEL)),
    Case("servicing.service-date-missing", SRV, "/service_date", put(SRV, "/service_date", DEL)),
    Case("servicing.technician-missing", SRV, "/technicians", put(SRV, "/technicians", [])),
    Case("servicing.service-performed-missing", SRV, "/service_performed", put(SRV, "/service_performed", DEL)),
    Case("servicing.test-data-missing", SRV, "/test_results", put(SRV, "/test_results", []), severity=W),
    Case(
        "servicing.complaint-evaluation-missing",
        SRV,
        "/complaint_evaluation/is_complaint",
        put(SRV, "/complaint_evaluation", DEL),
    ),
    Case(
        "servicing.complaint-link-dangling",
        SRV,
        "/complaint_evaluation/complaint_id",
        put(SRV, "/complaint_evaluation", {"is_complaint": True, "complaint_id": "CMP-2026-0999"}),
    ),
    # CAPA
    Case("capa.incomplete-at-close", CAPA, "/root_cause", put(CAPA, "/root_cause", DEL)),
    Case("capa.closed-without-effectiveness", CAPA, "/effectiveness", put(CAPA, "/effectiveness", DEL)),
    Case(
        "capa.closed-without-effectiveness",
        CAPA,
        "/effectiveness/result",
        both(put(CAPA, "/kind", "preventive"), put(CAPA, "/effectiveness/result", "")),
        severity=W,
    ),
    # Linkage
    Case("linkage.capa-dangling", NC, "/capa_ids/0", put(NC, "/capa_ids", ["CAPA-2026-404"])),
    Case("linkage.trigger-dangling", CAPA, "/triggers/1/id", put(CAPA, "/triggers/1/id", "NC-2026-999")),
    Case("linkage.one-way", NC, "/capa_ids/0", put(CAPA, "/triggers", [{"type": "complaint", "id": C1}]), severity=W),
    Case("linkage.one-way", CAPA, "/triggers/1/id", put(NC, "/capa_ids", DEL), severity=W),
    Case("linkage.capa-before-trigger", CAPA, "/opened_at", put(NC, "/detected_at", "2026-01-25")),
    Case("linkage.capa-open-delay", CAPA, "/opened_at", put(NC, "/detected_at", "2025-11-01"), severity=W),
    Case("linkage.closed-with-open-capa", C1, "/capa_ids/0", put(CAPA, "/status", "implementing"), severity=W),
    Case(
        "linkage.audit-finding-no-action",
        "IA-2026-02",
        "/findings/0",
        put("IA-2026-02", "/findings/0/correction", DEL),
        severity=W,
    ),
    # Labeling
    Case("labeling.inspection-item-missing", LI, "/items/storage", put(LI, "/items/storage", DEL)),
    Case("labeling.na-unjustified", LI, "/items/processing", put(LI, "/na_justification", {"storage": "x"})),
    Case("labeling.failed-item-released", LI, "/items/expiry", put(LI, "/items/expiry", "fail")),
    Case("labeling.release-missing", DR, "/lot", put(LR, "/lot", "L2599")),
    Case("labeling.signature-missing", LR, "/signatures", put(LR, "/signatures", [])),
    Case("labeling.signature-missing", LI, "/signatures", put(LI, "/signatures", DEL), severity=W),
    Case("labeling.signature-missing", LR, "/released_by", put(LR, "/released_by", "")),
    Case("labeling.pre-use-check-missing", LI, "/pre_use_inspection", put(LI, "/pre_use_inspection", DEL)),
    Case(
        "labeling.pre-use-check-missing",
        LI,
        "/pre_use_inspection/mdf_label_rev",
        put(LI, "/pre_use_inspection/mdf_label_rev", "C"),
    ),
    Case("labeling.order", LR, "/released_at", put(LR, "/released_at", "2025-01-14T09:00:00-06:00")),
    Case("labeling.order", DR, "/first_ship_at", put(DR, "/first_ship_at", "2025-01-19T09:00:00-06:00")),
    Case("labeling.inspector-is-creator", LI, "/inspector/name", put(LI, "/label_creator", KIM[0]), severity=W),
    Case("labeling.reader-sample-missing", LI, "/sample_examined_by", put(LI, "/automated_reader", True), severity=W),
    Case("labeling.date-format", LI, "/printed_expiry", put(LI, "/printed_expiry", "12/31/2028")),
    Case("labeling.expiry-udi-mismatch", LI, "/printed_expiry", put(LI, "/printed_expiry", "2028-12-30")),
    Case("labeling.lot-udi-mismatch", LI, "/udi", put(LI, "/udi", UDI.replace("L2511", "L2512"))),
    Case("labeling.lot-check-missing", LI, "/lot_serial_checked", put(LI, "/lot_serial_checked", False), severity=W),
    # UDI
    Case("udi.syntax", SRV, "/udi", put(SRV, "/udi", "(01)00812345000016(99x)ABC")),
    Case("udi.syntax", SRV, "/udi", put(SRV, "/udi", "+A123BJC5D6E7#1G")),
    Case("udi.gs1-check-digit", C1, "/udi", put(C1, "/udi", UDI.replace("000016", "000017"))),
    Case("udi.hibcc-check-character", SRV, "/udi", put(SRV, "/udi", "+A99912345/$$52001510X3/16D20111212/S77DEFG45/")),
    Case("udi.date-invalid", C1, "/udi", put(C1, "/udi", UDI.replace("(17)281231", "(17)280231"))),
    Case("udi.date-invalid", SRV, "/udi", put(SRV, "/udi", "0100812345000016172813311" + "0L2511")),
    Case("udi.ai-conflict", C1, "/udi", put(C1, "/udi", UDI + "(10)L2512")),
    Case("udi.manufacture-after-expiry", C1, "/udi", put(C1, "/udi", UDI.replace("(11)250105", "(11)290105"))),
    Case("udi.di-not-in-master", C1, "/udi", put("DM-LVP200", "/di", "00812345000023"), severity=W),
    Case("udi.pi-missing", C1, "/udi", put(C1, "/udi", "(01)00812345000016(17)281231"), severity=W),
    Case("udi.not-recorded", DR, "/udi", put(DR, "/udi", DEL)),
    Case("udi.record-mismatch", DR, "/udi", put(DR, "/lot", "L2512")),
    Case("udi.release-outside-shelf-life", DR, "/release/at", put(DR, "/release/at", "2025-01-02T10:00:00-06:00")),
    Case("udi.short-shelf-life", DR, "/release/at", put(DR, "/release/at", "2028-11-01T10:00:00-06:00"), severity=W),
    # Reporting
    Case(
        "reporting.mdr-report-missing",
        C7,
        "/mdr_decision/reportable",
        both(put(MDR, "/complaint_id", "CMP-2026-0100"), put(MDR, "/report_number", "X")),
    ),
    Case("reporting.mdr-report-incomplete", MDR, "/report_number", put(MDR, "/report_number", DEL)),
    Case("reporting.mdr-report-incomplete", MDR, "/ack", put(MDR, "/ack", DEL), severity=W),
    Case("reporting.mdr-30-day-late", MDR, "/submitted_at", put(MDR, "/submitted_at", "2026-05-02")),
    Case("reporting.mdr-30-day-late", MDR, "/submitted_at", put(MDR, "/submitted_at", DEL)),
    # 2026-07-01 + 5 work days skips Fri 3 July (Independence Day observed): due 9 July, so 10 July is late.
    Case(
        "reporting.mdr-5-day-late",
        MDR,
        "/submitted_at",
        both(
            put(MDR, "/report_type", "5-day"),
            put(MDR, "/aware_date", "2026-07-01"),
            put(MDR, "/submitted_at", "2026-07-10"),
        ),
    ),
    Case(
        "reporting.mdr-supplement-late",
        MDR,
        "/submitted_at",
        both(put(MDR, "/report_type", "supplemental"), put(MDR, "/new_info_received", "2026-03-01")),
    ),
    Case("reporting.mdr-user-facility-late", MDR, "/submitted_at", put(MDR, "/reporter_type", "user-facility")),
    Case(
        "reporting.vmsr-late",
        MDR,
        "/submitted_at",
        both(put(MDR, "/report_type", "vmsr"), put(MDR, "/submitted_at", "2026-08-01")),
    ),
    Case(
        "reporting.mdr-decision-late",
        C1,
        "/mdr_decision/decision_date",
        put(C1, "/mdr_decision/decision_date", "2026-03-20"),
        severity=W,
    ),
    Case("reporting.aware-after-receipt", C1, "/aware_date", put(C1, "/aware_date", "2026-01-16"), severity=W),
    Case(
        "reporting.correction-report-late",
        "CR-2026-01",
        "/report_806_submitted",
        put("CR-2026-01", "/report_806_submitted", "2026-03-17"),
    ),
    Case(
        "reporting.correction-unreported-no-record",
        "CR-2026-01",
        "/not_reported_justification",
        put("CR-2026-01", "/risk_to_health", False),
    ),
    # Drugs
    Case("drugs.qcu-approval-missing", "BR-24-017", "/qcu_approval/at", put("BR-24-017", "/qcu_approval/at", DEL)),
    Case(
        "drugs.qcu-approval-after-release",
        "BR-24-017",
        "/qcu_approval/at",
        put("BR-24-017", "/qcu_approval/at", "2026-02-12T10:00:00-05:00"),
    ),
    Case(
        "drugs.investigation-incomplete",
        "DEV-2026-09",
        "/other_batches_assessed",
        put("DEV-2026-09", "/other_batches_assessed", []),
    ),
    Case("drugs.discrepancy-not-investigated", "BR-24-017", "/deviation_ids", put("BR-24-017", "/yield_percent", 91.0)),
    Case(
        "drugs.complaint-qcu-review-missing",
        "DCMP-2026-03",
        "/qcu_review/by",
        put("DCMP-2026-03", "/qcu_review/by", ""),
    ),
    Case(
        "drugs.complaint-ade-decision-missing",
        "DCMP-2026-03",
        "/ade_reportability_decision/reportable",
        put("DCMP-2026-03", "/ade_reportability_decision", DEL),
    ),
    Case("drugs.complaint-element-missing", "DCMP-2026-03", "/strength", put("DCMP-2026-03", "/strength", DEL)),
    Case(
        "drugs.complaint-element-missing",
        "DCMP-2026-03",
        "/lot",
        both(
            put("DCMP-2026-03", "/lot", DEL),
            put("DCMP-2026-03", "/unknown_reasons", {"lot": "Patient discarded bottle"}),
        ),
        severity=W,
    ),
    Case(
        "drugs.complaint-investigation-record",
        "DCMP-2026-03",
        "/decided_by",
        both(put("DCMP-2026-03", "/investigated", False), put("DCMP-2026-03", "/no_investigation_reason", "Duplicate")),
    ),
    Case(
        "drugs.far-late",
        "DCMP-2026-03",
        "/far_submitted_at",
        both(put("DCMP-2026-03", "/far_required", True), put("DCMP-2026-03", "/far_submitted_at", "2026-03-06")),
    ),
    Case(
        "drugs.ade-report-late",
        "DCMP-2026-03",
        "/ade_report_submitted_at",
        put("DCMP-2026-03", "/ade_reportability_decision/reportable", True),
    ),
    # Records, production, management
    Case("records.disposed-early", "NC-2026-011", "/disposed_at", put(NC, "/disposed_at", "2026-06-01")),
    Case(
        "records.expected-life-missing",
        "DM-LVP200",
        "/expected_life_years",
        put("DM-LVP200", "/expected_life_years", DEL),
        severity=W,
    ),
    Case("records.document-incomplete", "SOP-QA-012-C", "/approval", put("SOP-QA-012-C", "/approval", DEL)),
    Case("production.batch-record-incomplete", DR, "/qty_released", put(DR, "/qty_released", DEL)),
    Case("production.batch-record-incomplete", DR, "/qty_released", put(DR, "/qty_released", 600)),
    Case(
        "production.consignee-missing",
        DR,
        "/distribution/0/consignee_address",
        both(put(DR, "/implant_or_life_supporting", True), put(DR, "/distribution", [{"consignee_name": "Mercy"}])),
    ),
    Case("production.status-uncontrolled", DR, "/product_status", put(DR, "/product_status", "ok-ish"), severity=W),
    Case("production.nonconformance-incomplete", NC, "/disposition", put(NC, "/disposition", DEL)),
    Case(
        "production.concession-incomplete",
        NC,
        "/concession/authorized_by",
        both(put(NC, "/disposition", "concession"), put(NC, "/concession", {"justification": "Cosmetic only"})),
    ),
    Case(
        "production.rework-after-release",
        NC,
        "/rework/completed_at",
        both(
            put(NC, "/lot", "L2511"),
            put(NC, "/disposition", "rework"),
            put(NC, "/rework", {"completed_at": "2025-02-01"}),
        ),
    ),
    Case(
        "management.review-interval",
        "MR-2026-1",
        "/review_date",
        put("MR-2026-1", "/review_date", "2026-07-20"),
        severity=W,
    ),
    Case(
        "management.review-interval",
        "MR-2026-1",
        "/planned_interval_months",
        put("MR-2026-1", "/planned_interval_months", DEL),
        severity=W,
    ),
    Case(
        "management.review-inputs",
        "MR-2026-1",
        "/inputs",
        put("MR-2026-1", "/inputs", ["feedback", "audits"]),
        severity=W,
    ),
    Case(
        "management.review-output-incomplete",
        "MR-2026-1",
        "/outputs/0/due_date",
        put("MR-2026-1", "/outputs/0/due_date", DEL),
        severity=W,
    ),
    Case(
        "management.auditor-not-independent",
        "IA-2026-02",
        "/auditors",
        put("IA-2026-02", "/auditors", [{"name": "Rosa  Alvarez"}]),
        severity=W,
    ),
    Case(
        "management.audit-record-incomplete", "IA-2026-02", "/criteria", put("IA-2026-02", "/criteria", ""), severity=W
    ),
]


EXTRA_CASES = [
    Case(
        "part11.entry-not-contemporaneous",
        NC,
        "/audit_trail",
        put(NC, "/audit_trail", [{"ts": "2026-01-25T10:00:00Z", "user_id": "jchen", "action": "create"}]),
        severity=W,
    ),
    Case("records.id-sequence-gap", C7, "/id", put(C1, "/id", "CMP-2026-0000"), severity=Severity.INFO),
]
CASES += EXTRA_CASES


def test_every_rule_has_a_firing_case() -> None:
    assert {c.code for c in CASES} == set(RULES)


@pytest.mark.parametrize("code", sorted(RULES))
def test_rule_is_silent_on_the_baseline(code: str) -> None:
    assert run_rule(code, records()) == []


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.code}:{c.field}")
def test_rule_fires_on_its_defect(case: Case) -> None:
    data = baseline()
    case.change(data)
    findings = run_rule(case.code, records(data), **case.options)
    hits = [f for f in findings if f.location.record == case.record and f.location.field == case.field]
    assert hits, f"{case.code} found {[(f.location.record, f.location.field, f.message) for f in findings]}"
    plugin, rule = RULES[case.code]
    for f in hits:
        assert f.code == case.code and f.plugin == plugin
        assert f.severity == (case.severity or rule.severity)
        assert case.record in f.message and f.location.file in f.message
        assert f.location.line is not None and f.location.path is not None
        assert f.cites and f.hint
        assert "invalid record" not in f.message.lower()


def test_every_rule_meets_the_contract() -> None:
    for code, (_plugin, rule) in RULES.items():
        pack, _, name = code.partition(".")
        assert pack and name and name == name.lower() and " " not in name
        assert rule.title and rule.hint and rule.cites
        if rule.options:
            assert rule.options_schema is not None, code


def test_five_day_clock_counts_federal_holidays() -> None:
    data = baseline()
    put(MDR, "/report_type", "5-day")(data)
    put(MDR, "/aware_date", "2026-07-01")(data)
    put(MDR, "/submitted_at", "2026-07-09")(data)
    assert run_rule("reporting.mdr-5-day-late", records(data)) == []


def test_options_change_thresholds() -> None:
    data = baseline()
    put(C1, "/description", "Alarm silent.")(data)
    assert run_rule("complaints.description-missing", records(data))
    assert run_rule("complaints.description-missing", records(data), min_chars=5) == []
    put(NC, "/detected_at", "2025-12-01")(data)
    assert run_rule("linkage.capa-open-delay", records(data))
    assert run_rule("linkage.capa-open-delay", records(data), max_days=60) == []


def test_scope_required_skips_uninvestigated_unreportable_complaints() -> None:
    data = baseline()
    put(C1, "/device_name", DEL)(data)
    put(C1, "/investigated", False)(data)
    put(C1, "/no_investigation_justification", "Duplicate of CMP-2026-0002")(data)
    assert run_rule("complaints.device-name-missing", records(data))
    assert run_rule("complaints.device-name-missing", records(data), scope="required") == []


def test_signer_with_two_ids_but_one_name_is_fine() -> None:
    data = baseline()
    data["X-1"] = (
        "capa",
        {"id": "X-1", "signatures": [sig("Rosa Alvarez", "ralvarez2", "2026-02-01T10:00:00Z", "approved")]},
    )
    assert run_rule("part11.signer-id-shared", records(data)) == []


def test_capa_timing_follows_links_from_the_trigger_side() -> None:
    data = baseline()
    put(CAPA, "/triggers", [])(data)  # only the complaint and the NC name the CAPA
    put(C1, "/received_date", "2026-01-25")(data)
    found = run_rule("linkage.capa-before-trigger", records(data))
    assert [(f.location.record, f.location.field) for f in found] == [(CAPA, "/opened_at")]
    assert C1 in found[0].message


# --- gap branch: terminology, integrated risk management, QMM improvement plans ---------------------

RMF = "RMF-LVP200-D"


def _with_risk(*steps: Callable[[Data], None]) -> Callable[[Data], None]:
    """Add a complete risk management file, link every complaint, NC and CAPA to it, then apply ``steps``."""

    def apply(d: Data) -> None:
        d[RMF] = (
            "risk_management_file",
            {
                "id": RMF,
                "product": "LVP-200 infusion pump",
                "approved_at": "2025-06-01",
                "hazards": [
                    {
                        "id": "HAZ-01",
                        "description": "Under-infusion",
                        "failure_modes": ["Occlusion alarm silent"],
                        "hazardous_situations": [{"id": "HS-01", "harms": ["Delayed therapy"]}],
                    }
                ],
                "risk_controls": [
                    {
                        "id": "RC-01",
                        "description": "Downstream occlusion alarm",
                        "verification": {
                            "method": "bench test",
                            "result": "pass",
                            "ref": {"type": "device_record", "id": DR},
                        },
                    }
                ],
            },
        )
        for rtype, body in d.values():
            if rtype in ("complaint", "nonconformance", "capa"):
                body["risk_ids"] = ["HAZ-01"]
            if rtype == "capa":
                body["risk_evaluation"] = "No change to estimated risk; RMF reviewed."
        for s in steps:
            s(d)

    return apply


_PLAN = {
    "id": "QMM-IP-2025",
    "assessment_date": "2025-01-15",
    "opportunity": {"practice_area": "apqs", "description": "Shorter CAPA cycle time"},
    "actions": [{"id": "A1", "description": "RCA coaching", "owner": "QA lead", "due_date": "2025-04-30"}],
    "checkpoints": [{"month": 3, "reported_at": "2025-04-14"}, {"month": 6, "reported_at": "2025-07-10"}],
}

GAP_CASES = [
    Case(
        "terminology.retired-citation",
        C1,
        "/description",
        put(C1, "/description", "Handled per 21 CFR 820.198; the occlusion alarm did not sound on the bench."),
        severity=W,
    ),
    Case(
        "terminology.retired-term",
        C1,
        "/description",
        put(C1, "/description", "The DHR of the lot shows the occlusion alarm test passed before release."),
        severity=W,
    ),
    Case("risk.reference-missing", NC, "/risk_ids", _with_risk(put(NC, "/risk_ids", DEL)), severity=W),
    Case("risk.reference-dangling", C1, "/risk_ids/0", _with_risk(put(C1, "/risk_ids", ["HAZ-99"]))),
    Case("risk.new-hazard", C1, "/failure_mode", _with_risk(put(C1, "/failure_mode", "Battery swelling")), severity=W),
    Case(
        "risk.capa-evaluation-missing",
        CAPA,
        "/risk_evaluation",
        _with_risk(put(CAPA, "/risk_evaluation", DEL)),
        severity=W,
    ),
    Case(
        "risk.control-unverified",
        RMF,
        "/risk_controls/0/verification",
        _with_risk(put(RMF, "/risk_controls/0/verification", {"method": "bench test"})),
        severity=W,
    ),
    Case(
        "improvement-plan.checkpoint-overdue",
        "QMM-IP-2025",
        "/checkpoints",
        add("improvement_plan", {**_PLAN, "checkpoints": [{"month": 3, "reported_at": "2025-04-14"}]}),
        severity=W,
    ),
    Case(
        "improvement-plan.action-owner-missing",
        "QMM-IP-2025",
        "/actions/0",
        add("improvement_plan", {**_PLAN, "actions": [{"id": "A1", "description": "RCA coaching"}]}),
        severity=W,
    ),
]
CASES += GAP_CASES
