r"""CSV reports: one record per row, the header row naming the columns; located by line and column.

Options: ``delimiter`` (one character, default ``,``; ``"\\t"`` for tab-separated), ``encoding``
(default ``utf-8-sig``, i.e. UTF-8 with an optional BOM; e.g. ``cp1252`` for Excel exports),
``quotechar`` (default ``"``), ``header`` (default true; when false, columns are named ``1``, ``2``
…), ``id_field`` and ``mapping`` (column names, see :mod:`evidence_kit.mapping`). Without a mapping
a row becomes ``{column: text}`` with empty cells left out.

A row with more cells than the header, or bytes that are not valid in the configured encoding, is
skipped with an ``ingest.malformed`` finding naming the line (and byte offset); the other rows are
still read. The file is streamed row by row.
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import Any

from evidence_kit import Finding, Record, SourceContext, __version__, hookimpl
from evidence_kit.mapping import MISSING, RecordBuilder, options_schema

OPTIONS_SCHEMA = options_schema(
    {
        "delimiter": {"type": "string", "minLength": 1, "maxLength": 1},
        "quotechar": {"type": "string", "minLength": 1, "maxLength": 1},
        "encoding": {"type": "string", "minLength": 1},
        "header": {"type": "boolean"},
    }
)


class _Lines:
    """Decodes a binary file line by line, remembering the byte offset and line of each decode error."""

    def __init__(self, fh: Any, encoding: str) -> None:
        self.fh = fh
        self.decoder = codecs.getincrementaldecoder(encoding)("strict")
        self.offset = 0
        self.line = 0
        self.errors: list[tuple[int, int, str]] = []  # (line, byte offset, reason)

    def __iter__(self) -> Iterator[str]:
        for raw in self.fh:
            self.line += 1
            start = self.offset
            self.offset += len(raw)
            try:
                text = self.decoder.decode(raw)
            except UnicodeDecodeError as exc:
                self.decoder.reset()
                self.errors.append((self.line, start + exc.start, exc.reason))
                yield "\x00BAD\n"
                continue
            if self.line == 1:
                text = text.removeprefix("\ufeff")
            yield text


class CsvSource:
    """Reads CSV exports into records; see the module docstring for its options."""

    name = "csv"
    version = __version__
    options_schema = OPTIONS_SCHEMA

    def detect(self, path: PurePosixPath, head: bytes) -> bool:
        """Claim files ending in .csv or .tsv."""
        return path.suffix.lower() in (".csv", ".tsv")

    def read(self, path: Path, ctx: SourceContext) -> Iterator[Record | Finding]:
        """Yield one record per data row."""
        opts = ctx.options
        encoding = str(opts.get("encoding", "utf-8-sig"))
        try:
            codecs.lookup(encoding)
        except LookupError:
            yield ctx.finding("ingest.malformed", f"{ctx.file}: options.encoding {encoding!r} is not a known encoding.")
            return
        default_delim = "\t" if path.suffix.lower() == ".tsv" else ","
        builder = RecordBuilder(ctx, lambda _row, column: f"column {column!r}")
        with open(path, "rb") as fh:
            lines = _Lines(fh, encoding)
            reader = csv.reader(
                lines,
                delimiter=str(opts.get("delimiter", default_delim)),
                quotechar=str(opts.get("quotechar", '"')),
                strict=True,
            )
            header: list[str] | None = None
            reported = 0
            start = 1
            while True:
                try:
                    row = next(reader)
                except StopIteration:
                    break
                except csv.Error as exc:
                    yield ctx.finding(
                        "ingest.malformed",
                        f"{ctx.file}:{lines.line}: not valid CSV: {exc}; the rest of the file was not read.",
                        line=lines.line,
                    )
                    return
                line, start = start, lines.line + 1
                while reported < len(lines.errors):
                    bad_line, byte, reason = lines.errors[reported]
                    reported += 1
                    yield ctx.finding(
                        "ingest.malformed",
                        f"{ctx.file}:{bad_line}: not valid {encoding} at byte offset {byte} ({reason}); "
                        "that row was skipped.",
                        line=bad_line,
                        hint="Set options.encoding to the export's encoding, or re-export as UTF-8.",
                    )
                if row == ["\x00BAD"] or not any(c.strip() for c in row):
                    continue
                if header is None:
                    if opts.get("header", True):
                        header = [c.strip() or str(i) for i, c in enumerate(row, 1)]
                        dup = next((h for h in header if header.count(h) > 1), None)
                        if dup is not None:
                            yield ctx.finding(
                                "ingest.malformed",
                                f"{ctx.file}:{line}: the header names column {dup!r} twice, so its values are "
                                "ambiguous; the file was not read.",
                                line=line,
                                path=f"column {dup!r}",
                            )
                            return
                        yield from self._unknown_columns(builder, header, ctx, line)
                        continue
                    header = [str(i) for i in range(1, len(row) + 1)]
                if len(row) > len(header):
                    yield ctx.finding(
                        "ingest.malformed",
                        f"{ctx.file}:{line}: row has {len(row)} cells but the header names {len(header)} columns; "
                        "that row was skipped.",
                        line=line,
                    )
                    continue
                cells = dict(zip(header, row, strict=False))

                def get(column: str, cells: dict[str, str] = cells) -> Any:
                    value = cells.get(column, MISSING)
                    return value.strip() if isinstance(value, str) else value

                yield from builder.build(
                    {k: v for k, v in cells.items() if v.strip()},
                    get,
                    line=line,
                    path=f"row {line}",
                )

    def _unknown_columns(
        self, builder: RecordBuilder, header: list[str], ctx: SourceContext, line: int
    ) -> Iterator[Finding]:
        for fm in builder.mapping.fields if builder.mapping else []:
            if fm.selector is not None and fm.selector not in header:
                yield ctx.finding(
                    "ingest.mapping-error",
                    f"{ctx.file}:{line}: mapping {fm.key!r} reads column {fm.selector!r}, which the header does not "
                    f"have (columns: {', '.join(header)}); field {fm.pointer} stays empty in every record.",
                    field=fm.pointer,
                    line=line,
                    path=f"column {fm.selector!r}",
                    hint=f"Correct the column name of mapping {fm.key!r} in evidence-kit.toml.",
                )


@hookimpl(trylast=True)
def evidence_kit_sources() -> list[CsvSource]:
    """Register the CSV source, last, so plugins get first refusal on .csv files."""
    return [CsvSource()]
