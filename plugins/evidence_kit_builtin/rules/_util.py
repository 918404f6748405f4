"""Small helpers the built-in rule packs share: field access, date parsing, clocks and messages."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from functools import cache, lru_cache
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    import holidays

from evidence_kit import Record, RecordSet

#: ``isinstance(value, MAPPING)`` is ``isinstance(value, Mapping)``, but a dict or a record's read-only data
#: is recognised by its type at once instead of through the ABC's subclass hook (2-8x faster in hot loops)
MAPPING: Final = (dict, MappingProxyType, Mapping)
_CONTAINERS: Final = (list, *MAPPING)

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$")


@lru_cache(maxsize=4096)
def _steps(pointer: str) -> tuple[str, ...]:
    return tuple(p.replace("~1", "/").replace("~0", "~") for p in pointer.strip("/").split("/") if p)


def get(data: Mapping[str, Any], pointer: str) -> Any:
    """Return the value at JSON Pointer ``pointer`` in ``data``, or None when any step is missing."""
    value: Any = data
    for key in _steps(pointer):
        if isinstance(value, MAPPING):
            value = value.get(key)
        elif isinstance(value, list) and key.isdigit() and int(key) < len(value):
            value = value[int(key)]
        else:
            return None
        if value is None:
            return None
    return value


def blank(value: Any) -> bool:
    """Return True for None, empty or whitespace-only strings, and empty lists or objects."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, _CONTAINERS):
        return len(value) == 0
    return False


def is_explicit_none(value: Any) -> bool:
    """Return True for ``{"none": true, "reason": "…"}`` with a non-blank reason."""
    return isinstance(value, MAPPING) and value.get("none") is True and not blank(value.get("reason"))


def where(rec: Record) -> str:
    """Return ``<type> <id> (<file>[:line])`` for messages."""
    loc = rec.location
    place = f"{loc.file}:{loc.line}" if loc.line else loc.file
    return f"{rec.type} {rec.id} ({place})"


def parse_when(value: Any) -> dt.datetime | None:
    """Parse an ISO 8601 date or date-time into an aware UTC datetime; None when not parseable.

    A date becomes midnight UTC; a date-time without a zone is taken as UTC (the zone rule warns about it).
    """
    return _parse_when(value) if isinstance(value, str) else None


@lru_cache(maxsize=1 << 16)  # many rules parse the same dates; datetimes are immutable
def _parse_when(value: str) -> dt.datetime | None:
    text = value.strip()
    try:
        if _DATE.match(text):
            d = dt.date.fromisoformat(text)
            return dt.datetime(d.year, d.month, d.day, tzinfo=dt.UTC)
        if _DATETIME.match(text):
            parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
            if parsed.tzinfo is None:
                parsed = parsed.replace(tzinfo=dt.UTC)
            return parsed.astimezone(dt.UTC)
    except ValueError:
        return None
    return None


def parse_day(value: Any) -> dt.date | None:
    """Return the calendar date of an ISO date or date-time as written (its own zone), or None."""
    return _parse_day(value) if isinstance(value, str) else None


@lru_cache(maxsize=1 << 16)
def _parse_day(value: str) -> dt.date | None:
    text = value.strip()
    if len(text) >= 10 and _DATE.match(text[:10]) and (len(text) == 10 or _DATETIME.match(text)):
        try:
            return dt.date.fromisoformat(text[:10])
        except ValueError:
            return None
    return None


def has_zone(value: str) -> bool:
    """Return True when a date-time string carries ``Z`` or a UTC offset."""
    text = value.strip()
    return len(text) > 10 and bool(re.search(r"(Z|[+-]\d{2}:?\d{2})$", text))


@cache
def _us_holidays(year: int) -> holidays.HolidayBase:
    import holidays  # imported on first use: ~0.2 s, and most runs never count work days

    return holidays.country_holidays("US", years=year)


def is_work_day(day: dt.date) -> bool:
    """Return True for Monday–Friday that is not a US federal holiday (21 CFR 803.3 work day)."""
    return day.weekday() < 5 and day not in _us_holidays(day.year)


def add_work_days(start: dt.date, days: int) -> dt.date:
    """Return the date ``days`` work days after ``start``; the day after ``start`` is the first counted."""
    current = start
    counted = 0
    while counted < days:
        current += dt.timedelta(days=1)
        if is_work_day(current):
            counted += 1
    return current


def pairs_in_order(
    rec: Record, chain: Iterable[tuple[str, str]]
) -> Iterator[tuple[str, str, str, str, dt.datetime, dt.datetime]]:
    """Yield ``(earlier_ptr, earlier_name, later_ptr, later_name, a, b)`` for each out-of-order pair.

    ``chain`` lists ``(pointer, name)`` in the order the dates must hold; missing dates are skipped, and
    each date is compared with the nearest earlier date that is present.
    """
    previous: tuple[str, str, dt.datetime] | None = None
    for ptr, name in chain:
        value = get(rec.data, ptr)
        when = parse_when(value)
        if when is None:
            continue
        if previous is not None and when < previous[2]:
            yield previous[0], previous[1], ptr, name, previous[2], when
        if previous is None or when >= previous[2]:
            previous = (ptr, name, when)


def show(value: Any) -> str:
    """Return a short printable form of a found value."""
    text = repr(value)
    return text if len(text) <= 60 else text[:59] + "…"


def seq(value: Any) -> Sequence[Any]:
    """Return ``value`` when it is a list, else an empty tuple (a malformed list is the schema check's finding)."""
    return value if isinstance(value, (list, tuple)) else ()


_SIGNATURE_POINTERS: Final = tuple(f"/signatures/{i}" for i in range(16))


def signatures(rec: Record) -> list[tuple[str, Mapping[str, Any]]]:
    """Return ``(pointer, signature)`` for every signature on the record, including an ``approval`` block."""
    data = rec.data
    out: list[tuple[str, Mapping[str, Any]]] = []
    found = data.get("signatures")
    if isinstance(found, (list, tuple)):
        for i, sig in enumerate(found):
            if isinstance(sig, MAPPING):
                out.append((_SIGNATURE_POINTERS[i] if i < 16 else f"/signatures/{i}", sig))
    approval = data.get("approval")
    if isinstance(approval, MAPPING):
        out.append(("/approval", approval))
    return out


# --- CAPA links, resolved once per record set and shared by the complaints and linkage packs ---

#: record types that name CAPAs in a top-level capa_ids list, in the order links are reported
CAPA_LINKERS: Final = ("nonconformance", "drug_deviation", "correction_removal", "complaint")
#: ``(record, pointer, CAPA id, the CAPA record or None)``
CapaLink = tuple[Record, str, str, Record | None]
#: ``(CAPA, index in its triggers, the trigger object, the record it names or None)``
CapaTrigger = tuple[Record, int, Mapping[str, Any], Record | None]


def capa_links(records: RecordSet) -> Mapping[str, list[CapaLink]]:
    """Return every CAPA id a record names, by the naming record's type, each resolved to the CAPA (or None).

    Complaints, nonconformances, drug deviations and corrections name CAPAs in top-level ``capa_ids``
    (pointer ``/capa_ids/i``); internal audits in each finding's ``capa_ids`` (``/findings/i/capa_ids/j``).
    Ids are compared as strings. Computed once per record set and shared by every rule that follows links.
    """
    return records.derived(_capa_links)


def _capa_links(records: RecordSet) -> dict[str, list[CapaLink]]:
    find = records.get
    out: dict[str, list[CapaLink]] = {}
    for kind in CAPA_LINKERS:
        rows: list[CapaLink] = []
        for rec in records.of_type(kind):
            refs = rec.data.get("capa_ids")
            if isinstance(refs, (list, tuple)):
                for i, ref in enumerate(refs):
                    ref = str(ref)
                    rows.append((rec, f"/capa_ids/{i}", ref, find(ref, "capa")))
        out[kind] = rows
    audits: list[CapaLink] = []
    for audit in records.of_type("internal_audit"):
        for i, finding in enumerate(seq(audit.data.get("findings"))):
            if isinstance(finding, MAPPING):
                for j, ref in enumerate(seq(finding.get("capa_ids"))):
                    ref = str(ref)
                    audits.append((audit, f"/findings/{i}/capa_ids/{j}", ref, find(ref, "capa")))
    out["internal_audit"] = audits
    return out


def capa_triggers(records: RecordSet) -> list[CapaTrigger]:
    """Return every trigger object of every CAPA, resolved to the record its ``{type, id}`` names (or None).

    Triggers that are not objects are left out (the schema check reports them). Computed once per record set.
    """
    return records.derived(_capa_triggers)


def _capa_triggers(records: RecordSet) -> list[CapaTrigger]:
    find = records.get
    return [
        (capa, i, t, find(str(t.get("id")), str(t.get("type", ""))))
        for capa in records.of_type("capa")
        for i, t in enumerate(seq(capa.data.get("triggers")))
        if isinstance(t, MAPPING)
    ]
