"""GUDID device-identification XML (the release format) → one ``device_master`` record per device."""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Iterator
from pathlib import Path, PurePosixPath
from typing import Any

from lxml import etree

from evidence_kit import Finding, Record, Severity, SourceContext
from evidence_kit_gudid import __version__

__all__ = ["NS", "GudidXmlSource", "XmlRefused", "parse_xml", "xml_parser"]

NS = "http://www.fda.gov/cdrh/gudid"
XSI_NIL = "{http://www.w3.org/2001/XMLSchema-instance}nil"
_CITES = ("21 CFR 830.310", "21 CFR 830.320")
_DOCTYPE = re.compile(rb"<!DOCTYPE|<!ENTITY", re.IGNORECASE)


class XmlRefused(ValueError):
    """XML refused by policy or malformed; ``line`` is its 1-based line when known."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


def xml_parser() -> etree.XMLParser:
    """Return the hardened lxml parser: no entities, no DTD, no network, no huge trees."""
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def _parse_xml(data: bytes) -> etree._ElementTree:
    """Parse untrusted XML, refusing any DOCTYPE or entity declaration (GUDID XML has none)."""
    m = _DOCTYPE.search(data[:65536])
    if m:
        line = data.count(b"\n", 0, m.start()) + 1
        raise XmlRefused("DOCTYPE or entity declarations are not allowed (entity expansion, external entities)", line)
    try:
        return etree.fromstring(data, xml_parser()).getroottree()
    except etree.XMLSyntaxError as exc:
        raise XmlRefused(f"not well-formed XML: {exc.msg}", exc.lineno or None) from None


def _core_parse_xml() -> Callable[[bytes], etree._ElementTree] | None:
    """Return ``evidence_kit.parsing.parse_xml``, the core's XML policy, when this evidence-kit has it."""
    try:
        module = importlib.import_module("evidence_kit.parsing")
    except ImportError:
        return None
    found: Callable[[bytes], etree._ElementTree] | None = getattr(module, "parse_xml", None)
    return found


#: The core's hardened parser where the installed evidence-kit provides one, else the same policy here.
parse_xml: Callable[[bytes], etree._ElementTree] = _core_parse_xml() or _parse_xml


def _q(name: str) -> str:
    return f"{{{NS}}}{name}"


def _text(el: etree._Element | None) -> str | None:
    if el is None or el.get(XSI_NIL) == "true":
        return None
    value = (el.text or "").strip()
    return value or None


def _bool(el: etree._Element | None) -> bool | None:
    value = _text(el)
    return {"true": True, "false": False}.get(value.lower()) if value else None


def _date(el: etree._Element | None) -> str | None:
    value = _text(el)
    return value if value and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value) else None


class GudidXmlSource:
    """Reads FDA GUDID device XML (namespace ``http://www.fda.gov/cdrh/gudid``) into device_master records.

    It claims a ``.xml`` file only when the GUDID namespace appears in its first 4 KiB.
    """

    name = "gudid-xml"
    version = __version__

    def detect(self, path: PurePosixPath, head: bytes) -> bool:
        """Claim XML files that use the GUDID namespace."""
        return path.suffix.lower() == ".xml" and NS.encode() in head

    def read(self, path: Path, ctx: SourceContext) -> Iterator[Record | Finding]:
        """Yield one device_master per ``<device>``; findings for refused XML and broken package chains."""
        try:
            tree = parse_xml(path.read_bytes())
        except ValueError as exc:  # XmlRefused, the core's or ours: malformed, or refused by policy
            line = getattr(exc, "line", None)
            yield ctx.finding(
                "ingest.malformed",
                f"{ctx.file}{':' + str(line) if line else ''}: {exc}; the file was not read.",
                line=line,
                hint="Use the GUDID XML exactly as FDA releases it.",
            )
            return
        for el in tree.getroot().iter(_q("device")):
            yield from self._device(el, ctx)

    def _device(self, el: etree._Element, ctx: SourceContext) -> Iterator[Record | Finding]:
        line = el.sourceline
        idents = []
        for ident in el.iterfind(f"{_q('identifiers')}/{_q('identifier')}"):
            idents.append(
                {
                    "di": _text(ident.find(_q("deviceId"))),
                    "type": _text(ident.find(_q("deviceIdType"))),
                    "agency": _text(ident.find(_q("deviceIdIssuingAgency"))),
                    "contains": _text(ident.find(_q("containsDINumber"))),
                    "quantity": _text(ident.find(_q("pkgQuantity"))),
                    "package_type": _text(ident.find(_q("pkgType"))),
                    "package_status": _text(ident.find(_q("pkgStatus"))),
                    "line": ident.sourceline,
                }
            )
        primary = next((i for i in idents if (i["type"] or "").lower() == "primary" and i["di"]), None)
        key = _text(el.find(_q("publicDeviceRecordKey")))
        if primary is None:
            yield ctx.finding(
                "gudid.no-primary-di",
                f"{ctx.file}:{line}: GUDID device record {key or '(no record key)'} has no Primary DI; "
                "it was not read.",
                line=line,
                path=f"/devices/device[@publicDeviceRecordKey='{key}']",
                cites=_CITES,
            )
            return
        rid = f"GUDID-{primary['di']}"
        yield from _check_chains(idents, str(primary["di"]), rid, ctx)
        data = {
            "id": rid,
            "di": primary["di"],
            "issuing_agency": primary["agency"] if primary["agency"] in ("GS1", "HIBCC", "ICCBBA") else None,
            "device_name": _text(el.find(_q("brandName"))),
            "version_model": _text(el.find(_q("versionModelNumber"))),
            "catalog_number": _text(el.find(_q("catalogNumber"))),
            "company_name": _text(el.find(_q("companyName"))),
            "duns_number": _text(el.find(_q("dunsNumber"))),
            "description": _text(el.find(_q("deviceDescription"))),
            "lot_controlled": _bool(el.find(_q("lotBatch"))),
            "serial_controlled": _bool(el.find(_q("serialNumber"))),
            "expiration_date_controlled": _bool(el.find(_q("expirationDate"))),
            "manufacturing_date_controlled": _bool(el.find(_q("manufacturingDate"))),
            "gudid_published": _date(el.find(_q("devicePublishDate"))),
            "marketing_ended": _date(el.find(_q("deviceCommDistributionEndDate"))),
            "distribution_status": _text(el.find(_q("deviceCommDistributionStatus"))),
            "public_record_key": key,
            "package_dis": [
                {k: v for k, v in i.items() if v is not None and k not in ("type", "line")}
                for i in idents
                if (i["type"] or "").lower() == "package" and i["di"]
            ],
        }
        yield ctx.record(
            "device_master",
            rid,
            {k: v for k, v in data.items() if v is not None and v != []},
            line=line,
            path=f"/device[deviceId='{primary['di']}']",
        )


def _check_chains(idents: list[dict[str, Any]], primary: str, rid: str, ctx: SourceContext) -> Iterator[Finding]:
    """Follow every package DI's ``containsDINumber`` chain; it must end at the primary DI."""
    contains = {i["di"]: i["contains"] for i in idents if i["di"] and (i["type"] or "").lower() == "package"}
    for ident in idents:
        if ident["di"] not in contains:
            continue
        seen = [ident["di"]]
        current = contains[ident["di"]]
        while current in contains and current not in seen:
            seen.append(current)
            current = contains[current]
        if current == primary:
            continue
        if current in seen:
            problem = f"loops back to {current}"
        elif current is None:
            problem = "names no containsDINumber"
        else:
            problem = (
                f"ends at {current}, which is neither the primary DI {primary} nor another package DI of this device"
            )
        yield ctx.finding(
            "gudid.package-chain",
            f"{ctx.file}:{ident['line']}: package DI {ident['di']} of {rid} does not chain to the primary DI: "
            f"its chain {' → '.join(seen)} {problem}.",
            severity=Severity.WARNING,
            record=rid,
            field="/package_dis",
            line=ident["line"],
            path=f"/device[deviceId='{primary}']/identifiers/identifier[deviceId='{ident['di']}']",
            cites=_CITES,
            hint="Correct containsDINumber in GUDID so each package DI leads to the primary DI.",
        )
