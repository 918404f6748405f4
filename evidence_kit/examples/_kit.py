"""Building blocks of the example-bundle generator: the in-memory bundle, seeded defects, GS1 UDIs, dates.

Nothing here reads the clock: every date comes from the seeded ``random.Random`` or from the fixed
calendar of the data story, so one seed always gives the same bytes.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evidence_kit._io import write_bytes_atomic

_TEMPLATES = Path(__file__).with_name("templates")


def template(name: str) -> str:
    """Return a text template shipped beside the generator (bundle configs, READMEs, the vendor XSD)."""
    return (_TEMPLATES / name).read_text(encoding="utf-8")


@dataclass(frozen=True)
class Defect:
    """One seeded defect: where it is, which rule code must find it, and why an investigator cares."""

    code: str
    file: str
    record: str
    field: str | None
    what: str
    why: str


@dataclass
class Bundle:
    """A bundle being generated: files by bundle-relative POSIX path, and the defects seeded in them."""

    name: str
    files: dict[str, bytes] = field(default_factory=dict)
    defects: list[Defect] = field(default_factory=list)

    def add(self, rel: str, data: bytes | str) -> None:
        """Add one file (text is written as UTF-8 with Unix newlines)."""
        if rel in self.files:
            raise ValueError(f"{self.name}: {rel} generated twice")
        self.files[rel] = data.encode("utf-8") if isinstance(data, str) else data

    def add_json(self, rel: str, value: Any) -> None:
        """Add a pretty-printed JSON document (an eQMS-style export)."""
        self.add(rel, json.dumps(value, indent=2, ensure_ascii=False) + "\n")

    def add_jsonl(self, rel: str, rows: Iterable[Mapping[str, Any]]) -> None:
        """Add a JSON Lines file: one compact object per line."""
        self.add(rel, "".join(json.dumps(r, ensure_ascii=False, separators=(", ", ": ")) + "\n" for r in rows))

    def add_csv(self, rel: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
        """Add a CSV report with a header row (CRLF line ends, as spreadsheet exports have)."""
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\r\n")
        writer.writerow(header)
        writer.writerows(rows)
        self.add(rel, buf.getvalue())

    def defect(self, code: str, file: str, record: str, field: str | None, what: str, why: str) -> None:
        """Record a seeded defect (the generator must also have put it into the data)."""
        self.defects.append(Defect(code, file, record, field, what, why))

    def write(self, root: Path) -> list[Path]:
        """Write every file under ``root`` atomically and remove files the generator no longer makes."""
        root.mkdir(parents=True, exist_ok=True)
        for stale in sorted(p for p in root.rglob("*") if p.is_file()):
            if stale.relative_to(root).as_posix() not in self.files:
                stale.unlink()
        out = []
        for rel in sorted(self.files):
            path = root / rel
            if not path.exists() or path.read_bytes() != self.files[rel]:
                write_bytes_atomic(path, self.files[rel])
                path.chmod(0o644)  # the atomic writer's temp file is private; these are shareable examples
            out.append(path)
        for d in sorted((p for p in root.rglob("*") if p.is_dir()), reverse=True):
            if not any(d.iterdir()):
                d.rmdir()
        return out


# --- GS1 ---------------------------------------------------------------------------------------


def gs1_check_digit(data: str) -> str:
    """Return the GS1 mod-10 check digit for ``data`` (the digits without the check digit).

    Weights 3, 1, 3, … from the rightmost data digit; check = (10 − sum mod 10) mod 10.

    Example:
        >>> gs1_check_digit("5102222223333")
        '6'
    """
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(data)))
    return str((10 - total % 10) % 10)


def gtin14(body: str) -> str:
    """Return the GTIN-14 for 13 data digits, with its real check digit."""
    if len(body) != 13 or not body.isdigit():
        raise ValueError(f"a GTIN-14 body is 13 digits, got {body!r}")
    return body + gs1_check_digit(body)


def wrong_check(gtin: str) -> str:
    """Return ``gtin`` with a check digit that is deliberately wrong (off by +3 mod 10)."""
    return gtin[:-1] + str((int(gtin[-1]) + 3) % 10)


def yymmdd(day: dt.date) -> str:
    """Return a date as GS1 YYMMDD."""
    return day.strftime("%y%m%d")


def gs1_udi(
    gtin: str,
    *,
    mfg: dt.date | str | None = None,
    exp: dt.date | str | None = None,
    lot: str | None = None,
    serial: str | None = None,
) -> str:
    """Return a GS1 UDI in human-readable form, AIs in FDA's order (01)(11)(17)(10)(21)."""
    out = f"(01){gtin}"
    if mfg is not None:
        out += f"(11){mfg if isinstance(mfg, str) else yymmdd(mfg)}"
    if exp is not None:
        out += f"(17){exp if isinstance(exp, str) else yymmdd(exp)}"
    if lot is not None:
        out += f"(10){lot}"
    if serial is not None:
        out += f"(21){serial}"
    return out


# --- dates ----------------------------------------------------------------------------------------


def _nth_sunday(year: int, month: int, n: int) -> dt.date:
    first = dt.date(year, month, 1)
    return first + dt.timedelta(days=(6 - first.weekday()) % 7 + 7 * (n - 1))


def local_time(day: dt.date, hour: int, minute: int, *, zone: str = "central") -> str:
    """Return an RFC 3339 date-time in US Central (or Eastern) time, with the right DST offset."""
    dst = _nth_sunday(day.year, 3, 2) <= day < _nth_sunday(day.year, 11, 1)
    base = -6 if zone == "central" else -5
    offset = base + (1 if dst else 0)
    return f"{day.isoformat()}T{hour:02d}:{minute:02d}:00{offset:+03d}:00"


def add_workdays(day: dt.date, n: int) -> dt.date:
    """Return the date ``n`` Monday–Friday days after ``day`` (federal holidays are not skipped)."""
    while n > 0:
        day += dt.timedelta(days=1)
        if day.weekday() < 5:
            n -= 1
    return day


def weekday_on_or_after(day: dt.date) -> dt.date:
    """Return ``day``, or the Monday after it when it falls on a weekend."""
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return day


def rand_day(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    """Return a working day drawn uniformly between ``start`` and ``end`` (inclusive)."""
    return weekday_on_or_after(start + dt.timedelta(days=rng.randint(0, (end - start).days)))


def days(n: int) -> dt.timedelta:
    """Shorthand for ``timedelta(days=n)``."""
    return dt.timedelta(days=n)


@dataclass(frozen=True)
class Person:
    """A fictional employee: printed name, user id and role."""

    name: str
    user_id: str
    role: str

    def person(self) -> dict[str, str]:
        """Return the canonical ``person`` object."""
        return {"name": self.name, "user_id": self.user_id, "role": self.role}

    def sign(self, at: str, meaning: str, signature_id: str) -> dict[str, str]:
        """Return a 21 CFR 11.50 signature manifestation by this person."""
        return {
            "printed_name": self.name,
            "signer_id": self.user_id,
            "signed_at": at,
            "meaning": meaning,
            "signature_id": signature_id,
        }
