"""Complaint files: the 820.35(a) elements, investigation, MDR decision and complaint ↔ CAPA linkage.

Cites 21 CFR 820.35(a) and ISO 13485:2016 8.2.2. UDI syntax is checked by the ``udi`` pack on every record.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from evidence_kit import Finding, Record, RecordSet, RuleContext, Severity, hookimpl, rule
from evidence_kit.contracts import FunctionRule
from evidence_kit_builtin.rules._util import (
    MAPPING,
    blank,
    capa_links,
    capa_triggers,
    get,
    is_explicit_none,
    parse_day,
    parse_when,
    seq,
    where,
)

_SCOPE_OPTIONS: dict[str, Any] = {"scope": "all"}
_SCOPE_SCHEMA: dict[str, Any] = {"type": "object", "properties": {"scope": {"enum": ["all", "required"]}}}


def _in_scope(rec: Record, ctx: RuleContext) -> bool:
    """820.35(a)'s elements are mandatory for reportable or investigated complaints; ``scope = "all"`` checks all."""
    if ctx.options.get("scope", "all") == "all":
        return True
    return get(rec.data, "/mdr_decision/reportable") is True or rec.data.get("investigated") is True


def _missing(records: RecordSet, ctx: RuleContext, field: str, what: str, clause: str) -> Iterator[Finding]:
    for c in records.of_type("complaint"):
        if _in_scope(c, ctx) and blank(get(c.data, field)):
            yield ctx.finding(
                c, field=field, message=f"{where(c)} has no {field.strip('/')}; {clause} requires {what}."
            )


@rule(
    "complaints.device-name-missing",
    scope="record",
    title="Complaint file lacks the device name",
    cites=("21 CFR 820.35(a)(1)",),
    hint="Record the name of the device the complaint is about.",
    record_types={"complaint"},
    options=_SCOPE_OPTIONS,
    options_schema=_SCOPE_SCHEMA,
)
def device_name_missing(records: RecordSet, ctx: RuleContext) -> Iterator[Finding]:
    """CMP-01: device_name is non-empty."""
    yield from _missing(records, ctx, "/device_name", "the name of the device", "21 CFR 820.35(a)(1)")


@rule(
    "complaints.received-date-missing",
    scope="record",
    title="Complaint file lacks the date the complaint was received",
    cites=("21 CFR 820.35(a)(2)",),
    hint="Record received_date (YYYY-MM-DD).",
    record_types={"complaint"},
    options=_SCOPE_OPTIONS,
    options_schema=_SCOPE_SCHEMA,
)
def received_date_missing(records: RecordSet, ctx: RuleContext) -> Iterator[Finding]:
    """CMP-02: received_date is present (its format is a schema check, its future a chronology check)."""
    yield from _missing(records, ctx, "/received_date", "the date the complaint was received", "21 CFR 820.35(a)(2)")


@rule(
    "complaints.device-id-missing",
    scope="record",
    title="Complaint file has no UDI, UPC or other device identification",
    cites=("21 CFR 820.35(a)(3)",),
    hint="Record the UDI or UPC and any other identification (model, lot, serial); if none is known, give "
    "device_id_unknown_reason.",
    record_types={"complaint"},
    options=_SCOPE_OPTIONS,
    options_schema=_SCOPE_SCHEMA,
)
def device_id_missing(records: RecordSet, ctx: RuleContext) -> Iterator[Finding]:
    """CMP-03: at least one of udi, upc, other_device_ids; an explicit unknown with a reason is a warning."""
    for c in records.of_type("complaint"):
        if not _in_scope(c, ctx) or any(not blank(c.data.get(k)) for k in ("udi", "upc", "other_device_ids")):
            continue
        reason = c.data.get("device_id_unknown_reason")
        if blank(reason):
            yield ctx.finding(
                c,
                field="/udi",
                message=f"{where(c)} has no udi, upc or other_device_ids and no device_id_unknown_reason; "
                "21 CFR 820.35(a)(3) requires any UDI, UPC or other device identification.",
            )
        else:
            yield ctx.finding(
                c,
                field="/device_id_unknown_reason",
                severity=Severity.WARNING,
                message=f"{where(c)} records no device identification; reason given: {reason!r}.",
            )


@rule(
    "complaints.complainant-missing",
    scope="record",
    title="Complaint file lacks the complainant's name, address or phone",
    cites=("21 CFR 820.35(a)(4)",),
    hint="Record complainant.name, .address and .phone; if one is unknown, give complainant.unknown_reason.",
    record_types={"complaint"},
    options=_SCOPE_OPTIONS,
    options_schema=_SCOPE_SCHEMA,
)
def complainant_missing(records: RecordSet, ctx: RuleContext) -> Iterator[Finding]:
    """CMP-04: one finding per missing element; with an unknown_reason it is a warning."""
    for c in records.of_type("complaint"):
        if not _in_scope(c, ctx):
            continue
        reason = get(c.data, "/complainant/unknown_reason")
        for key in ("name", "address", "phone"):
            if not blank(get(c.data, f"/complainant/{key}")):
                continue
            if blank(reason):
                yield ctx.finding(
                    c,
                    field=f"/complainant/{key}",
                    message=f"{where(c)} has no complainant {key}; 21 CFR 820.35(a)(4) requires the complainant's "
                    "name, address and phone number.",
                )
            else:
                yield ctx.finding(
                    c,
                    field=f"/complainant/{key}",
                    severity=Severity.WARNING,
                    message=f"{where(c)}: complainant {key} unknown; reason given: {reason!r}.",
                )


@rule(
    "complaints.description-missing",
    scope="record",
    title="Complaint file lacks the nature and details of the complaint",
    cites=("21 CFR 820.35(a)(5)",),
    hint="Describe what happened, with the device's behaviour and the circumstances.",
    record_types={"complaint"},
    options={**_SCOPE_OPTIONS, "min_chars": 20},
    options_schema={
        "type": "object",
        "properties": {"scope": {"enum": ["all", "required"]}, "min_chars": {"type": "integer", "minimum": 1}},
    },
)
def description_missing(records: RecordSet, ctx: RuleContext) -> Iterator[Finding]:
    """CMP-05: description has at least ``min_chars`` characters."""
    min_chars = int(ctx.options.get("min_chars", 20))
    for c in records.of_type("complaint"):
        text = c.data.get("description")
        length = len(text.strip()) if isinstance(text, str) else 0
        if _in_scope(c, ctx) and length < min_chars:
            yield ctx.finding(
                c,
                field="/description",
                message=f"{where(c)}: description has {length} characters; the nature and details of the complaint "
                f"need at least {min_chars}.",
            )


@rule(
    "complaints.correction-missing",
    scope="record",
    title="Complaint file records no correction or corrective action, nor an explicit none",
    cites=("21 CFR 820.35(a)(6)",),
    hint='Record corrections[] or capa_ids[], or corrections = {"none": true, "reason": "…"}.',
    record_types={"complaint"},
    options=_SCOPE_OPTIONS,
    options_schema=_SCOPE_SCHEMA,
)
def correction_missing(records: RecordSet, ctx: RuleContext) -> Iterator[Finding]:
    """CMP-06: corrections or capa_ids present, or an explicit none with a reason."""
    for c in records.of_type("complaint"):
        corr = c.data.get("corrections")
        ok = (isinstance(corr, list) and corr) or is_explicit_none(corr) or c.data.get("capa_ids")
        if _in_scope(c, ctx) and not ok:
            yield ctx.finding(
                c,
                field="/corrections",
                message=f"{where(c)} records no corrections, no capa_ids and no explicit none with a reason "
                f"(found {corr!r}).",
            )


@rule(
    "complaints.reply-missing",
    scope="record",
    title="Complaint file records no reply to the complainant, nor an explicit none",
    cites=("21 CFR 820.35(a)(7)",),
    hint='Record reply {date, text}, or reply = {"none": true, "reason": "…"}.',
    record_types={"complaint"},
    options=_SCOPE_OPTIONS,
    options_schema=_SCOPE_SCHEMA,
)
def reply_missing(records: RecordSet, ctx: RuleContext) -> Iterator[Finding]:
    """CMP-07: reply {date} or explicit none."""
    for c in records.of_type("complaint"):
        reply = c.data.get("reply")
        ok = is_explicit_none(reply) or (isinstance(reply, MAPPING) and not blank(reply.get("date")))
        if _in_scope(c, ctx) and not ok:
            yield ctx.finding(
                c, field="/reply", message=f"{where(c)} records no reply to the complainant and no explicit none."
            )


@rule(
    "complaints.investigation-not-justified",
    title="Complaint not investigated and no justification recorded",
    cites=("21 CFR 820.35(a)", "ISO 13485:2016 8.2.2"),
    hint="Record no_investigation_justification, or similar_investigation_ref naming the investigated complaint.",
    record_types={"complaint"},
)
def investigation_not_justified(records: RecordSet, ctx: RuleContext) -> Iterator[Finding]:
    """CMP-10: investigated=false needs a justification or a reference that resolves to an investigated complaint."""
    for c in records.of_type("complaint"):
        if c.data.get("investigated") is not False or not blank(c.data.get("no_investigation_justification")):
            continue
        ref = c.data.get("similar_investigation_ref")
        other = records.get(str(ref), "complaint") if ref else None
        if other is not None and other.data.get("investigated") is True:
            continue
        found = (
            "no similar_investigation_ref"
            if not ref
            else f"similar_investigation_ref {ref!r} does not resolve to an investigated complaint"
        )
        yield ctx.finding(
            c,
            field="/no_investigation_justification" if not ref else "/similar_investigation_ref",
            message=f"{where(c)} was not investigated; it has no no_investigation_justification and {found}.",
        )


@rule(
    "complaints.mdr-decision-missing",
    scope="record",
    title="Complaint has no documented MDR reportability decision",
    cites=("21 CFR 820.10(b)(3)", "21 CFR 803.18(b)(1)(i)", "ISO 13485:2016 8.2.2(d)"),
    hint="Record mdr_decision {reportable, decision_date, rationale, decided_by} on every complaint.",
    record_types={"complaint"},
)
def mdr_decision_missing(records: RecordSet, ctx: RuleContext) -> Iterator[Finding]:
    """CMP-11: one finding per missing element of the decision."""
    for c in records.of_type("complaint"):
        decision = c.data.get("mdr_decision")
        if not isinstance(decision, MAPPING):
            yield ctx.finding(c, field="/mdr_decision", message=f"{where(c)} records no MDR reportability decision.")
            continue
        if not isinstance(decision.get("reportable"), bool):
            yield ctx.finding(
                c,
                field="/mdr_decision/reportable",
                message=f"{where(c)}: mdr_decision.reportable is {decision.get('reportable')!r}; "
                "expected true or false.",
            )
        for key in ("decision_date", "rationale", "decided_by"):
            if blank(decision.get(key)):
                yield ctx.finding(
                    c,
                    field=f"/mdr_decision/{key}",
                    message=f"{where(c)}: the MDR decision has no {key}; 803.18 requires the deliberation and "
                    "decision to be kept.",
                )


@rule(
    "complaints.investigation-record-missing",
    scope="record",
    title="Complaint alleging a failure to meet specifications has no investigation record",
    cites=("21 CFR 820.35(a)",),
    hint="Attach the investigation (investigation {started, closed, findings}) or a justification for "
    "not investigating.",
    record_types={"complaint"},
)
def investigation_record_missing(records: RecordSet, ctx: RuleContext) -> Iterator[Finding]:
    """CMP-12: fails_specification=true needs an investigation record or a CMP-10 justification."""
    for c in records.of_type("complaint"):
        if c.data.get("fails_specification") is not True or c.data.get("investigated") is False:
            continue
        if blank(c.data.get("investigation")) and blank(c.data.get("no_investigation_justification")):
            yield ctx.finding(
                c,
                field="/investigation",
                message=f"{where(c)} alleges a failure to meet specifications but has no investigation record and "
                "no no_investigation_justification.",
            )


@rule(
    "complaints.investigation-incomplete",
    scope="record",
    title="Investigation record lacks its dates or results",
    cites=("ISO 13485:2016 8.2.2",),
    hint="Record investigation.started, investigation.closed (once done) and investigation.findings.",
    record_types={"complaint"},
    severity=Severity.WARNING,
)
def investigation_incomplete(records: RecordSet, ctx: RuleContext) -> Iterator[Finding]:
    """CMP-13: an investigated complaint has investigation dates and results."""
    for c in records.of_type("complaint"):
        if c.data.get("investigated") is not True:
            continue
        needed = ["started", "findings"] + (["closed"] if c.data.get("status") == "closed" else [])
        for key in needed:
            if blank(get(c.data, f"/investigation/{key}")):
                yield ctx.finding(
                    c,
                    field=f"/investigation/{key}",
                    message=f"{where(c)} was investigated but investigation.{key} is missing.",
                )


@rule(
    "complaints.capa-decision-missing",
    scope="record",
    title="Complaint has no decision on the need for correction or corrective action",
    cites=("ISO 13485:2016 8.2.2(f)",),
    hint="Record corrective_action_needed (true/false).",
    record_types={"complaint"},
)
def capa_decision_missing(records: RecordSet, ctx: RuleContext) -> Iterator[Finding]:
    """CMP-14: corrective_action_needed is recorded."""
    for c in records.of_type("complaint"):
        if not isinstance(c.data.get("corrective_action_needed"), bool):
            yield ctx.finding(
                c,
                field="/corrective_action_needed",
                message=f"{where(c)}: corrective_action_needed is {c.data.get('corrective_action_needed')!r}; "
                "expected the decision true or false.",
            )


@rule(
    "complaints.mdr-details-missing",
    scope="record",
    title="Reportable complaint lacks the legacy 820.198(d) details",
    cites=("21 CFR 820.198(d) (QSR, superseded 2026-02-02)", "21 CFR 803.18"),
    hint="For reportable complaints record whether the device failed to meet specification, was in use for "
    "treatment or diagnosis, and its relation to the event.",
    record_types={"complaint"},
    severity=Severity.INFO,
)
def mdr_details_missing(records: RecordSet, ctx: RuleContext) -> Iterator[Finding]:
    """CMP-15: good practice kept from the old QSR."""
    for c in records.of_type("complaint"):
        if get(c.data, "/mdr_decision/reportable") is not True:
            continue
        for key in ("device_failed_spec", "used_for_treatment_or_diagnosis", "relation_to_event"):
            if get(c.data, f"/mdr_decision/{key}") is None:
                yield ctx.finding(
                    c,
                    field=f"/mdr_decision/{key}",
                    message=f"{where(c)} is MDR-reportable but mdr_decision.{key} is missing.",
                )


@rule(
    "complaints.not-timely",
    scope="record",
    title="Complaint documented or processed later than the firm's time limits",
    cites=("ISO 13485:2016 8.2.2", "21 CFR 820.198(a)(2) (QSR, superseded 2026-02-02)"),
    hint="Document oral complaints on receipt and process complaints within the firm's procedure time limits.",
    record_types={"complaint"},
    severity=Severity.WARNING,
    options={"document_within_days": 1, "close_within_days": 90},
    options_schema={
        "type": "object",
        "properties": {
            "document_within_days": {"type": "integer", "minimum": 0},
            "close_within_days": {"type": "integer", "minimum": 1},
        },
    },
)
def not_timely(records: RecordSet, ctx: RuleContext) -> Iterator[Finding]:
    """CMP-16: oral complaints documented within N days; complaints closed within M days (firm SLAs)."""
    doc_days, close_days = (
        int(ctx.options.get("document_within_days", 1)),
        int(ctx.options.get("close_within_days", 90)),
    )
    today = ctx.now.date()
    for c in records.of_type("complaint"):
        received = parse_day(c.data.get("received_date"))
        if received is None:
            continue
        documented = parse_day(c.data.get("documented_date"))
        if c.data.get("channel") == "oral" and (documented is None or (documented - received).days > doc_days):
            yield ctx.finding(
                c,
                field="/documented_date",
                message=f"{where(c)} is an oral complaint received {received} and documented "
                f"{documented or 'never'}; the firm allows {doc_days} day(s).",
            )
        closed = parse_day(c.data.get("closed_date"))
        age = ((closed or today) - received).days
        if age > close_days:
            state = f"closed after {age} days" if closed else f"still open after {age} days"
            yield ctx.finding(
                c,
                field="/closed_date",
                message=f"{where(c)} was received {received} and is {state}; the firm's limit is {close_days} days.",
            )


def _lot_release(records: RecordSet) -> dict[str, tuple[Record, dt.datetime]]:
    out = {}
    for r in records.of_type("device_record"):
        when = parse_when(get(r.data, "/release/at"))
        lot = r.data.get("lot")
        if isinstance(lot, str) and when is not None:
            out[lot] = (r, when)
    return out


@rule(
    "complaints.before-release",
    title="Complaint received before its lot was released",
    cites=("ISO 13485:2016 3.4", "ISO 13485:2016 8.3"),
    hint="Feedback on product still under the firm's control is a nonconformity: handle it as a nonconformance.",
    record_types={"complaint", "device_record"},
    severity=Severity.WARNING,
)
def before_release(records: RecordSet, ctx: RuleContext) -> Iterator[Finding]:
    """received_date >= the lot's release date, where the bundle has the device record."""
    releases = _lot_release(records)
    for c in records.of_type("complaint"):
        received, lot = parse_when(c.data.get("received_date")), c.data.get("lot")
        if received is None or not isinstance(lot, str) or lot not in releases:
            continue
        batch, released = releases[lot]
        if received.date() < released.date():
            yield ctx.finding(
                c,
                field="/received_date",
                message=f"{where(c)} was received {c.data['received_date']}, before lot {lot} was released on "
                f"{released.date()} ({where(batch)}).",
            )


_LINK_CITES = ("21 CFR 820.35(a)(6)", "ISO 13485:2016 8.2.2(f)", "ISO 13485:2016 8.5.2(a)")


@rule(
    "complaints.capa-missing",
    scope="record",
    title="Complaint needing corrective action links no CAPA",
    cites=_LINK_CITES,
    hint="Open a CAPA for the complaint and record its id in capa_ids, or record why no CAPA is needed "
    "in no_capa_rationale.",
    record_types={"complaint"},
)
def capa_missing(records: RecordSet, ctx: RuleContext) -> Iterator[Finding]:
    """A complaint whose corrective action was deemed needed must name at least one CAPA."""
    for c in records.of_type("complaint"):
        if (
            c.data.get("corrective_action_needed") is True
            and not c.data.get("capa_ids")
            and not c.data.get("no_capa_rationale")
        ):
            yield ctx.finding(
                c,
                field="/capa_ids",
                message=(
                    f"Complaint {c.id} ({c.location.file}) says corrective action is needed but links no CAPA "
                    "in capa_ids and gives no no_capa_rationale."
                ),
            )


@rule(
    "complaints.capa-dangling",
    title="Complaint links a CAPA that is not in the bundle",
    cites=_LINK_CITES,
    hint="Correct the CAPA id, or add the CAPA's export to the bundle.",
    record_types={"complaint", "capa"},
)
def capa_dangling(records: RecordSet, ctx: RuleContext) -> Iterator[Finding]:
    """Every CAPA id a complaint names must resolve to a CAPA record."""
    for c, ptr, ref, capa in capa_links(records)["complaint"]:
        if capa is None:
            yield ctx.finding(
                c,
                field=ptr,
                message=(
                    f"Complaint {c.id} ({c.location.file}) links CAPA {ref}, but no CAPA with that id is in the bundle."
                ),
            )


@rule(
    "complaints.capa-one-way",
    title="Complaint and CAPA link only one way",
    cites=_LINK_CITES,
    hint="Add the complaint to the CAPA's triggers (or the CAPA to the complaint's capa_ids) so both records "
    "show the link.",
    record_types={"complaint", "capa"},
    severity=Severity.WARNING,
)
def capa_one_way(records: RecordSet, ctx: RuleContext) -> Iterator[Finding]:
    """A complaint → CAPA link must be mirrored by the CAPA's trigger list, and the other way round."""
    triggers = capa_triggers(records)
    listed = {(id(capa), t.get("type"), t.get("id")) for capa, _, t, _ in triggers}  # id(CAPA), trigger type, id
    for c, ptr, _, capa in capa_links(records)["complaint"]:
        if capa is not None and (id(capa), "complaint", c.id) not in listed:
            yield ctx.finding(
                c,
                field=ptr,
                message=(
                    f"{where(c)} links CAPA {capa.id}, but {where(capa)} does not "
                    "list the complaint among its triggers."
                ),
            )
    for capa, i, t, complaint in triggers:
        if t.get("type") != "complaint":
            continue
        if complaint is None:
            yield ctx.finding(
                capa,
                field=f"/triggers/{i}/id",
                message=(
                    f"CAPA {capa.id} ({capa.location.file}) names complaint {t.get('id')} as a trigger, but no "
                    "complaint with that id is in the bundle."
                ),
            )
        elif capa.id not in seq(complaint.data.get("capa_ids")):
            yield ctx.finding(
                capa,
                field=f"/triggers/{i}/id",
                message=(
                    f"{where(capa)} names complaint {complaint.id} as a trigger, but {where(complaint)} "
                    "does not list the CAPA in capa_ids."
                ),
            )


@hookimpl
def evidence_kit_rules() -> list[FunctionRule]:
    """Register the complaint-file rules."""
    return [
        device_name_missing,
        received_date_missing,
        device_id_missing,
        complainant_missing,
        description_missing,
        correction_missing,
        reply_missing,
        investigation_not_justified,
        mdr_decision_missing,
        investigation_record_missing,
        investigation_incomplete,
        capa_decision_missing,
        mdr_details_missing,
        not_timely,
        before_release,
        capa_missing,
        capa_dangling,
        capa_one_way,
    ]
