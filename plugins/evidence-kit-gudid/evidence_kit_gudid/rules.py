"""Every UDI in the bundle, checked against the GUDID extract in the bundle (21 CFR 830; 801.20; 801.40).

The rules read the ``udi`` field of every record except the device masters. They say nothing when
the bundle holds no GUDID extract: there is nothing to check against.

They complement the built-in ``udi.*`` rules, which check the UDIs of complaints, servicing, label
inspections, corrections and device records against *any* device master by primary DI
(``udi.di-not-in-master``, ``udi.pi-missing``). The GUDID rules add what those cannot see, and stay
silent where those already report, so no defect is reported twice:

* brand and version/model against GUDID (``gudid.brand-mismatch``, ``gudid.model-mismatch``);
* UDIs carrying a *package* DI, resolved through GUDID's ``containsDINumber`` chain, and UDIs on
  MDR records (``gudid.pi-missing``, ``gudid.di-unknown``);
* DIs the firm's own device master knows but GUDID does not: a device never published to GUDID
  (``gudid.di-unknown``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from evidence_kit import Finding, Record, RecordSet, RuleContext, Severity, rule
from evidence_kit_gudid.udi import ParsedUdi, parse_udi

__all__ = ["RULES", "GudidIndex"]

#: The sources whose device_master records are GUDID's.
SOURCES = frozenset({"gudid-xml", "accessgudid-json"})
#: The record types whose UDIs the built-in ``udi.*`` rules check against the device master.
CORE_UDI_TYPES = frozenset({"complaint", "servicing", "label_inspection", "correction_removal", "device_record"})
#: The record types that carry a ``udi`` (plus the GUDID records they are checked against).
_TYPES = frozenset(
    {"device_master", "complaint", "device_record", "servicing", "label_inspection", "correction_removal", "mdr_report"}
)
_PI_FIELDS = {
    "lot": "lot_controlled",
    "serial": "serial_controlled",
    "expiry": "expiration_date_controlled",
    "manufacture_date": "manufacturing_date_controlled",
}
_PI_WORDS = {"lot": "lot or batch (AI 10)", "serial": "serial number (AI 21)", "expiry": "expiry date (AI 17)"}
_PI_WORDS["manufacture_date"] = "manufacture date (AI 11)"


@dataclass(frozen=True)
class GudidIndex:
    """The GUDID records of a bundle by DI: each primary DI, and each package DI, to its device record."""

    by_di: dict[str, Record]

    @classmethod
    def of(cls, records: RecordSet) -> GudidIndex:
        """Index the device_master records read by the GUDID source."""
        by_di: dict[str, Record] = {}
        for r in records.of_type("device_master"):
            if r.source not in SOURCES:
                continue
            by_di.setdefault(str(r.data.get("di")), r)
            pkgs = r.data.get("package_dis")
            for pkg in pkgs if isinstance(pkgs, list) else ():
                if hasattr(pkg, "get") and pkg.get("di"):
                    by_di.setdefault(str(pkg["di"]), r)
        return cls(by_di)


def _master_dis(records: RecordSet) -> set[str]:
    """The primary DIs of every device master (GUDID's and the firm's), GTINs padded to 14 digits."""
    return {_gtin(str(r.data.get("di"))) for r in records.of_type("device_master") if r.data.get("di")}


def _gtin(di: str) -> str:
    return di.zfill(14) if di.isdigit() and len(di) in (8, 12, 13) else di


def _core_checks(r: Record, di: str, master_dis: set[str]) -> bool:
    """True when the built-in udi.* rules already check this UDI against a device master by primary DI."""
    return r.type in CORE_UDI_TYPES and _gtin(di) in master_dis


def _udis(records: RecordSet) -> list[tuple[Record, str, ParsedUdi | None]]:
    """Every ``(record, UDI, parsed)`` but device masters', parsed once per record set (four rules read them)."""
    return records.derived(_parse_udis)


def _parse_udis(records: RecordSet) -> list[tuple[Record, str, ParsedUdi | None]]:
    return [
        (r, udi, parse_udi(udi))
        for r in records
        if r.type != "device_master" and isinstance(udi := r.data.get("udi"), str) and udi.strip()
    ]


def _norm(text: object) -> str:
    return re.sub(r"[^0-9A-Z]+", " ", str(text).upper()).strip()


def _where(r: Record) -> str:
    line = f":{r.location.line}" if r.location.line else ""
    return f"{r.type} {r.id} ({r.location.file}{line})"


@rule(
    "gudid.di-unknown",
    title="The UDI's device identifier is not in GUDID",
    cites=("21 CFR 830.300", "21 CFR 801.20"),
    hint="Correct the UDI, or publish (or fix) the device's record in GUDID and refresh the GUDID extract.",
    record_types=_TYPES,
    severity=Severity.WARNING,
)
def di_unknown(records: RecordSet, ctx: RuleContext) -> Iterator[Finding]:
    """A UDI's DI must be a primary or package DI in the GUDID extract.

    Not reported where the built-in ``udi.di-not-in-master`` already reports it (a complaint's,
    servicing record's … DI that no device master knows); reported for MDR records, and for DIs the
    firm's own device master knows but GUDID does not.
    """
    index = records.derived(GudidIndex.of)
    if not index.by_di:
        return
    master_dis = _master_dis(records)
    for r, udi, parsed in _udis(records):
        if parsed is None or parsed.di is None or parsed.di in index.by_di:
            continue
        known = _gtin(parsed.di) in master_dis
        if r.type in CORE_UDI_TYPES and not known:
            continue  # udi.di-not-in-master reports it
        why = (
            "the firm's device master lists it, so it seems never to have been published to GUDID"
            if known
            else "no device master in the bundle lists it either"
        )
        yield ctx.finding(
            r,
            field="/udi",
            message=f"{_where(r)}: the DI {parsed.di} of UDI {udi} is not in the GUDID extract "
            f"({len(index.by_di)} primary and package DIs); {why}.",
        )


@rule(
    "gudid.brand-mismatch",
    title="The record's device name does not carry the GUDID brand name",
    cites=("21 CFR 830.310(b)", "21 CFR 820.35(a)(1)"),
    hint="Use the brand name as published in GUDID, or correct the UDI.",
    record_types=_TYPES,
    severity=Severity.WARNING,
)
def brand_mismatch(records: RecordSet, ctx: RuleContext) -> Iterator[Finding]:
    """Where a record names its device, the name must contain GUDID's brand name for the UDI's DI."""
    index = records.derived(GudidIndex.of)
    if not index.by_di:
        return  # no GUDID extract in the bundle
    for r, _udi, parsed in _udis(records):
        gudid = index.by_di.get(parsed.di or "") if parsed else None
        name, brand = r.data.get("device_name"), gudid.data.get("device_name") if gudid else None
        if gudid is None or not isinstance(name, str) or not brand:
            continue
        if _norm(brand) not in _norm(name):
            yield ctx.finding(
                r,
                field="/device_name",
                message=f"{_where(r)}: device_name {name!r} does not contain the brand name {brand!r} that GUDID "
                f"gives for DI {parsed.di if parsed else ''} ({gudid.location.file}:{gudid.location.line}).",
            )


@rule(
    "gudid.model-mismatch",
    title="The record's version or model differs from GUDID's",
    cites=("21 CFR 830.310(b)",),
    hint="Use the version or model number as published in GUDID, or correct the UDI.",
    record_types=_TYPES,
    severity=Severity.WARNING,
)
def model_mismatch(records: RecordSet, ctx: RuleContext) -> Iterator[Finding]:
    """Where a record gives a version or model (``version_model`` or ``model``), it must equal GUDID's."""
    index = records.derived(GudidIndex.of)
    if not index.by_di:
        return  # no GUDID extract in the bundle
    for r, _udi, parsed in _udis(records):
        gudid = index.by_di.get(parsed.di or "") if parsed else None
        key = next((k for k in ("version_model", "model") if isinstance(r.data.get(k), str)), None)
        expected = gudid.data.get("version_model") if gudid else None
        if gudid is None or key is None or not expected:
            continue
        if _norm(r.data[key]) != _norm(expected):
            yield ctx.finding(
                r,
                field=f"/{key}",
                message=f"{_where(r)}: {key} {r.data[key]!r} differs from the version/model {expected!r} that GUDID "
                f"gives for DI {parsed.di if parsed else ''} ({gudid.location.file}:{gudid.location.line}).",
            )


@rule(
    "gudid.pi-missing",
    title="The UDI lacks a production identifier that GUDID says the label carries",
    cites=("21 CFR 801.40(b)", "21 CFR 830.310"),
    hint="Record the full UDI as printed on the label, production identifiers included.",
    record_types=_TYPES,
    severity=Severity.WARNING,
)
def pi_missing(records: RecordSet, ctx: RuleContext) -> Iterator[Finding]:
    """Where GUDID says the PI carries a lot, serial, expiry or manufacture date, the UDI must carry it.

    Not reported where the built-in ``udi.pi-missing`` already checks the UDI against a device master
    by its primary DI; reported for package-DI UDIs and for MDR records.
    """
    index = records.derived(GudidIndex.of)
    if not index.by_di:
        return  # no GUDID extract in the bundle
    master_dis = _master_dis(records)
    for r, udi, parsed in _udis(records):
        gudid = index.by_di.get(parsed.di or "") if parsed else None
        if gudid is None or parsed is None or parsed.di is None or _core_checks(r, parsed.di, master_dis):
            continue
        missing = [pi for pi, flag in _PI_FIELDS.items() if gudid.data.get(flag) is True and pi not in parsed.pi]
        if missing:
            words = ", ".join(_PI_WORDS[m] for m in missing)
            via = "" if parsed.di == gudid.data.get("di") else f" (package DI of {gudid.data.get('di')})"
            yield ctx.finding(
                r,
                field="/udi",
                message=f"{_where(r)}: UDI {udi} has no {words}, but GUDID says the production identifier of DI "
                f"{parsed.di}{via} carries it ({gudid.location.file}:{gudid.location.line}).",
            )


RULES = (di_unknown, brand_mismatch, model_mismatch, pi_missing)
