"""The date spellings found in openFDA and MAUDE data: ``YYYYMMDD``, ``YYYY-MM-DD``, ``MM/DD/YYYY`` and ``""``."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

__all__ = ["DateValue", "parse_fda_date"]

_FORMATS = (
    (re.compile(r"^(\d{4})(\d{2})(\d{2})$"), ("y", "m", "d")),
    (re.compile(r"^(\d{4})-(\d{2})-(\d{2})$"), ("y", "m", "d")),
    (re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$"), ("m", "d", "y")),
)


@dataclass(frozen=True)
class DateValue:
    """The outcome of reading one date field.

    Attributes:
        iso: The date as ``YYYY-MM-DD``, or None when the field is empty or unparseable.
        error: Why the value could not be read, or None.
    """

    iso: str | None
    error: str | None = None


def parse_fda_date(value: object) -> DateValue:
    """Read an openFDA / MAUDE date.

    ``YYYYMMDD``, ``YYYY-MM-DD`` and US ``MM/DD/YYYY`` (month first, as FDA writes it) are read;
    ``None``, ``""`` and blanks mean "no date". Anything else, and impossible calendar dates such as
    ``20120231``, come back with an ``error``.

    Example:
        >>> parse_fda_date("05/01/2011").iso
        '2011-05-01'
        >>> parse_fda_date("").iso is None
        True
    """
    if value is None:
        return DateValue(None)
    if not isinstance(value, str):
        return DateValue(None, f"expected a date string, found {type(value).__name__} {value!r}")
    text = value.strip()
    if not text:
        return DateValue(None)
    for pattern, order in _FORMATS:
        m = pattern.match(text)
        if m:
            parts = dict(zip(order, (int(g) for g in m.groups()), strict=True))
            try:
                return DateValue(dt.date(parts["y"], parts["m"], parts["d"]).isoformat())
            except ValueError as exc:
                return DateValue(None, f"{value!r} is not a calendar date ({exc})")
    return DateValue(None, f"{value!r} is none of YYYYMMDD, YYYY-MM-DD, MM/DD/YYYY")
