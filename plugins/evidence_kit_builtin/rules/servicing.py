"""Servicing records: the 820.35(b) elements and the ISO 7.5.4 complaint evaluation."""

from __future__ import annotations

from collections.abc import Iterator

from evidence_kit import Finding, RecordSet, RuleContext, Severity, hookimpl, rule
from evidence_kit.contracts import FunctionRule
from evidence_kit_builtin.rules._util import MAPPING, blank, get, where


def _required(code: str, title: str, clause: str, field: str, what: str, hint: str) -> FunctionRule:
    def check(records: RecordSet, ctx: RuleContext) -> Iterator[Finding]:
        for s in records.of_type("servicing"):
            if blank(get(s.data, field)):
                yield ctx.finding(
                    s, field=field, message=f"{where(s)} has no {field.strip('/')}; {clause} requires {what}."
                )

    check.__doc__ = f"{title}."
    return rule(code, title=title, cites=(clause,), hint=hint, record_types={"servicing"}, scope="record")(check)


device_name_missing = _required(
    "servicing.device-name-missing",
    "Servicing record lacks the name of the device serviced",
    "21 CFR 820.35(b)(1)",
    "/device_name",
    "the name of the device serviced",
    "Record device_name.",
)
service_date_missing = _required(
    "servicing.service-date-missing",
    "Servicing record lacks the date of service",
    "21 CFR 820.35(b)(3)",
    "/service_date",
    "the date of service",
    "Record service_date (YYYY-MM-DD).",
)
technician_missing = _required(
    "servicing.technician-missing",
    "Servicing record does not name who serviced the device",
    "21 CFR 820.35(b)(4)",
    "/technicians",
    "the individual(s) who serviced the device",
    "Record technicians[] with at least one name.",
)
service_performed_missing = _required(
    "servicing.service-performed-missing",
    "Servicing record does not say what service was performed",
    "21 CFR 820.35(b)(5)",
    "/service_performed",
    "the service performed",
    "Describe the service performed.",
)


@rule(
    "servicing.device-id-missing",
    scope="record",
    title="Servicing record has no UDI, UPC or other device identification",
    cites=("21 CFR 820.35(b)(2)",),
    hint="Record the UDI or UPC and any other device identification; if none is known, give device_id_unknown_reason.",
    record_types={"servicing"},
)
def device_id_missing(records: RecordSet, ctx: RuleContext) -> Iterator[Finding]:
    """SRV-02: at least one identifier; an explicit unknown with a reason is a warning."""
    for s in records.of_type("servicing"):
        if any(not blank(s.data.get(k)) for k in ("udi", "upc", "other_device_ids")):
            continue
        reason = s.data.get("device_id_unknown_reason")
        if blank(reason):
            yield ctx.finding(
                s,
                field="/udi",
                message=f"{where(s)} has no udi, upc or other_device_ids; 21 CFR 820.35(b)(2) "
                "requires any UDI, UPC or other device identification.",
            )
        else:
            yield ctx.finding(
                s,
                field="/device_id_unknown_reason",
                severity=Severity.WARNING,
                message=f"{where(s)} records no device identification; reason given: {reason!r}.",
            )


@rule(
    "servicing.test-data-missing",
    scope="record",
    title="Servicing record of a kind that implies testing has no test or inspection data",
    cites=("21 CFR 820.35(b)(6)",),
    hint="Record the test and inspection data of the service in test_results[].",
    record_types={"servicing"},
    severity=Severity.WARNING,
    options={"testing_service_types": ["repair", "calibration", "preventive-maintenance", "installation"]},
    options_schema={
        "type": "object",
        "properties": {"testing_service_types": {"type": "array", "items": {"type": "string"}}},
    },
)
def test_data_missing(records: RecordSet, ctx: RuleContext) -> Iterator[Finding]:
    """SRV-06: service types listed in ``testing_service_types`` need test_results."""
    kinds = {str(k).lower() for k in ctx.options.get("testing_service_types", ())}
    for s in records.of_type("servicing"):
        kind = str(s.data.get("service_type", "")).lower()
        if kind in kinds and blank(s.data.get("test_results")):
            yield ctx.finding(
                s, field="/test_results", message=f"{where(s)} is a {kind} service but records no test_results."
            )


@rule(
    "servicing.complaint-evaluation-missing",
    scope="record",
    title="Servicing record not analysed for whether it is a complaint",
    cites=("ISO 13485:2016 7.5.4", "21 CFR 820.35(b)"),
    hint="Record complaint_evaluation {is_complaint, complaint_id} on every servicing record.",
    record_types={"servicing"},
)
def complaint_evaluation_missing(records: RecordSet, ctx: RuleContext) -> Iterator[Finding]:
    """SRV-10: complaint_evaluation.is_complaint is recorded."""
    for s in records.of_type("servicing"):
        value = get(s.data, "/complaint_evaluation/is_complaint")
        if not isinstance(value, bool):
            yield ctx.finding(
                s,
                field="/complaint_evaluation/is_complaint",
                message=f"{where(s)}: complaint_evaluation.is_complaint is {value!r}; expected the decision true or "
                "false.",
            )


@rule(
    "servicing.complaint-link-dangling",
    title="Servicing record judged a complaint does not link an existing complaint",
    cites=("ISO 13485:2016 7.5.4", "21 CFR 820.35(a)"),
    hint="Open a complaint for the servicing event and record its id in complaint_evaluation.complaint_id.",
    record_types={"servicing", "complaint"},
)
def complaint_link_dangling(records: RecordSet, ctx: RuleContext) -> Iterator[Finding]:
    """is_complaint=true needs complaint_id naming a complaint in the bundle."""
    for s in records.of_type("servicing"):
        ev = s.data.get("complaint_evaluation")
        if not isinstance(ev, MAPPING) or ev.get("is_complaint") is not True:
            continue
        cid = ev.get("complaint_id")
        if blank(cid) or records.get(str(cid), "complaint") is None:
            yield ctx.finding(
                s,
                field="/complaint_evaluation/complaint_id",
                message=f"{where(s)} was judged a complaint but complaint_id {cid!r} names no complaint in the bundle.",
            )


RULES = [
    device_name_missing,
    device_id_missing,
    service_date_missing,
    technician_missing,
    service_performed_missing,
    test_data_missing,
    complaint_evaluation_missing,
    complaint_link_dangling,
]


@hookimpl
def evidence_kit_rules() -> list[FunctionRule]:
    """Register the servicing-record rules."""
    return RULES
