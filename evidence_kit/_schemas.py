"""Schema validation of records: jsonschema-rs for speed, every error reported with its field.

jsonschema-rs validates Draft 2020-12 about 70 times faster than the pure-Python ``jsonschema``
(see ../shared/perf-notes.md) and still yields every error with its instance path. The schemas
themselves are meta-validated when they are registered: by jsonschema-rs, and by ``jsonschema`` for
the message when one is invalid.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import jsonschema_rs

from evidence_kit._catalog import CORE_CODES
from evidence_kit.contracts import RecordType
from evidence_kit.errors import PluginError
from evidence_kit.model import Finding, Location, Record
from evidence_kit.parsing import json_pointer


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def valid_by_rs(schema: Mapping[str, Any], instance: Any, *, formats: bool = False) -> bool:
    """Return True when jsonschema-rs finds ``instance`` valid against ``schema``.

    False also when it cannot tell (a value it cannot take, such as a TOML date-time): the caller then
    lets jsonschema judge and word the error, which spares importing jsonschema (~80 ms) on every run.
    """
    try:
        return bool(jsonschema_rs.Draft202012Validator(dict(schema), validate_formats=formats).is_valid(instance))
    except ValueError:
        return False


class SchemaValidator:
    """Validates records against their record type's schema; one compiled validator per type."""

    def __init__(self, record_types: Mapping[str, RecordType]) -> None:
        resources: dict[str, Mapping[str, Any]] = {}
        for rt in record_types.values():
            for res in (rt.schema, *rt.resources):
                if "$id" in res:
                    resources[str(res["$id"])] = res
        for uri, res in resources.items():
            if jsonschema_rs.meta.is_valid(dict(res)):  # 1 ms for all built-ins; jsonschema takes 150 ms
                continue
            import jsonschema  # words the problem better: it gives the message (imported only then: ~80 ms)

            try:
                jsonschema.Draft202012Validator.check_schema(res)
            except jsonschema.SchemaError as exc:
                raise PluginError(f"schema {uri} is not a valid Draft 2020-12 schema: {exc.message}") from exc
            raise PluginError(f"schema {uri} is not a valid Draft 2020-12 schema (jsonschema-rs rejects it).")
        try:
            registry = jsonschema_rs.Registry([(uri, dict(res)) for uri, res in resources.items()])
            self._validators = {
                name: jsonschema_rs.Draft202012Validator(dict(rt.schema), validate_formats=True, registry=registry)
                for name, rt in record_types.items()
            }
        except (ValueError, jsonschema_rs.ReferencingError) as exc:
            raise PluginError(f"a record-type schema cannot be compiled: {exc}") from exc

    def validate(self, record: Record) -> list[Finding]:
        """Return one ``schema.invalid`` finding per schema error in ``record``.

        Each finding names the file, the record, the field as a JSON Pointer, what the schema
        expected and the value found.
        """
        validator = self._validators.get(record.type)
        if validator is None:
            return []
        raw = record.data  # jsonschema-rs takes a dict, not the Record's read-only view of one
        data = raw.copy() if type(raw) is MappingProxyType else dict(raw)  # .copy() is 10x dict(proxy)
        if validator.is_valid(data):
            return []
        meta = CORE_CODES["schema.invalid"]
        out = []
        for err in validator.iter_errors(data):
            parts = list(err.instance_path)
            kind = err.kind
            if type(kind).__name__ == "Required":
                parts.append(getattr(kind, "property", ""))
                detail = "is required but missing"
            else:
                detail = f"is invalid: {err.message} (found {_short(err.instance)})"
            field = json_pointer(parts)
            src = record.location
            out.append(
                Finding(
                    meta.code,
                    meta.severity,
                    f"{record.type} {record.id} in {src.file}: field {field or '/'} {detail}.",
                    Location(src.file, record.id, field or "/", src.line, src.page, src.path),
                    meta.cites,
                    meta.hint,
                )
            )
        return out
