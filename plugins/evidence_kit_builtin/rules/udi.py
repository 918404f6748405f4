"""UDI rules: issuing-agency syntax, check characters, dates, the device master, and UDIs on device records.

Every ``udi`` field of every record type is parsed (see :mod:`evidence_kit_builtin.udi_format`), as is the
``di`` of each device_master record.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

from evidence_kit import Finding, Record, RecordSet, RuleContext, Severity, hookimpl, rule
from evidence_kit.contracts import FunctionRule
from evidence_kit_builtin.rules._util import blank, get, parse_when, seq, where
from evidence_kit_builtin.udi_format import ParsedUDI, parse_udi

_UDI_TYPES = frozenset({"complaint", "servicing", "label_inspection", "correction_removal", "device_record"})
_GS1 = "GS1 General Specifications"
_HIBC = "HIBC Supplier Labeling Standard"


def _udis(records: RecordSet, today: dt.date) -> Iterator[tuple[Record, str, ParsedUDI]]:
    """Yield ``(record, pointer, parsed)`` for every UDI in the bundle (and each device master DI)."""
    for rec in records.of_type(*_UDI_TYPES):
        value = rec.data.get("udi")
        if isinstance(value, str) and value.strip():
            yield rec, "/udi", parse_udi(value, today)
    for rec in records.of_type("device_master"):
        value = rec.data.get("di")
        if isinstance(value, str) and value.strip():
            yield rec, "/di", parse_udi(value, today)


def _parsed_udis(records: RecordSet, today: dt.date) -> list[tuple[Record, str, ParsedUDI]]:
    """Return :func:`_udis` as a list, for :meth:`RecordSet.derived` (the cross-record UDI rules share it)."""
    return list(_udis(records, today))


def normalise_di(di: str) -> str:
    """Return a DI in comparable form: GTINs padded to 14 digits, HIBCC without ``+`` and check character."""
    text = di.strip()
    if re.fullmatch(r"\d{8}|\d{12,14}", text):
        return text.zfill(14)
    return text.lstrip("+")


def _problem_rule(
    code: str, title: str, kinds: tuple[str, ...], cites: tuple[str, ...], hint: str, agency: str | None = None
) -> FunctionRule:
    def check(records: RecordSet, ctx: RuleContext) -> Iterator[Finding]:
        for rec, ptr, parsed in _udis(records, ctx.now.date()):
            if agency is not None and parsed.agency != agency:
                continue
            for p in parsed.problems:
                if p.kind in kinds and not (ptr == "/di" and p.kind == "missing-di"):
                    yield ctx.finding(
                        rec, field=ptr, message=f"{where(rec)}: {ptr.strip('/')} {parsed.text!r}: {p.message}."
                    )

    check.__doc__ = f"{title}."
    return rule(code, title=title, cites=cites, hint=hint, record_types=_UDI_TYPES | {"device_master"}, scope="record")(
        check
    )


syntax = _problem_rule(
    "udi.syntax",
    "UDI does not follow its issuing agency's format",
    ("syntax", "charset", "missing-di"),
    ("21 CFR 830.20", "21 CFR 801.40", _GS1, _HIBC, "ISBT 128 Standard"),
    "Re-export the UDI exactly as printed, with its AIs in brackets (GS1) or its flags (HIBCC).",
)
gs1_check_digit = _problem_rule(
    "udi.gs1-check-digit",
    "GTIN check digit is wrong",
    ("check",),
    ("21 CFR 830.20", f"{_GS1} 7.9.1"),
    "Correct the GTIN; the last digit is the mod-10 check digit of the first 13.",
    agency="GS1",
)
hibcc_check_character = _problem_rule(
    "udi.hibcc-check-character",
    "HIBCC check or link character is wrong",
    ("check",),
    ("21 CFR 830.20", _HIBC),
    "Correct the code; the last character is the mod-43 check character over all others.",
    agency="HIBCC",
)
date_invalid = _problem_rule(
    "udi.date-invalid",
    "UDI date is not a valid date",
    ("date",),
    ("21 CFR 801.40", _GS1, _HIBC),
    "GS1 dates are YYMMDD (day 00 = end of month); HIBCC dates follow their format flag.",
)
ai_conflict = _problem_rule(
    "udi.ai-conflict",
    "GS1 AI repeated with a different value",
    ("conflict",),
    (_GS1,),
    "Each AI appears once, or repeats with the same value.",
    agency="GS1",
)
manufacture_after_expiry = _problem_rule(
    "udi.manufacture-after-expiry",
    "UDI manufacture date AI(11) is after its expiry date AI(17)",
    ("order",),
    ("21 CFR 801.40", _GS1),
    "Correct the dates encoded in the UDI.",
)


def _master(records: RecordSet) -> dict[str, Record]:
    out: dict[str, Record] = {}
    for rec in records.of_type("device_master"):
        dis = [rec.data.get("di")] + [p.get("di") for p in seq(rec.data.get("package_dis")) if hasattr(p, "get")]
        for di in dis:  # a case label's package DI resolves to the device it contains
            if isinstance(di, str) and di.strip():
                out.setdefault(normalise_di(di), rec)
    return out


def _in_master(parsed: ParsedUDI, master: dict[str, Record]) -> Record | None:
    if parsed.di is None:
        return None
    key = normalise_di(parsed.di)
    return master.get(key) or (master.get(key[:-1]) if parsed.agency == "HIBCC" else None)


@rule(
    "udi.di-not-in-master",
    title="UDI's device identifier is not in the bundle's device master",
    cites=("21 CFR 830.300", "21 CFR 820.10(b)(1)", "ISO 13485:2016 7.5.8"),
    hint="Add the DI to the device master / GUDID extract, or correct the UDI.",
    record_types=_UDI_TYPES | {"device_master"},
    severity=Severity.WARNING,
    options={"skip_without_master": True},
    options_schema={"type": "object", "properties": {"skip_without_master": {"type": "boolean"}}},
)
def di_not_in_master(records: RecordSet, ctx: RuleContext) -> Iterator[Finding]:
    """GS1-04: every UDI's DI is a device_master DI (skipped when the bundle has no device master, by default)."""
    master = records.derived(_master)
    if not master and ctx.options.get("skip_without_master", True):
        return
    for rec, ptr, parsed in records.derived(_parsed_udis, ctx.now.date()):
        if ptr == "/udi" and parsed.di is not None and _in_master(parsed, master) is None:
            yield ctx.finding(
                rec,
                field=ptr,
                message=f"{where(rec)}: the DI {parsed.di} of UDI {parsed.text!r} is not among the "
                f"{len(master)} device_master DIs.",
            )


@rule(
    "udi.pi-missing",
    title="UDI lacks a production identifier the device master requires",
    cites=("21 CFR 801.40(b)", "21 CFR 830.310"),
    hint="Encode the lot, serial, expiry or manufacture date the device is controlled by.",
    record_types=_UDI_TYPES | {"device_master"},
    severity=Severity.WARNING,
)
def pi_missing(records: RecordSet, ctx: RuleContext) -> Iterator[Finding]:
    """GS1-06: a PI element is missing where the master's *_controlled flag is true."""
    master = records.derived(_master)
    if not master:
        return  # no device master says which production identifiers are controlled
    for rec, ptr, parsed in records.derived(_parsed_udis, ctx.now.date()):
        entry = _in_master(parsed, master) if ptr == "/udi" else None
        if entry is None:
            continue
        for flag, value, name in (
            ("lot_controlled", parsed.lot, "lot"),
            ("serial_controlled", parsed.serial, "serial number"),
            ("expiration_date_controlled", parsed.expiry, "expiry date"),
            ("manufacturing_date_controlled", parsed.manufactured, "manufacture date"),
        ):
            if entry.data.get(flag) is True and value is None:
                yield ctx.finding(
                    rec,
                    field=ptr,
                    message=f"{where(rec)}: UDI {parsed.text!r} has no {name}, but {where(entry)} sets {flag}.",
                )


def _released(rec: Record) -> bool:
    return rec.data.get("in_commercial_distribution") is True or not blank(get(rec.data, "/release/at"))


@rule(
    "udi.not-recorded",
    scope="record",
    title="Device or batch record in distribution has no UDI",
    cites=("21 CFR 820.35(c)", "ISO 13485:2016 7.5.1", "ISO 13485:2016 7.5.8"),
    hint="Record the UDI (DI + PI) of each device or batch released for distribution.",
    record_types={"device_record"},
)
def not_recorded(records: RecordSet, ctx: RuleContext) -> Iterator[Finding]:
    """UDI-REC-01: a released device_record carries a udi."""
    for rec in records.of_type("device_record"):
        if _released(rec) and blank(rec.data.get("udi")):
            yield ctx.finding(
                rec, field="/udi", message=f"{where(rec)} is released for distribution but records no udi."
            )


@rule(
    "udi.record-mismatch",
    scope="record",
    title="UDI on the device record disagrees with the record's DI or lot",
    cites=("21 CFR 820.35(c)", "21 CFR 820.45(a)(1)", "ISO 13485:2016 7.5.8"),
    hint="The UDI's DI must be the product's DI and its lot (AI 10) the batch record's lot.",
    record_types={"device_record"},
)
def record_mismatch(records: RecordSet, ctx: RuleContext) -> Iterator[Finding]:
    """UDI-REC-01 / LBL-15: UDI DI == record di, UDI lot == record lot, where both are given."""
    for rec in records.of_type("device_record"):
        value = rec.data.get("udi")
        if not isinstance(value, str) or not value.strip():
            continue
        parsed = parse_udi(value, ctx.now.date())
        di, lot = rec.data.get("di"), rec.data.get("lot")
        if isinstance(di, str) and parsed.di and normalise_di(di) != normalise_di(parsed.di):
            yield ctx.finding(
                rec, field="/udi", message=f"{where(rec)}: UDI DI {parsed.di} differs from the record's di {di}."
            )
        if isinstance(lot, str) and parsed.lot is not None and parsed.lot != lot:
            yield ctx.finding(
                rec,
                field="/udi",
                message=f"{where(rec)}: UDI lot {parsed.lot!r} differs from the record's lot {lot!r}.",
            )


@rule(
    "udi.release-outside-shelf-life",
    scope="record",
    title="Lot released before its UDI manufacture date or on/after its UDI expiry",
    cites=("21 CFR 801.40", "ISO 13485:2016 7.5.1"),
    hint="Check the release date and the dates encoded in the UDI.",
    record_types={"device_record"},
)
def release_outside_shelf_life(records: RecordSet, ctx: RuleContext) -> Iterator[Finding]:
    """DT-19: AI(11) <= release < AI(17)."""
    for rec in records.of_type("device_record"):
        released = parse_when(get(rec.data, "/release/at"))
        value = rec.data.get("udi")
        if released is None or not isinstance(value, str):
            continue
        parsed, day = parse_udi(value, ctx.now.date()), released.date()
        if parsed.manufactured and day < parsed.manufactured:
            yield ctx.finding(
                rec,
                field="/release/at",
                message=f"{where(rec)}: released {day}, before the UDI manufacture date {parsed.manufactured}.",
            )
        if parsed.expiry and day >= parsed.expiry:
            yield ctx.finding(
                rec,
                field="/release/at",
                message=f"{where(rec)}: released {day}, on or after the UDI expiry {parsed.expiry}.",
            )


@rule(
    "udi.short-shelf-life",
    scope="record",
    title="Lot released with less remaining shelf life than the firm's minimum",
    cites=("ISO 13485:2016 7.5.1",),
    hint="Review release of short-dated product, or lower this rule's min_days if the firm allows it.",
    record_types={"device_record"},
    severity=Severity.WARNING,
    options={"min_days": 90},
    options_schema={"type": "object", "properties": {"min_days": {"type": "integer", "minimum": 0}}},
)
def short_shelf_life(records: RecordSet, ctx: RuleContext) -> Iterator[Finding]:
    """DT-19: AI(17) - release >= min_days (a firm setting)."""
    min_days = int(ctx.options.get("min_days", 90))
    for rec in records.of_type("device_record"):
        released = parse_when(get(rec.data, "/release/at"))
        value = rec.data.get("udi")
        if released is None or not isinstance(value, str):
            continue
        parsed = parse_udi(value, ctx.now.date())
        if parsed.expiry and 0 < (parsed.expiry - released.date()).days < min_days:
            yield ctx.finding(
                rec,
                field="/release/at",
                message=f"{where(rec)}: released {released.date()} with {(parsed.expiry - released.date()).days} days "
                f"of shelf life left (UDI expiry {parsed.expiry}); the firm's minimum is {min_days}.",
            )


RULES = [
    syntax,
    gs1_check_digit,
    hibcc_check_character,
    date_invalid,
    ai_conflict,
    manufacture_after_expiry,
    di_not_in_master,
    pi_missing,
    not_recorded,
    record_mismatch,
    release_outside_shelf_life,
    short_shelf_life,
]


@hookimpl
def evidence_kit_rules() -> list[FunctionRule]:
    """Register the UDI rules."""
    return RULES
