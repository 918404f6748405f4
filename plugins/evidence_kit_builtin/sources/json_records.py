"""JSON, JSON array and JSON Lines exports: one record per object, located by line and JSON Pointer.

Files are streamed: JSON Lines line by line, a top-level array element by element (in 1 MiB
chunks), so memory follows the largest record, not the file. The strict policy of
:mod:`evidence_kit.parsing` applies (duplicate keys, NaN/Infinity, nesting deeper than 64, lone
surrogates and invalid UTF-8 are refused, the last with its byte offset). A broken JSON Lines line
costs that line only; a broken document stops at the defect, keeping the records before it.

Options (``[[inputs]] options``): ``lines`` (treat as JSON Lines whatever the suffix), ``records``
(JSON Pointer of the array holding the records inside one document, e.g. ``/results``),
``id_field`` and ``mapping`` (JSON Pointers, see :mod:`evidence_kit.mapping`).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import Any

from evidence_kit import Finding, Record, SourceContext, __version__, hookimpl
from evidence_kit.mapping import MISSING, RecordBuilder, options_schema
from evidence_kit.parsing import JsonError, iter_json_document, iter_json_lines, pointer_parts, resolve_pointer

OPTIONS_SCHEMA = options_schema(
    {
        "lines": {"type": "boolean"},
        "records": {"type": "string", "pattern": "^(/.*)?$"},
    }
)


def _getter(obj: dict[str, Any]) -> Any:
    def get(selector: str) -> Any:
        try:
            return resolve_pointer(obj, selector if selector.startswith("/") else "/" + selector)
        except KeyError:
            return MISSING

    return get


class JsonSource:
    """Reads ``.json`` (one object or an array of objects) and ``.jsonl`` / ``.ndjson`` files."""

    name = "json"
    version = __version__
    options_schema = OPTIONS_SCHEMA

    def detect(self, path: PurePosixPath, head: bytes) -> bool:
        """Claim files ending in .json, .jsonl or .ndjson."""
        return path.suffix.lower() in (".json", ".jsonl", ".ndjson")

    def read(self, path: Path, ctx: SourceContext) -> Iterator[Record | Finding]:
        """Yield one record per JSON object, located by line and JSON Pointer."""
        builder = RecordBuilder(ctx, lambda record, sel: (record or "").rstrip("/") + ("/" + sel).replace("//", "/"))
        lines = path.suffix.lower() in (".jsonl", ".ndjson") or bool(ctx.options.get("lines", False))
        with open(path, "rb") as fh:
            if lines:
                yield from self._read_lines(fh, ctx, builder)
            else:
                yield from self._read_document(fh, ctx, builder)

    def _read_document(self, fh: Any, ctx: SourceContext, builder: RecordBuilder) -> Iterator[Record | Finding]:
        inner = str(ctx.options.get("records", ""))
        plain = builder.mapping is None
        try:
            for value, line, pointer in iter_json_document(fh):
                if inner and pointer == "":
                    yield from self._inner(value, inner, line, ctx, builder)
                elif plain and type(value) is dict:  # the common case, without the generic builder
                    yield builder.finish(value, line=line, path=pointer or "/")
                else:
                    yield from self._record(value, ctx, builder, line, pointer)
        except JsonError as exc:
            yield ctx.finding(
                "ingest.malformed",
                f"{ctx.file}:{exc.line}: not valid JSON: {exc}; records after this point were not read.",
                line=exc.line,
                hint="Re-export the file; evidence-kit does not guess at broken JSON.",
            )

    def _inner(
        self, value: Any, inner: str, line: int, ctx: SourceContext, builder: RecordBuilder
    ) -> Iterator[Record | Finding]:
        try:
            items = resolve_pointer(value, inner)
        except KeyError:
            items = None
        if not isinstance(items, list):
            yield ctx.finding(
                "ingest.malformed",
                f"{ctx.file}: options.records {inner!r} names no array in the document.",
                line=line,
                path=inner,
            )
            return
        base = "".join("/" + p.replace("~", "~0").replace("/", "~1") for p in pointer_parts(inner))
        for i, item in enumerate(items):
            yield from self._record(item, ctx, builder, line, f"{base}/{i}")

    def _read_lines(self, fh: Any, ctx: SourceContext, builder: RecordBuilder) -> Iterator[Record | Finding]:
        plain = builder.mapping is None
        for n, value in iter_json_lines(fh):
            if isinstance(value, JsonError):
                yield ctx.finding(
                    "ingest.malformed",
                    f"{ctx.file}:{n}: line {n} is not valid JSON: {value}; that line was skipped.",
                    line=n,
                    hint="Fix or re-export that line.",
                )
                continue
            if plain and type(value) is dict:
                yield builder.finish(value, line=n, path=f"/{n - 1}")
            else:
                yield from self._record(value, ctx, builder, n, f"/{n - 1}")

    def _record(
        self, value: Any, ctx: SourceContext, builder: RecordBuilder, line: int, pointer: str
    ) -> Iterator[Record | Finding]:
        if not isinstance(value, dict):
            yield ctx.finding(
                "ingest.malformed",
                f"{ctx.file}:{line}: expected a JSON object (a record) at {pointer or '/'}, "
                f"found {type(value).__name__}.",
                line=line,
                path=pointer or "/",
            )
            return
        yield from builder.build(value, _getter(value), line=line, path=pointer or "/", owned=True)


@hookimpl(trylast=True)
def evidence_kit_sources() -> list[JsonSource]:
    """Register the JSON source, last, so plugins get first refusal on .json files."""
    return [JsonSource()]
