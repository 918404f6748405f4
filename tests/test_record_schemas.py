"""The record schemas: valid Draft 2020-12, registered, documented, and checking formats."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from evidence_kit_builtin.record_types import TYPES

from evidence_kit._plugins import build_registry
from evidence_kit._schemas import SchemaValidator
from evidence_kit.model import Location, Record

ROOT = Path(__file__).resolve().parents[1]
DOC = (ROOT / "docs" / "record-model.md").read_text(encoding="utf-8")


def _schema(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((ROOT / "schemas" / f"{name}.schema.json").read_text(encoding="utf-8"))
    return data


@pytest.mark.parametrize("name", sorted(TYPES))
def test_schema_is_versioned_draft_2020_12(name: str) -> None:
    schema = _schema(name)
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$id"] == f"https://evidence-kit.dev/schemas/{name}/1"
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"


@pytest.mark.parametrize("name", sorted(TYPES))
def test_every_field_is_documented(name: str) -> None:
    section = DOC.split(f"\n## {name}\n", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"^\| `([a-z0-9_]+)` \|", section, flags=re.M))
    common = {
        "created_at",
        "signatures",
        "procedures",
        "audit_trail",
        "audit_trail_review",
        "confidential",
        "disposed_at",
    }
    expected = set(_schema(name)["properties"]) - (common if name != "document" else set())
    assert expected - documented == set(), f"fields of {name} missing from docs/record-model.md"


def test_all_types_registered(pm: Any) -> None:
    registry = build_registry(pm)
    assert set(TYPES) <= set(registry.record_types)


def _rec(type_: str, data: dict[str, Any]) -> Record:
    return Record(type_, str(data["id"]), data, Location("exports/x.json", str(data["id"]), line=3), "0" * 64, "json")


def test_schema_flags_bad_formats_with_pointer(pm: Any) -> None:
    validator = SchemaValidator(build_registry(pm).record_types)
    bad = _rec(
        "label_inspection",
        {"id": "LI-1", "inspected_at": "2026-02-30", "items": {"udi": "ok"}, "inspector": {"role": "QC"}},
    )
    fields = sorted(f.location.field or "" for f in validator.validate(bad))
    assert fields == ["/inspected_at", "/inspector/name", "/items/udi"]


def test_schema_accepts_realistic_records(pm: Any) -> None:
    validator = SchemaValidator(build_registry(pm).record_types)
    good = [
        _rec(
            "drug_batch_record",
            {
                "id": "BR-24-017",
                "product_name": "Metformin HCl ER",
                "strength": "500 mg",
                "lot": "24-017",
                "qcu_approval": {"by": "QA Lead", "at": "2026-03-01T10:00:00-05:00"},
                "release_at": "2026-03-02T09:00:00-05:00",
                "signatures": [{"printed_name": "A. Ng", "signed_at": "2026-03-01T10:00:00Z", "meaning": "approved"}],
            },
        ),
        _rec("device_master", {"id": "DM-1", "di": "00812345000011", "issuing_agency": "GS1", "lot_controlled": True}),
        _rec(
            "controlled_document", {"id": "SOP-QA-012-C", "doc_number": "SOP-QA-012", "rev": "C", "status": "effective"}
        ),
    ]
    for rec in good:
        assert validator.validate(rec) == [], rec.type


def test_invalid_schema_is_a_plugin_error_with_jsonschemas_message():
    from evidence_kit.contracts import RecordType
    from evidence_kit.errors import PluginError

    bad = RecordType("widget", "Widget", {"$id": "https://example.test/widget/1", "type": "nope"})
    with pytest.raises(PluginError, match=r"https://example.test/widget/1 is not a valid Draft 2020-12 schema: 'nope'"):
        SchemaValidator({"widget": bad})
    good = RecordType("widget", "Widget", {"$id": "https://example.test/widget/1", "required": ["name"]})
    rec = Record("widget", "W-1", {"id": "W-1"}, Location("w.json", "W-1"), "0" * 64, "json")
    (finding,) = SchemaValidator({"widget": good}).validate(rec)
    assert finding.location.field == "/name"
