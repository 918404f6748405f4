"""Parse and check UDI strings of the three FDA-accredited issuing agencies: GS1, HIBCC and ICCBBA.

GS1 element strings are split into Application Identifiers by ``biip`` (it carries GS1's AI table, so
unbracketed strings with FNC1/GS separators split correctly); the GTIN mod-10 check and the YYMMDD dates
(day 00 = last day of the month, GS1 century rule relative to the run date) are computed here so that each
defect gets its own problem kind and the result does not depend on the machine's clock. HIBCC (mod-43
check character, primary and secondary data) and ICCBBA ISBT 128 data identifiers are parsed here.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass, field
from functools import lru_cache

__all__ = [
    "HIBC_CHARSET",
    "ParsedUDI",
    "UDIProblem",
    "gs1_century",
    "gs1_date",
    "gtin_check_digit",
    "hibc_check",
    "parse_udi",
]

HIBC_CHARSET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-. $/+%"
_SYMBOLOGY = re.compile(r"^\][A-Za-z][0-9A-Za-z]")
_GS = "\x1d"
_DATE_AIS = ("11", "12", "13", "15", "16", "17")


@dataclass(frozen=True)
class UDIProblem:
    """One defect: ``kind`` is syntax, missing-di, check, date, order, conflict or charset."""

    kind: str
    message: str


@dataclass
class ParsedUDI:
    """What a UDI string says: agency, DI, production identifiers and the problems found."""

    text: str
    agency: str | None = None
    di: str | None = None
    lot: str | None = None
    serial: str | None = None
    expiry: dt.date | None = None
    manufactured: dt.date | None = None
    quantity: int | None = None
    elements: dict[str, str] = field(default_factory=dict)
    problems: list[UDIProblem] = field(default_factory=list)

    def problem(self, kind: str, message: str) -> None:
        """Record a problem."""
        self.problems.append(UDIProblem(kind, message))


def gtin_check_digit(data: str) -> int:
    """Return the GS1 mod-10 check digit for the data digits (weights 3, 1, … from the right)."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(data)))
    return (10 - total % 10) % 10


def gs1_century(yy: int, today: dt.date) -> int:
    """Return the four-digit year for two-digit ``yy`` by the GS1 General Specifications century rule."""
    current = today.year % 100
    century = today.year - current
    d = yy - current
    if d >= 51:
        century -= 100
    elif d <= -50:
        century += 100
    return century + yy


def gs1_date(value: str, today: dt.date) -> dt.date:
    """Parse GS1 YYMMDD; day 00 means the last day of the month. Raises ValueError when invalid."""
    if not re.fullmatch(r"\d{6}", value):
        raise ValueError(f"{value!r} is not six digits YYMMDD")
    year, month, day = gs1_century(int(value[:2]), today), int(value[2:4]), int(value[4:])
    if not 1 <= month <= 12:
        raise ValueError(f"month {month:02d} in {value!r} is not 01-12")
    last = calendar.monthrange(year, month)[1]
    if day == 0:
        day = last
    if day > last:
        raise ValueError(f"day {day:02d} in {value!r} does not exist in {year}-{month:02d}")
    return dt.date(year, month, day)


def _check_gtin(out: ParsedUDI, gtin: str) -> None:
    if not re.fullmatch(r"\d{14}", gtin):
        out.problem("syntax", f"GTIN {gtin!r} in AI (01) is not 14 digits")
        return
    expected = gtin_check_digit(gtin[:-1])
    if int(gtin[-1]) != expected:
        out.problem("check", f"GTIN {gtin} has check digit {gtin[-1]}; the GS1 mod-10 check digit is {expected}")


def _parse_gs1(text: str, today: dt.date) -> ParsedUDI:
    # biip is imported here, not at module level: it takes ~0.2 s, and cached reruns never parse a UDI
    from biip import ParseError
    from biip.gs1_application_identifiers import GS1ApplicationIdentifier
    from biip.gs1_messages import GS1Message

    out = ParsedUDI(text, agency="GS1")
    pairs: list[tuple[str, str]] = []
    body = _SYMBOLOGY.sub("", text.strip()).replace("]C1", _GS)
    if body.startswith("("):
        pairs = re.findall(r"\((\d{2,4})\)([^()]*)", body)
        if "".join(f"({a}){v}" for a, v in pairs) != body:
            out.problem("syntax", "the bracketed element string does not split cleanly into (AI)value pairs")
            return out
        pairs = [(a, v.rstrip(_GS)) for a, v in pairs]
        for ai, value in pairs:
            try:
                known = GS1ApplicationIdentifier.extract(ai)
            except ParseError:
                out.problem("syntax", f"({ai}) is not a GS1 Application Identifier")
                continue
            if known.ai != ai:
                out.problem("syntax", f"({ai}) is not a GS1 Application Identifier (did you mean ({known.ai})?)")
            elif ai not in _DATE_AIS and not re.fullmatch(known.pattern, ai + value):
                out.problem("syntax", f"AI ({ai}) value {value!r} does not match the GS1 format {known.format}")
    elif re.fullmatch(r"\d{8}|\d{12,14}", body):
        pairs = [("01", body.zfill(14))]
    else:
        try:
            message = GS1Message.parse(body)
        except ParseError as exc:
            kind = "date" if re.search(r"AI \((1[1-7])\)", str(exc)) else "syntax"
            out.problem(kind, f"GS1 element string does not parse: {exc}")
            return out
        pairs = [(e.ai.ai, e.value) for e in message.element_strings]
    for ai, value in pairs:
        if ai in out.elements and out.elements[ai] != value:
            out.problem("conflict", f"AI ({ai}) appears twice with different values {out.elements[ai]!r} and {value!r}")
            continue
        out.elements[ai] = value
    if "01" not in out.elements:
        out.problem("missing-di", "no AI (01) device identifier (GTIN)")
    else:
        out.di = out.elements["01"]
        _check_gtin(out, out.di)
    for ai in _DATE_AIS:
        if ai in out.elements:
            try:
                day = gs1_date(out.elements[ai], today)
            except ValueError as exc:
                out.problem("date", f"AI ({ai}) date is invalid: {exc}")
                continue
            if ai == "17":
                out.expiry = day
            elif ai == "11":
                out.manufactured = day
    out.lot, out.serial = out.elements.get("10"), out.elements.get("21")
    if out.manufactured and out.expiry and out.manufactured > out.expiry:
        out.problem("order", f"manufacture date AI (11) {out.manufactured} is after expiry AI (17) {out.expiry}")
    return out


def hibc_check(data: str) -> str:
    """Return the HIBC mod-43 check character over ``data`` (every character, the leading ``+`` included)."""
    return HIBC_CHARSET[sum(HIBC_CHARSET.index(c) for c in data) % 43]


def _julian(yy: str, jjj: str, today: dt.date) -> dt.date:
    year = gs1_century(int(yy), today)
    day = int(jjj)
    if not 1 <= day <= (366 if calendar.isleap(year) else 365):
        raise ValueError(f"Julian day {jjj} does not exist in {year}")
    return dt.date(year, 1, 1) + dt.timedelta(days=day - 1)


def _hibc_expiry(flag: str, rest: str, today: dt.date) -> tuple[dt.date | None, str]:
    """Decode the date after ``$$`` given the format flag; return (date, remaining data)."""
    if flag in "01":
        raw, rest = flag + rest[:3], rest[3:]
        year, month = gs1_century(int(raw[2:]), today), int(raw[:2])
        if not 1 <= month <= 12:
            raise ValueError(f"month {raw[:2]} is not 01-12")
        return dt.date(year, month, calendar.monthrange(year, month)[1]), rest
    if flag == "2":
        raw, rest = rest[:6], rest[6:]
        return gs1_date(raw[4:6] + raw[:4], today), rest
    if flag in "34":
        size = 6 if flag == "3" else 8
        raw, rest = rest[:size], rest[size:]
        return gs1_date(raw[:6], today), rest
    if flag in "56":
        size = 5 if flag == "5" else 7
        raw, rest = rest[:size], rest[size:]
        return _julian(raw[:2], raw[2:5], today), rest
    if flag == "7":
        return None, rest
    raise ValueError(f"unknown date format flag {flag!r} after $$")


def _hibc_segment(out: ParsedUDI, seg: str, today: dt.date) -> None:
    if not seg:
        return
    try:
        if seg.startswith("$$"):
            rest = seg[2:]
            serial = rest.startswith("+")
            rest = rest[1:] if serial else rest
            if rest[:1] in ("8", "9"):
                size = 2 if rest[0] == "8" else 5
                out.quantity, rest = int(rest[1 : 1 + size]), rest[1 + size :]
            if rest:
                out.expiry, rest = _hibc_expiry(rest[0], rest[1:], today)
            if rest:
                setattr(out, "serial" if serial else "lot", rest)
        elif seg.startswith("$+"):
            out.serial = seg[2:]
        elif seg.startswith("$"):
            out.lot = seg[1:] or None
        elif seg.startswith("16D"):
            out.manufactured = dt.datetime.strptime(seg[3:11], "%Y%m%d").date()
        elif seg.startswith("14D"):
            out.expiry = dt.datetime.strptime(seg[3:11], "%Y%m%d").date()
        elif seg.startswith("S"):
            out.serial = seg[1:]
        elif seg.startswith("Q"):
            out.quantity = int(seg[1:])
        elif re.match(r"\d{5}", seg):
            out.expiry, out.lot = _julian(seg[:2], seg[2:5], today), seg[5:] or None
        else:
            out.problem("syntax", f"unknown HIBC secondary data flag in {seg!r}")
    except ValueError as exc:
        out.problem("date", f"HIBC secondary data {seg!r} has a bad date or number: {exc}")


def _hibc_primary(out: ParsedUDI, primary: str) -> None:
    m = re.fullmatch(r"\+([A-Z][A-Z0-9]{3})([A-Z0-9]{1,18})([0-9])", primary)
    if not m:
        out.problem("syntax", f"HIBC primary {primary!r} is not + LIC (4) + product code (1-18) + unit of measure (1)")
        return
    out.di = primary
    out.elements.update(lic=m.group(1), pcn=m.group(2), uom=m.group(3))


def _parse_hibc(text: str, today: dt.date) -> ParsedUDI:
    out = ParsedUDI(text, agency="HIBCC")
    body = _SYMBOLOGY.sub("", text.lstrip()).rstrip("\r\n\t")  # a trailing space can be the check character
    bad = sorted({c for c in body if c not in HIBC_CHARSET})
    if bad:
        out.problem("charset", f"characters {''.join(bad)!r} are outside the HIBC 43-character set")
        return out
    if len(body) < 3:
        out.problem("syntax", "too short for an HIBC code")
        return out
    # 1D line breaks are a "+" that is not a serial flag ("$+", "$$+") and not itself a check character ("++").
    cuts = [
        i for i in range(2, len(body) - 2) if body[i] == "+" and body[i - 1] != "$" and body[i + 1] in "$0123456789S"
    ]
    lines = [body[a + 1 : b] for a, b in zip([0, *cuts], [*cuts, len(body)], strict=True)]
    if len(lines) > 1:
        # 1D form: a primary line with its own check character, then secondary lines ending in link + check.
        primary_line = "+" + lines[0]
        if hibc_check(primary_line[:-1]) != primary_line[-1]:
            out.problem(
                "check",
                f"primary check character is {primary_line[-1]!r}; mod-43 gives {hibc_check(primary_line[:-1])!r}",
            )
        _hibc_primary(out, primary_line[:-1])
        for line in lines[1:]:
            full = "+" + line
            if len(full) < 3:
                out.problem("syntax", f"secondary line {full!r} is too short")
                continue
            if hibc_check(full[:-1]) != full[-1]:
                out.problem(
                    "check", f"secondary check character is {full[-1]!r}; mod-43 gives {hibc_check(full[:-1])!r}"
                )
            if full[-2] != primary_line[-1]:
                out.problem("check", f"link character is {full[-2]!r}; expected the primary check {primary_line[-1]!r}")
            _hibc_segment(out, full[1:-2], today)
        return out
    if hibc_check(body[:-1]) != body[-1]:
        out.problem("check", f"check character is {body[-1]!r}; mod-43 over the data gives {hibc_check(body[:-1])!r}")
    segments = body[:-1].split("/")
    _hibc_primary(out, segments[0])
    for seg in segments[1:]:
        _hibc_segment(out, seg, today)
    return out


_ICC = (
    ("=/", 16, "di"),
    ("=,", 6, "serial"),
    ("=>", 6, "expiry"),
    ("=}", 6, "manufactured"),
    ("&,1", 18, "lot"),
    ("=+", 0, "header"),
    ("=", 15, "din"),
)


def _iccbba_day(raw: str) -> dt.date:
    if not re.fullmatch(r"\d{6}", raw):
        raise ValueError(f"{raw!r} is not cyyjjj")
    year = 2000 + int(raw[0]) * 100 + int(raw[1:3])
    day = int(raw[3:])
    if not 1 <= day <= (366 if calendar.isleap(year) else 365):
        raise ValueError(f"Julian day {raw[3:]} does not exist in {year}")
    return dt.date(year, 1, 1) + dt.timedelta(days=day - 1)


def _parse_iccbba(text: str) -> ParsedUDI:
    out = ParsedUDI(text, agency="ICCBBA")
    rest = text.strip()
    while rest:
        for prefix, size, name in _ICC:
            if rest.startswith(prefix):
                value, rest = rest[len(prefix) : len(prefix) + size], rest[len(prefix) + size :]
                if size and len(value) < size:
                    out.problem("syntax", f"ISBT 128 data identifier {prefix!r} needs {size} characters, got {value!r}")
                out.elements[name] = value
                break
        else:
            out.problem("syntax", f"unknown ISBT 128 data identifier at {rest[:6]!r}")
            break
    out.di = out.elements.get("di")
    out.serial = out.elements.get("serial")
    out.lot = out.elements.get("lot")
    if out.di is None:
        out.problem("syntax", "no =/ device identifier")
    for name in ("expiry", "manufactured"):
        if name in out.elements:
            try:
                setattr(out, name, _iccbba_day(out.elements[name]))
            except ValueError as exc:
                out.problem("date", f"ISBT 128 {name} date is invalid: {exc}")
    return out


@lru_cache(maxsize=1 << 16)
def parse_udi(text: str, today: dt.date) -> ParsedUDI:
    """Parse a UDI as printed or scanned; the agency is told by its first character.

    ``(`` or a digit means GS1, ``+`` HIBCC and ``=`` or ``&`` ICCBBA; an AIM symbology identifier such as
    ``]d2`` is skipped. ``today`` anchors the GS1 century rule. Results are cached (several rules parse the
    same UDI), so treat the returned object as read-only.
    """
    body = _SYMBOLOGY.sub("", text.strip())
    if body.startswith("+"):
        return _parse_hibc(text, today)
    if body[:1] in ("=", "&"):
        return _parse_iccbba(body)
    if body[:1] == "(" or body[:1].isdigit():
        return _parse_gs1(body, today)
    out = ParsedUDI(text)
    out.problem("syntax", "not a GS1 (digits or '('), HIBCC ('+') or ICCBBA ('=') UDI")
    return out
