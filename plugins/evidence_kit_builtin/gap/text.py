"""The text of procedures and records: string fields of the canonical data and PDF page text.

The page text is what the PDF source extracted into ``Record.text``; nothing here opens a PDF.

Also the two scanners the terminology rules and the gap analysis share: retired QSR citations
(21 CFR 820.20-820.250 except 820.35 and 820.45) and retired QSR terms (DHF, DMR, DHR …).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from evidence_kit import Record
from evidence_kit_builtin.gap.catalogue import read_json


@dataclass(frozen=True)
class Passage:
    """A piece of text and where it is: a JSON Pointer into the record, or a page of a PDF file."""

    text: str
    field: str | None = None
    file: str | None = None
    page: int | None = None

    @property
    def where(self) -> str:
        """Return "field /x" or "file.pdf p.3" for messages."""
        if self.page is not None:
            return f"{self.file} p.{self.page}"
        return f"field {self.field}"


def _escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


def string_fields(value: Any, pointer: str = "") -> Iterator[Passage]:
    """Yield every string inside ``value`` with its JSON Pointer."""
    out: list[Passage] = []
    _collect(value, pointer, out)
    yield from out


def _collect(value: Any, pointer: str, out: list[Passage]) -> None:
    # One plain recursion appending to a list: nested generators cost a frame per level per string.
    if isinstance(value, str):
        if value.strip():
            out.append(Passage(value, field=pointer or "/"))
    elif isinstance(value, Mapping):
        for k, v in value.items():
            _collect(v, f"{pointer}/{_escape(str(k))}", out)
    elif isinstance(value, Sequence) and not isinstance(value, (bytes, bytearray)):
        for i, v in enumerate(value):
            _collect(v, f"{pointer}/{i}", out)


def pdf_files(record: Record) -> list[str]:
    """Return the bundle-relative PDFs that hold the record's text (its file, its attachments)."""
    files = [a for a in record.attachments if a.lower().endswith(".pdf")]
    own = record.data.get("file") if record.type == "document" else None
    if isinstance(own, str) and own.lower().endswith(".pdf"):
        files.insert(0, own)
    elif record.location.file.lower().endswith(".pdf") and record.type == "document":
        files.insert(0, record.location.file)
    return list(dict.fromkeys(files))


def pdf_texts(records: Iterable[Record]) -> dict[str, tuple[str, ...]]:
    """Return {bundle path: page texts} of every PDF whose text a source extracted (``Record.text``).

    The PDF source extracts each page once, in its guarded reader, and the incremental cache keeps the
    text with the record: the rules and the gap analysis never open a PDF themselves.
    """
    return {r.location.file: r.text for r in records if r.text}


def pdf_pages(texts: Mapping[str, Sequence[str]], rel: str) -> list[Passage]:
    """Return one passage per page of the PDF ``rel`` with text (none when no source read its text)."""
    return [Passage(text, file=rel, page=n) for n, text in enumerate(texts.get(rel, ()), 1) if text.strip()]


def record_passages(
    record: Record, texts: Mapping[str, Sequence[str]], seen_pdfs: set[str] | None = None
) -> list[Passage]:
    """Return the record's string fields, then the text of its PDFs (each PDF once per ``seen_pdfs``)."""
    out: list[Passage] = []
    _collect(record.data, "", out)
    for rel in pdf_files(record):
        if seen_pdfs is not None:
            if rel in seen_pdfs:
                continue
            seen_pdfs.add(rel)
        out.extend(pdf_pages(texts, rel))
    return out


# --- retired citations and terms ------------------------------------------------------------------

TERMINOLOGY: dict[str, Any] = read_json("terminology.json")

_CITATION = re.compile(
    r"(?:21\s*C\.?F\.?R\.?\s*(?:Part\s*)?|§+\s*|\bsection\s+|\bsec\.\s*)?(?<![\d.])820\.(\d{1,3})(?![\d])((?:\s*(?-i:\([a-z0-9]{1,4}\)))*)",
    re.I,
)


@dataclass(frozen=True)
class Hit:
    """One retired citation or term found in a passage."""

    passage: Passage
    found: str
    suggestion: str
    start: int

    def snippet(self, width: int = 40) -> str:
        """Return the text around the hit on one line."""
        t = self.passage.text
        a, b = max(0, self.start - width), min(len(t), self.start + len(self.found) + width)
        return " ".join(t[a:b].split())


def _historical(text: str, start: int) -> bool:
    before = text[max(0, start - 60) : start].lower()
    return any(m in before for m in TERMINOLOGY["historical_markers"])


def retired_citations(passages: Sequence[Passage]) -> Iterator[Hit]:
    """Yield each citation of a retired QSR section (820.20-820.250 but 820.35, 820.45) used as current."""
    low, high = TERMINOLOGY["retired_range"]
    current = set(TERMINOLOGY["current_sections"])
    mapping: Mapping[str, list[str]] = TERMINOLOGY["retired_sections"]
    for p in passages:
        if "820." not in p.text:  # every citation the pattern matches contains it; skips the regex scan
            continue
        for m in _CITATION.finditer(p.text):
            n = int(m.group(1))
            if not low <= n <= high or n in current or _historical(p.text, m.start()):
                continue
            section = f"820.{n}"
            targets = mapping.get(section, ["the ISO 13485:2016 clause it maps to (21 CFR 820.10)"])
            yield Hit(p, " ".join(m.group(0).split()), "cite " + " and ".join(targets), m.start())


@lru_cache(maxsize=1024)
def term_pattern(term: str) -> re.Pattern[str]:
    """Return a case-insensitive whole-word pattern for a term (whitespace may break lines)."""
    return re.compile(r"\b" + r"\s+".join(re.escape(w) for w in term.split()) + r"s?\b", re.I)


@lru_cache(maxsize=1024)
def _old_patterns(old: str, abbrev: str | None) -> tuple[re.Pattern[str], ...]:
    """Return the patterns of a retired term: its long form, and its abbreviation in capitals."""
    patterns = [term_pattern(old)]
    if abbrev:
        patterns.append(re.compile(rf"(?<![\w-]){re.escape(abbrev)}s?(?![\w-])"))
    return tuple(patterns)


_ID_FIELD = re.compile(r"(^|/)(id|[a-z_]*_ids?(/\d+)?|file|attachments(/\d+)?|doc_number|report_number)$")


def is_identifier(p: Passage) -> bool:
    """Return True for identifier fields (``/id``, ``/capa_ids/0``, ``/doc_number`` …): legacy ids keep their names."""
    return p.field is not None and bool(_ID_FIELD.search(p.field))


def retired_terms(passages: Sequence[Passage], terms: Sequence[Mapping[str, Any]]) -> Iterator[tuple[Hit, int]]:
    """Yield (first hit, count) per retired term the passages use without any of its new terms.

    A term counts when its long form, or its abbreviation in capitals, appears outside a historical
    remark ("formerly the DHF"), an identifier field or an identifier token ("DHR-A24-1001"); it is
    excused when the same passages use the new term too.
    """
    passages = [p for p in passages if not is_identifier(p)]
    # NUL is neither a word nor a space character, so no pattern matches across it and every boundary
    # assertion behaves as at the start or end of a passage: one search of the joined text answers
    # "does any passage match" (most records use no retired term at all).
    joined = "\x00".join(p.text for p in passages)
    lowered = joined.lower() if joined.isascii() else None
    for term in terms:
        old, abbrev = term["old"], term.get("abbrev")
        # ASCII text, ASCII term: re.I equals comparing lower case, so a word missing from the text
        # rules the long form out, and the case-sensitive abbreviation is a plain substring.
        if (
            lowered is not None
            and old.isascii()
            and not all(w in lowered for w in old.lower().split())
            and not (abbrev and abbrev in joined)
        ):
            continue
        patterns = _old_patterns(old, abbrev)
        if not any(pat.search(joined) for pat in patterns):
            continue
        new_patterns = [term_pattern(t) for t in term.get("new_patterns", [term["new"]])]
        if any(pat.search(p.text) for pat in new_patterns for p in passages):
            continue
        hits = [
            Hit(p, m.group(0), f"use \u201c{term['new']}\u201d ({term['cite']})", m.start())
            for p in passages
            for pat in patterns
            for m in pat.finditer(p.text)
            if not _historical(p.text, m.start())
        ]
        if hits:
            yield hits[0], len(hits)
