"""Terminology and citation hygiene for the QMSR transition (21 CFR 820 as amended, effective 2 Feb 2026).

Scans the text of every procedure and record (string fields of the canonical data, and the page
text of its PDFs, as the PDF source extracted it) for:

* citations of retired QSR sections as current law: 21 CFR 820.20-820.250, except 820.35 and 820.45;
* retired QSR terms used as defined QMS terms without the new ones: DHF, DMR, DHR, "management
  with executive responsibility".

The retired sections, their ISO 13485 successors and the term list are data
(``evidence_kit_builtin/data/terminology.json``); a bundle adds terms with
``[rules."terminology.retired-term"] extra_terms = [{old = "…", new = "…", cite = "…"}]``.
A citation preceded by a historical marker ("formerly 820.198", "old QSR 820.30") is not flagged.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

from evidence_kit import Finding, Record, RecordSet, RuleContext, Severity, hookimpl, rule
from evidence_kit.contracts import FunctionRule
from evidence_kit_builtin.gap.text import (
    TERMINOLOGY,
    Hit,
    Passage,
    pdf_texts,
    record_passages,
    retired_citations,
    retired_terms,
)

_TERM_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "extra_terms": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["old", "new", "cite"],
                "properties": {
                    "old": {"type": "string", "minLength": 2},
                    "abbrev": {"type": "string", "minLength": 2},
                    "new": {"type": "string", "minLength": 2},
                    "new_patterns": {"type": "array", "items": {"type": "string", "minLength": 2}},
                    "cite": {"type": "string", "minLength": 1},
                },
            },
        }
    },
}


def _located(f: Finding, p: Passage) -> Finding:
    """Point the finding at the PDF page when the text came from one."""
    if p.page is None:
        return f
    return dataclasses.replace(f, location=dataclasses.replace(f.location, file=p.file or "", page=p.page, field=None))


def _passages(records: RecordSet, ctx: RuleContext) -> Iterator[tuple[Record, list[Passage]]]:
    """Yield each record with its passages: its string fields and the page text of its own PDF.

    A record's PDF attachments are input files too: each is scanned as its own document record, so the
    rules judge every record alone (scope ``record``).
    """
    for r in records:
        yield r, record_passages(r, pdf_texts([r]), set())


@rule(
    "terminology.retired-citation",
    scope="record",
    title="Procedure or record cites a retired QSR section as current law",
    cites=("21 CFR 820.10", "89 FR 7496 (QMSR final rule, 2 Feb 2024)", "90 FR 55978 (technical amendments)"),
    hint="Cite the ISO 13485:2016 clause (incorporated by 21 CFR 820.7/820.10) or 21 CFR 820.35/820.45 instead; "
    "keep the old section only as a marked historical cross-reference (\u201cformerly 820.198\u201d).",
    record_types={"*"},
    severity=Severity.WARNING,
)
def retired_citation(records: RecordSet, ctx: RuleContext) -> Iterator[Finding]:
    """Every citation of 21 CFR 820.20-820.250 (but 820.35, 820.45) not marked historical is a finding."""
    for r, passages in _passages(records, ctx):
        for hit in retired_citations(passages):
            yield _located(
                ctx.finding(
                    r,
                    field=hit.passage.field,
                    message=(
                        f"{r.type} {r.id} ({r.location.file}), {hit.passage.where}: cites \u201c{hit.found}\u201d, "
                        f"a QSR section retired on 2 Feb 2026 (text: \u201c{hit.snippet()}\u201d); expected a current "
                        f"citation: {hit.suggestion}."
                    ),
                    hint=f"Replace \u201c{hit.found}\u201d: {hit.suggestion}.",
                ),
                hit.passage,
            )


def _term_message(r: Record, hit: Hit, count: int) -> str:
    more = f" ({count} uses)" if count > 1 else ""
    return (
        f"{r.type} {r.id} ({r.location.file}), {hit.passage.where}: uses the retired QSR term "
        f"\u201c{hit.found}\u201d{more} and never the QMSR/ISO 13485 term (text: \u201c{hit.snippet()}\u201d); "
        f"expected: {hit.suggestion}."
    )


@rule(
    "terminology.retired-term",
    scope="record",
    title="Procedure or record uses a retired QSR term without the new one",
    cites=("21 CFR 820.3", "ISO 13485:2016 4.2.3", "ISO 13485:2016 7.3.10", "ISO 13485:2016 7.5.1"),
    hint="Use the ISO 13485 term (or define the old one as an alias of it): the medical device file, the design "
    "and development file, the production record, top management. Legacy records need not be renamed.",
    record_types={"*"},
    severity=Severity.WARNING,
    options={"extra_terms": []},
    options_schema=_TERM_SCHEMA,
)
def retired_term(records: RecordSet, ctx: RuleContext) -> Iterator[Finding]:
    """A record whose text uses DHF/DMR/DHR (etc.) and none of the successor terms gets one finding per term."""
    terms = [*TERMINOLOGY["terms"], *ctx.options.get("extra_terms", [])]
    for r, passages in _passages(records, ctx):
        for hit, count in retired_terms(passages, terms):
            yield _located(
                ctx.finding(r, field=hit.passage.field, message=_term_message(r, hit, count), hint=None),
                hit.passage,
            )


@hookimpl
def evidence_kit_rules() -> list[FunctionRule]:
    """Register the terminology and citation hygiene rules."""
    return [retired_citation, retired_term]
