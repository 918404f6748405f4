"""Record control: current citations, retention before disposal, and controlled-document identity and approval.

Duplicate record ids are checked by the core (``records.duplicate-id``).
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Iterator

from evidence_kit import Finding, Record, RecordSet, RuleContext, Severity, hookimpl, rule
from evidence_kit.contracts import FunctionRule
from evidence_kit_builtin.record_types import TYPES
from evidence_kit_builtin.rules._util import blank, get, parse_day, signatures, where

_ALL = frozenset(TYPES) - {"document"}


def _years(day: dt.date, years: float) -> dt.date:
    return day + dt.timedelta(days=round(365.25 * years))


def retention_until(rec: Record, records: RecordSet) -> tuple[dt.date, str] | None:
    """Return the earliest date the record may be disposed of, and the basis; None when unknown."""
    d = rec.data
    if rec.type == "device_master":
        ended = parse_day(d.get("marketing_ended"))
        return (_years(ended, 3), "3 years after marketing ended (21 CFR 830.360)") if ended else None
    if rec.type == "drug_batch_record":
        expiry = parse_day(d.get("expiry_date"))
        return (_years(expiry, 1), "1 year after batch expiry (21 CFR 211.180(a))") if expiry else None
    if rec.type == "drug_complaint":
        dates = [x for x in (parse_day(d.get("expiry_date")), parse_day(d.get("received_date"))) if x]
        return (
            (_years(max(dates), 1), "1 year after the later of expiry and receipt (21 CFR 211.198(b))")
            if dates
            else None
        )
    meta = TYPES.get(rec.type)
    base = parse_day(d.get(meta[1])) if meta and meta[1] else None
    base = base or parse_day(d.get("created_at"))
    if base is None:
        return None
    if rec.type == "mdr_report":
        base = parse_day(d.get("event_date")) or base
        return _years(base, 2), "2 years from the event at least (21 CFR 803.18(c))"
    return _years(base, 2), "2 years at least (ISO 13485:2016 4.2.5)"


@rule(
    "records.disposed-early",
    scope="record",
    title="Record disposed of before its minimum retention period ended",
    cites=("ISO 13485:2016 4.2.5", "21 CFR 803.18(c)", "21 CFR 830.360", "21 CFR 211.180", "21 CFR 211.198(b)"),
    hint="Restore the record from backup, and correct the retention schedule.",
    record_types=_ALL,
)
def disposed_early(records: RecordSet, ctx: RuleContext) -> Iterator[Finding]:
    """RET-01: disposed_at >= retention_until (a lower bound: device lifetime may extend it)."""
    for rec in records.of_type(*_ALL):
        disposed = parse_day(rec.data.get("disposed_at"))
        keep = retention_until(rec, records) if disposed else None
        if disposed and keep and disposed < keep[0]:
            yield ctx.finding(
                rec,
                field="/disposed_at",
                message=f"{where(rec)} was disposed of on {disposed}; it must be kept until {keep[0]} ({keep[1]}).",
            )


@rule(
    "records.expected-life-missing",
    scope="record",
    title="Device master has no expected lifetime, so retention cannot be computed",
    cites=("ISO 13485:2016 4.2.5", "21 CFR 803.18(c)", "21 CFR 806.20(c)"),
    hint="Record expected_life_years for each device.",
    record_types={"device_master"},
    severity=Severity.WARNING,
)
def expected_life_missing(records: RecordSet, ctx: RuleContext) -> Iterator[Finding]:
    """RET-02."""
    for rec in records.of_type("device_master"):
        if rec.data.get("external_source"):  # a public GUDID copy: the firm's own device master carries the life
            continue
        if not isinstance(rec.data.get("expected_life_years"), int | float):
            yield ctx.finding(rec, field="/expected_life_years", message=f"{where(rec)} has no expected_life_years.")


@rule(
    "records.document-incomplete",
    scope="record",
    title="Controlled document revision lacks its number, revision or approval",
    cites=("ISO 13485:2016 4.2.4", "21 CFR 11.50"),
    hint="Record doc_number, rev and the approval (printed name, date-time, meaning approved).",
    record_types={"controlled_document"},
)
def document_incomplete(records: RecordSet, ctx: RuleContext) -> Iterator[Finding]:
    """DOC-01: id, rev and an approval for revisions past draft/review."""
    for rec in records.of_type("controlled_document"):
        for key in ("doc_number", "rev"):
            if blank(rec.data.get(key)):
                yield ctx.finding(rec, field=f"/{key}", message=f"{where(rec)} has no {key}.")
        if rec.data.get("status") in ("draft", "in-review"):
            continue
        approved = [
            p for p, s in signatures(rec) if p == "/approval" or str(s.get("meaning", "")).lower() == "approved"
        ]
        if not approved:
            yield ctx.finding(
                rec,
                field="/approval",
                message=f"{where(rec)} (status {rec.data.get('status') or 'unstated'}) has no approval and no "
                "signature with meaning approved; documents are approved before issue.",
            )
        elif get(rec.data, "/approval") is not None and blank(get(rec.data, "/approval/signed_at")):
            yield ctx.finding(rec, field="/approval/signed_at", message=f"{where(rec)}: the approval has no signed_at.")


_NUMBERED = re.compile(r"^(.*?)(\d+)$")


@rule(
    "records.id-sequence-gap",
    title="Gap in a record-number sequence",
    cites=("ALCOA+ Complete", "ISO 13485:2016 4.2.5"),
    hint="Account for the missing numbers (voided, cancelled or not exported) so the log is shown complete.",
    record_types=_ALL,
    severity=Severity.INFO,
    options={"types": ["complaint", "capa", "nonconformance", "mdr_report", "drug_complaint", "drug_deviation"]},
    options_schema={"type": "object", "properties": {"types": {"type": "array", "items": {"type": "string"}}}},
)
def id_sequence_gap(records: RecordSet, ctx: RuleContext) -> Iterator[Finding]:
    """Ids like CMP-2026-0007 form sequences per prefix; a missing number is reported on the next record."""
    for rtype in ctx.options.get("types", ()):
        series: dict[str, dict[int, Record]] = {}
        for rec in records.of_type(str(rtype)):
            if rec.data.get("external_source"):  # public report numbers are not the firm's sequence
                continue
            m = _NUMBERED.match(rec.id)
            if m:
                series.setdefault(m.group(1), {})[int(m.group(2))] = rec
        for prefix, numbered in sorted(series.items()):
            present = sorted(numbered)
            for low, high in itertools.pairwise(present):
                if high - low > 1:
                    rec = numbered[high]
                    digits = _NUMBERED.match(numbered[low].id)
                    width = len(digits.group(2)) if digits else 0  # keep the ids' zero padding: CMP-2025-0002
                    missing = (
                        f"{prefix}{low + 1:0{width}d}"
                        if high - low == 2
                        else f"{high - low - 1} numbers after {numbered[low].id}"
                    )
                    yield ctx.finding(
                        rec,
                        field="/id",
                        message=f"{where(rec)}: the {rtype} sequence {prefix}… skips {missing}.",
                    )


RULES = [disposed_early, expected_life_missing, document_incomplete, id_sequence_gap]


@hookimpl
def evidence_kit_rules() -> list[FunctionRule]:
    """Register the record-control rules."""
    return RULES
