"""Links between CAPAs and their triggers: nonconformances, audit findings, deviations, corrections, complaints.

Complaint-specific link checks (``complaints.capa-*``) live in the complaints pack; this pack adds the same
checks for the other trigger types and the timing and status rules for every trigger.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from typing import Any

from evidence_kit import Finding, Record, RecordSet, RuleContext, Severity, hookimpl, rule
from evidence_kit.contracts import FunctionRule
from evidence_kit_builtin.rules._util import (
    MAPPING,
    CapaLink,
    blank,
    capa_links,
    capa_triggers,
    parse_day,
    seq,
    where,
)

#: trigger type → field holding the date it was received or detected
TRIGGER_DATES = {
    "complaint": "received_date",
    "nonconformance": "detected_at",
    "internal_audit": "report_date",
    "drug_deviation": "opened_at",
    "servicing": "service_date",
    "correction_removal": "action_initiated",
    "drug_complaint": "received_date",
    "management_review": "review_date",
}
#: types whose records carry capa_ids at the top level (complaints are handled by the complaints pack)
_LINKERS = ("nonconformance", "drug_deviation", "correction_removal")
#: ... and with internal audits (capa_ids per audit finding): the records this pack follows links from
_LINKED = (*_LINKERS, "internal_audit")
_CITES = ("ISO 13485:2016 8.5.2(a)", "ISO 13485:2016 8.3", "ISO 13485:2016 8.2.4")


def _trigger_day(rec: Record) -> dt.date | None:
    day = parse_day(rec.data.get(TRIGGER_DATES.get(rec.type, "created_at")))
    if day is None and rec.type == "internal_audit":
        day = parse_day(rec.data.get("audit_date"))
    return day


def _triggers(capa: Record) -> Iterator[tuple[int, Mapping[str, Any]]]:
    for i, t in enumerate(seq(capa.data.get("triggers"))):
        if isinstance(t, MAPPING):
            yield i, t


def _linker_links(records: RecordSet) -> Iterator[CapaLink]:
    """Every CAPA link of a record this pack checks (complaints are the complaints pack's)."""
    links = capa_links(records)
    for kind in _LINKED:
        yield from links[kind]


def _trigger_pairs(records: RecordSet) -> list[tuple[Record, Record, str, dt.date, dt.date]]:
    """Return ``(capa, trigger, how linked, capa opened, trigger date)`` once per linked pair with both dates.

    A pair counts whether the CAPA lists the trigger or the trigger (complaint, nonconformance, audit finding,
    deviation, correction) lists the CAPA in capa_ids. Computed once per record set (two rules use it).
    """
    return records.derived(_pair_list)


def _pair_list(records: RecordSet) -> list[tuple[Record, Record, str, dt.date, dt.date]]:
    out: list[tuple[Record, Record, str, dt.date, dt.date]] = []
    seen: set[tuple[str, str, str]] = set()
    pairs = [
        (capa, trig, f"{capa.id} /triggers/{i}") for capa, i, _, trig in capa_triggers(records) if trig is not None
    ]
    links = capa_links(records)
    pairs += [
        (target, source, f"{source.id} {ptr}")
        for kind in (*_LINKED, "complaint")
        for source, ptr, _, target in links[kind]
        if target is not None
    ]
    for capa, trig, via in pairs:
        key = (capa.id, trig.type, trig.id)
        if key in seen:
            continue
        opened, day = parse_day(capa.data.get("opened_at")), _trigger_day(trig)
        if opened is None or day is None:
            continue
        seen.add(key)
        out.append((capa, trig, via, opened, day))
    return out


@rule(
    "linkage.capa-dangling",
    title="Nonconformance, audit finding, deviation or correction links a CAPA that is not in the bundle",
    cites=_CITES,
    hint="Correct the CAPA id, or add the CAPA's export to the bundle.",
    record_types={*_LINKED, "capa"},
)
def capa_dangling(records: RecordSet, ctx: RuleContext) -> Iterator[Finding]:
    """Every capa id resolves to a CAPA record."""
    for rec, ptr, ref, capa in _linker_links(records):
        if capa is None:
            yield ctx.finding(
                rec, field=ptr, message=f"{where(rec)} links CAPA {ref} at {ptr}, but no CAPA has that id."
            )


@rule(
    "linkage.trigger-dangling",
    title="CAPA names a trigger record that is not in the bundle",
    cites=_CITES,
    hint="Correct the trigger reference, or add the trigger's export to the bundle.",
    record_types={"capa", *TRIGGER_DATES},
)
def trigger_dangling(records: RecordSet, ctx: RuleContext) -> Iterator[Finding]:
    """Every non-complaint trigger {type, id} resolves (complaint triggers: complaints.capa-one-way)."""
    for capa, i, t, target in capa_triggers(records):
        kind = str(t.get("type", ""))
        if kind != "complaint" and target is None:
            yield ctx.finding(
                capa,
                field=f"/triggers/{i}/id",
                message=f"{where(capa)} names {kind} {t.get('id')} as a trigger, but no {kind} with that id is in "
                "the bundle.",
            )


@rule(
    "linkage.one-way",
    title="CAPA and its nonconformance, audit finding, deviation or correction link only one way",
    cites=_CITES,
    hint="Record the link on both records: capa_ids on the trigger and the trigger in the CAPA's triggers.",
    record_types={*_LINKED, "capa"},
    severity=Severity.WARNING,
)
def one_way(records: RecordSet, ctx: RuleContext) -> Iterator[Finding]:
    """Trigger → CAPA links are mirrored by CAPA → trigger links, and the other way round."""
    named: dict[int, set[str]] = {}  # id(record) → the CAPA ids it names
    for rec, ptr, ref, capa in _linker_links(records):
        named.setdefault(id(rec), set()).add(ref)
        if capa is None:
            continue
        back = {(str(t.get("type")), str(t.get("id"))) for _, t in _triggers(capa)}
        if (rec.type, rec.id) not in back:
            yield ctx.finding(
                rec,
                field=ptr,
                message=f"{where(rec)} links CAPA {ref}, but {where(capa)} does not list {rec.type} {rec.id} among "
                "its triggers.",
            )
    for capa, i, t, target in capa_triggers(records):
        kind, tid = str(t.get("type", "")), str(t.get("id"))
        if target is None or kind not in _LINKED:
            continue
        if capa.id not in named.get(id(target), ()):
            yield ctx.finding(
                capa,
                field=f"/triggers/{i}/id",
                message=f"{where(capa)} names {kind} {tid} as a trigger, but {where(target)} does not link the "
                "CAPA in capa_ids.",
            )


@rule(
    "linkage.capa-before-trigger",
    title="CAPA opened before the event that triggered it",
    cites=("ISO 13485:2016 8.5.2",),
    hint="Check the CAPA's opened_at and its triggers: a CAPA cannot answer an event that had not happened yet.",
    record_types={"capa", *TRIGGER_DATES},
)
def capa_before_trigger(records: RecordSet, ctx: RuleContext) -> Iterator[Finding]:
    """DT-10 / CMP-14: capa.opened_at >= the date of each trigger, linked from either side."""
    for capa, trig, via, opened, day in _trigger_pairs(records):
        if opened < day:
            yield ctx.finding(
                capa,
                field="/opened_at",
                message=f"{where(capa)} was opened {opened}, before its trigger {where(trig)} dated {day} ({via}).",
            )


@rule(
    "linkage.capa-open-delay",
    title="CAPA opened long after its trigger",
    cites=("ISO 13485:2016 8.5.2",),
    hint="Open corrective action without undue delay, or document why the delay was justified.",
    record_types={"capa", *TRIGGER_DATES},
    severity=Severity.WARNING,
    options={"max_days": 30},
    options_schema={"type": "object", "properties": {"max_days": {"type": "integer", "minimum": 0}}},
)
def capa_open_delay(records: RecordSet, ctx: RuleContext) -> Iterator[Finding]:
    """DT-10: opened_at - trigger date <= max_days ("without undue delay" has no number; firm setting)."""
    max_days = int(ctx.options.get("max_days", 30))
    for capa, trig, via, opened, day in _trigger_pairs(records):
        if (opened - day).days > max_days:
            yield ctx.finding(
                capa,
                field="/opened_at",
                message=f"{where(capa)} was opened {(opened - day).days} days after its trigger {where(trig)} "
                f"({via}); the firm's limit is {max_days} days.",
            )


@rule(
    "linkage.closed-with-open-capa",
    title="Complaint or nonconformance closed while its CAPA is still open",
    cites=("ISO 13485:2016 8.2.2", "ISO 13485:2016 8.3", "ISO 13485:2016 8.5.2"),
    hint="Keep the record open until the CAPA closes, or record why it may close first.",
    record_types={"complaint", "nonconformance", "capa"},
    severity=Severity.WARNING,
)
def closed_with_open_capa(records: RecordSet, ctx: RuleContext) -> Iterator[Finding]:
    """A closed complaint or nonconformance whose linked CAPA is not closed or cancelled."""
    links = capa_links(records)
    for rec, ptr, _, capa in (*links["complaint"], *links["nonconformance"]):
        if capa is None or capa.data.get("status") in ("closed", "cancelled"):
            continue
        if rec.data.get("status") == "closed" or not blank(rec.data.get("closed_date") or rec.data.get("closed_at")):
            yield ctx.finding(
                rec,
                field=ptr,
                message=f"{where(rec)} is closed while {where(capa)} is still {capa.data.get('status') or 'open'}.",
            )


@rule(
    "linkage.audit-finding-no-action",
    scope="record",
    title="Internal audit finding has no correction or CAPA",
    cites=("ISO 13485:2016 8.2.4",),
    hint="Record the correction or the CAPA id for each audit finding.",
    record_types={"internal_audit"},
    severity=Severity.WARNING,
)
def audit_finding_no_action(records: RecordSet, ctx: RuleContext) -> Iterator[Finding]:
    """AUD-IA-02: each audit finding maps to a correction or a CAPA."""
    for audit in records.of_type("internal_audit"):
        for i, finding in enumerate(seq(audit.data.get("findings"))):
            if isinstance(finding, MAPPING) and blank(finding.get("capa_ids")) and blank(finding.get("correction")):
                yield ctx.finding(
                    audit,
                    field=f"/findings/{i}",
                    message=f"{where(audit)}: finding {finding.get('id')} has neither a correction nor capa_ids.",
                )


RULES = [
    capa_dangling,
    trigger_dangling,
    one_way,
    capa_before_trigger,
    capa_open_delay,
    closed_with_open_capa,
    audit_finding_no_action,
]


@hookimpl
def evidence_kit_rules() -> list[FunctionRule]:
    """Register the CAPA linkage rules."""
    return RULES
