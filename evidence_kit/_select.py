"""Record selection for request binders: ``evidence-kit build BUNDLE --select EXPR``.

Grammar (each ``--select`` takes one ``KEY:VALUE`` term; the key is case-insensitive)::

    id:CMP-2026-0001     record id; shell wildcards allowed (id:CAPA-2026-*)
    type:complaint       record type name
    device:LVP-200       text found (case-insensitive) in a device field: any field whose name contains
                         "device", "udi", "model" or "product", or is "di"/"gtin" — so a UDI-DI such as
                         device:00812345000011 matches the UDI (01)00812345000011(17)…
    lot:L2511            a lot/batch field equal to the value (case-insensitive), or a UDI whose (10) lot is it;
                         a ``document`` (a PDF) whose file name, title or page text names the lot as a word
                         (a certificate of conformance ``A24-1001_certificate_of_conformance.pdf``)
    from:2026-01-01      the record's date (its type's date field) on or after this date
    to:2026-03-31        the record's date on or before this date

Terms with the same key are alternatives (OR); different keys must all hold (AND). ``from``/``to`` may each
appear once and exclude records that carry no date. So ``--select type:complaint --select type:capa
--select from:2026-01-01`` means complaints and CAPAs dated 2026-01-01 or later.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from evidence_kit.errors import ConfigError
from evidence_kit.model import Record

KEYS = ("id", "type", "device", "lot", "from", "to")
DATE_FALLBACKS = ("date", "received_date", "opened_at", "detected_at", "inspected_at", "created_at", "effective_date")
_LOT_IN_UDI = re.compile(r"\(10\)([^()]+)")


def scalars(value: Any, key: str = "") -> Iterator[tuple[str, Any]]:
    """Yield (field name, scalar) for every scalar in a record's data, at any depth."""
    if isinstance(value, Mapping):
        for k, v in value.items():
            yield from scalars(v, str(k))
    elif isinstance(value, list | tuple):
        for v in value:
            yield from scalars(v, key)
    else:
        yield key, value


def is_device_field(name: str) -> bool:
    """Return True for field names that hold a device name, model, UDI or DI."""
    n = name.lower()
    return any(t in n for t in ("device", "udi", "model", "product")) or n in ("di", "gtin")


def is_lot_field(name: str) -> bool:
    """Return True for field names that hold a lot or batch number."""
    n = name.lower()
    return "lot" in n.split("_") or n.startswith("lot") or ("batch" in n and "record" not in n)


def record_date(rec: Record, date_field: str | None) -> str | None:
    """Return the record's date as ``YYYY-MM-DD`` (its type's date field, else a common date field)."""
    for name in (date_field, *DATE_FALLBACKS):
        value = rec.data.get(name) if name else None
        if isinstance(value, str) and re.match(r"\d{4}-\d{2}-\d{2}", value):
            return value[:10]
    return None


@dataclass(frozen=True)
class Selection:
    """A parsed ``--select`` expression: alternatives per key."""

    terms: Mapping[str, tuple[str, ...]]

    def __bool__(self) -> bool:
        return bool(self.terms)

    def describe(self) -> str:
        """Return the selection as the user wrote it, normalised."""
        return " AND ".join(" OR ".join(f"{k}:{v}" for v in vals) for k, vals in self.terms.items())

    def matches(self, rec: Record, date_field: str | None = None) -> bool:
        """Return True when ``rec`` satisfies every key of the selection."""
        return all(_match(key, values, rec, date_field) for key, values in self.terms.items())


def _match(key: str, values: tuple[str, ...], rec: Record, date_field: str | None) -> bool:
    if key == "id":
        return any(fnmatch.fnmatchcase(rec.id, v) for v in values)
    if key == "type":
        return rec.type in values
    if key in ("from", "to"):
        when = record_date(rec, date_field)
        if when is None:
            return False
        return when >= values[0] if key == "from" else when <= values[0]
    wanted = [v.lower() for v in values]
    for name, value in scalars(rec.data):
        if not isinstance(value, str | int) or isinstance(value, bool):
            continue
        text = str(value).lower()
        if key == "device" and is_device_field(name) and any(w in text for w in wanted):
            return True
        if key == "lot":
            if is_lot_field(name) and text in wanted:
                return True
            if "udi" in name.lower() and any(m.lower() in wanted for m in _LOT_IN_UDI.findall(text)):
                return True
    return key == "lot" and rec.type == "document" and _names_lot(rec, values)


def _names_lot(rec: Record, lots: tuple[str, ...]) -> bool:
    """Whether a document's file name, title or page text names one of ``lots`` as a whole word."""
    pattern = re.compile("|".join(rf"(?<![0-9A-Za-z]){re.escape(lot)}(?![0-9A-Za-z])" for lot in lots), re.IGNORECASE)
    title = rec.data.get("title")
    places = (rec.location.file.rsplit("/", 1)[-1], title if isinstance(title, str) else "", *rec.text)
    return any(pattern.search(text) for text in places if text)


def parse_selection(exprs: Sequence[str]) -> Selection:
    """Parse ``KEY:VALUE`` terms into a Selection.

    Raises:
        ConfigError: a term without a known key, an empty value, a bad date, or ``from``/``to`` twice.
    """
    terms: dict[str, list[str]] = {}
    for expr in exprs:
        key, sep, value = expr.partition(":")
        key, value = key.strip().lower(), value.strip()
        if not sep or key not in KEYS:
            raise ConfigError(
                f"--select {expr!r} is not KEY:VALUE with a known key.",
                hint=f"Use one of {', '.join(k + ':' for k in KEYS)} e.g. --select id:CMP-2026-0001.",
            )
        if not value:
            raise ConfigError(f"--select {expr!r} has an empty value.", hint=f"Write {key}:VALUE.")
        if key in ("from", "to"):
            try:
                dt.date.fromisoformat(value)
            except ValueError:
                raise ConfigError(
                    f"--select {expr!r}: {value!r} is not a date.", hint="Write the date as YYYY-MM-DD."
                ) from None
            if key in terms:
                raise ConfigError(f"--select {key}: given twice.", hint=f"Give one {key}: date.")
        terms.setdefault(key, []).append(value)
    return Selection({k: tuple(v) for k, v in terms.items()})
