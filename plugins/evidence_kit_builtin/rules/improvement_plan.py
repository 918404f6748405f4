"""QMM improvement-plan tracker: checkpoints 3 and 6 months after the assessment, owned actions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from typing import Any

from evidence_kit import Finding, RecordSet, RuleContext, Severity, hookimpl, rule
from evidence_kit.contracts import FunctionRule

_CITES = ("FDA CDER QMM program: improvement opportunity, 3- and 6-month progress (89 FR 4950; 90 FR 17069)",)


def add_months(day: dt.date, months: int) -> dt.date:
    """Return ``day`` plus whole months, clamped to the month's last day (31 Aug + 6 months = 28/29 Feb)."""
    y, m = divmod(day.month - 1 + months, 12)
    year, month = day.year + y, m + 1
    for d in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, min(day.day, d))
        except ValueError:
            continue
    raise ValueError(day)  # pragma: no cover - 28 always exists


def _date(value: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def checkpoints(plan: Mapping[str, Any], today: dt.date) -> list[dict[str, Any]]:
    """Return the 3- and 6-month checkpoints of a plan: due date, report date, and status.

    Status is ``reported``, ``reported-late``, ``overdue`` or ``upcoming``.
    """
    start = _date(plan.get("assessment_date"))
    if start is None:
        return []
    listed = plan.get("checkpoints")
    given = {
        c.get("month"): c
        for c in (listed if isinstance(listed, list) else [])
        if isinstance(c, Mapping) and c.get("month") in (3, 6)
    }
    out = []
    for month in (3, 6):
        due = add_months(start, month)
        reported = _date((given.get(month) or {}).get("reported_at"))
        if reported is not None:
            status = "reported" if reported <= due else "reported-late"
        else:
            status = "overdue" if today > due else "upcoming"
        out.append(
            {"month": month, "due": due.isoformat(), "reported": reported and reported.isoformat(), "status": status}
        )
    return out


@rule(
    "improvement-plan.checkpoint-overdue",
    scope="record",
    title="QMM improvement-plan checkpoint is overdue",
    cites=_CITES,
    hint="Report progress on the chosen opportunity and record the checkpoint's reported_at date.",
    record_types={"improvement_plan"},
    severity=Severity.WARNING,
)
def checkpoint_overdue(records: RecordSet, ctx: RuleContext) -> Iterator[Finding]:
    """A 3- or 6-month checkpoint whose due date has passed with no report is overdue."""
    today = ctx.now.date()
    for plan in records.of_type("improvement_plan"):
        if _date(plan.data.get("assessment_date")) is None:
            yield ctx.finding(
                plan,
                field="/assessment_date",
                message=f"Improvement plan {plan.id} ({plan.location.file}) has no assessment_date, so its 3- and "
                "6-month checkpoints cannot be tracked.",
            )
            continue
        for cp in checkpoints(plan.data, today):
            if cp["status"] == "overdue":
                yield ctx.finding(
                    plan,
                    field="/checkpoints",
                    message=(
                        f"Improvement plan {plan.id} ({plan.location.file}): the {cp['month']}-month checkpoint "
                        f"was due {cp['due']} and no report is recorded (as of {today.isoformat()})."
                    ),
                )


@rule(
    "improvement-plan.action-owner-missing",
    scope="record",
    title="QMM improvement-plan action has no owner or due date",
    cites=_CITES,
    hint="Name an owner and a due date for every action of the plan.",
    record_types={"improvement_plan"},
    severity=Severity.WARNING,
)
def action_owner_missing(records: RecordSet, ctx: RuleContext) -> Iterator[Finding]:
    """Every action of an improvement plan has an owner and a due date."""
    for plan in records.of_type("improvement_plan"):
        actions = plan.data.get("actions")
        actions = actions if isinstance(actions, list) else []
        if not actions:
            yield ctx.finding(
                plan, field="/actions", message=f"Improvement plan {plan.id} ({plan.location.file}) lists no actions."
            )
        for i, a in enumerate(actions):
            if not isinstance(a, Mapping):
                continue
            missing = [k for k in ("owner", "due_date") if not a.get(k)]
            if missing:
                yield ctx.finding(
                    plan,
                    field=f"/actions/{i}",
                    message=(
                        f"Improvement plan {plan.id} ({plan.location.file}): action {a.get('id')} has no "
                        f"{' and no '.join(missing)}; expected an owner and a due date."
                    ),
                )


@hookimpl
def evidence_kit_rules() -> list[FunctionRule]:
    """Register the improvement-plan tracker rules."""
    return [checkpoint_overdue, action_owner_missing]
