"""Production records and nonconforming product (ISO 13485:2016 7.5.1, 7.5.8, 7.5.9.2, 8.3)."""

from __future__ import annotations

from collections.abc import Iterator

from evidence_kit import Finding, RecordSet, RuleContext, Severity, hookimpl, rule
from evidence_kit.contracts import FunctionRule
from evidence_kit_builtin.rules._util import blank, get, parse_day, seq, where


@rule(
    "production.batch-record-incomplete",
    scope="record",
    title="Device or batch record lacks lot, quantities, release or UDI",
    cites=("ISO 13485:2016 7.5.1", "21 CFR 820.35(c)"),
    hint="Record lot, qty_made, qty_released and release {by, at}; the UDI is checked by udi.not-recorded.",
    record_types={"device_record"},
)
def batch_record_incomplete(records: RecordSet, ctx: RuleContext) -> Iterator[Finding]:
    """BATCH-01: one finding per missing element (release only once the lot is released or in distribution)."""
    for rec in records.of_type("device_record"):
        needed = ["/lot", "/qty_made"]
        if rec.data.get("in_commercial_distribution") is True or not blank(rec.data.get("release")):
            needed += ["/qty_released", "/release/by", "/release/at"]
        for ptr in needed:
            if get(rec.data, ptr) is None or blank(get(rec.data, ptr)):
                yield ctx.finding(rec, field=ptr, message=f"{where(rec)} has no {ptr.strip('/').replace('/', '.')}.")
        made, released = rec.data.get("qty_made"), rec.data.get("qty_released")
        if isinstance(made, int) and isinstance(released, int) and released > made:
            yield ctx.finding(
                rec,
                field="/qty_released",
                message=f"{where(rec)}: qty_released {released} exceeds qty_made {made}.",
            )


@rule(
    "production.consignee-missing",
    scope="record",
    title="Implant or life-supporting device distribution record lacks the consignee's name or address",
    cites=("ISO 13485:2016 7.5.9.2", "21 CFR 820.10(d)"),
    hint="Record consignee_name and consignee_address for every shipment of implantable or life-supporting devices.",
    record_types={"device_record"},
)
def consignee_missing(records: RecordSet, ctx: RuleContext) -> Iterator[Finding]:
    """TRC-01."""
    for rec in records.of_type("device_record"):
        if rec.data.get("implant_or_life_supporting") is not True:
            continue
        for i, ship in enumerate(seq(rec.data.get("distribution"))):
            for key in ("consignee_name", "consignee_address"):
                if not hasattr(ship, "get") or blank(ship.get(key)):
                    yield ctx.finding(
                        rec, field=f"/distribution/{i}/{key}", message=f"{where(rec)}: shipment {i} has no {key}."
                    )


@rule(
    "production.status-uncontrolled",
    scope="record",
    title="Product status is not one of the controlled statuses",
    cites=("ISO 13485:2016 7.5.8",),
    hint="Use the firm's controlled vocabulary for product status, or extend this rule's statuses option.",
    record_types={"device_record"},
    severity=Severity.WARNING,
    options={"statuses": ["in-process", "quarantine", "released", "rejected", "on-hold", "returned", "distributed"]},
    options_schema={"type": "object", "properties": {"statuses": {"type": "array", "items": {"type": "string"}}}},
)
def status_uncontrolled(records: RecordSet, ctx: RuleContext) -> Iterator[Finding]:
    """ID-01."""
    allowed = {str(s) for s in ctx.options.get("statuses", ())}
    for rec in records.of_type("device_record"):
        status = rec.data.get("product_status")
        if isinstance(status, str) and status not in allowed:
            yield ctx.finding(
                rec,
                field="/product_status",
                message=f"{where(rec)}: product_status {status!r} is not one of {', '.join(sorted(allowed))}.",
            )


@rule(
    "production.nonconformance-incomplete",
    scope="record",
    title="Nonconformance record lacks its nature, evaluation or disposition",
    cites=("ISO 13485:2016 8.3.1", "ISO 13485:2016 8.3.2"),
    hint="Record description (nature), evaluation and disposition (scrap, rework, use-as-is, concession, return).",
    record_types={"nonconformance"},
)
def nonconformance_incomplete(records: RecordSet, ctx: RuleContext) -> Iterator[Finding]:
    """NC-01 and the 8.3 record content; disposition is required once the NC is dispositioned or closed."""
    for rec in records.of_type("nonconformance"):
        needed = ["description", "evaluation"]
        if rec.data.get("status") in ("dispositioned", "closed"):
            needed.append("disposition")
        for key in needed:
            if blank(rec.data.get(key)):
                yield ctx.finding(rec, field=f"/{key}", message=f"{where(rec)} has no {key}.")


@rule(
    "production.concession-incomplete",
    scope="record",
    title="Concession without a justification or the identity of the person who authorised it",
    cites=("ISO 13485:2016 8.3.2",),
    hint="Record concession.justification and concession.authorized_by.",
    record_types={"nonconformance"},
)
def concession_incomplete(records: RecordSet, ctx: RuleContext) -> Iterator[Finding]:
    """NC-02."""
    for rec in records.of_type("nonconformance"):
        if rec.data.get("disposition") not in ("concession", "use-as-is"):
            continue
        for key in ("justification", "authorized_by"):
            if blank(get(rec.data, f"/concession/{key}")):
                yield ctx.finding(
                    rec,
                    field=f"/concession/{key}",
                    message=f"{where(rec)} is dispositioned {rec.data.get('disposition')} "
                    f"but concession.{key} is missing.",
                )


@rule(
    "production.rework-after-release",
    title="Rework recorded after release for distribution",
    cites=("21 CFR 820.3(b)", "ISO 13485:2016 8.3.4", "21 CFR 806"),
    hint="Action on distributed product is a correction under Part 806, not rework; assess reportability.",
    record_types={"nonconformance", "device_record"},
)
def rework_after_release(records: RecordSet, ctx: RuleContext) -> Iterator[Finding]:
    """NC-03: rework.completed_at before the lot's release date; detected_after_release with rework is an error."""
    releases = {}
    for b in records.of_type("device_record"):
        day = parse_day(get(b.data, "/release/at"))
        if isinstance(b.data.get("lot"), str) and day:
            releases[b.data["lot"]] = day
    for rec in records.of_type("nonconformance"):
        if rec.data.get("disposition") != "rework":
            continue
        done = parse_day(get(rec.data, "/rework/completed_at"))
        released = releases.get(str(rec.data.get("lot")))
        if rec.data.get("detected_after_release") is True:
            yield ctx.finding(
                rec,
                field="/disposition",
                message=f"{where(rec)} was found after release for distribution but is dispositioned rework.",
            )
        elif done and released and done > released:
            yield ctx.finding(
                rec,
                field="/rework/completed_at",
                message=f"{where(rec)}: rework completed {done}, after lot {rec.data.get('lot')} was released on "
                f"{released}.",
            )


RULES = [
    batch_record_incomplete,
    consignee_missing,
    status_uncontrolled,
    nonconformance_incomplete,
    concession_incomplete,
    rework_after_release,
]


@hookimpl
def evidence_kit_rules() -> list[FunctionRule]:
    """Register the production and nonconforming-product rules."""
    return RULES
