"""Date and sequence rules: no future dates, complaint and CAPA chains, documents in force, training first."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from evidence_kit import Finding, Record, RecordSet, RuleContext, Severity, hookimpl, rule
from evidence_kit.contracts import FunctionRule
from evidence_kit_builtin.record_types import TYPES
from evidence_kit_builtin.rules._util import MAPPING, get, pairs_in_order, parse_day, parse_when, seq, signatures, where

_ALL = frozenset(TYPES) - {"document"}


def _walk(value: Any, ptr: str) -> Iterator[tuple[str, str, str]]:
    """Yield ``(pointer, key, string)`` for every string leaf."""
    if isinstance(value, MAPPING):
        for k, v in value.items():
            yield from (_walk(v, f"{ptr}/{k}") if not isinstance(v, str) else [(f"{ptr}/{k}", str(k), v)])
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from (_walk(v, f"{ptr}/{i}") if not isinstance(v, str) else [(f"{ptr}/{i}", "", v)])


@rule(
    "chronology.future-date",
    scope="record",
    title="Date lies in the future",
    cites=("ALCOA+ Consistent", "ISO 13485:2016 4.2.5"),
    hint="A record cannot report something that has not happened yet; check the date and its time zone.",
    record_types=_ALL,
    options={
        "skew_minutes": 5,
        "exclude_keys": [
            "expiry_date",
            "printed_expiry",
            "due_date",
            "effective_date",
            "superseded_date",
            "marketing_ended",
            "signed_at",
            "inactive_from",
        ],
    },
    options_schema={
        "type": "object",
        "properties": {
            "skew_minutes": {"type": "integer", "minimum": 0},
            "exclude_keys": {"type": "array", "items": {"type": "string"}},
        },
    },
)
def future_date(records: RecordSet, ctx: RuleContext) -> Iterator[Finding]:
    """Every date and date-time (except planned ones such as expiry and due dates) is <= now + skew."""
    limit = ctx.now + dt.timedelta(minutes=int(ctx.options.get("skew_minutes", 5)))
    excluded = set(ctx.options.get("exclude_keys", ()))
    for rec in records.of_type(*_ALL):
        for ptr, key, text in _walk(rec.data, ""):
            if len(text) < 10 or text[4:5] != "-" or key in excluded or ptr.startswith("/signatures/"):
                continue
            when = parse_when(text)
            if when is not None and when > limit:
                yield ctx.finding(
                    rec,
                    field=ptr,
                    message=f"{where(rec)}: {ptr} is {text}, after the run time {ctx.now.isoformat()}.",
                )


def _order_rule(
    code: str, title: str, cites: tuple[str, ...], rtype: str, chain: tuple[tuple[str, str], ...], hint: str
) -> FunctionRule:
    def check(records: RecordSet, ctx: RuleContext) -> Iterator[Finding]:
        for rec in records.of_type(rtype):
            for _e_ptr, e_name, l_ptr, l_name, _a, _b in pairs_in_order(rec, chain):
                yield ctx.finding(
                    rec,
                    field=l_ptr,
                    message=f"{where(rec)}: {l_name} ({get(rec.data, l_ptr)}) is before {e_name} "
                    f"({get(rec.data, _e_ptr)}); expected {' ≤ '.join(n for _, n in chain)}.",
                )

    check.__doc__ = f"{title}."
    return rule(code, title=title, cites=cites, hint=hint, record_types={rtype}, scope="record")(check)


complaint_order = _order_rule(
    "chronology.complaint-order",
    "Complaint dates out of order (event, received, investigated, closed)",
    ("21 CFR 820.35(a)", "ISO 13485:2016 8.2.2"),
    "complaint",
    (
        ("/event_date", "event_date"),
        ("/received_date", "received_date"),
        ("/investigation/started", "investigation.started"),
        ("/investigation/closed", "investigation.closed"),
        ("/closed_date", "closed_date"),
    ),
    "Correct the dates in the complaint file; an investigation cannot start before the complaint was received.",
)

capa_order = _order_rule(
    "chronology.capa-order",
    "CAPA steps out of order (opened, root cause, plan, implemented, effectiveness, closed)",
    ("ISO 13485:2016 8.5.2", "ISO 13485:2016 8.5.3"),
    "capa",
    (
        ("/opened_at", "opened_at"),
        ("/root_cause_at", "root_cause_at"),
        ("/plan_approved_at", "plan_approved_at"),
        ("/implemented_at", "implemented_at"),
        ("/effectiveness/at", "effectiveness.at"),
        ("/closed_at", "closed_at"),
    ),
    "Each CAPA step rests on the one before; correct the dates or document why the order differs.",
)

design_change_order = _order_rule(
    "chronology.design-change-order",
    "Design change implemented before it was approved",
    ("ISO 13485:2016 7.3.9",),
    "design_change",
    (("/approved_at", "approved_at"), ("/implemented_at", "implemented_at")),
    "Design changes are reviewed, verified or validated and approved before implementation.",
)


@rule(
    "chronology.validation-after-release",
    scope="record",
    title="Design validation completed after the first commercial release",
    cites=("ISO 13485:2016 7.3.7",),
    hint="Complete design validation before releasing the changed product.",
    record_types={"design_change"},
    severity=Severity.WARNING,
)
def validation_after_release(records: RecordSet, ctx: RuleContext) -> Iterator[Finding]:
    """validation_completed_at <= first_release_at."""
    for rec in records.of_type("design_change"):
        done, release = (
            parse_when(rec.data.get("validation_completed_at")),
            parse_when(rec.data.get("first_release_at")),
        )
        if done and release and done > release:
            yield ctx.finding(
                rec,
                field="/validation_completed_at",
                message=f"{where(rec)}: validation completed {rec.data['validation_completed_at']}, after the first "
                f"release on {rec.data['first_release_at']}.",
            )


@rule(
    "chronology.effectiveness-too-soon",
    scope="record",
    title="CAPA effectiveness checked too soon after implementation",
    cites=("ISO 13485:2016 8.5.2(f)",),
    hint="Allow enough time after implementation for the effectiveness check to show whether the problem recurs.",
    record_types={"capa"},
    severity=Severity.WARNING,
    options={"min_days": 30},
    options_schema={"type": "object", "properties": {"min_days": {"type": "integer", "minimum": 0}}},
)
def effectiveness_too_soon(records: RecordSet, ctx: RuleContext) -> Iterator[Finding]:
    """effectiveness.at - implemented_at >= min_days (a firm setting; no regulatory number)."""
    min_days = int(ctx.options.get("min_days", 30))
    for rec in records.of_type("capa"):
        done, checked = parse_day(rec.data.get("implemented_at")), parse_day(get(rec.data, "/effectiveness/at"))
        if done and checked and checked >= done and (checked - done).days < min_days:
            yield ctx.finding(
                rec,
                field="/effectiveness/at",
                message=f"{where(rec)}: effectiveness checked {(checked - done).days} days after implementation; "
                f"the firm's minimum is {min_days} days.",
            )


def approval_time(rec: Record) -> tuple[str, dt.datetime] | None:
    """Return ``(pointer, time)`` of a document's approval: the ``approval`` block or an approved signature."""
    for ptr, sig in signatures(rec):
        if ptr == "/approval" or str(sig.get("meaning", "")).lower() == "approved":
            when = parse_when(sig.get("signed_at") or sig.get("at"))
            if when is not None:
                return f"{ptr}/signed_at", when
    return None


@rule(
    "chronology.document-effective-before-approval",
    scope="record",
    title="Document revision takes effect before it was approved",
    cites=("ISO 13485:2016 4.2.4", "21 CFR 11.50"),
    hint="Set the effective date on or after the approval date.",
    record_types={"controlled_document"},
)
def document_effective_before_approval(records: RecordSet, ctx: RuleContext) -> Iterator[Finding]:
    """effective_date >= approval date."""
    for rec in records.of_type("controlled_document"):
        effective, approved = parse_day(rec.data.get("effective_date")), approval_time(rec)
        if effective and approved and effective < approved[1].date():
            yield ctx.finding(
                rec,
                field="/effective_date",
                message=f"{where(rec)}: effective_date {effective} is before the approval at {approved[0]} "
                f"({approved[1].date()}).",
            )


def revisions(records: RecordSet) -> dict[tuple[str, str], Record]:
    """Return controlled documents by ``(doc_number, rev)``."""
    out: dict[tuple[str, str], Record] = {}
    for doc in records.of_type("controlled_document"):
        out.setdefault((str(doc.data.get("doc_number", "")), str(doc.data.get("rev", ""))), doc)
    return out


def record_day(rec: Record) -> dt.date | None:
    """Return the record's own date (its type's date field, else created_at)."""
    meta = TYPES.get(rec.type)
    field = meta[1] if meta else None
    return parse_day(rec.data.get(field) if field else None) or parse_day(rec.data.get("created_at"))


@rule(
    "chronology.procedure-not-in-force",
    title="Record dated outside the effective window of the procedure revision it cites",
    cites=("ISO 13485:2016 4.2.4",),
    hint="Cite the revision that was effective on the record's date, or explain the use of another revision.",
    record_types=_ALL,
    severity=Severity.WARNING,
)
def procedure_not_in_force(records: RecordSet, ctx: RuleContext) -> Iterator[Finding]:
    """Record date ∈ [effective_date, superseded_date) of each cited revision present in the bundle."""
    docs = revisions(records)
    if not docs:  # nothing to compare with: no revision can be missing or out of force
        return
    numbers = {n for n, _ in docs}
    for rec in records.of_type(*_ALL):
        refs = seq(rec.data.get("procedures"))
        if not refs:
            continue
        day = record_day(rec)
        for i, ref in enumerate(refs):
            if not isinstance(ref, MAPPING):
                continue
            key = (str(ref.get("doc_number", "")), str(ref.get("rev", "")))
            doc = docs.get(key)
            if doc is None:
                if key[0] in numbers:
                    yield ctx.finding(
                        rec,
                        field=f"/procedures/{i}/rev",
                        message=f"{where(rec)} cites {key[0]} rev {key[1] or '(none)'}, but that revision of "
                        f"{key[0]} is not among the bundle's controlled documents.",
                    )
                continue
            if day is None:
                continue
            start, end = parse_day(doc.data.get("effective_date")), parse_day(doc.data.get("superseded_date"))
            if (start and day < start) or (end and day >= end):
                yield ctx.finding(
                    rec,
                    field=f"/procedures/{i}",
                    message=f"{where(rec)} is dated {day} but cites {key[0]} rev {key[1]}, effective "
                    f"{start or '?'} to {end or 'now'} ({where(doc)}).",
                )


@rule(
    "chronology.training-after-signature",
    title="Signer was not trained on the procedure revision before signing under it",
    cites=("ISO 13485:2016 6.2",),
    hint="Train the person on the cited revision before they sign records made under it, and export the record.",
    record_types=_ALL | {"training"},
    severity=Severity.WARNING,
)
def training_after_signature(records: RecordSet, ctx: RuleContext) -> Iterator[Finding]:
    """Each signer was trained on each cited revision before signing (skipped without training records)."""
    trainings = records.of_type("training")
    if not trainings:
        return
    done: dict[tuple[str, str, str], dt.datetime] = {}
    for t in trainings:
        when = parse_when(t.data.get("completed_at"))
        if when is None:
            continue
        key_rev = (str(t.data.get("doc_number", "")), str(t.data.get("rev", "")))
        for who in (get(t.data, "/trainee/user_id"), get(t.data, "/trainee/name")):
            if isinstance(who, str) and who.strip():
                k = (who.strip().lower(), *key_rev)
                done[k] = min(when, done.get(k, when))
    for rec in records.of_type(*_ALL):
        refs = [r for r in seq(rec.data.get("procedures")) if isinstance(r, MAPPING)]
        for ptr, sig in signatures(rec):
            signed = parse_when(sig.get("signed_at"))
            if signed is None:
                continue
            people = [str(p).strip().lower() for p in (sig.get("signer_id"), sig.get("printed_name")) if p]
            for ref in refs:
                rev = (str(ref.get("doc_number", "")), str(ref.get("rev", "")))
                completed = [done[k] for p in people if (k := (p, *rev)) in done]
                if not completed:
                    problem = "has no training record for it"
                elif min(completed) > signed:
                    problem = f"was trained only at {min(completed).isoformat()}"
                else:
                    continue
                yield ctx.finding(
                    rec,
                    field=f"{ptr}/signed_at",
                    message=f"{where(rec)}: {sig.get('printed_name') or sig.get('signer_id')} signed at "
                    f"{sig.get('signed_at')} under {rev[0]} rev {rev[1]} but {problem}.",
                )


RULES = [
    future_date,
    complaint_order,
    capa_order,
    design_change_order,
    validation_after_release,
    effectiveness_too_soon,
    document_effective_before_approval,
    procedure_not_in_force,
    training_after_signature,
]


@hookimpl
def evidence_kit_rules() -> list[FunctionRule]:
    """Register the chronology rules."""
    return RULES
