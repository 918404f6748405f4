"""The canonical record types and their JSON Schemas (Draft 2020-12, under ``schemas/``)."""

from __future__ import annotations

from evidence_kit import RecordType, hookimpl
from evidence_kit_builtin._schemas import load_schema

#: name → (title, date field used for sorting and the record window, clauses)
TYPES: dict[str, tuple[str, str | None, tuple[str, ...]]] = {
    "complaint": ("Complaint file", "received_date", ("21 CFR 820.35(a)", "ISO 13485:2016 8.2.2")),
    "capa": ("Corrective and preventive action", "opened_at", ("ISO 13485:2016 8.5.2", "ISO 13485:2016 8.5.3")),
    "document": ("Document evidence (PDF)", None, ("ISO 13485:2016 4.2.4", "ISO 13485:2016 4.2.5")),
}


@hookimpl
def evidence_kit_record_types() -> list[RecordType]:
    """Register the built-in record types with their schemas and the shared definitions."""
    defs = load_schema("defs")
    return [
        RecordType(name, title, load_schema(name), date_field=date_field, cites=cites, resources=(defs,))
        for name, (title, date_field, cites) in TYPES.items()
    ]
