"""Labeling and packaging controls: 820.45 inspection items, release, mix-up checks, dates and signatures."""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Iterator

from evidence_kit import Finding, Record, RecordSet, RuleContext, Severity, hookimpl, rule
from evidence_kit.contracts import FunctionRule
from evidence_kit_builtin.rules._util import MAPPING, blank, get, parse_when, signatures, where
from evidence_kit_builtin.udi_format import parse_udi

ITEMS = {
    "udi": ("21 CFR 820.45(a)(1)", "the correct UDI or UPC or other device identification"),
    "expiry": ("21 CFR 820.45(a)(2)", "the expiration date"),
    "storage": ("21 CFR 820.45(a)(3)", "the storage instructions"),
    "handling": ("21 CFR 820.45(a)(4)", "the handling instructions"),
    "processing": ("21 CFR 820.45(a)(5)", "any additional processing instructions"),
}
_LBL = {"label_inspection", "labeling_release", "device_record"}


def _by_lot(records: RecordSet, rtype: str) -> dict[str, list[Record]]:
    out: dict[str, list[Record]] = {}
    for rec in records.of_type(rtype):
        lot = rec.data.get("lot")
        if isinstance(lot, str) and lot:
            out.setdefault(lot, []).append(rec)
    return out


@rule(
    "labeling.inspection-item-missing",
    scope="record",
    title="Label inspection does not record one of the five 820.45(a) items",
    cites=tuple(c for c, _ in ITEMS.values()),
    hint="Record items.udi, .expiry, .storage, .handling and .processing as pass, fail or n/a.",
    record_types={"label_inspection"},
)
def inspection_item_missing(records: RecordSet, ctx: RuleContext) -> Iterator[Finding]:
    """LBL-01: each of the five items is present, one finding per missing item."""
    for rec in records.of_type("label_inspection"):
        for item, (clause, what) in ITEMS.items():
            if blank(get(rec.data, f"/items/{item}")):
                yield ctx.finding(
                    rec,
                    field=f"/items/{item}",
                    message=f"{where(rec)} records no result for {what} (items.{item}); {clause} requires it.",
                    cites=(clause,),
                )


def _na_reason(rec: Record, item: str) -> str | None:
    value = rec.data.get("na_justification")
    if isinstance(value, str):
        return value if value.strip() else None
    if isinstance(value, MAPPING):
        reason = value.get(item)
        return reason if isinstance(reason, str) and reason.strip() else None
    return None


@rule(
    "labeling.na-unjustified",
    scope="record",
    title="Label inspection item marked n/a without a justification",
    cites=("21 CFR 820.45(a)",),
    hint="Give na_justification (one text, or one per item) for every item marked n/a.",
    record_types={"label_inspection"},
)
def na_unjustified(records: RecordSet, ctx: RuleContext) -> Iterator[Finding]:
    """LBL-01: n/a needs a justification."""
    for rec in records.of_type("label_inspection"):
        for item in ITEMS:
            if get(rec.data, f"/items/{item}") == "n/a" and _na_reason(rec, item) is None:
                yield ctx.finding(
                    rec,
                    field=f"/items/{item}",
                    message=f"{where(rec)}: items.{item} is n/a but na_justification gives no reason for it.",
                )


@rule(
    "labeling.failed-item-released",
    title="Labeling with a failed inspection item was released",
    cites=("21 CFR 820.45(a)", "21 CFR 820.45(b)"),
    hint="Do not release labeling that failed inspection; re-inspect after correction and record the new result.",
    record_types=_LBL,
)
def failed_item_released(records: RecordSet, ctx: RuleContext) -> Iterator[Finding]:
    """LBL-01: no ``fail`` on a lot whose labeling was released or whose batch was released."""
    releases, batches = _by_lot(records, "labeling_release"), _by_lot(records, "device_record")
    for rec in records.of_type("label_inspection"):
        failed = [item for item in ITEMS if get(rec.data, f"/items/{item}") == "fail"]
        if not failed:
            continue
        lot = rec.data.get("lot")
        released = [r for r in releases.get(str(lot), []) if r.data.get("label_inspection_id") in (None, rec.id)]
        released += [b for b in batches.get(str(lot), []) if not blank(get(b.data, "/release/at"))]
        if not released:
            continue
        for item in failed:
            yield ctx.finding(
                rec,
                field=f"/items/{item}",
                message=f"{where(rec)}: items.{item} failed, yet lot {lot} was released ({where(released[0])}).",
            )


@rule(
    "labeling.release-missing",
    title="Lot released with no documented release of its labeling",
    cites=("21 CFR 820.45(b)", "ISO 13485:2016 4.2.5"),
    hint="Export the labeling release record (released_by, released_at, signature) for the lot.",
    record_types=_LBL,
)
def release_missing(records: RecordSet, ctx: RuleContext) -> Iterator[Finding]:
    """LBL-02: a released device_record lot has a labeling_release (checked when the bundle has label records)."""
    if not records.of_type("label_inspection") and not records.of_type("labeling_release"):
        return
    releases = _by_lot(records, "labeling_release")
    for batch in records.of_type("device_record"):
        lot = batch.data.get("lot")
        if not blank(get(batch.data, "/release/at")) and isinstance(lot, str) and lot not in releases:
            yield ctx.finding(
                batch,
                field="/lot",
                message=f"{where(batch)}: lot {lot} was released but no labeling_release is recorded for it.",
            )


@rule(
    "labeling.signature-missing",
    scope="record",
    title="Label inspection or labeling release lacks a signature manifestation",
    cites=("21 CFR 820.45(a)", "21 CFR 820.45(b)", "21 CFR 11.50", "ISO 13485:2016 4.2.5"),
    hint="Sign the inspection and the release with printed name, date-time and meaning.",
    record_types={"label_inspection", "labeling_release"},
)
def signature_missing(records: RecordSet, ctx: RuleContext) -> Iterator[Finding]:
    """LBL-11: error on releases and on inspections that claim approval; warning on other inspections."""
    for rec in records.of_type("label_inspection", "labeling_release"):
        if signatures(rec):
            continue
        strict = rec.type == "labeling_release" or rec.data.get("approval_claimed") is True
        yield ctx.finding(
            rec,
            field="/signatures",
            severity=None if strict else Severity.WARNING,
            message=f"{where(rec)} carries no signature (printed name, date-time, meaning)"
            + ("." if strict else "; it does not claim approval, so this is a warning."),
        )
    for rec in records.of_type("labeling_release"):
        for key in ("released_by", "released_at"):
            if blank(rec.data.get(key)):
                yield ctx.finding(
                    rec, field=f"/{key}", message=f"{where(rec)} has no {key}; the release must say who and when."
                )


@rule(
    "labeling.pre-use-check-missing",
    scope="record",
    title="No pre-use (mix-up) inspection recorded, or it used the wrong label revision",
    cites=("21 CFR 820.45(c)",),
    hint="Record pre_use_inspection {result, by, at, mdf_label_rev} against the label revision in the "
    "medical device file.",
    record_types={"label_inspection"},
)
def pre_use_check_missing(records: RecordSet, ctx: RuleContext) -> Iterator[Finding]:
    """LBL-03: pre_use_inspection present with result/by/at; mdf_label_rev equals the inspected label_rev."""
    for rec in records.of_type("label_inspection"):
        check = rec.data.get("pre_use_inspection")
        if not isinstance(check, MAPPING):
            yield ctx.finding(rec, field="/pre_use_inspection", message=f"{where(rec)} records no pre-use inspection.")
            continue
        for key in ("result", "by", "at"):
            if blank(check.get(key)):
                yield ctx.finding(
                    rec,
                    field=f"/pre_use_inspection/{key}",
                    message=f"{where(rec)}: pre_use_inspection.{key} is missing.",
                )
        rev, label_rev = check.get("mdf_label_rev"), rec.data.get("label_rev")
        if isinstance(rev, str) and isinstance(label_rev, str) and rev != label_rev:
            yield ctx.finding(
                rec,
                field="/pre_use_inspection/mdf_label_rev",
                message=f"{where(rec)}: pre-use check was against label rev {rev!r}, "
                f"but rev {label_rev!r} was inspected.",
            )


@rule(
    "labeling.order",
    title="Label inspection, labeling release, lot release and first shipment out of order",
    cites=("21 CFR 820.45(a)", "21 CFR 820.45(b)"),
    hint="Inspect labeling, then release it, then release the lot, then ship.",
    record_types=_LBL,
)
def order(records: RecordSet, ctx: RuleContext) -> Iterator[Finding]:
    """LBL-10 / DT-12: inspected_at <= released_at <= lot release.at <= first_ship_at, per lot."""
    inspections, releases = _by_lot(records, "label_inspection"), _by_lot(records, "labeling_release")
    batches = _by_lot(records, "device_record")
    for lot in sorted(set(inspections) | set(releases) | set(batches)):
        chain: list[tuple[Record, str, str, dt.datetime]] = []
        for rtype_records, ptr, name in (
            (inspections.get(lot, []), "/inspected_at", "label inspection"),
            (releases.get(lot, []), "/released_at", "labeling release"),
            (batches.get(lot, []), "/release/at", "lot release"),
            (batches.get(lot, []), "/first_ship_at", "first shipment"),
        ):
            stamped = [(r, parse_when(get(r.data, ptr))) for r in rtype_records]
            present = [(r, w) for r, w in stamped if w is not None]
            if present:
                r, w = (
                    max(present, key=lambda x: x[1]) if name == "label inspection" else min(present, key=lambda x: x[1])
                )
                chain.append((r, ptr, name, w))
        for (r1, p1, n1, w1), (r2, p2, n2, w2) in itertools.pairwise(chain):
            if w2 < w1:
                yield ctx.finding(
                    r2,
                    field=p2,
                    message=f"{where(r2)}: lot {lot} {n2} at {get(r2.data, p2)} precedes its {n1} at "
                    f"{get(r1.data, p1)} ({where(r1)}).",
                )


@rule(
    "labeling.inspector-is-creator",
    scope="record",
    title="Label inspector is the person who created the labeling",
    cites=("21 CFR 820.45(a)",),
    hint="Have someone other than the labeling's author examine it.",
    record_types={"label_inspection"},
    severity=Severity.WARNING,
)
def inspector_is_creator(records: RecordSet, ctx: RuleContext) -> Iterator[Finding]:
    """LBL-12: inspector.name != label_creator (good practice, not required by the text)."""
    for rec in records.of_type("label_inspection"):
        inspector, creator = get(rec.data, "/inspector/name"), rec.data.get("label_creator")
        if (
            isinstance(inspector, str)
            and isinstance(creator, str)
            and inspector.strip().lower() == creator.strip().lower()
        ):
            yield ctx.finding(
                rec,
                field="/inspector/name",
                message=f"{where(rec)}: {inspector} both created and inspected the labeling.",
            )


@rule(
    "labeling.reader-sample-missing",
    scope="record",
    title="Automated label reader used without a person examining a sample",
    cites=("21 CFR 820.45(a)", "QMSR preamble (89 FR 7496) on automated label readers"),
    hint="Record sample_examined_by for inspections done with an automated reader.",
    record_types={"label_inspection"},
    severity=Severity.WARNING,
)
def reader_sample_missing(records: RecordSet, ctx: RuleContext) -> Iterator[Finding]:
    """LBL-13: automated_reader=true needs sample_examined_by."""
    for rec in records.of_type("label_inspection"):
        if rec.data.get("automated_reader") is True and blank(rec.data.get("sample_examined_by")):
            yield ctx.finding(
                rec,
                field="/sample_examined_by",
                message=f"{where(rec)} used an automated reader but names no one who examined a representative sample.",
            )


_YMD = re.compile(r"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$")


@rule(
    "labeling.date-format",
    scope="record",
    title="Printed label date is not in YYYY-MM-DD format",
    cites=("21 CFR 801.18(a)",),
    hint="Print expiry and manufacture dates as YYYY-MM-DD (NDC-bearing combination products are exempt).",
    record_types={"label_inspection"},
)
def date_format(records: RecordSet, ctx: RuleContext) -> Iterator[Finding]:
    """LBL-14: printed_expiry and printed_manufacture_date match YYYY-MM-DD."""
    for rec in records.of_type("label_inspection"):
        if rec.data.get("ndc_combination_product") is True:
            continue
        for key in ("printed_expiry", "printed_manufacture_date"):
            value = rec.data.get(key)
            if isinstance(value, str) and not _YMD.match(value.strip()):
                yield ctx.finding(
                    rec, field=f"/{key}", message=f"{where(rec)}: {key} is printed as {value!r}; expected YYYY-MM-DD."
                )


@rule(
    "labeling.expiry-udi-mismatch",
    scope="record",
    title="Printed expiry date differs from the UDI's expiry",
    cites=("21 CFR 801.18", "21 CFR 820.45(a)(2)", "GS1 General Specifications"),
    hint="The human-readable expiry and the UDI AI(17) must be the same date.",
    record_types={"label_inspection"},
)
def expiry_udi_mismatch(records: RecordSet, ctx: RuleContext) -> Iterator[Finding]:
    """LBL-15 / GS1-05: printed_expiry == UDI expiry."""
    for rec in records.of_type("label_inspection"):
        printed, value = rec.data.get("printed_expiry"), rec.data.get("udi")
        if not isinstance(printed, str) or not _YMD.match(printed.strip()) or not isinstance(value, str):
            continue
        parsed = parse_udi(value, ctx.now.date())
        if parsed.expiry is not None and parsed.expiry.isoformat() != printed.strip():
            yield ctx.finding(
                rec,
                field="/printed_expiry",
                message=f"{where(rec)}: printed expiry {printed} differs from the UDI expiry {parsed.expiry} "
                f"in {value!r}.",
            )


@rule(
    "labeling.lot-udi-mismatch",
    scope="record",
    title="Lot in the label's UDI differs from the inspected lot",
    cites=("21 CFR 820.45(a)(1)", "21 CFR 820.35(c)"),
    hint="The UDI lot (AI 10) must be the lot the labels are for.",
    record_types={"label_inspection"},
)
def lot_udi_mismatch(records: RecordSet, ctx: RuleContext) -> Iterator[Finding]:
    """LBL-15: UDI lot == label_inspection.lot."""
    for rec in records.of_type("label_inspection"):
        lot, value = rec.data.get("lot"), rec.data.get("udi")
        if not isinstance(lot, str) or not isinstance(value, str):
            continue
        parsed = parse_udi(value, ctx.now.date())
        if parsed.lot is not None and parsed.lot != lot:
            yield ctx.finding(
                rec,
                field="/udi",
                message=f"{where(rec)}: UDI lot {parsed.lot!r} differs from the inspected lot {lot!r}.",
            )


@rule(
    "labeling.lot-check-missing",
    scope="record",
    title="Label inspection does not confirm the lot or serial (control number)",
    cites=("21 CFR 820.45(a)(1)", "21 CFR 820.120(b)(2) (QSR, superseded 2026-02-02)"),
    hint="Record lot_serial_checked = true when the lot or serial on the label was verified.",
    record_types={"label_inspection"},
    severity=Severity.WARNING,
)
def lot_check_missing(records: RecordSet, ctx: RuleContext) -> Iterator[Finding]:
    """Control number: not in the QMSR list, so a warning when not confirmed."""
    for rec in records.of_type("label_inspection"):
        if rec.data.get("lot_serial_checked") is not True:
            yield ctx.finding(
                rec,
                field="/lot_serial_checked",
                message=f"{where(rec)}: lot_serial_checked is {rec.data.get('lot_serial_checked')!r}; expected true.",
            )


RULES = [
    inspection_item_missing,
    na_unjustified,
    failed_item_released,
    release_missing,
    signature_missing,
    pre_use_check_missing,
    order,
    inspector_is_creator,
    reader_sample_missing,
    date_format,
    expiry_udi_mismatch,
    lot_udi_mismatch,
    lot_check_missing,
]


@hookimpl
def evidence_kit_rules() -> list[FunctionRule]:
    """Register the labeling rules."""
    return RULES
