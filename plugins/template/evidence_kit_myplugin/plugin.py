"""A source for ``*.nc.txt`` nonconformance exports and a rule over the records it reads.

The export is semicolon-separated with a header line: ``id;detected_at;product;disposition``,
dates as ``YYYY-MM-DD``. Replace the parsing with your own format; keep the shape.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

from evidence_kit import Finding, Record, RecordSet, RuleContext, Severity, Source, SourceContext, hookimpl, rule
from evidence_kit.contracts import FunctionRule
from evidence_kit_myplugin import __version__

HEADER = "id;detected_at;product;disposition"


class NonconformanceExport:
    """Reads ``*.nc.txt`` files whose first line is the expected header into nonconformance records."""

    name = "myplugin-nc"
    version = __version__

    def detect(self, path: PurePosixPath, head: bytes) -> bool:
        """Claim only files named ``*.nc.txt`` that start with the expected header."""
        return path.name.endswith(".nc.txt") and head.lstrip(b"\xef\xbb\xbf").startswith(HEADER.encode())

    def read(self, path: Path, ctx: SourceContext) -> Iterator[Record | Finding]:
        """Yield one record per line; a finding (never an exception) for each bad line or date."""
        lines = path.read_text(encoding="utf-8-sig").splitlines()
        for n, line in enumerate(lines[1:], 2):
            if not line.strip():
                continue
            cells = line.split(";")
            if len(cells) != 4:
                yield ctx.finding(
                    "ingest.malformed",
                    f"{ctx.file}:{n}: expected 4 fields ({HEADER}), found {len(cells)}; the line was skipped.",
                    line=n,
                )
                continue
            rid, detected, product, disposition = (c.strip() for c in cells)
            data = {"id": rid, "product": product}
            if disposition:
                data["disposition"] = disposition
            try:
                data["detected_at"] = dt.date.fromisoformat(detected).isoformat()
            except ValueError:
                yield ctx.finding(
                    "myplugin.bad-date",
                    f"{ctx.file}:{n}: nonconformance {rid}: detected_at {detected!r} is not a YYYY-MM-DD date.",
                    severity=Severity.WARNING,
                    record=rid,
                    field="/detected_at",
                    line=n,
                )
            yield ctx.record("nonconformance", rid, data, line=n, path=f"line {n}")


@rule(
    "myplugin.disposition-missing",
    title="Nonconformance has no disposition",
    cites=("ISO 13485:2016 8.3.1",),
    hint="Record the disposition: scrap, rework, use-as-is, concession or return.",
    record_types={"nonconformance"},
)
def disposition_missing(records: RecordSet, ctx: RuleContext) -> Iterator[Finding]:
    """Every nonconformance records how the nonconforming product was dispositioned."""
    for r in records.of_type("nonconformance"):
        if not r.data.get("disposition"):
            yield ctx.finding(
                r,
                field="/disposition",
                message=f"Nonconformance {r.id} ({r.location.file}:{r.location.line}) has no disposition; "
                "expected one of scrap, rework, use-as-is, concession, return.",
            )


@hookimpl(tryfirst=True)
def evidence_kit_sources() -> list[Source]:
    """Register the source, first, so it is asked before the built-in sources."""
    return [NonconformanceExport()]


@hookimpl
def evidence_kit_rules() -> list[FunctionRule]:
    """Register the rule."""
    return [disposition_missing]
