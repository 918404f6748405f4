"""Drug CGMP records for the QMM profile: 211.192 batch review and investigations, 211.198 complaint files."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from evidence_kit import Finding, Record, RecordSet, RuleContext, Severity, hookimpl, rule
from evidence_kit.contracts import FunctionRule
from evidence_kit_builtin.rules._util import (
    MAPPING,
    add_work_days,
    blank,
    get,
    is_explicit_none,
    parse_day,
    parse_when,
    seq,
    where,
)


@rule(
    "drugs.qcu-approval-missing",
    scope="record",
    title="Drug batch released without quality control unit approval",
    cites=("21 CFR 211.192", "21 CFR 211.22"),
    hint="The quality unit reviews and approves the batch record (qcu_approval {by, at}) before release.",
    record_types={"drug_batch_record"},
)
def qcu_approval_missing(records: RecordSet, ctx: RuleContext) -> Iterator[Finding]:
    """BR-01: a released or distributed batch has qcu_approval.by and .at."""
    for b in records.of_type("drug_batch_record"):
        if blank(b.data.get("release_at")) and blank(b.data.get("distributed_at")):
            continue
        for key in ("by", "at"):
            if blank(get(b.data, f"/qcu_approval/{key}")):
                yield ctx.finding(
                    b,
                    field=f"/qcu_approval/{key}",
                    message=f"{where(b)} was released but qcu_approval.{key} is missing.",
                )


@rule(
    "drugs.qcu-approval-after-release",
    scope="record",
    title="Quality unit approved the batch record after the batch was released or distributed",
    cites=("21 CFR 211.192",),
    hint="Release or distribute a batch only after the quality unit has approved its records.",
    record_types={"drug_batch_record"},
)
def qcu_approval_after_release(records: RecordSet, ctx: RuleContext) -> Iterator[Finding]:
    """BR-01 / DT-13: qcu_approval.at <= release_at and <= distributed_at."""
    for b in records.of_type("drug_batch_record"):
        approved = parse_when(get(b.data, "/qcu_approval/at"))
        for key in ("release_at", "distributed_at"):
            when = parse_when(b.data.get(key))
            if approved and when and approved > when:
                yield ctx.finding(
                    b,
                    field="/qcu_approval/at",
                    message=f"{where(b)}: quality unit approval at {get(b.data, '/qcu_approval/at')} is after "
                    f"{key} {b.data.get(key)}.",
                )


@rule(
    "drugs.investigation-incomplete",
    scope="record",
    title="Drug deviation investigation lacks other batches assessed, conclusion or follow-up",
    cites=("21 CFR 211.192",),
    hint="Record other_batches_assessed[] (or other_batches_reason), the conclusion and the follow-up.",
    record_types={"drug_deviation"},
)
def investigation_incomplete(records: RecordSet, ctx: RuleContext) -> Iterator[Finding]:
    """INV-01: one finding per missing element."""
    for d in records.of_type("drug_deviation"):
        if blank(d.data.get("other_batches_assessed")) and blank(d.data.get("other_batches_reason")):
            yield ctx.finding(
                d,
                field="/other_batches_assessed",
                message=f"{where(d)} does not say which other batches were assessed, nor why none were; 211.192 "
                "extends the investigation to other batches that may be associated.",
            )
        for key in ("conclusion", "followup"):
            if blank(d.data.get(key)):
                yield ctx.finding(
                    d, field=f"/{key}", message=f"{where(d)} has no {key}; 211.192 requires conclusions and follow-up."
                )


def _out_of_yield(b: Record) -> bool:
    y, lo, hi = b.data.get("yield_percent"), get(b.data, "/yield_limits/min"), get(b.data, "/yield_limits/max")
    if not isinstance(y, int | float):
        return False
    return (isinstance(lo, int | float) and y < lo) or (isinstance(hi, int | float) and y > hi)


@rule(
    "drugs.discrepancy-not-investigated",
    title="Batch discrepancy or out-of-limit yield has no linked investigation",
    cites=("21 CFR 211.192",),
    hint="Open a deviation/investigation for the batch and link it in deviation_ids (or list the batch in "
    "its batch_ids).",
    record_types={"drug_batch_record", "drug_deviation"},
)
def discrepancy_not_investigated(records: RecordSet, ctx: RuleContext) -> Iterator[Finding]:
    """INV-02: discrepancy=true or yield outside limits needs a drug_deviation naming the batch."""
    covered: set[str] = set()
    for d in records.of_type("drug_deviation"):
        covered.update(str(x) for x in seq(d.data.get("batch_ids")))
    for b in records.of_type("drug_batch_record"):
        if b.data.get("discrepancy") is not True and not _out_of_yield(b):
            continue
        linked = [x for x in seq(b.data.get("deviation_ids")) if records.get(str(x), "drug_deviation")]
        if not linked and b.id not in covered and str(b.data.get("lot")) not in covered:
            why = (
                "records a discrepancy"
                if b.data.get("discrepancy") is True
                else (f"has yield {b.data.get('yield_percent')}% outside {dict(b.data.get('yield_limits') or {})}")
            )
            yield ctx.finding(
                b,
                field="/deviation_ids",
                message=f"{where(b)} {why} but no drug_deviation in the bundle investigates it.",
            )


@rule(
    "drugs.complaint-qcu-review-missing",
    scope="record",
    title="Drug complaint not reviewed by the quality control unit",
    cites=("21 CFR 211.198(a)",),
    hint="Record qcu_review {by, at}.",
    record_types={"drug_complaint"},
)
def complaint_qcu_review_missing(records: RecordSet, ctx: RuleContext) -> Iterator[Finding]:
    """DCMP-01: qcu_review.by and .at."""
    for c in records.of_type("drug_complaint"):
        for key in ("by", "at"):
            if blank(get(c.data, f"/qcu_review/{key}")):
                yield ctx.finding(c, field=f"/qcu_review/{key}", message=f"{where(c)}: qcu_review.{key} is missing.")


@rule(
    "drugs.complaint-ade-decision-missing",
    scope="record",
    title="Drug complaint has no serious-and-unexpected ADE reportability decision",
    cites=("21 CFR 211.198(a)", "21 CFR 310.305", "21 CFR 314.80"),
    hint="Record ade_reportability_decision {reportable, decided_by, at, rationale}.",
    record_types={"drug_complaint"},
)
def complaint_ade_decision_missing(records: RecordSet, ctx: RuleContext) -> Iterator[Finding]:
    """DCMP-02: the decision is recorded with its boolean."""
    for c in records.of_type("drug_complaint"):
        if not isinstance(get(c.data, "/ade_reportability_decision/reportable"), bool):
            yield ctx.finding(
                c,
                field="/ade_reportability_decision/reportable",
                message=f"{where(c)} records no ADE reportability decision (ade_reportability_decision.reportable).",
            )


_DCMP = {
    "drug_name": "the name of the drug",
    "strength": "its strength",
    "lot": "the lot number",
    "complainant_name": "the complainant's name",
    "nature": "the nature of the complaint",
}


@rule(
    "drugs.complaint-element-missing",
    scope="record",
    title="Drug complaint record lacks a 211.198(b) element",
    cites=("21 CFR 211.198(b)",),
    hint="Record drug_name, strength, lot, complainant_name, nature and reply; an unknown element needs "
    "unknown_reasons.<field>.",
    record_types={"drug_complaint"},
)
def complaint_element_missing(records: RecordSet, ctx: RuleContext) -> Iterator[Finding]:
    """DCMP-03: one finding per element; with an unknown reason it is a warning."""
    for c in records.of_type("drug_complaint"):
        reasons = c.data.get("unknown_reasons") if isinstance(c.data.get("unknown_reasons"), MAPPING) else {}
        reply = c.data.get("reply")
        reply_ok = is_explicit_none(reply) or (isinstance(reply, MAPPING) and not blank(reply.get("date")))
        missing = [k for k in _DCMP if blank(c.data.get(k))] + ([] if reply_ok else ["reply"])
        for key in missing:
            what = _DCMP.get(key, "the reply to the complainant")
            reason = reasons.get(key) if isinstance(reasons, MAPPING) else None
            if isinstance(reason, str) and reason.strip():
                yield ctx.finding(
                    c,
                    field=f"/{key}",
                    severity=Severity.WARNING,
                    message=f"{where(c)}: {key} unknown; reason given: {reason!r}.",
                )
            else:
                yield ctx.finding(
                    c, field=f"/{key}", message=f"{where(c)} has no {key}; 211.198(b) requires {what} where known."
                )


@rule(
    "drugs.complaint-investigation-record",
    scope="record",
    title="Drug complaint lacks findings and follow-up, or the reason and decider for not investigating",
    cites=("21 CFR 211.198(b)(2)", "21 CFR 211.198(b)(3)"),
    hint="If investigated, record findings and followup; if not, no_investigation_reason and decided_by.",
    record_types={"drug_complaint"},
)
def complaint_investigation_record(records: RecordSet, ctx: RuleContext) -> Iterator[Finding]:
    """DCMP-04."""
    for c in records.of_type("drug_complaint"):
        investigated = c.data.get("investigated")
        if investigated is True:
            needed = ("findings", "followup")
        elif investigated is False:
            needed = ("no_investigation_reason", "decided_by")
        else:
            yield ctx.finding(
                c,
                field="/investigated",
                message=f"{where(c)}: investigated is {investigated!r}; expected true or false.",
            )
            continue
        for key in needed:
            if blank(c.data.get(key)):
                yield ctx.finding(
                    c, field=f"/{key}", message=f"{where(c)} (investigated = {investigated}) has no {key}."
                )


def _late(c: Record, ctx: RuleContext, key: str, due: dt.date, clock: str) -> Iterator[Finding]:
    submitted = parse_day(c.data.get(key))
    if (submitted and submitted > due) or (submitted is None and ctx.now.date() > due):
        found = f"was submitted {submitted}" if submitted else "is not submitted"
        yield ctx.finding(c, field=f"/{key}", message=f"{where(c)}: the {clock} {found}; it was due {due}.")


@rule(
    "drugs.far-late",
    scope="record",
    title="NDA Field Alert Report not submitted within 3 working days",
    cites=("21 CFR 314.81(b)(1)",),
    hint="Submit the Field Alert Report within 3 working days of receiving the information.",
    record_types={"drug_complaint"},
)
def far_late(records: RecordSet, ctx: RuleContext) -> Iterator[Finding]:
    """DT-20: far_submitted_at <= received_date + 3 working days when far_required."""
    for c in records.of_type("drug_complaint"):
        received = parse_day(c.data.get("received_date"))
        if c.data.get("far_required") is True and received is not None:
            yield from _late(c, ctx, "far_submitted_at", add_work_days(received, 3), "Field Alert Report")


@rule(
    "drugs.ade-report-late",
    scope="record",
    title="Serious and unexpected ADE report not submitted within 15 calendar days",
    cites=("21 CFR 314.80(c)(1)", "21 CFR 310.305"),
    hint="Submit the 15-day alert report within 15 calendar days of initial receipt.",
    record_types={"drug_complaint"},
)
def ade_report_late(records: RecordSet, ctx: RuleContext) -> Iterator[Finding]:
    """DT-21: ade_report_submitted_at <= received_date + 15 days when the ADE is reportable."""
    for c in records.of_type("drug_complaint"):
        received = parse_day(c.data.get("received_date"))
        if get(c.data, "/ade_reportability_decision/reportable") is True and received is not None:
            yield from _late(c, ctx, "ade_report_submitted_at", received + dt.timedelta(days=15), "15-day alert report")


RULES = [
    qcu_approval_missing,
    qcu_approval_after_release,
    investigation_incomplete,
    discrepancy_not_investigated,
    complaint_qcu_review_missing,
    complaint_ade_decision_missing,
    complaint_element_missing,
    complaint_investigation_record,
    far_late,
    ade_report_late,
]


@hookimpl
def evidence_kit_rules() -> list[FunctionRule]:
    """Register the drug CGMP rules."""
    return RULES
