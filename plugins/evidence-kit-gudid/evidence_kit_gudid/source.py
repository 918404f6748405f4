"""GUDID device identification → one ``device_master`` record per device.

Two shapes of the same data: the GUDID release XML (namespace ``http://www.fda.gov/cdrh/gudid``)
and the NLM AccessGUDID API's JSON (``devices/lookup`` and ``devices/history`` responses). Both use
GUDID's element names, so one builder serves both.
"""

from __future__ import annotations

import importlib
import json
import re
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from evidence_kit import Finding, Record, Severity, SourceContext
from evidence_kit_gudid import __version__

if TYPE_CHECKING:
    from lxml import etree

__all__ = ["NS", "AccessGudidJsonSource", "GudidXmlSource", "XmlRefused", "parse_xml", "xml_parser"]

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
    from lxml import etree  # imported when a GUDID XML file is first read

    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def _parse_xml(data: bytes) -> etree._ElementTree:
    """Parse untrusted XML, refusing any DOCTYPE or entity declaration (GUDID XML has none)."""
    m = _DOCTYPE.search(data[:65536])
    if m:
        line = data.count(b"\n", 0, m.start()) + 1
        raise XmlRefused("DOCTYPE or entity declarations are not allowed (entity expansion, external entities)", line)
    from lxml import etree

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
            yield from _build(_xml_fields(el), _xml_identifiers(el), ctx, el.sourceline, "/device")


class AccessGudidJsonSource:
    """Reads AccessGUDID API JSON: a ``devices/lookup`` response, or the newest version in a ``devices/history`` one.

    It claims a ``.json`` file only when its first 4 KiB hold ``"publicDeviceRecordKey"`` and a
    ``"gudid"`` or ``"history"`` key. ``parse_udi`` responses hold no device record and are not claimed.
    """

    name = "accessgudid-json"
    version = __version__

    def detect(self, path: PurePosixPath, head: bytes) -> bool:
        """Claim AccessGUDID lookup and history responses."""
        return (
            path.suffix.lower() == ".json"
            and b'"publicDeviceRecordKey"' in head
            and (b'"gudid"' in head or b'"history"' in head)
        )

    def read(self, path: Path, ctx: SourceContext) -> Iterator[Record | Finding]:
        """Yield the response's device as a device_master record."""
        try:
            doc = json.loads(path.read_bytes().decode("utf-8").removeprefix("\ufeff"))
        except (UnicodeDecodeError, ValueError) as exc:
            yield ctx.finding("ingest.malformed", f"{ctx.file}: not valid UTF-8 JSON: {exc}; the file was not read.")
            return
        device, where = None, ""
        if isinstance(doc, dict) and isinstance(doc.get("gudid"), dict):
            device, where = doc["gudid"].get("device"), "/gudid/device"
        elif isinstance(doc, dict) and isinstance(doc.get("history"), dict):
            versions = {
                k: v for k, v in doc["history"].items() if isinstance(v, dict) and isinstance(v.get("xml"), str)
            }
            newest = max(versions, key=lambda k: int(k) if k.isdigit() else -1, default=None)
            if newest is not None:  # each version carries the GUDID XML of that version as a string
                yield from _history_version(versions[newest]["xml"], ctx, f"/history/{newest}/xml")
                return
        if not isinstance(device, dict):
            yield ctx.finding(
                "ingest.malformed",
                f"{ctx.file}: an AccessGUDID response without a device record (expected gudid.device or history).",
            )
            return
        raw = device.get("identifiers")
        idents = raw.get("identifier") if isinstance(raw, dict) else None
        if isinstance(idents, dict):  # a single identifier is not wrapped in a list
            idents = [idents]
        yield from _build(device, [i for i in idents or () if isinstance(i, dict)], ctx, 1, where)


def _history_version(xml: str, ctx: SourceContext, where: str) -> Iterator[Record | Finding]:
    try:
        root = parse_xml(xml.encode("utf-8")).getroot()
    except ValueError as exc:
        yield ctx.finding("ingest.malformed", f"{ctx.file}: the XML at {where} is refused: {exc}.", path=where)
        return
    for el in [root] if root.tag == _q("device") else list(root.iter(_q("device"))):
        yield from _build(_xml_fields(el), _xml_identifiers(el), ctx, 1, where)


def _xml_fields(el: etree._Element) -> dict[str, object]:
    """The device's simple fields by GUDID element name; ``xsi:nil`` and empty elements are None."""
    return {child.tag.rpartition("}")[2]: _text(child) for child in el if isinstance(child.tag, str)}


def _xml_identifiers(el: etree._Element) -> list[dict[str, Any]]:
    return [
        {**{c.tag.rpartition("}")[2]: _text(c) for c in ident if isinstance(c.tag, str)}, "line": ident.sourceline}
        for ident in el.iterfind(f"{_q('identifiers')}/{_q('identifier')}")
    ]


def _as_text(value: object) -> str | None:
    if value is None or isinstance(value, (dict, list)):
        return None
    text = str(value).strip()
    return text or None


def _as_bool(value: object) -> bool | None:
    if isinstance(value, bool):
        return value
    return {"true": True, "false": False}.get(str(value).strip().lower()) if value is not None else None


def _as_date(value: object) -> str | None:
    text = _as_text(value)  # XML gives 2023-03-15, AccessGUDID JSON 2015-05-08T00:00:00.000Z
    return text[:10] if text and re.match(r"\d{4}-\d{2}-\d{2}(T|$)", text) else None


def _build(
    fields: Mapping[str, object], raw_idents: list[dict[str, Any]], ctx: SourceContext, line: int | None, where: str
) -> Iterator[Record | Finding]:
    """Turn one GUDID device (same element names in the XML and in AccessGUDID JSON) into a device_master."""
    idents: list[dict[str, Any]] = [
        {
            "di": _as_text(i.get("deviceId")),
            "type": _as_text(i.get("deviceIdType")),
            "agency": _as_text(i.get("deviceIdIssuingAgency")),
            "contains": _as_text(i.get("containsDINumber")),
            "quantity": _as_text(i.get("pkgQuantity")),
            "package_type": _as_text(i.get("pkgType")),
            "package_status": _as_text(i.get("pkgStatus")),
            "line": i.get("line") or line,
        }
        for i in raw_idents
    ]
    primary = next((i for i in idents if (i["type"] or "").lower() == "primary" and i["di"]), None)
    key = _as_text(fields.get("publicDeviceRecordKey"))
    if primary is None:
        yield ctx.finding(
            "gudid.no-primary-di",
            f"{ctx.file}:{line}: GUDID device record {key or '(no record key)'} has no Primary DI; it was not read.",
            line=line,
            path=f"{where}[publicDeviceRecordKey='{key}']",
            cites=_CITES,
        )
        return
    rid = f"GUDID-{primary['di']}"
    yield from _check_chains(idents, str(primary["di"]), rid, ctx, where)
    data = {
        "id": rid,
        "di": primary["di"],
        "issuing_agency": primary["agency"] if primary["agency"] in ("GS1", "HIBCC", "ICCBBA") else None,
        "device_name": _as_text(fields.get("brandName")),
        "version_model": _as_text(fields.get("versionModelNumber")),
        "catalog_number": _as_text(fields.get("catalogNumber")),
        "company_name": _as_text(fields.get("companyName")),
        "duns_number": _as_text(fields.get("dunsNumber")),
        "description": _as_text(fields.get("deviceDescription")),
        "lot_controlled": _as_bool(fields.get("lotBatch")),
        "serial_controlled": _as_bool(fields.get("serialNumber")),
        "expiration_date_controlled": _as_bool(fields.get("expirationDate")),
        "manufacturing_date_controlled": _as_bool(fields.get("manufacturingDate")),
        "gudid_published": _as_date(fields.get("devicePublishDate")),
        "marketing_ended": _as_date(fields.get("deviceCommDistributionEndDate")),
        "distribution_status": _as_text(fields.get("deviceCommDistributionStatus")),
        "external_source": "FDA GUDID",
        "public_record_key": key,
        "public_version": _as_text(fields.get("publicVersionNumber")),
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
        path=f"{where}[deviceId='{primary['di']}']",
    )


def _check_chains(
    idents: list[dict[str, Any]], primary: str, rid: str, ctx: SourceContext, where: str
) -> Iterator[Finding]:
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
            path=f"{where}[deviceId='{primary}']/identifiers/identifier[deviceId='{ident['di']}']",
            cites=_CITES,
            hint="Correct containsDINumber in GUDID so each package DI leads to the primary DI.",
        )
