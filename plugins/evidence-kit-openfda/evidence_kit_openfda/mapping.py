"""openFDA / MAUDE fields → canonical ``mdr_report`` and ``correction_removal`` data.

Each mapper returns the canonical data and the list of date problems found on the way, as
``(JSON Pointer in the source record, field name, raw value, reason)``; the source turns those
into ``openfda.bad-date`` findings. Canonical field names follow docs/record-model.md; fields the
canonical model has no place for (the devices, the MAUDE key, the narrative) are kept under
their own names so the binder and the rules can still show them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from evidence_kit_openfda.dates import parse_fda_date

__all__ = ["DateProblem", "is_device_event", "is_recall", "map_event", "map_recall", "recall_number"]

DateProblem = tuple[str, str, str, str]

#: Keys only a device adverse-event (MAUDE) record carries.
EVENT_KEYS = frozenset({"mdr_report_key", "device_report_product_code", "date_manufacturer_received", "mdr_text"})
#: Keys only a recall or enforcement record carries (API snake_case and RES hyphenated spellings).
RECALL_KEYS = frozenset(
    {
        "product_res_number",
        "res_event_number",
        "recall_number",
        "recall_initiation_date",
        "event_date_initiated",
        "reason_for_recall",
        "recall-number",
        "reason-for-recall",
        "recalling-firm",
    }
)
_RECALL_NO = re.compile(r"\b([A-Z])-(\d{3,5})-(\d{2,4})\b")
_CENTERS = {"Z": "Devices", "F": "Food", "D": "Drugs", "B": "Biologics", "V": "Veterinary"}
_REPORTER = {
    "manufacturer report": "manufacturer",
    "m": "manufacturer",
    "user facility report": "user-facility",
    "u": "user-facility",
    "distributor report": "importer",
    "d": "importer",
}


def is_device_event(obj: object) -> bool:
    """Return True for a MAUDE device adverse-event record (or the docs' ``header`` + ``device`` shape)."""
    if not isinstance(obj, Mapping):
        return False
    header = obj.get("header")
    if isinstance(header, Mapping) and EVENT_KEYS & header.keys():
        return True
    return bool(EVENT_KEYS & obj.keys())


def is_recall(obj: object) -> bool:
    """Return True for a device recall or enforcement record."""
    return isinstance(obj, Mapping) and bool(RECALL_KEYS & obj.keys())


class _Dates:
    def __init__(self) -> None:
        self.problems: list[DateProblem] = []

    def get(self, record: Mapping[str, Any], key: str, pointer: str) -> str | None:
        if key not in record:
            return None
        value = parse_fda_date(record[key])
        if value.error:
            self.problems.append((f"{pointer}/{key}", key, str(record[key]), value.error))
        return value.iso


def _text(value: object) -> str | None:
    if isinstance(value, str) and value.strip() and value.strip() not in ("*", "UNK", "NA", "N/A"):
        return value.strip()
    return None


def _strings(value: object) -> list[str]:
    items = value if isinstance(value, list) else [value]
    return [s.strip() for s in items if isinstance(s, str) and s.strip()]


def _drop_none(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if v is not None and v != [] and v != {}}


def event_id(record: Mapping[str, Any]) -> str | None:
    """Return the record id of a MAUDE event: its report number, else ``MDR-KEY-<mdr_report_key>``."""
    number = _text(record.get("report_number"))
    if number:
        return re.sub(r"[\s/]+", "-", number)
    key = _text(record.get("mdr_report_key"))
    return f"MDR-KEY-{key}" if key else None


def map_event(obj: Mapping[str, Any]) -> tuple[dict[str, Any], list[DateProblem]]:
    """Map one openFDA device event (MAUDE) record to ``mdr_report`` data."""
    header = obj.get("header")
    base = "/header" if isinstance(header, Mapping) else ""
    record: dict[str, Any] = {**obj, **header} if isinstance(header, Mapping) else dict(obj)
    dates = _Dates()
    source = (_text(record.get("report_source_code")) or "").lower()
    reporter = _REPORTER.get(source)
    types = {t.lower() for t in _strings(record.get("type_of_report"))}
    report_type = None
    if reporter in ("user-facility", "importer"):
        report_type = reporter
    elif types and not types & {"initial submission", "i"} and types & {"followup", "f"}:
        report_type = "supplemental"
    aware_key = "date_facility_aware" if reporter == "user-facility" else "date_manufacturer_received"
    devices = []
    raw_devices = record.get("device")
    for i, dev in enumerate(raw_devices if isinstance(raw_devices, list) else ()):
        if not isinstance(dev, Mapping):
            continue
        pointer = f"/device/{i}"
        devices.append(
            _drop_none(
                {
                    "brand_name": _text(dev.get("brand_name")),
                    "generic_name": _text(dev.get("generic_name")),
                    "model_number": _text(dev.get("model_number")),
                    "catalog_number": _text(dev.get("catalog_number")),
                    "lot_number": _text(dev.get("lot_number")),
                    "udi_di": _text(dev.get("udi_di")),
                    "udi_public": _text(dev.get("udi_public")),
                    "product_code": _text(dev.get("device_report_product_code")),
                    "manufacturer_name": _text(dev.get("manufacturer_d_name")),
                    "expiration_date": dates.get(dev, "expiration_date_of_device", pointer),
                    "returned_to_manufacturer": dates.get(dev, "date_returned_to_manufacturer", pointer),
                }
            )
        )
    keys = ("date_report", "device_date_of_manufacturer", "date_of_event", "date_received")
    # every date field is checked, used or not
    iso = {key: dates.get(record, key, base) for key in (*keys, "date_manufacturer_received", "date_facility_aware")}
    first = devices[0] if devices else {}
    texts = record.get("mdr_text")
    data = _drop_none(
        {
            "id": event_id(record),
            "report_number": _text(record.get("report_number")),
            "reporter_type": reporter,
            "report_type": report_type,
            "event_date": iso["date_of_event"],
            "aware_date": iso[aware_key],
            "submitted_at": iso["date_received"],
            # MAUDE lists only reports FDA has received; date_received is FDA's receipt date.
            "ack": {"received": True, "at": iso["date_received"]} if iso["date_received"] else None,
            "udi": first.get("udi_public"),
            "device_name": first.get("brand_name") or first.get("generic_name"),
            "devices": devices,
            "event_type": _text(record.get("event_type")),
            "manufacturer_name": _text(record.get("manufacturer_name")) or first.get("manufacturer_name"),
            "mdr_report_key": _text(record.get("mdr_report_key")),
            "narrative": [
                t["text"] for t in texts if isinstance(t, Mapping) and isinstance(t.get("text"), str) and t["text"]
            ]
            if isinstance(texts, list)
            else None,
        }
    )
    return data, dates.problems


def recall_number(record: Mapping[str, Any]) -> str | None:
    """Return the recall (806) number: ``product_res_number``, ``recall_number``, or ``Recall # Z-…`` in the text."""
    for key in ("product_res_number", "recall_number", "recall-number"):
        number = _text(record.get(key))
        if number:
            return number
    for key in ("product_description", "product-description"):
        text = record.get(key)
        if isinstance(text, str):
            m = _RECALL_NO.search(text[text.find("Recall #") :] if "Recall #" in text else "")
            if m:
                return m.group(0)
    return None


def _get(record: Mapping[str, Any], *keys: str) -> Any:
    for key in keys:
        for spelling in (key, key.replace("_", "-")):
            if spelling in record:
                return record[spelling]
    return None


def _first_key(record: Mapping[str, Any], keys: Sequence[str]) -> str | None:
    for key in keys:
        for spelling in (key, key.replace("_", "-")):
            if spelling in record:
                return spelling
    return None


def product_type(record: Mapping[str, Any]) -> str | None:
    """Return the product type (``Devices``, ``Food``, ``Drugs`` …) of a recall or enforcement record.

    The recall number's center letter decides when there is one (``Z-`` devices, ``F-`` food, ``D-``
    drugs, ``B-`` biologics, ``V-`` veterinary): FDA's weekly reports file some veterinary recalls
    under ``product-type: Devices``. Otherwise the ``product_type`` field, if any.
    """
    number = recall_number(record)
    if number and number[0] in _CENTERS:
        return _CENTERS[number[0]]
    value = _get(record, "product_type")
    return value.strip() if isinstance(value, str) and value.strip() else None


def map_recall(record: Mapping[str, Any]) -> tuple[dict[str, Any], list[DateProblem]]:
    """Map one openFDA device recall or enforcement record (either key spelling) to ``correction_removal`` data.

    ``risk_to_health`` and ``report_806_submitted`` are left out: the first is the firm's 806.10(a)
    determination, not FDA's recall class (kept as ``classification``), and openFDA does not say when
    the firm's 806 report reached FDA; guessing either would make the Part 806 clock rules report
    defects that are not there.
    """
    dates = _Dates()
    initiated_key = _first_key(record, ("event_date_initiated", "recall_initiation_date"))
    initiated = dates.get(record, initiated_key, "") if initiated_key else None
    posted_key = _first_key(record, ("event_date_posted", "event_date_created", "report_date"))
    posted = dates.get(record, posted_key, "") if posted_key else None
    for key in ("event_date_terminated", "termination_date", "center_classification_date"):
        spelled = _first_key(record, (key,))
        if spelled:
            dates.get(record, spelled, "")
    number = recall_number(record)
    description = _text(_get(record, "product_description"))
    classification = _text(_get(record, "classification"))
    lots = _text(_get(record, "code_info"))
    data = _drop_none(
        {
            "id": re.sub(r"[\s/]+", "-", number) if number else None,
            "report_number": number,
            "device_name": (description or "").split("\n", 1)[0][:200] or None,
            "action_initiated": initiated,
            "posted_date": posted,
            "lots": [lots] if lots else None,
            "classification": classification,
            "recall_status": _text(_get(record, "recall_status", "status")),
            "recalling_firm": _text(_get(record, "recalling_firm")),
            "firm_fei_number": _text(_get(record, "firm_fei_number")),
            "product_code": _text(_get(record, "product_code")),
            "reason_for_recall": _text(_get(record, "reason_for_recall")),
            "root_cause": _text(_get(record, "root_cause_description")),
            "event_number": _text(_get(record, "res_event_number", "event_id")),
        }
    )
    return data, dates.problems
