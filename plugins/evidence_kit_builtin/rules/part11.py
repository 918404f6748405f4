"""Part 11 signature manifestations, signature linking and audit trails (21 CFR 11.10(e), 11.50, 11.70, 11.100).

A signature is ``{printed_name, signer_id, signed_at, meaning, record_digest, signature_id}`` in a record's
``signatures`` list, or the ``approval`` block of a controlled document.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator, Mapping
from typing import Any

from evidence_kit import Finding, Record, RecordSet, RuleContext, Severity, hookimpl, rule
from evidence_kit.contracts import FunctionRule
from evidence_kit.model import canonical_json
from evidence_kit_builtin.record_types import TYPES
from evidence_kit_builtin.rules._util import MAPPING, blank, get, has_zone, parse_when, seq, show, signatures, where

_ALL = frozenset(TYPES) - {"document"}
_SIG = ("21 CFR 11.50(a)", "21 CFR 820.35", "ISO 13485:2016 4.2.5")
_ORDER = {"authored": 1, "reviewed": 2, "verified": 2, "approved": 3}


def digest_without_signatures(data: Mapping[str, Any]) -> str:
    """Return the SHA-256 of the record's canonical JSON without its ``signatures`` list (what a signature binds)."""
    body = {k: v for k, v in data.items() if k != "signatures"}
    return hashlib.sha256(canonical_json(body).encode()).hexdigest()


@rule(
    "part11.signature-incomplete",
    scope="record",
    title="Signature lacks the printed name, the date and time of signing, or its meaning",
    cites=("21 CFR 11.50(a)(1)", "21 CFR 11.50(a)(2)", "21 CFR 11.50(a)(3)", "21 CFR 820.35"),
    hint="Export each signature with printed_name, signed_at (ISO 8601 date-time with zone) and meaning.",
    record_types=_ALL,
)
def signature_incomplete(records: RecordSet, ctx: RuleContext) -> Iterator[Finding]:
    """Every signature manifestation shows the printed name, the signing date-time and the meaning."""
    for rec in records.of_type(*_ALL):
        for ptr, sig in signatures(rec):
            for key, what in (
                ("printed_name", "the signer's printed name"),
                ("meaning", "the meaning of the signature"),
            ):
                if blank(sig.get(key)):
                    yield ctx.finding(
                        rec,
                        field=f"{ptr}/{key}",
                        message=f"{where(rec)}: signature at {ptr} has no {key}; 21 CFR 11.50(a) requires {what}.",
                    )
            signed = sig.get("signed_at")
            if blank(signed):
                yield ctx.finding(
                    rec,
                    field=f"{ptr}/signed_at",
                    message=f"{where(rec)}: signature at {ptr} has no signed_at; the date and time of signing "
                    "are required.",
                )
            elif parse_when(signed) is None or len(str(signed).strip()) <= 10:
                yield ctx.finding(
                    rec,
                    field=f"{ptr}/signed_at",
                    message=f"{where(rec)}: signature at {ptr} has signed_at {show(signed)}; expected an ISO 8601 "
                    "date-time with the time of signing, e.g. 2026-03-01T14:05:00-05:00.",
                )


@rule(
    "part11.signature-meaning-unknown",
    scope="record",
    title="Signature meaning is not one of the firm's recognised meanings",
    cites=("21 CFR 11.50(a)(3)",),
    hint="Use a meaning such as authored, reviewed, approved, responsible, verified or performed, or add the "
    "firm's term to this rule's meanings option.",
    record_types=_ALL,
    severity=Severity.WARNING,
    options={"meanings": ["authored", "reviewed", "approved", "responsible", "verified", "performed", "released"]},
    options_schema={"type": "object", "properties": {"meanings": {"type": "array", "items": {"type": "string"}}}},
)
def signature_meaning_unknown(records: RecordSet, ctx: RuleContext) -> Iterator[Finding]:
    """A meaning outside the controlled vocabulary is likely a mapping error or an ambiguous manifestation."""
    allowed = {str(m).lower() for m in ctx.options.get("meanings", ())}
    for rec in records.of_type(*_ALL):
        for ptr, sig in signatures(rec):
            meaning = sig.get("meaning")
            if isinstance(meaning, str) and meaning.strip() and meaning.strip().lower() not in allowed:
                yield ctx.finding(
                    rec,
                    field=f"{ptr}/meaning",
                    message=f"{where(rec)}: signature meaning {meaning!r} at {ptr} is not one of "
                    f"{', '.join(sorted(allowed))}.",
                )


@rule(
    "part11.signature-no-zone",
    scope="record",
    title="Signing date-time has no time zone or UTC offset",
    cites=("21 CFR 11.50(a)(2)", "ALCOA+ Consistent"),
    hint="Export signed_at with its UTC offset (e.g. 2026-03-01T14:05:00-05:00) so the order of events is unambiguous.",
    record_types=_ALL,
    severity=Severity.WARNING,
)
def signature_no_zone(records: RecordSet, ctx: RuleContext) -> Iterator[Finding]:
    """A date-time without a zone cannot be placed on one timeline (taken as UTC meanwhile)."""
    for rec in records.of_type(*_ALL):
        for ptr, sig in signatures(rec):
            signed = sig.get("signed_at")
            if isinstance(signed, str) and len(signed.strip()) > 10 and parse_when(signed) and not has_zone(signed):
                yield ctx.finding(
                    rec,
                    field=f"{ptr}/signed_at",
                    message=f"{where(rec)}: signed_at {signed!r} at {ptr} has no time zone; it was read as UTC.",
                )


@rule(
    "part11.signature-future",
    scope="record",
    title="Signature is dated in the future",
    cites=("21 CFR 11.50(a)(2)", "ALCOA+ Contemporaneous"),
    hint="Check the source system's clock and the export's time zone handling.",
    record_types=_ALL,
    options={"skew_minutes": 5},
    options_schema={"type": "object", "properties": {"skew_minutes": {"type": "integer", "minimum": 0}}},
)
def signature_future(records: RecordSet, ctx: RuleContext) -> Iterator[Finding]:
    """signed_at may not be later than the run time plus the allowed clock skew."""
    limit = ctx.now + dt.timedelta(minutes=int(ctx.options.get("skew_minutes", 5)))
    for rec in records.of_type(*_ALL):
        for ptr, sig in signatures(rec):
            when = parse_when(sig.get("signed_at"))
            if when is not None and when > limit:
                yield ctx.finding(
                    rec,
                    field=f"{ptr}/signed_at",
                    message=f"{where(rec)}: signature at {ptr} is dated {sig.get('signed_at')}, after the run time "
                    f"{ctx.now.isoformat()}.",
                )


@rule(
    "part11.signature-before-created",
    scope="record",
    title="Signature is dated before the record was created",
    cites=("21 CFR 11.50(a)(2)", "21 CFR 11.70"),
    hint="A record cannot be signed before it exists; check created_at and the signing time.",
    record_types=_ALL,
)
def signature_before_created(records: RecordSet, ctx: RuleContext) -> Iterator[Finding]:
    """signed_at >= created_at."""
    for rec in records.of_type(*_ALL):
        created = parse_when(rec.data.get("created_at"))
        if created is None:
            continue
        for ptr, sig in signatures(rec):
            when = parse_when(sig.get("signed_at"))
            if when is not None and when < created:
                yield ctx.finding(
                    rec,
                    field=f"{ptr}/signed_at",
                    message=f"{where(rec)}: signature at {ptr} is dated {sig.get('signed_at')}, before the record "
                    f"was created at {rec.data.get('created_at')}.",
                )


@rule(
    "part11.signature-order",
    scope="record",
    title="Approval is signed before the review or authorship it rests on",
    cites=("21 CFR 11.50", "21 CFR 11.10(f)", "ISO 13485:2016 4.2.4"),
    hint="Approval must come after authorship and review; correct the sequence in the source system.",
    record_types=_ALL,
)
def signature_order(records: RecordSet, ctx: RuleContext) -> Iterator[Finding]:
    """Authored <= reviewed <= approved on the same record."""
    for rec in records.of_type(*_ALL):
        stamped = []
        for ptr, sig in signatures(rec):
            rank = _ORDER.get(str(sig.get("meaning", "")).strip().lower())
            when = parse_when(sig.get("signed_at"))
            if rank is not None and when is not None:
                stamped.append((rank, when, ptr, sig))
        for rank, when, ptr, sig in stamped:
            for other_rank, other_when, other_ptr, other in stamped:
                if other_rank < rank and other_when > when:
                    yield ctx.finding(
                        rec,
                        field=f"{ptr}/signed_at",
                        message=f"{where(rec)}: the {sig.get('meaning')} signature at {ptr} ({sig.get('signed_at')}) "
                        f"precedes the {other.get('meaning')} signature at {other_ptr} ({other.get('signed_at')}).",
                    )


@rule(
    "part11.signer-id-shared",
    title="One signer id is used by more than one person",
    cites=("21 CFR 11.100(a)",),
    hint="Each electronic signature belongs to one individual; never reuse or reassign signer ids.",
    record_types=_ALL,
)
def signer_id_shared(records: RecordSet, ctx: RuleContext) -> Iterator[Finding]:
    """The signer_id → printed_name mapping is one-to-one across the whole bundle."""
    names: dict[str, dict[str, tuple[Any, str]]] = {}
    normal: dict[str, str] = {}  # printed name → lower case, single spaces (a bundle has few signers)
    for rec, ptr, sig in records.derived(_all_signatures):
        sid, name = sig.get("signer_id"), sig.get("printed_name")
        if not (isinstance(sid, str) and isinstance(name, str)):
            continue
        key = normal.get(name)
        if key is None:
            key = normal[name] = " ".join(name.lower().split())
        sid = sid.strip()
        if sid and key:
            by_name = names.get(sid)
            if by_name is None:
                by_name = names[sid] = {}
            by_name.setdefault(key, (rec, ptr))
    for sid, by_name in sorted(names.items()):
        if len(by_name) < 2:
            continue
        listed = ", ".join(sorted(by_name))
        for rec, ptr in by_name.values():
            yield ctx.finding(
                rec,
                field=f"{ptr}/signer_id",
                message=f"{where(rec)}: signer id {sid!r} at {ptr} is used by {len(by_name)} people ({listed}).",
            )


@rule(
    "part11.signature-digest-mismatch",
    scope="record",
    title="Signature's record digest does not match the record",
    cites=("21 CFR 11.70",),
    hint="The record changed after signing, or the digest was copied from another record; re-sign or investigate.",
    record_types=_ALL,
)
def signature_digest_mismatch(records: RecordSet, ctx: RuleContext) -> Iterator[Finding]:
    """Where a signature carries record_digest, it equals the SHA-256 of the record without its signatures."""
    for rec in records.of_type(*_ALL):
        sigs = [(p, s) for p, s in signatures(rec) if isinstance(s.get("record_digest"), str)]
        if not sigs:
            continue
        actual = digest_without_signatures(rec.data)
        for ptr, sig in sigs:
            if sig["record_digest"] != actual:
                yield ctx.finding(
                    rec,
                    field=f"{ptr}/record_digest",
                    message=f"{where(rec)}: signature at {ptr} binds digest {sig['record_digest'][:12]}…, but the "
                    f"record's canonical SHA-256 without signatures is {actual[:12]}….",
                )


@rule(
    "part11.signature-id-reused",
    title="The same signature id appears on two records",
    cites=("21 CFR 11.70",),
    hint="A signature is linked to one record; a copied signature id suggests a transferred signature.",
    record_types=_ALL,
)
def signature_id_reused(records: RecordSet, ctx: RuleContext) -> Iterator[Finding]:
    """A signature_id is never reused on two records."""
    seen: dict[str, list[tuple[Any, str]]] = {}
    for rec, ptr, sig in records.derived(_all_signatures):
        sid = sig.get("signature_id")
        if isinstance(sid, str) and sid.strip():
            seen.setdefault(sid, []).append((rec, ptr))
    for sid, uses in sorted(seen.items()):
        if len({r.id for r, _ in uses}) < 2:
            continue
        others = ", ".join(sorted({r.id for r, _ in uses}))
        for rec, ptr in uses:
            yield ctx.finding(
                rec,
                field=f"{ptr}/signature_id",
                message=f"{where(rec)}: signature id {sid!r} at {ptr} also signs other records ({others}).",
            )


@rule(
    "part11.signer-inactive",
    scope="record",
    title="Signer's account was inactive when the signature was made",
    cites=("21 CFR 11.10(g)", "21 CFR 11.100(a)"),
    hint="Check who signed: an inactive account should not be able to sign.",
    record_types=_ALL,
    severity=Severity.WARNING,
)
def signer_inactive(records: RecordSet, ctx: RuleContext) -> Iterator[Finding]:
    """signed_at is before the signer's inactive_from, when the export gives it."""
    for rec in records.of_type(*_ALL):
        for ptr, sig in signatures(rec):
            when, inactive = parse_when(sig.get("signed_at")), parse_when(sig.get("inactive_from"))
            if when is not None and inactive is not None and when >= inactive:
                yield ctx.finding(
                    rec,
                    field=f"{ptr}/signed_at",
                    message=f"{where(rec)}: signature at {ptr} was made {sig.get('signed_at')}, after the signer "
                    f"became inactive on {sig.get('inactive_from')}.",
                )


_AT = ("21 CFR 11.10(e)",)


def _all_signatures(records: RecordSet) -> list[tuple[Record, str, Mapping[str, Any]]]:
    """Every ``(record, pointer, signature)`` of the bundle, for :meth:`RecordSet.derived` (two set rules share it)."""
    return [(rec, ptr, sig) for rec in records.of_type(*_ALL) for ptr, sig in signatures(rec)]


def _trail(rec: Any) -> list[tuple[int, Mapping[str, Any]]]:
    return [(i, e) for i, e in enumerate(seq(rec.data.get("audit_trail"))) if isinstance(e, MAPPING)]


@rule(
    "part11.audit-trail-missing",
    scope="record",
    title="Electronic record of a configured type has no audit trail",
    cites=(*_AT, "ALCOA+ Attributable"),
    hint="Export the audit trail with the record, or remove the type from this rule's types option.",
    record_types=_ALL,
    options={"types": []},
    options_schema={"type": "object", "properties": {"types": {"type": "array", "items": {"type": "string"}}}},
)
def audit_trail_missing(records: RecordSet, ctx: RuleContext) -> Iterator[Finding]:
    """Records of the types named in the ``types`` option carry at least one audit-trail entry."""
    for rec in records.of_type(*[str(t) for t in ctx.options.get("types", ())]):
        if not _trail(rec):
            yield ctx.finding(
                rec, field="/audit_trail", message=f"{where(rec)} has no audit_trail entries; expected at least one."
            )


@rule(
    "part11.audit-trail-order",
    scope="record",
    title="Audit-trail timestamps go backwards",
    cites=_AT,
    hint="Audit-trail entries are computer-generated in time order; a step back suggests editing or a clock fault.",
    record_types=_ALL,
)
def audit_trail_order(records: RecordSet, ctx: RuleContext) -> Iterator[Finding]:
    """Audit-trail timestamps are non-decreasing within a record."""
    for rec in records.of_type(*_ALL):
        last: tuple[int, Any] | None = None
        for i, entry in _trail(rec):
            when = parse_when(entry.get("ts"))
            if when is None:
                continue
            if last is not None and when < last[1]:
                yield ctx.finding(
                    rec,
                    field=f"/audit_trail/{i}/ts",
                    message=f"{where(rec)}: audit-trail entry {i} at {entry.get('ts')} is earlier than entry "
                    f"{last[0]}.",
                )
            else:
                last = (i, when)


@rule(
    "part11.audit-trail-prior-value",
    scope="record",
    title="Audit-trail modify entry does not keep the prior value",
    cites=(*_AT, "ISO 13485:2016 4.2.5"),
    hint="A change must not obscure what was recorded before: export the old value of each modification.",
    record_types=_ALL,
)
def audit_trail_prior_value(records: RecordSet, ctx: RuleContext) -> Iterator[Finding]:
    """Every ``modify`` entry has a non-null ``old`` value."""
    for rec in records.of_type(*_ALL):
        for i, entry in _trail(rec):
            if entry.get("action") == "modify" and entry.get("old") is None:
                yield ctx.finding(
                    rec,
                    field=f"/audit_trail/{i}/old",
                    message=f"{where(rec)}: audit-trail entry {i} modifies {entry.get('field') or 'a field'} "
                    "but keeps no old value.",
                )


@rule(
    "part11.audit-trail-delete-reason",
    scope="record",
    title="Audit-trail delete entry gives no reason",
    cites=(*_AT, "ALCOA+ Complete"),
    hint="Record why data was deleted.",
    record_types=_ALL,
    severity=Severity.WARNING,
)
def audit_trail_delete_reason(records: RecordSet, ctx: RuleContext) -> Iterator[Finding]:
    """Every ``delete`` entry has a reason."""
    for rec in records.of_type(*_ALL):
        for i, entry in _trail(rec):
            if entry.get("action") == "delete" and blank(entry.get("reason")):
                yield ctx.finding(
                    rec,
                    field=f"/audit_trail/{i}/reason",
                    message=f"{where(rec)}: audit-trail entry {i} deletes {entry.get('field') or 'data'} "
                    "without a reason.",
                )


@rule(
    "part11.audit-trail-review-late",
    scope="record",
    title="Audit trail reviewed after the record was approved",
    cites=("FDA Data Integrity and Compliance With Drug CGMP Q&A (2018)", "21 CFR 11.10(e)"),
    hint="Review the audit trail of critical data before the final approval signature.",
    record_types=_ALL,
    severity=Severity.WARNING,
)
def audit_trail_review_late(records: RecordSet, ctx: RuleContext) -> Iterator[Finding]:
    """audit_trail_review.at <= the approval signature."""
    for rec in records.of_type(*_ALL):
        reviewed = parse_when(get(rec.data, "/audit_trail_review/at"))
        if reviewed is None:
            continue
        for ptr, sig in signatures(rec):
            when = parse_when(sig.get("signed_at"))
            if str(sig.get("meaning", "")).lower() == "approved" and when is not None and reviewed > when:
                yield ctx.finding(
                    rec,
                    field="/audit_trail_review/at",
                    message=f"{where(rec)}: audit trail reviewed {get(rec.data, '/audit_trail_review/at')}, after "
                    f"the approval at {ptr} ({sig.get('signed_at')}).",
                )


@rule(
    "part11.entry-not-contemporaneous",
    scope="record",
    title="Record entered into the system long after the activity it records",
    cites=("21 CFR 11.10(e)", "ALCOA+ Contemporaneous"),
    hint="Record activities when they happen; explain late entries in the record.",
    record_types=_ALL,
    severity=Severity.WARNING,
    options={"max_days": 1},
    options_schema={"type": "object", "properties": {"max_days": {"type": "integer", "minimum": 0}}},
)
def entry_not_contemporaneous(records: RecordSet, ctx: RuleContext) -> Iterator[Finding]:
    """The audit trail's first create entry is at most ``max_days`` after the record's own date."""
    max_days = int(ctx.options.get("max_days", 1))
    for rec in records.of_type(*_ALL):
        meta = TYPES.get(rec.type)
        day_field = (meta[1] if meta else None) or "created_at"
        activity = parse_when(rec.data.get(day_field))
        created = [parse_when(e.get("ts")) for _, e in _trail(rec) if e.get("action") == "create"]
        entered = min((c for c in created if c is not None), default=None)
        if activity and entered and (entered.date() - activity.date()).days > max_days:
            yield ctx.finding(
                rec,
                field="/audit_trail",
                message=f"{where(rec)}: {day_field} is {rec.data.get(day_field)} but the record was created in the "
                f"system on {entered.date()}, {(entered.date() - activity.date()).days} days later (limit {max_days}).",
            )


RULES = [
    signature_incomplete,
    signature_meaning_unknown,
    signature_no_zone,
    signature_future,
    signature_before_created,
    signature_order,
    signer_id_shared,
    signature_digest_mismatch,
    signature_id_reused,
    signer_inactive,
    audit_trail_missing,
    audit_trail_order,
    audit_trail_prior_value,
    audit_trail_delete_reason,
    audit_trail_review_late,
    entry_not_contemporaneous,
]


@hookimpl
def evidence_kit_rules() -> list[FunctionRule]:
    """Register the Part 11 rules."""
    return RULES
