"""Field mapping from vendor exports to canonical records, configured in ``evidence-kit.toml``.

One implementation serves every source. A source supplies a *getter* that reads a selector in its
own terms (a JSON Pointer for JSON, an XPath for XML, a column name for CSV, a field name for PDF
forms); the mapping turns what the getter returns into canonical fields::

    [[inputs]]
    path = "exports/complaints.csv"
    source = "csv"
    record_type = "complaint"
    [inputs.options.mapping]
    id = "Complaint No"                                   # shorthand for { from = "Complaint No" }
    received_date = { from = "Date Received", date_format = "%d/%m/%Y" }
    "complainant.name" = "Reporter"                        # dotted or JSON Pointer targets nest
    investigated = { from = "Investigated?", map = { Y = true, N = false } }
    capa_ids = { from = "CAPA Refs", split = ";" }
    status = { const = "closed" }

Each mapping entry may carry: ``from`` (the selector), ``const`` (a fixed value instead), ``default``
(used when the source value is missing or empty), ``split`` (separator that turns a text into a
list), ``map`` (value table, e.g. Y/N → true/false), ``date_format`` (``strptime`` pattern, list of
patterns, or ``"auto"`` for ISO 8601 / YYYYMMDD / PDF dates; output is ISO 8601) and ``type``
(``string``, ``integer``, ``number`` or ``boolean``). Empty source values count as missing: an
empty date cell means "no date", not a bad date.

Mapping errors never stop ingestion: the field is left out and a ``ingest.mapping-error`` finding
names the mapping key, the file, the record and the canonical field.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import PurePosixPath
from types import MappingProxyType
from typing import Any

from evidence_kit._schemas import valid_by_rs
from evidence_kit.contracts import SourceContext
from evidence_kit.errors import ConfigError
from evidence_kit.model import Finding, Record
from evidence_kit.parsing import json_pointer, parse_date, pointer_parts

__all__ = [
    "MAPPING_SCHEMA",
    "MISSING",
    "FieldMap",
    "FieldMapping",
    "RecordBuilder",
    "options_schema",
    "validate_options",
]


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


#: What a getter returns when the selector finds nothing.
MISSING: Any = _Missing()

_ENTRY = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "from": {"type": "string", "minLength": 1},
        "const": {},
        "default": {},
        "split": {"type": "string", "minLength": 1},
        "map": {"type": "object"},
        "date_format": {
            "anyOf": [{"type": "string", "minLength": 1}, {"type": "array", "items": {"type": "string"}, "minItems": 1}]
        },
        "type": {"enum": ["string", "integer", "number", "boolean"]},
    },
    "oneOf": [
        {"required": ["from"], "not": {"required": ["const"]}},
        {"required": ["const"], "not": {"required": ["from"]}},
    ],
}

#: JSON Schema of ``options.mapping``: canonical target → selector or entry table.
MAPPING_SCHEMA: dict[str, Any] = {
    "type": "object",
    "minProperties": 1,
    "additionalProperties": {"anyOf": [{"type": "string", "minLength": 1}, _ENTRY]},
}


def options_schema(properties: Mapping[str, Any]) -> dict[str, Any]:
    """Return a closed JSON Schema for a source's options, with ``mapping`` and ``id_field`` added.

    Args:
        properties: The source's own option properties.
    """
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "mapping": MAPPING_SCHEMA,
            "id_field": {"type": "string", "minLength": 1},
            **properties,
        },
    }


def validate_options(schema: Mapping[str, Any], options: Mapping[str, Any], where: str) -> None:
    """Check a source's options against its schema, and compile its mapping.

    Args:
        schema: The source's options schema (see :func:`options_schema`).
        options: The ``options`` table of one ``[[inputs]]`` entry.
        where: Text naming the entry, e.g. ``evidence-kit.toml [[inputs]] 'exports/*.csv'``.

    Raises:
        ConfigError: An option is unknown or has a bad value; the message names the key.
    """
    if not valid_by_rs(schema, dict(options)):
        _raise_option_error(schema, options, where)
    if "mapping" in options:
        FieldMap(options["mapping"], where=where)


def _raise_option_error(schema: Mapping[str, Any], options: Mapping[str, Any], where: str) -> None:
    """Raise the ConfigError for the first option error jsonschema finds (imported only now: ~80 ms)."""
    import jsonschema

    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(dict(options)), key=lambda e: list(e.absolute_path))
    if errors:
        err = errors[0]
        key = ".".join(str(p) for p in err.absolute_path)
        if err.validator == "additionalProperties" and isinstance(err.instance, dict):
            allowed = set(err.schema.get("properties", {})) if isinstance(err.schema, Mapping) else set()
            extra = sorted(set(err.instance) - allowed)
            name = ".".join(filter(None, [key, extra[0] if extra else ""]))
            raise ConfigError(
                f"{where}: unknown option 'options.{name}'.",
                hint=f"Allowed here: {', '.join(sorted(allowed))}." if allowed else None,
            )
        if err.validator in ("oneOf", "anyOf") and key.startswith("mapping."):
            raise ConfigError(
                f"{where}: mapping entry 'options.{key}' needs exactly one of 'from' or 'const'; it must be a "
                "selector text or a table of from/const, default, split, map, date_format and type.",
            )
        raise ConfigError(f"{where}: bad value for 'options.{key or '(options)'}': {err.message}.")


def _target_parts(target: str) -> list[str]:
    parts = pointer_parts(target) if target.startswith("/") else target.split(".")
    if not parts or any(p == "" for p in parts):
        raise ValueError("an empty path segment")
    return parts


_TRUE = {"true", "yes", "y", "1", "t", "x", "on"}
_FALSE = {"false", "no", "n", "0", "f", "", "off"}


@dataclass(frozen=True)
class FieldMapping:
    """One compiled mapping entry: where the value comes from and how it is converted."""

    key: str
    target: tuple[str, ...]
    pointer: str
    selector: str | None = None
    const: Any = MISSING
    default: Any = MISSING
    split: str | None = None
    value_map: Mapping[str, Any] | None = None
    date_formats: tuple[str, ...] | None = None
    type: str | None = None

    def convert(self, value: Any) -> Any:
        """Return the canonical value for one raw value (after splitting, per item).

        Raises:
            ValueError: The value cannot be converted; the message says what was expected.
        """
        if self.value_map is not None:
            k = value if isinstance(value, str) else json.dumps(value)
            k = k.strip()
            if k not in self.value_map:
                raise ValueError(
                    f"value {k!r} is not in its map (expected one of {', '.join(map(repr, self.value_map))})"
                )
            value = self.value_map[k]
        if self.date_formats is not None:
            if not isinstance(value, str):
                raise ValueError(f"expected a date as text, found {type(value).__name__} {value!r}")
            formats = () if self.date_formats == ("auto",) else self.date_formats
            parsed: dt.date = parse_date(value, formats)
            value = parsed.isoformat()
        if self.type is not None:
            value = _as_type(value, self.type)
        return value


def _as_type(value: Any, kind: str) -> Any:
    if kind == "string":
        return (
            value
            if isinstance(value, str)
            else json.dumps(value)
            if not isinstance(value, (int, float))
            else str(value)
        )
    if kind == "boolean":
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise ValueError(f"expected a yes/no value, found {value!r}")
    if isinstance(value, bool):
        raise ValueError(f"expected a {kind}, found {value!r}")
    try:
        return int(str(value).strip()) if kind == "integer" else float(str(value).strip())
    except ValueError:
        raise ValueError(f"expected an {kind if kind == 'integer' else 'number'}, found {value!r}") from None


class FieldMap:
    """A compiled ``options.mapping`` table.

    Raises:
        ConfigError: A target or an entry is malformed; the message names the mapping key.
    """

    def __init__(self, table: Mapping[str, Any], *, where: str = "evidence-kit.toml") -> None:
        self.fields: list[FieldMapping] = []
        for key, spec in table.items():
            try:
                target = tuple(_target_parts(key))
            except ValueError as exc:
                raise ConfigError(
                    f"{where}: mapping key {key!r} is not a dotted field or JSON Pointer: {exc}."
                ) from None
            entry: dict[str, Any] = {"from": spec} if isinstance(spec, str) else dict(spec)
            formats = entry.get("date_format")
            vmap = entry.get("map")
            if vmap is not None and entry.get("type") == "boolean":
                raise ConfigError(f"{where}: mapping {key!r}: use either 'map' or type 'boolean', not both.")
            self.fields.append(
                FieldMapping(
                    key=key,
                    target=target,
                    pointer=json_pointer(target),
                    selector=entry.get("from"),
                    const=entry.get("const", MISSING),
                    default=entry.get("default", MISSING),
                    split=entry.get("split"),
                    value_map={str(k): v for k, v in vmap.items()} if vmap is not None else None,
                    date_formats=(formats,) if isinstance(formats, str) else tuple(formats) if formats else None,
                    type=entry.get("type"),
                )
            )
        self._check_targets(where)

    def _check_targets(self, where: str) -> None:
        """Refuse targets that would overwrite each other (``a`` and ``a.b``; ``a.0`` and ``a.b``)."""
        by_target = {f.target: f.key for f in self.fields}
        if len(by_target) != len(self.fields):
            seen: dict[tuple[str, ...], str] = {}
            for f in self.fields:
                if f.target in seen:
                    raise ConfigError(f"{where}: mapping keys {seen[f.target]!r} and {f.key!r} name the same field.")
                seen[f.target] = f.key
        kinds: dict[tuple[str, ...], tuple[bool, str]] = {}
        for target, key in by_target.items():
            for i in range(1, len(target)):
                if target[:i] in by_target:
                    raise ConfigError(
                        f"{where}: mapping keys {by_target[target[:i]]!r} and {key!r} overlap: "
                        f"{key!r} is inside {by_target[target[:i]]!r}."
                    )
            for i in range(len(target)):
                parent, is_index = target[:i], target[i].isdigit()
                previous = kinds.setdefault(parent, (is_index, key))
                if previous[0] != is_index:
                    raise ConfigError(
                        f"{where}: mapping keys {previous[1]!r} and {key!r} disagree on whether "
                        f"{json_pointer(parent) or '/'} is a list or an object."
                    )

    @property
    def selectors(self) -> list[str]:
        """Return every ``from`` selector, for sources that compile them (XPath) up front."""
        return [f.selector for f in self.fields if f.selector is not None]

    def apply(self, get: Callable[[str], Any]) -> tuple[dict[str, Any], list[tuple[FieldMapping, str]]]:
        """Build canonical data with ``get(selector)`` and return it with the errors met.

        Returns:
            ``(data, errors)`` where each error is ``(mapping entry, message)``; a failed field is
            left out of ``data``.
        """
        data: dict[str, Any] = {}
        errors: list[tuple[FieldMapping, str]] = []
        for fm in self.fields:
            if fm.const is not MISSING:
                _put(data, fm.target, fm.const)
                continue
            assert fm.selector is not None
            try:
                raw = get(fm.selector)
            except ValueError as exc:
                errors.append((fm, f"selector {fm.selector!r} failed: {exc}"))
                continue
            if raw is MISSING or raw is None or raw == "" or raw == []:
                if fm.default is not MISSING:
                    _put(data, fm.target, fm.default)
                continue
            try:
                if fm.split is not None:
                    items = raw if isinstance(raw, list) else str(raw).split(fm.split)
                    value: Any = [fm.convert(i.strip() if isinstance(i, str) else i) for i in items]
                    value = [v for v in value if v != ""]
                elif isinstance(raw, list) and (fm.date_formats or fm.value_map is not None or fm.type):
                    value = [fm.convert(i) for i in raw]
                else:
                    value = fm.convert(raw)
            except ValueError as exc:
                errors.append((fm, str(exc)))
                continue
            _put(data, fm.target, value)
        return data, errors


def _put(data: dict[str, Any], target: tuple[str, ...], value: Any) -> None:
    node: Any = data
    for i, part in enumerate(target):
        last = i == len(target) - 1
        nxt_is_index = not last and target[i + 1].isdigit()
        if isinstance(node, list):
            index = int(part)
            while len(node) <= index:
                node.append(None)
            if last:
                node[index] = value
            else:
                if node[index] is None:
                    node[index] = [] if nxt_is_index else {}
                node = node[index]
        else:
            if last:
                node[part] = value
            else:
                node = node.setdefault(part, [] if nxt_is_index else {})


class RecordBuilder:
    """Turns raw source items into Records: mapping (if configured), record type, id, provenance.

    Every source uses one per file::

        builder = RecordBuilder(ctx)
        for item in ...:
            yield from builder.build(raw_dict, getter, line=..., path=...)

    Without ``options.mapping`` the source's natural dict is used as it is.
    """

    def __init__(self, ctx: SourceContext, locate: Callable[[str | None, str], str] | None = None) -> None:
        """Compile the mapping of ``ctx.options``.

        Args:
            ctx: The source context of the file.
            locate: Turns ``(record path, selector)`` into the location of one source field, e.g. a
                CSV column; mapping errors are placed there. Defaults to the record's path.
        """
        self.ctx = ctx
        self.locate = locate
        table = ctx.options.get("mapping")
        self.mapping = FieldMap(table, where=f"{ctx.file}: options") if table else None
        self.id_field = str(ctx.options.get("id_field", "id"))
        self._stem = PurePosixPath(ctx.file).name

    def build(
        self,
        natural: Callable[[], Mapping[str, Any]] | Mapping[str, Any],
        get: Callable[[str], Any] | None = None,
        *,
        line: int | None = None,
        page: int | None = None,
        path: str | None = None,
        fallback_id: str | None = None,
        record_type: str | None = None,
        attachments: tuple[str, ...] = (),
        owned: bool = False,
    ) -> Iterator[Record | Finding]:
        """Yield the record built from one raw item, preceded by any mapping-error findings.

        Args:
            natural: The item as a dict (or a function returning it), used when there is no mapping.
            get: Reads one selector of the item; required when the mapping is configured.
            line: 1-based line of the item in the file.
            page: 1-based page (PDF).
            path: The item's place in the file's own terms (JSON Pointer, XPath, form name).
            fallback_id: Id to use when the data has none; defaults to ``<file name>#<line>``.
            record_type: Type to use when neither the config nor the data names one.
            attachments: Files bound with the record.
            owned: ``natural`` is a fresh dict nobody else holds (e.g. just parsed), so it is used
                without a copy.
        """
        ctx = self.ctx
        errors: list[tuple[FieldMapping, str]] = []
        if self.mapping is not None and get is not None:
            data, errors = self.mapping.apply(get)
        else:
            raw = natural() if callable(natural) else natural
            data = raw if owned and type(raw) is dict else dict(raw)
        rid = self._id(data, line, path, fallback_id)
        where = f"{ctx.file}:{line}" if line is not None else ctx.file
        for fm, message in errors:
            yield ctx.finding(
                "ingest.mapping-error",
                f"{where}: record {rid}, field {fm.pointer}: mapping {fm.key!r} "
                f"(from {fm.selector!r}) failed: {message}; the field was left out.",
                record=rid,
                field=fm.pointer,
                line=line,
                page=page,
                path=self.locate(path, fm.selector or "") if self.locate else path,
                hint=f"Correct the value in the export, or the mapping {fm.key!r} in evidence-kit.toml.",
            )
        yield self.finish(
            data, line=line, page=page, path=path, rid=rid, record_type=record_type, attachments=attachments
        )

    def _id(self, data: Mapping[str, Any], line: int | None, path: str | None, fallback: str | None) -> str:
        rid = data.get(self.id_field)
        if isinstance(rid, str) and rid:
            return rid
        if isinstance(rid, int) and not isinstance(rid, bool):
            return str(rid)
        return fallback or f"{self._stem}#{line if line is not None else path}"

    def finish(
        self,
        data: dict[str, Any],
        *,
        line: int | None = None,
        page: int | None = None,
        path: str | None = None,
        rid: str | None = None,
        record_type: str | None = None,
        attachments: tuple[str, ...] = (),
    ) -> Record | Finding:
        """Turn canonical ``data`` (a dict the builder may keep and change) into a Record.

        This is the unmapped fast path: sources with no mapping configured may call it directly
        with a freshly parsed dict. The record type comes from the config, else the data's
        ``record_type`` key (removed from the data), else ``record_type``.
        """
        ctx = self.ctx
        rtype = ctx.record_type or data.pop("record_type", None) or record_type
        if ctx.record_type and "record_type" in data:
            del data["record_type"]
        if rid is None:
            rid = self._id(data, line, path, None)
        if not isinstance(rtype, str):
            where = f"{ctx.file}:{line}" if line is not None else ctx.file
            return ctx.finding(
                "ingest.unknown-record-type",
                f"{where}: the item at {path or '/'} has no record_type and the config gives none for this file.",
                line=line,
                page=page,
                path=path,
                hint="Add record_type to this file's [[inputs]] entry.",
            )
        frozen = MappingProxyType(data)  # the Record keeps it as it is: no second copy
        return ctx.record(rtype, rid, frozen, line=line, page=page, path=path, attachments=attachments)
