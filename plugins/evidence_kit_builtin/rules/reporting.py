"""Reporting clocks: Part 803 medical device reports and Part 806 correction and removal reports.

Calendar-day clocks count every day; work-day clocks count Monday–Friday except US federal holidays
(21 CFR 803.3, from the ``holidays`` package). Each clock runs from the day after the firm became aware.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterator

from evidence_kit import Finding, Record, RecordSet, RuleContext, Severity, hookimpl, rule
from evidence_kit.contracts import FunctionRule
from evidence_kit_builtin.rules._util import add_work_days, blank, get, parse_day, where

_MDR = {"mdr_report", "complaint"}


def _complaint_for(report: Record, records: RecordSet) -> Record | None:
    cid = report.data.get("complaint_id")
    return records.get(str(cid), "complaint") if cid else None


def _aware(report: Record, records: RecordSet) -> tuple[dt.date, str] | None:
    """Return the awareness date of a report and where it came from."""
    day = parse_day(report.data.get("aware_date"))
    if day is not None:
        return day, "aware_date"
    complaint = _complaint_for(report, records)
    if complaint is not None:
        for key in ("aware_date", "received_date"):
            day = parse_day(complaint.data.get(key))
            if day is not None:
                return day, f"complaint {complaint.id} {key}"
    return None


def _clock(
    report: Record, ctx: RuleContext, start: dt.date, source: str, due: dt.date, clock: str
) -> Iterator[Finding]:
    submitted = parse_day(report.data.get("submitted_at"))
    if submitted is not None and submitted > due:
        yield ctx.finding(
            report,
            field="/submitted_at",
            message=f"{where(report)} was submitted {submitted}; the {clock} clock from {source} {start} ended {due}.",
        )
    elif submitted is None and ctx.now.date() > due:
        yield ctx.finding(
            report,
            field="/submitted_at",
            message=f"{where(report)} is not submitted; the {clock} clock from {source} {start} ended {due}.",
        )


def _kind(report: Record, records: RecordSet) -> str:
    """Return the report's clock: 5-day, supplemental, user-facility, importer, vmsr or 30-day."""
    data = report.data
    complaint = _complaint_for(report, records)
    remedial = (
        data.get("requires_remedial_action") is True
        or data.get("fda_5day_request") is True
        or (complaint is not None and get(complaint.data, "/mdr_decision/requires_remedial_action") is True)
    )
    if data.get("report_type") in ("supplemental", "vmsr"):
        return str(data["report_type"])
    if data.get("reporter_type") in ("user-facility", "importer"):
        return str(data["reporter_type"])
    if data.get("report_type") == "5-day" or remedial:
        return "5-day"
    return "30-day"


@rule(
    "reporting.mdr-report-missing",
    title="MDR-reportable complaint has no MDR report record",
    cites=("21 CFR 803.50(a)", "21 CFR 820.10(b)(3)", "ISO 13485:2016 8.2.3"),
    hint="Export the mdr_report (number, type, submitted_at, acknowledgement) for each reportable complaint.",
    record_types=_MDR,
)
def mdr_report_missing(records: RecordSet, ctx: RuleContext) -> Iterator[Finding]:
    """MDR-01: a complaint with mdr_decision.reportable = true is named by an mdr_report."""
    reported = {str(r.data.get("complaint_id")) for r in records.of_type("mdr_report")}
    numbers = {str(r.data.get("report_number")) for r in records.of_type("mdr_report") if r.data.get("report_number")}
    for c in records.of_type("complaint"):
        number = get(c.data, "/mdr_decision/report_number")
        if get(c.data, "/mdr_decision/reportable") is True and c.id not in reported and str(number) not in numbers:
            yield ctx.finding(
                c,
                field="/mdr_decision/reportable",
                message=f"{where(c)} is MDR-reportable but no mdr_report in the bundle names it"
                + (f" or report number {number}." if number else "."),
            )


@rule(
    "reporting.mdr-report-incomplete",
    scope="record",
    title="MDR report record lacks its number, type, submission date or acknowledgement",
    cites=("ISO 13485:2016 8.2.3", "21 CFR 803.18"),
    hint="Record report_number, report_type, submitted_at and the FDA acknowledgement.",
    record_types={"mdr_report"},
)
def mdr_report_incomplete(records: RecordSet, ctx: RuleContext) -> Iterator[Finding]:
    """MDR-01: number, type and submission date (errors); acknowledgement of a submitted report (warning)."""
    for r in records.of_type("mdr_report"):
        if r.data.get("external_source"):  # a public MAUDE copy never says 5-day or 30-day, nor the acknowledgement
            continue
        for key in ("report_number", "report_type", "submitted_at"):
            if blank(r.data.get(key)):
                yield ctx.finding(r, field=f"/{key}", message=f"{where(r)} has no {key}.")
        if not blank(r.data.get("submitted_at")) and get(r.data, "/ack/received") is not True:
            yield ctx.finding(
                r,
                field="/ack",
                severity=Severity.WARNING,
                message=f"{where(r)} was submitted {r.data.get('submitted_at')} but records no FDA acknowledgement.",
            )


def _clock_rule(code: str, title: str, cites: tuple[str, ...], kinds: tuple[str, ...], hint: str) -> FunctionRule:
    def check(records: RecordSet, ctx: RuleContext) -> Iterator[Finding]:
        for r in records.of_type("mdr_report"):
            kind = _kind(r, records)
            if kind not in kinds:
                continue
            if kind == "supplemental":
                start = parse_day(r.data.get("new_info_received"))
                if start is not None:
                    yield from _clock(
                        r, ctx, start, "new_info_received", start + dt.timedelta(days=30), "30-day supplement"
                    )
                continue
            if kind == "vmsr":
                aware = _aware(r, records)
                if aware is not None:
                    q_end_month = ((aware[0].month - 1) // 3 + 1) * 3 + 1
                    year = aware[0].year + (1 if q_end_month > 12 else 0)
                    month = q_end_month - 12 if q_end_month > 12 else q_end_month
                    due = dt.date(year, month, calendar.monthrange(year, month)[1])
                    yield from _clock(r, ctx, aware[0], aware[1], due, "quarterly VMSR")
                continue
            aware = _aware(r, records)
            if aware is None:
                continue
            if kind == "5-day":
                due, clock = add_work_days(aware[0], 5), "5-work-day"
            elif kind == "user-facility":
                due, clock = add_work_days(aware[0], 10), "10-work-day user facility"
            else:
                due, clock = aware[0] + dt.timedelta(days=30), "30-calendar-day"
            yield from _clock(r, ctx, aware[0], aware[1], due, clock)

    check.__doc__ = f"{title}."
    return rule(code, title=title, cites=cites, hint=hint, record_types=_MDR)(check)


mdr_30_day_late = _clock_rule(
    "reporting.mdr-30-day-late",
    "MDR submitted more than 30 calendar days after the firm became aware",
    ("21 CFR 803.50(a)", "21 CFR 803.40"),
    ("30-day", "importer"),
    "Submit MDRs within 30 calendar days of becoming aware; record aware_date and submitted_at.",
)
mdr_5_day_late = _clock_rule(
    "reporting.mdr-5-day-late",
    "5-day MDR submitted more than 5 work days after awareness",
    ("21 CFR 803.53", "21 CFR 803.3"),
    ("5-day",),
    "Where remedial action is needed (or FDA asked), report within 5 work days (federal holidays excluded).",
)
mdr_supplement_late = _clock_rule(
    "reporting.mdr-supplement-late",
    "Supplemental MDR submitted more than 30 days after the new information",
    ("21 CFR 803.56",),
    ("supplemental",),
    "Submit supplemental reports within 30 calendar days of receiving the new information.",
)
mdr_user_facility_late = _clock_rule(
    "reporting.mdr-user-facility-late",
    "User-facility MDR submitted more than 10 work days after awareness",
    ("21 CFR 803.30", "21 CFR 803.10"),
    ("user-facility",),
    "User facilities report within 10 work days of becoming aware.",
)
vmsr_late = _clock_rule(
    "reporting.vmsr-late",
    "Quarterly malfunction summary (VMSR) submitted after its due date",
    ("21 CFR 803.50", "FDA Voluntary Malfunction Summary Reporting Program (2018)"),
    ("vmsr",),
    "Submit summary reports by 30 Apr, 31 Jul, 31 Oct and 31 Jan for the quarter of awareness.",
)


@rule(
    "reporting.mdr-decision-late",
    scope="record",
    title="Non-reportable decision recorded long after awareness",
    cites=("21 CFR 803.50(a)", "21 CFR 803.18(b)(1)(i)"),
    hint="Decide reportability within the 30-day MDR window and record the decision date.",
    record_types={"complaint"},
    severity=Severity.WARNING,
    options={"max_days": 30},
    options_schema={"type": "object", "properties": {"max_days": {"type": "integer", "minimum": 0}}},
)
def mdr_decision_late(records: RecordSet, ctx: RuleContext) -> Iterator[Finding]:
    """DT-03: mdr_decision.decision_date - awareness <= max_days when not reportable."""
    max_days = int(ctx.options.get("max_days", 30))
    for c in records.of_type("complaint"):
        if get(c.data, "/mdr_decision/reportable") is not False:
            continue
        decided = parse_day(get(c.data, "/mdr_decision/decision_date"))
        aware = parse_day(c.data.get("aware_date")) or parse_day(c.data.get("received_date"))
        if decided and aware and (decided - aware).days > max_days:
            yield ctx.finding(
                c,
                field="/mdr_decision/decision_date",
                message=f"{where(c)}: decided not reportable on {decided}, {(decided - aware).days} days after "
                f"awareness on {aware}; the limit is {max_days}.",
            )


@rule(
    "reporting.aware-after-receipt",
    scope="record",
    title="MDR awareness date is later than the complaint's receipt",
    cites=("21 CFR 803.3", "21 CFR 803.50(a)"),
    hint="Any employee's knowledge starts the clock: the awareness date is at the latest the receipt date.",
    record_types={"complaint"},
    severity=Severity.WARNING,
)
def aware_after_receipt(records: RecordSet, ctx: RuleContext) -> Iterator[Finding]:
    """DT-04: aware_date <= received_date."""
    for c in records.of_type("complaint"):
        aware, received = parse_day(c.data.get("aware_date")), parse_day(c.data.get("received_date"))
        if aware and received and aware > received:
            yield ctx.finding(
                c,
                field="/aware_date",
                message=f"{where(c)}: aware_date {aware} is after received_date {received}; the MDR clock started "
                "no later than receipt.",
            )


@rule(
    "reporting.correction-report-late",
    scope="record",
    title="Part 806 correction or removal report not submitted within 10 working days",
    cites=("21 CFR 806.10(b)", "21 CFR 820.10(b)(4)"),
    hint="Report corrections and removals made to reduce a risk to health within 10 working days of initiating them.",
    record_types={"correction_removal"},
)
def correction_report_late(records: RecordSet, ctx: RuleContext) -> Iterator[Finding]:
    """DT-09: report_806_submitted <= action_initiated + 10 working days when risk_to_health."""
    for r in records.of_type("correction_removal"):
        start = parse_day(r.data.get("action_initiated"))
        if r.data.get("risk_to_health") is not True or start is None:
            continue
        due = add_work_days(start, 10)
        submitted = parse_day(r.data.get("report_806_submitted"))
        if (submitted and submitted > due) or (submitted is None and ctx.now.date() > due):
            found = f"was submitted {submitted}" if submitted else "is not submitted"
            yield ctx.finding(
                r,
                field="/report_806_submitted",
                message=f"{where(r)}: the 806 report {found}; 10 working days from initiation on {start} ended {due}.",
            )


@rule(
    "reporting.correction-unreported-no-record",
    scope="record",
    title="Unreported correction or removal has no record of why it was not reported",
    cites=("21 CFR 806.20(b)",),
    hint="Record not_reported_justification for corrections and removals not reported to FDA.",
    record_types={"correction_removal"},
)
def correction_unreported_no_record(records: RecordSet, ctx: RuleContext) -> Iterator[Finding]:
    """806.20: risk_to_health = false needs the justification for not reporting."""
    for r in records.of_type("correction_removal"):
        if r.data.get("risk_to_health") is False and blank(r.data.get("not_reported_justification")):
            yield ctx.finding(
                r,
                field="/not_reported_justification",
                message=f"{where(r)} was not reportable (risk_to_health = false) but records no "
                "not_reported_justification.",
            )


RULES = [
    mdr_report_missing,
    mdr_report_incomplete,
    mdr_30_day_late,
    mdr_5_day_late,
    mdr_supplement_late,
    mdr_user_facility_late,
    vmsr_late,
    mdr_decision_late,
    aware_after_receipt,
    correction_report_late,
    correction_unreported_no_record,
]


@hookimpl
def evidence_kit_rules() -> list[FunctionRule]:
    """Register the reporting-clock rules."""
    return RULES
