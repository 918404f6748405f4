"""Management review (ISO 13485:2016 5.6) and internal audit (8.2.4) records."""

from __future__ import annotations

from collections.abc import Iterator

from evidence_kit import Finding, RecordSet, RuleContext, Severity, hookimpl, rule
from evidence_kit.contracts import FunctionRule
from evidence_kit_builtin.rules._util import MAPPING, blank, parse_day, seq, where

MR_INPUTS = [
    "feedback",
    "complaint_handling",
    "regulatory_reporting",
    "audits",
    "process_monitoring",
    "product_monitoring",
    "corrective_action",
    "preventive_action",
    "prior_review_followup",
    "qms_changes",
    "improvement_recommendations",
    "regulatory_changes",
]


@rule(
    "management.review-interval",
    title="Management reviews further apart than the documented interval, or no interval documented",
    cites=("ISO 13485:2016 5.6.1",),
    hint="Hold management reviews at the planned interval, and record planned_interval_months on each.",
    record_types={"management_review"},
    severity=Severity.WARNING,
)
def review_interval(records: RecordSet, ctx: RuleContext) -> Iterator[Finding]:
    """MR-01 / DT-22: gap between consecutive reviews <= the documented interval (a month = 31 days)."""
    dated = sorted(
        ((d, r) for r in records.of_type("management_review") if (d := parse_day(r.data.get("review_date")))),
        key=lambda x: x[0],
    )
    for i, (day, rec) in enumerate(dated):
        months = rec.data.get("planned_interval_months")
        if not isinstance(months, int):
            yield ctx.finding(
                rec, field="/planned_interval_months", message=f"{where(rec)} documents no planned review interval."
            )
            continue
        if i and (day - dated[i - 1][0]).days > months * 31:
            prev = dated[i - 1][1]
            yield ctx.finding(
                rec,
                field="/review_date",
                message=f"{where(rec)} was held {(day - dated[i - 1][0]).days} days after the previous review "
                f"{prev.id}; the planned interval is {months} months.",
            )


@rule(
    "management.review-inputs",
    scope="record",
    title="Management review does not cover every required input",
    cites=("ISO 13485:2016 5.6.2",),
    hint="Cover each required input, or adjust this rule's inputs option to the firm's procedure.",
    record_types={"management_review"},
    severity=Severity.WARNING,
    options={"inputs": MR_INPUTS},
    options_schema={"type": "object", "properties": {"inputs": {"type": "array", "items": {"type": "string"}}}},
)
def review_inputs(records: RecordSet, ctx: RuleContext) -> Iterator[Finding]:
    """MR-02: the inputs list covers every configured input."""
    required = [str(x) for x in ctx.options.get("inputs", MR_INPUTS)]
    for rec in records.of_type("management_review"):
        covered = {str(x) for x in seq(rec.data.get("inputs"))}
        missing = [x for x in required if x not in covered]
        if missing:
            yield ctx.finding(
                rec,
                field="/inputs",
                message=f"{where(rec)} covers {len(required) - len(missing)} of {len(required)} inputs; missing: "
                f"{', '.join(missing)}.",
            )


@rule(
    "management.review-output-incomplete",
    scope="record",
    title="Management review output lacks an owner or a due date",
    cites=("ISO 13485:2016 5.6.3",),
    hint="Give every decision or action an owner and a due date.",
    record_types={"management_review"},
    severity=Severity.WARNING,
)
def review_output_incomplete(records: RecordSet, ctx: RuleContext) -> Iterator[Finding]:
    """MR-03."""
    for rec in records.of_type("management_review"):
        outputs = seq(rec.data.get("outputs"))
        if not outputs:
            yield ctx.finding(rec, field="/outputs", message=f"{where(rec)} records no outputs (decisions or actions).")
        for i, out in enumerate(outputs):
            for key in ("decision", "owner", "due_date"):
                if not isinstance(out, MAPPING) or blank(out.get(key)):
                    yield ctx.finding(
                        rec, field=f"/outputs/{i}/{key}", message=f"{where(rec)}: output {i} has no {key}."
                    )


def _names(value: object) -> set[str]:
    out = set()
    for p in value if isinstance(value, list) else ():
        name = p.get("name") if isinstance(p, MAPPING) else p
        if isinstance(name, str) and name.strip():
            out.add(" ".join(name.lower().split()))
    return out


@rule(
    "management.auditor-not-independent",
    scope="record",
    title="Internal auditor audits their own work",
    cites=("ISO 13485:2016 8.2.4",),
    hint="Assign auditors who do not own the audited processes.",
    record_types={"internal_audit"},
    severity=Severity.WARNING,
)
def auditor_not_independent(records: RecordSet, ctx: RuleContext) -> Iterator[Finding]:
    """AUD-IA-01: auditors ∩ auditee_owners = ∅."""
    for rec in records.of_type("internal_audit"):
        both = _names(rec.data.get("auditors")) & _names(rec.data.get("auditee_owners"))
        if both:
            yield ctx.finding(
                rec,
                field="/auditors",
                message=f"{where(rec)}: {', '.join(sorted(both))} both audits and owns the audited process.",
            )


@rule(
    "management.audit-record-incomplete",
    scope="record",
    title="Internal audit record lacks its scope, criteria, processes audited or conclusions",
    cites=("ISO 13485:2016 8.2.4",),
    hint="Record scope, criteria, processes_audited, auditors and conclusions.",
    record_types={"internal_audit"},
    severity=Severity.WARNING,
)
def audit_record_incomplete(records: RecordSet, ctx: RuleContext) -> Iterator[Finding]:
    """The 8.2.4 record content."""
    for rec in records.of_type("internal_audit"):
        for key in ("scope", "criteria", "processes_audited", "auditors", "conclusions"):
            if blank(rec.data.get(key)):
                yield ctx.finding(rec, field=f"/{key}", message=f"{where(rec)} has no {key}.")


RULES = [review_interval, review_inputs, review_output_incomplete, auditor_not_independent, audit_record_incomplete]


@hookimpl
def evidence_kit_rules() -> list[FunctionRule]:
    """Register the management-review and internal-audit rules."""
    return RULES
