"""The raw MAUDE FOI files: pipe-delimited, a header line, one row per line, no quoting.

FDA publishes one MDR as rows in several files joined by ``MDR_REPORT_KEY``: the master file
(``mdrfoi*``, report number and dates), the device file (``foidev*``), the narrative file
(``foitext*``) and the patient file (``patient*``). Quotes are literal characters, not CSV
quoting (a brand name may start with three double quotes), and short rows simply stop early.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["FoiFile", "FoiRow", "kind_of", "read_foi"]

MASTER, DEVICE, TEXT, PATIENT = "master", "device", "text", "patient"
#: The order in which files of one folder are joined; the first present is the primary file.
PRIMARY_ORDER = (MASTER, DEVICE)


@dataclass(frozen=True)
class FoiRow:
    """One data row: its 1-based line and its values by lower-case column name."""

    line: int
    values: dict[str, str]


@dataclass
class FoiFile:
    """A parsed FOI file: its kind, columns, rows and the lines that did not fit."""

    kind: str
    columns: list[str]
    rows: list[FoiRow] = field(default_factory=list)
    encoding: str = "utf-8"
    long_rows: list[int] = field(default_factory=list)


def kind_of(header: str) -> str | None:
    """Return the FOI file kind for a header line, or None when it is not a MAUDE FOI header."""
    columns = [c.strip().upper() for c in header.lstrip("\ufeff").split("|")]
    if not columns or columns[0] != "MDR_REPORT_KEY" or len(columns) < 3:
        return None
    names = set(columns)
    if "REPORT_NUMBER" in names:
        return MASTER
    if "MDR_TEXT_KEY" in names:
        return TEXT
    if "DEVICE_EVENT_KEY" in names or "BRAND_NAME" in names:
        return DEVICE
    if "SEQUENCE_NUMBER_OUTCOME" in names or "PATIENT_SEQUENCE_NUMBER" in names:
        return PATIENT
    return None


def sniff(path: Path) -> str | None:
    """Return the FOI kind of the file at ``path`` from its first line, or None."""
    try:
        with open(path, "rb") as fh:
            first = fh.readline(8192)
    except OSError:
        return None
    return kind_of(first.decode("latin-1").rstrip("\r\n"))


def read_foi(path: Path) -> FoiFile | None:
    """Parse a FOI file; None when its header is not a MAUDE FOI header.

    The files are UTF-8 in recent releases and Latin-1 in older ones; Latin-1 is used when the
    bytes are not valid UTF-8 (every byte is a Latin-1 character, so nothing is lost).
    """
    raw = path.read_bytes()
    try:
        text, encoding = raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        text, encoding = raw.decode("latin-1"), "latin-1"
    lines = text.lstrip("\ufeff").split("\n")
    kind = kind_of(lines[0].rstrip("\r"))
    if kind is None:
        return None
    columns = [c.strip().lower() for c in lines[0].rstrip("\r").split("|")]
    out = FoiFile(kind, columns, encoding=encoding)
    last = len(columns) - 1
    for n, line in enumerate(lines[1:], 2):
        line = line.rstrip("\r")
        if not line.strip():
            continue
        cells = line.split("|")
        if len(cells) > len(columns):
            if kind == TEXT:  # a pipe inside the narrative: it belongs to the last column
                cells = [*cells[:last], "|".join(cells[last:])]
            else:
                out.long_rows.append(n)
                cells = cells[: len(columns)]
        values = dict(zip(columns, (c.strip() for c in cells), strict=False))
        out.rows.append(FoiRow(n, values))
    return out


def group(rows: list[FoiRow]) -> dict[str, list[FoiRow]]:
    """Group rows by MDR report key, in file order."""
    out: dict[str, list[FoiRow]] = {}
    for row in rows:
        out.setdefault(row.values.get("mdr_report_key", ""), []).append(row)
    return out


def siblings(path: Path) -> Iterator[tuple[str, Path]]:
    """Yield ``(kind, path)`` for the other FOI files in the same folder, sorted by name."""
    for other in sorted(path.parent.iterdir()):
        if other != path and other.is_file() and not other.is_symlink():
            kind = sniff(other)
            if kind:
                yield kind, other
