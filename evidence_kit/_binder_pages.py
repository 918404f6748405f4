"""Generated binder pages (reportlab canvas): the page cursor, wrapped text, tables that break across pages.

Everything here works on plain data so it can run in a worker process. Links are not drawn here: the
writer records each clickable rectangle with a *target key* (``r12`` for the 13th bound record, ``toc``,
``s:management`` …) and the assembler turns them into ``/Link`` annotations once every page is placed.
Nothing is ever clipped: text wraps on the measured glyph widths, over-long words are split, and a table
row taller than the space left continues on the next page under a repeated header.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import reportlab
from reportlab import rl_config
from reportlab.lib.pagesizes import LETTER
from reportlab.lib.rl_accel import fp_str
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

PAGE_W, PAGE_H = LETTER
LEFT = 54.0
RIGHT = PAGE_W - 54.0
TOP = PAGE_H - 54.0
BOTTOM = 62.0  #: content never goes below this; the stamp band is underneath
FONT, BOLD = "Helvetica", "Helvetica-Bold"
#: text that WinAnsi (cp1252) cannot encode is set in embedded Vera instead; the standard fonts are 3x faster
UNICODE = {FONT: "EKVera", BOLD: "EKVeraBd"}
SEVERITY_RGB = {"error": (0.75, 0.1, 0.1), "warning": (0.8, 0.45, 0.0), "info": (0.15, 0.35, 0.7)}


def register_fonts() -> None:
    """Register the Vera TrueType fonts shipped with reportlab (embedded, so every viewer shows the same)."""
    if UNICODE[FONT] not in pdfmetrics.getRegisteredFontNames():
        fonts = Path(reportlab.__file__).parent / "fonts"  # Bitstream Vera ships with reportlab
        pdfmetrics.registerFont(TTFont(UNICODE[FONT], str(fonts / "Vera.ttf")))
        pdfmetrics.registerFont(TTFont(UNICODE[BOLD], str(fonts / "VeraBd.ttf")))


def face(font: str, text: str) -> str:
    """Return ``font`` when it can show ``text`` (WinAnsi), else its embedded Unicode stand-in."""
    if text.isascii():
        return font
    try:
        text.encode("cp1252")
    except UnicodeEncodeError:
        return UNICODE.get(font, font)
    return font


def wrap(text: str, width: float, font: str = FONT, size: float = 9) -> list[str]:
    """Split ``text`` into lines no wider than ``width`` points; words longer than a line are split.

    A long word is split after its last ``-``, ``.``, ``_`` or ``/`` that fits (when that keeps at least a
    third of the line), else where the line ends.
    """
    measure = pdfmetrics.stringWidth
    if "\n" not in text and "\r" not in text and "\t" not in text and measure(text, font, size) <= width:
        return [text]  # the common case: one call instead of one per word
    out: list[str] = []
    space = measure(" ", font, size)
    for para in str(text).replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line: str | None = None
        line_w = 0.0
        for word in para.replace("\t", "    ").split(" "):
            w = measure(word, font, size)
            if line is not None and line_w + space + w <= width:
                line, line_w = f"{line} {word}", line_w + space + w
                continue
            if line is not None:
                out.append(line)
            while w > width:  # hard-split a word that cannot fit on one line
                cut = max(1, int(len(word) * width / w))
                while cut > 1 and measure(word[:cut], font, size) > width:
                    cut -= 1
                soft = max(word.rfind(mark, 0, cut) for mark in "-._/")  # rule codes, ids, file names
                if soft >= cut // 3:
                    cut = soft + 1  # after the mark, not mid-word: "capa.closed-" / "without-effectiveness"
                out.append(word[:cut])
                word = word[cut:]
                w = measure(word, font, size)
            line, line_w = word, w
        out.append(line or "")
    return out or [""]


@dataclass(frozen=True)
class Link:
    """A clickable rectangle on generated page ``page`` that jumps to the page of ``target``."""

    page: int
    rect: tuple[float, float, float, float]
    target: str


@dataclass
class Column:
    """A table column: header text and width in points."""

    title: str
    width: float


@dataclass
class Row:
    """A table row: cell texts, an optional link target for the whole row, an optional severity flag.

    ``parts`` are (text, target) pieces of the last cell, in order (the cell is their text joined by ", "):
    each piece gets a link of its own, on whichever line it wraps to, and the row's link then leaves the last
    cell out.
    """

    cells: Sequence[str]
    target: str | None = None
    flag: str | None = None
    bold: bool = False
    parts: Sequence[tuple[str, str]] = ()


class _NullCanvas:
    """Stands in for a canvas in a dry run: every drawing call does nothing."""

    def __getattr__(self, name: str) -> Callable[..., None]:
        return lambda *args, **kwargs: None


@dataclass
class PageWriter:
    """A cursor over one reportlab canvas that records page anchors and link rectangles."""

    title: str
    buffer: io.BytesIO = field(default_factory=io.BytesIO)
    pages: int = 0
    y: float = TOP
    links: list[Link] = field(default_factory=list)
    anchors: dict[str, int] = field(default_factory=dict)
    running_head: str = ""
    dry: bool = False  #: lay out only (count pages, find anchors); draw nothing

    def __post_init__(self) -> None:
        register_fonts()
        self.c: Any = (
            _NullCanvas() if self.dry else canvas.Canvas(self.buffer, pagesize=LETTER, invariant=1, pageCompression=1)
        )
        self.c.setTitle(self.title)
        self._open = False
        self._font: tuple[str, float] | None = None

    # -- pages -------------------------------------------------------------------------------------------
    def new_page(self, anchor: str | None = None) -> int:
        """Start a page (optionally naming it ``anchor``) and return its 0-based index."""
        if self._open:
            self.c.showPage()
        self._open = True
        self._font = None
        self.pages += 1
        self.y = TOP
        if self.running_head:
            self.c.setFont(FONT, 7)
            self.c.setFillGray(0.45)
            self.c.drawString(LEFT, PAGE_H - 36, self.running_head)
            self.c.setFillGray(0)
        if anchor is not None:
            self.anchors[anchor] = self.pages - 1
        return self.pages - 1

    def room(self, height: float) -> bool:
        """Return True when ``height`` points still fit above the bottom margin."""
        return self.y - height >= BOTTOM

    def need(self, height: float) -> None:
        """Break the page unless ``height`` points fit."""
        if not self.room(height):
            self.new_page()

    def finish(self) -> bytes:
        """Close the document and return its bytes."""
        if self._open:
            self.c.showPage()
        saved, rl_config.useA85 = rl_config.useA85, 0  # binary streams: ASCII85 costs time and 25 % size
        try:
            self.c.save()
        finally:
            rl_config.useA85 = saved
        return b"" if self.dry else self.buffer.getvalue()

    # -- text --------------------------------------------------------------------------------------------
    def font(self, name: str, size: float) -> None:
        """Set the font unless it is already current on this page."""
        if self._font != (name, size):
            self._font = (name, size)
            self.c.setFont(name, size)

    def draw(self, x: float, y: float, line: str, font: str) -> None:
        """Draw one line in the current font; standard fonts skip reportlab's per-call text object."""
        if self.dry:
            return
        if font in (FONT, BOLD):
            self.c._code.append(
                f"BT 1 0 0 1 {fp_str(x)} {fp_str(y)} Tm ({self.c._escape(line.encode('cp1252'))}) Tj ET"
            )
        else:
            self.c.drawString(x, y, line)

    def heading(self, text: str, size: float = 15, anchor: str | None = None) -> None:
        """A bold heading; starts a new page when fewer than three lines would fit under it."""
        self.need(size * 1.4 + 40)
        if anchor is not None:
            self.anchors[anchor] = self.pages - 1
        self.text(text, font=BOLD, size=size)
        self.y -= size * 0.3

    def text(
        self,
        text: str,
        *,
        font: str = FONT,
        size: float = 9,
        indent: float = 0,
        rgb: tuple[float, float, float] | None = None,
        target: str | None = None,
    ) -> None:
        """Write ``text`` wrapped to the text width, continuing on new pages as needed."""
        lead = size * 1.3
        font = face(font, text)
        for line in wrap(text, RIGHT - LEFT - indent, font, size):
            self.need(lead)
            self.y -= lead
            if rgb:
                self.c.setFillColorRGB(*rgb)
            self.font(font, size)
            self.draw(LEFT + indent, self.y + size * 0.25, line, font)
            if rgb:
                self.c.setFillGray(0)
            if target:
                w = pdfmetrics.stringWidth(line, font, size)
                self.links.append(
                    Link(self.pages - 1, (LEFT + indent, self.y, LEFT + indent + w, self.y + lead), target)
                )

    def gap(self, points: float = 6) -> None:
        """Leave vertical space (never carried over to a new page)."""
        self.y -= points

    # -- tables ------------------------------------------------------------------------------------------
    def table(
        self, columns: Sequence[Column], rows: Iterable[Row], *, size: float = 8, link_col: int = 0, header: bool = True
    ) -> None:
        """Draw a table with a header repeated on every page; rows wrap and break across pages.

        Rows with a ``target`` get a link over the whole row (one rectangle per page the row spans) and
        their ``link_col`` cell is drawn in link blue; a row's ``parts`` get a link each (see :class:`Row`).
        """
        lead = size * 1.3
        pad = 4.0
        widths = [c.width for c in columns]
        scale = (RIGHT - LEFT) / sum(widths) if sum(widths) > RIGHT - LEFT else 1.0
        widths = [w * scale for w in widths]
        xs = [LEFT]
        for w in widths[:-1]:
            xs.append(xs[-1] + w)
        right = xs[-1] + widths[-1]

        def head() -> None:
            if not header:
                return
            self.need(lead * 2 + 4)
            top = self.y
            self.c.setFillGray(0.88)
            heads = [
                wrap(c.title, w - 2 * pad, face(BOLD, c.title), size) for c, w in zip(columns, widths, strict=True)
            ]
            n = max(len(h) for h in heads)
            self.c.rect(LEFT, top - n * lead - 3, right - LEFT, n * lead + 3, stroke=0, fill=1)
            self.c.setFillGray(0)
            for x, lines in zip(xs, heads, strict=True):
                for i, line in enumerate(lines):
                    self.font(face(BOLD, line), size)
                    self.draw(x + pad, top - (i + 1) * lead + size * 0.25, line, face(BOLD, line))
            self.y = top - n * lead - 3

        head()
        shade = False
        for row in rows:
            font = BOLD if row.bold else FONT
            faces = [face(font, t) for t in row.cells]
            cells = [wrap(t, w - 2 * pad, f, size) for t, w, f in zip(row.cells, widths, faces, strict=True)]
            n = max(len(c) for c in cells)
            if not self.room(min(n, 3) * lead + 2):
                self.new_page()
                head()
            shade = not shade
            seg_top = self.y
            part = 0  # the next of the row's parts to find in its last cell
            row_right = xs[-1] if row.parts else right
            for i in range(n):
                if not self.room(lead):
                    self._row_link(row, seg_top, xs[0], row_right)
                    self.new_page()
                    head()
                    seg_top = self.y
                if shade:
                    self.c.setFillGray(0.965)
                    self.c.rect(LEFT, self.y - lead, right - LEFT, lead, stroke=0, fill=1)
                    self.c.setFillGray(0)
                for col, (x, lines) in enumerate(zip(xs, cells, strict=True)):
                    if i >= len(lines) or not lines[i]:
                        continue
                    colored = (
                        (col == 0 and bool(row.flag))
                        or (col == link_col and bool(row.target))
                        or (col == len(xs) - 1 and bool(row.parts))
                    )
                    if col == 0 and row.flag:
                        self.c.setFillColorRGB(*SEVERITY_RGB.get(row.flag, (0, 0, 0)))
                    elif colored:
                        self.c.setFillColorRGB(0.05, 0.25, 0.65)
                    self.font(faces[col], size)
                    self.draw(x + pad, self.y - lead + size * 0.3, lines[i], faces[col])
                    if colored:
                        self.c.setFillGray(0)
                if row.parts and i < len(cells[-1]):
                    part = self._part_links(row.parts, part, cells[-1][i], xs[-1] + pad, faces[-1], size, lead)
                self.y -= lead
            self._row_link(row, seg_top, xs[0], row_right)
            self.y -= 1
        self.c.setStrokeGray(0.7)
        self.c.setLineWidth(0.5)
        self.c.line(LEFT, self.y, right, self.y)
        self.c.setStrokeGray(0)
        self.gap(8)

    def _part_links(
        self, parts: Sequence[tuple[str, str]], k: int, line: str, x: float, font: str, size: float, lead: float
    ) -> int:
        """Link each of ``parts`` from the ``k``-th on that ``line`` (drawn at ``x``) holds; return the next one."""
        pos = 0
        while k < len(parts):
            text, target = parts[k]
            at = line.find(text, pos)
            if at < 0 or not text:
                break
            x0 = x + pdfmetrics.stringWidth(line[:at], font, size)
            x1 = x0 + pdfmetrics.stringWidth(text, font, size)
            self.links.append(Link(self.pages - 1, (x0, self.y - lead, x1, self.y), target))
            pos, k = at + len(text), k + 1
        return k

    def _row_link(self, row: Row, top: float, left: float, right: float) -> None:
        if row.target and top > self.y:
            self.links.append(Link(self.pages - 1, (left, self.y, right, top), row.target))


# -- the record summary page ------------------------------------------------------------------------------


@dataclass(frozen=True)
class RecordView:
    """Everything a record's summary page shows, as plain picklable data.

    ``related`` rows are (direction, label, field, target key): direction ``names`` for records this one
    names, ``named by`` for records naming this one.
    """

    key: str
    type: str
    type_title: str
    id: str
    section: str
    location: str
    file_sha256: str
    record_sha256: str
    fields: tuple[tuple[str, str], ...]
    signatures: tuple[tuple[str, str, str, str], ...]
    findings: tuple[tuple[str, str, str, str], ...]
    related: tuple[tuple[str, str, str, str], ...]
    sources: tuple[str, ...]
    embedded: tuple[str, ...]
    confidential: bool
    #: PDFs whose pages were bound after an earlier record read from the same file: (file, its id, its key)
    bound_with: tuple[tuple[str, str, str], ...] = ()


def render_record(w: PageWriter, v: RecordView) -> None:
    """Render one record's summary: header, findings (flagged), signatures, related records, every field."""
    w.new_page(anchor=v.key)
    w.text(v.type_title.upper(), font=BOLD, size=8, rgb=(0.35, 0.35, 0.35))
    w.text(v.id, font=BOLD, size=16)
    if v.confidential:
        w.text("CONFIDENTIAL – 21 CFR 820.35(d)", font=BOLD, size=9, rgb=(0.75, 0.1, 0.1))
    w.text(f"Section: {v.section}", size=8)
    w.text(f"Source: {v.location}", size=8)
    w.text(f"SHA-256 of source file: {v.file_sha256}", size=7)
    w.text(f"SHA-256 of record (canonical JSON): {v.record_sha256}", size=7)
    if v.sources:
        # links to the first source page (``<key>:src``; the binder drops the link when none was merged)
        w.text("Source pages that follow: " + "; ".join(v.sources), size=8, target=f"{v.key}:src")
    for file, owner, key in v.bound_with:  # one PDF, several records: its pages follow the first of them
        w.text(f"Source pages: {file}, bound after {owner}", size=8, target=f"{key}:src")
    whole = [name for name in v.embedded if "#" not in name]
    extracts = [name for name in v.embedded if "#" in name]  # a request binder's own copy of one record
    if whole:
        w.text("Original export embedded in this PDF as: " + "; ".join(whole), size=8)
    if extracts:
        w.text("This record's data (canonical JSON) embedded in this PDF as: " + "; ".join(extracts), size=8)
    w.gap(6)
    if v.findings:
        w.heading(f"Findings on this record ({len(v.findings)})", size=11)
        w.table(
            [Column("Severity", 55), Column("Code", 130), Column("Field", 90), Column("Message and citation", 229)],
            (Row((sev.upper(), code, fld, msg), flag=sev) for sev, code, fld, msg in v.findings),
        )
    else:
        w.text("No findings on this record.", size=9, rgb=(0.1, 0.45, 0.2))
        w.gap(4)
    if v.signatures:
        w.heading("Signatures (21 CFR 11.50: printed name, date and time, meaning)", size=11)
        w.table(
            [Column("Printed name", 150), Column("Date and time", 130), Column("Meaning", 130), Column("Field", 94)],
            (Row(s) for s in v.signatures),
        )
    if v.related:
        w.heading("Related records", size=11)
        w.table(
            [Column("", 52), Column("Record", 230), Column("Via field", 222)],
            (Row((d, label, fld), target=t) for d, label, fld, t in v.related),
            link_col=1,
        )
    w.heading("Fields", size=11)
    w.table([Column("Field", 160), Column("Value", 344)], (Row(f) for f in v.fields))


def render_records(title: str, views: Sequence[RecordView]) -> tuple[bytes, list[int], list[Link]]:
    """Render summary pages for ``views`` into one document; return it, each record's page count, links."""
    w = PageWriter(title)
    counts = []
    for v in views:
        start = w.pages
        render_record(w, v)
        counts.append(w.pages - start)
    return w.finish(), counts, w.links


Renderer = Callable[[PageWriter], None]
