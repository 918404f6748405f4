"""JSON, JSON array and JSON Lines exports: one record per object, located by line and pointer.

Strict parsing policy (records are evidence, so ambiguity is refused, not guessed):

* input must be UTF-8 (a leading BOM is accepted and ignored); invalid bytes are refused with the
  byte offset;
* duplicate keys in an object, ``NaN`` / ``Infinity`` literals and nesting deeper than 64 are
  refused;
* a top-level value that is not an object or an array of objects is not a record.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import Any

from evidence_kit import Finding, Record, Severity, SourceContext, __version__, hookimpl

MAX_DEPTH = 64
_WS = " \t\r\n"


class JsonError(ValueError):
    """A JSON defect, with the 0-based character offset where it was found."""

    def __init__(self, message: str, pos: int) -> None:
        super().__init__(message)
        self.pos = pos


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise JsonError(f"duplicate key {key!r} in one object", -1)
        out[key] = value
    return out


def _no_constant(name: str) -> Any:
    raise JsonError(f"{name} is not valid JSON", -1)


_decoder = json.JSONDecoder(object_pairs_hook=_pairs, parse_constant=_no_constant)


def _depth_ok(value: Any) -> bool:
    stack = [(value, 1)]
    while stack:
        v, d = stack.pop()
        if d > MAX_DEPTH:
            return False
        if isinstance(v, dict):
            stack.extend((x, d + 1) for x in v.values())
        elif isinstance(v, list):
            stack.extend((x, d + 1) for x in v)
    return True


def _decode_at(text: str, pos: int) -> tuple[Any, int]:
    try:
        value, end = _decoder.raw_decode(text, pos)
    except JsonError as exc:
        raise JsonError(str(exc), pos) from None
    except json.JSONDecodeError as exc:
        raise JsonError(exc.msg, exc.pos) from None
    except RecursionError:
        raise JsonError(f"nesting deeper than {MAX_DEPTH}", pos) from None
    if not _depth_ok(value):
        raise JsonError(f"nesting deeper than {MAX_DEPTH}", pos)
    return value, end


def _skip_ws(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in _WS:
        pos += 1
    return pos


def iter_document(text: str) -> Iterator[tuple[Any, int, str]]:
    """Yield ``(value, offset, JSON Pointer)`` for each record of a JSON document.

    A top-level array yields its elements one by one (each with its own offset); any other value
    is yielded whole with pointer ``""``.

    Raises:
        JsonError: The document is not valid JSON under the strict policy.
    """
    pos = _skip_ws(text, 0)
    if text.startswith("[", pos):
        pos = _skip_ws(text, pos + 1)
        index = 0
        if text.startswith("]", pos):
            pos += 1
        else:
            while True:
                start = pos
                value, pos = _decode_at(text, pos)
                yield value, start, f"/{index}"
                index += 1
                pos = _skip_ws(text, pos)
                if text.startswith(",", pos):
                    pos = _skip_ws(text, pos + 1)
                    continue
                if text.startswith("]", pos):
                    pos += 1
                    break
                raise JsonError("expected ',' or ']' after an array element", pos)
    else:
        start = pos
        value, pos = _decode_at(text, pos)
        yield value, start, ""
    if _skip_ws(text, pos) != len(text):
        raise JsonError("extra data after the JSON value", _skip_ws(text, pos))


class JsonSource:
    """Reads ``.json`` (one object or an array of objects) and ``.jsonl`` / ``.ndjson`` files."""

    name = "json"
    version = __version__

    def detect(self, path: PurePosixPath, head: bytes) -> bool:
        """Claim files ending in .json, .jsonl or .ndjson."""
        return path.suffix.lower() in (".json", ".jsonl", ".ndjson")

    def read(self, path: Path, ctx: SourceContext) -> Iterator[Record | Finding]:
        """Yield one record per JSON object, located by line and JSON Pointer."""
        raw = path.read_bytes()
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            yield ctx.finding(
                "ingest.malformed",
                f"{ctx.file}: not valid UTF-8 at byte offset {exc.start} ({exc.reason}); the file was not read.",
                hint="Re-export the file as UTF-8.",
            )
            return
        text = text.removeprefix("\ufeff")
        lines = path.suffix.lower() in (".jsonl", ".ndjson") or ctx.options.get("lines", False)
        yield from (self._read_lines(text, ctx) if lines else self._read_document(text, ctx))

    def _read_document(self, text: str, ctx: SourceContext) -> Iterator[Record | Finding]:
        line, last = 1, 0
        try:
            for value, offset, pointer in iter_document(text):
                line += text.count("\n", last, offset)
                last = offset
                yield self._record(value, ctx, line, pointer)
        except JsonError as exc:
            at = exc.pos if exc.pos >= 0 else last
            err_line = text.count("\n", 0, at) + 1
            yield ctx.finding(
                "ingest.malformed",
                f"{ctx.file}:{err_line}: not valid JSON: {exc}; records after this point were not read.",
                line=err_line,
                hint="Re-export the file; evidence-kit does not guess at broken JSON.",
            )

    def _read_lines(self, text: str, ctx: SourceContext) -> Iterator[Record | Finding]:
        for n, line in enumerate(text.split("\n"), 1):
            if not line.strip():
                continue
            try:
                value, end = _decode_at(line, 0)
                if line[end:].strip():
                    raise JsonError("extra data after the JSON value", end)
            except JsonError as exc:
                yield ctx.finding(
                    "ingest.malformed",
                    f"{ctx.file}:{n}: line {n} is not valid JSON: {exc}; that line was skipped.",
                    line=n,
                    hint="Fix or re-export that line.",
                )
                continue
            yield self._record(value, ctx, n, f"/{n - 1}")

    def _record(self, value: Any, ctx: SourceContext, line: int, pointer: str) -> Record | Finding:
        if not isinstance(value, dict):
            return ctx.finding(
                "ingest.malformed",
                f"{ctx.file}:{line}: expected a JSON object (a record) at "
                f"{pointer or '/'}, found {type(value).__name__}.",
                line=line,
                path=pointer or "/",
                severity=Severity.ERROR,
            )
        rtype = ctx.record_type or value.get("record_type")
        if not isinstance(rtype, str):
            return ctx.finding(
                "ingest.unknown-record-type",
                f"{ctx.file}:{line}: the object at {pointer or '/'} "
                "has no record_type and the bundle config gives none for this file.",
                line=line,
                path=pointer or "/",
                hint="Add record_type to this file's [[inputs]] entry.",
            )
        id_field = str(ctx.options.get("id_field", "id"))
        rid = value.get(id_field)
        rid = str(rid) if isinstance(rid, (str, int)) and str(rid) else f"{PurePosixPath(ctx.file).name}#{line}"
        data = {k: v for k, v in value.items() if k != "record_type"}
        return ctx.record(rtype, rid, data, line=line, path=pointer or "/")


@hookimpl(trylast=True)
def evidence_kit_sources() -> list[JsonSource]:
    """Register the JSON source, last, so plugins get first refusal on .json files."""
    return [JsonSource()]
