"""A vendor source for ``.acme`` exports and a rule, using only the public evidence-kit API."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path, PurePosixPath

from evidence_kit import Finding, Record, RecordSet, RuleContext, Severity, SourceContext, hookimpl, rule

__version__ = "1.2.3"


class AcmeSource:
    """Reads ``ID;TITLE;OWNER`` lines into CAPA records."""

    name = "acme"
    version = __version__

    def detect(self, path: PurePosixPath, head: bytes) -> bool:
        """Claim ``.acme`` files."""
        return path.suffix == ".acme"

    def read(self, path: Path, ctx: SourceContext) -> Iterator[Record | Finding]:
        """Yield one CAPA per line."""
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            parts = line.split(";")
            if len(parts) != 3:
                yield ctx.finding("ingest.malformed", f"{ctx.file}:{n}: expected ID;TITLE;OWNER", line=n)
                continue
            rid, title, owner = parts
            yield ctx.record("capa", rid, {"id": rid, "title": title, "owner": owner}, line=n)


@rule(
    "acme.capa-owner",
    title="CAPA has no owner",
    cites=("ISO 13485:2016 8.5.2",),
    hint="Name the owner.",
    record_types={"capa"},
    severity=Severity.WARNING,
)
def capa_owner(records: RecordSet, ctx: RuleContext) -> Iterator[Finding]:
    """Every CAPA names an owner."""
    for r in records.of_type("capa"):
        if not r.data.get("owner"):
            yield ctx.finding(r, field="/owner", message=f"CAPA {r.id} in {r.location.file} has no owner.")


@hookimpl
def evidence_kit_sources() -> list[AcmeSource]:
    """Register the ACME source."""
    return [AcmeSource()]


@hookimpl
def evidence_kit_rules() -> list[object]:
    """Register the ACME rule."""
    return [capa_owner]
