"""The canonical record types and their JSON Schemas (Draft 2020-12, under ``schemas/``).

docs/record-model.md describes every field; tests/test_record_schemas.py keeps it in step.
"""

from __future__ import annotations

from evidence_kit import RecordType, hookimpl
from evidence_kit_builtin._schemas import load_schema

_RECORDS = "ISO 13485:2016 4.2.5"

#: name → (title, date field used for sorting and the record window, clauses)
TYPES: dict[str, tuple[str, str | None, tuple[str, ...]]] = {
    "complaint": ("Complaint file", "received_date", ("21 CFR 820.35(a)", "ISO 13485:2016 8.2.2")),
    "capa": ("Corrective and preventive action", "opened_at", ("ISO 13485:2016 8.5.2", "ISO 13485:2016 8.5.3")),
    "document": ("Document evidence (PDF)", None, ("ISO 13485:2016 4.2.4", _RECORDS)),
    "nonconformance": ("Nonconforming product", "detected_at", ("ISO 13485:2016 8.3",)),
    "label_inspection": ("Labeling and packaging inspection", "inspected_at", ("21 CFR 820.45(a)", "21 CFR 820.45(c)")),
    "labeling_release": ("Release of labeling for use", "released_at", ("21 CFR 820.45(b)",)),
    "servicing": ("Servicing record", "service_date", ("21 CFR 820.35(b)", "ISO 13485:2016 7.5.4")),
    "mdr_report": ("Medical device report", "submitted_at", ("21 CFR 803", "ISO 13485:2016 8.2.3")),
    "correction_removal": ("Correction or removal", "action_initiated", ("21 CFR 806",)),
    "device_master": (
        "Device master / UDI device identifier",
        "gudid_published",
        ("21 CFR 830", "ISO 13485:2016 7.5.8"),
    ),
    "controlled_document": ("Controlled document revision", "effective_date", ("ISO 13485:2016 4.2.4",)),
    "training": ("Training record", "completed_at", ("ISO 13485:2016 6.2",)),
    "internal_audit": ("Internal audit", "audit_date", ("ISO 13485:2016 8.2.4",)),
    "management_review": ("Management review", "review_date", ("ISO 13485:2016 5.6",)),
    "device_record": (
        "Medical device / batch record",
        "manufacture_date",
        ("ISO 13485:2016 7.5.1", "21 CFR 820.35(c)"),
    ),
    "design_change": ("Design and development change", "approved_at", ("ISO 13485:2016 7.3.9",)),
    "drug_batch_record": (
        "Drug batch production and control record",
        "manufacture_date",
        ("21 CFR 211.188", "21 CFR 211.192"),
    ),
    "drug_deviation": ("Drug deviation / investigation", "opened_at", ("21 CFR 211.192",)),
    "drug_complaint": ("Drug complaint file", "received_date", ("21 CFR 211.198",)),
}


@hookimpl
def evidence_kit_record_types() -> list[RecordType]:
    """Register the built-in record types with their schemas and the shared definitions."""
    defs = load_schema("defs")
    return [
        RecordType(name, title, load_schema(name), date_field=date_field, cites=cites, resources=(defs,))
        for name, (title, date_field, cites) in TYPES.items()
    ]
