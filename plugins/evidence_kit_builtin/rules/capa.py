"""CAPA records complete before closure (ISO 13485:2016 8.5.2, 8.5.3)."""

from __future__ import annotations

from collections.abc import Iterator

from evidence_kit import Finding, Record, RecordSet, RuleContext, Severity, hookimpl, rule
from evidence_kit.contracts import FunctionRule
from evidence_kit_builtin.rules._util import blank, get, where

#: field → (what it is, clause for corrective action, clause for preventive action)
_REQUIRED = {
    "/triggers": ("the nonconformities or sources reviewed", "8.5.2(a)", "8.5.3(a)"),
    "/problem": ("the problem statement", "8.5.2(a)", "8.5.3(a)"),
    "/root_cause": ("the cause determined", "8.5.2(b)", "8.5.3(a)"),
    "/need_evaluation": ("the evaluation of the need for action", "8.5.2(c)", "8.5.3(b)"),
    "/action_plan": ("the planned and documented actions", "8.5.2(d)", "8.5.3(c)"),
    "/implementation_evidence": ("evidence that the actions were implemented", "8.5.2(d)", "8.5.3(c)"),
    "/no_adverse_effect_verification": ("verification of no adverse effect", "8.5.2(e)", "8.5.3(d)"),
}


def _closed(rec: Record) -> bool:
    return rec.data.get("status") == "closed" or not blank(rec.data.get("closed_at"))


@rule(
    "capa.incomplete-at-close",
    scope="record",
    title="CAPA closed without every required element",
    cites=("ISO 13485:2016 8.5.2", "ISO 13485:2016 8.5.3"),
    hint="Before closing, record the source, problem, root cause, need evaluation, action plan, implementation "
    "evidence and the no-adverse-effect verification.",
    record_types={"capa"},
)
def incomplete_at_close(records: RecordSet, ctx: RuleContext) -> Iterator[Finding]:
    """CAPA-01 / PA-01: one finding per element missing from a closed CAPA."""
    for capa in records.of_type("capa"):
        if not _closed(capa) or capa.data.get("status") == "cancelled":
            continue
        preventive = capa.data.get("kind") == "preventive"
        for field, (what, corrective_clause, preventive_clause) in _REQUIRED.items():
            if blank(get(capa.data, field)):
                clause = preventive_clause if preventive else corrective_clause
                yield ctx.finding(
                    capa,
                    field=field,
                    message=f"{where(capa)} is closed but {field.strip('/')} is missing; ISO 13485:2016 {clause} "
                    f"requires {what}.",
                    cites=(f"ISO 13485:2016 {clause}",),
                )


@rule(
    "capa.closed-without-effectiveness",
    scope="record",
    title="CAPA closed without an effectiveness check",
    cites=("ISO 13485:2016 8.5.2(f)", "ISO 13485:2016 8.5.3(e)"),
    hint="Record effectiveness {method, criteria, result, at, by} before closing the CAPA.",
    record_types={"capa"},
)
def closed_without_effectiveness(records: RecordSet, ctx: RuleContext) -> Iterator[Finding]:
    """DT-11: closed needs effectiveness.result, .at and .by (a warning for preventive actions: "as appropriate")."""
    for capa in records.of_type("capa"):
        if not _closed(capa) or capa.data.get("status") == "cancelled":
            continue
        missing = [k for k in ("method", "result", "at", "by") if blank(get(capa.data, f"/effectiveness/{k}"))]
        if not missing:
            continue
        preventive = capa.data.get("kind") == "preventive"
        yield ctx.finding(
            capa,
            field="/effectiveness" if len(missing) == 4 else f"/effectiveness/{missing[0]}",
            severity=Severity.WARNING if preventive else None,
            message=f"{where(capa)} is closed but its effectiveness check lacks {', '.join(missing)}.",
        )


RULES = [incomplete_at_close, closed_without_effectiveness]


@hookimpl
def evidence_kit_rules() -> list[FunctionRule]:
    """Register the CAPA completeness rules."""
    return RULES
