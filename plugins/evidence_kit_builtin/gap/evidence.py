"""Shared evidence helpers: record dates, the record window, procedure candidates and trend series."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from evidence_kit import Record, RecordSet
from evidence_kit_builtin.gap.text import Passage, pdf_texts, record_passages, retired_citations
from evidence_kit_builtin.record_types import TYPES

#: date fields of the record types this package adds (the built-in ones come from record_types.TYPES)
EXTRA_DATE_FIELDS = {  # keep in step with gap.plugin.TYPES
    "risk_management_file": "approved_at",
    "improvement_plan": "assessment_date",
    "business_continuity_plan": "last_reviewed",
}
FALLBACK_DATE_FIELDS = ("date", "review_date", "effective_date", "created_at", "created")
INACTIVE_STATUSES = {"draft", "in-review", "superseded", "obsolete"}
#: master data and standing documents: evidence whatever their date (a GUDID DI published in 2021 is still current)
STANDING_TYPES = frozenset(
    {"device_master", "controlled_document", "document", "risk_management_file", "business_continuity_plan", "supplier"}
)
FOIA_KEY = "foia_confidential"


def as_date(value: Any) -> dt.date | None:
    """Return the calendar date of an ISO date or date-time string, or None."""
    if isinstance(value, str) and len(value) >= 10:
        try:
            return dt.date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def record_date(r: Record) -> dt.date | None:
    """Return the record's date: its type's date field, else the first common date field present."""
    fld = TYPES.get(r.type, (None, None))[1] or EXTRA_DATE_FIELDS.get(r.type)
    for key in (fld, *FALLBACK_DATE_FIELDS):
        d = as_date(r.data.get(key)) if key else None
        if d is not None:
            return d
    return None


@dataclass(frozen=True)
class Window:
    """The record window: the period whose records show a requirement is practised."""

    start: dt.date
    end: dt.date

    def holds(self, r: Record) -> bool:
        """Return True when the record's date lies in the window; undated and standing records always count."""
        if r.type in STANDING_TYPES:
            return True
        d = record_date(r)
        return d is None or self.start <= d <= self.end


def window(settings: Mapping[str, Any], now: dt.datetime, default_days: int = 730) -> Window:
    """Return ``[inspection] window_start/window_end``; by default the two years up to the run's date."""
    insp = settings.get("inspection") or {}
    end = as_date(insp.get("window_end")) or now.date()
    start = as_date(insp.get("window_start")) or end - dt.timedelta(days=default_days)
    return Window(start, end)


def foia_confidential(settings: Mapping[str, Any]) -> bool:
    """Return True when ``[binder]`` or ``[inspection]`` sets ``foia_confidential = true``."""
    return any(bool((settings.get(k) or {}).get(FOIA_KEY)) for k in ("binder", "inspection"))


def filled(value: Any) -> bool:
    """Return True for a present, non-empty value that is not an explicit ``{none: true}``."""
    if isinstance(value, Mapping) and value.get("none") is True:
        return False
    return value not in (None, "", [], {}, ())


def mappings(value: Any) -> list[Mapping[str, Any]]:
    """Return the objects in a list value (anything else: none)."""
    return [v for v in value if isinstance(v, Mapping)] if isinstance(value, (list, tuple)) else []


def meets(r: Record, requires: tuple[tuple[str, Any], ...]) -> bool:
    """Return True when the record carries every required field (``True``: non-empty; else that value)."""
    return all(filled(r.data.get(k)) if v is True else r.data.get(k) == v for k, v in requires)


@dataclass(frozen=True)
class Candidate:
    """A document that may be a procedure: a controlled document revision in force, or a bundled PDF."""

    record: Record
    kind: str
    passages: tuple[Passage, ...]
    text: str
    legacy: tuple[tuple[str, str, str], ...]  # (found, suggestion, where)
    numerals: str  #: the digits-and-dots runs of ``text``, NUL-joined (see :func:`numerals`)


#: every ASCII character but digits and dots becomes a space (str.translate is 5x faster than a findall here)
_NOT_NUMERAL = str.maketrans({chr(i): " " for i in range(128) if not (chr(i).isdigit() or chr(i) == ".")})


def numerals(text: str) -> str:
    """Return the distinct runs left when every ASCII character but digits and dots is blanked, NUL-joined.

    A digits-and-dots literal (``8.2.2``, ``820.35``) occurs in ``text`` exactly when it occurs in this much
    shorter string: an occurrence contains no blanked character, so it lies inside one run, and none can
    span the NUL between two runs.
    """
    return "\x00".join(sorted(set(text.translate(_NOT_NUMERAL).split())))


def slug(text: str) -> str:
    """Return ``text`` lower-cased with every run of other characters turned into one hyphen."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def document_kind(r: Record) -> str:
    """Return the record's ``kind``, else its title and file name as a slug (matched against catalogue kinds)."""
    kind = r.data.get("kind")
    if isinstance(kind, str) and kind:
        return kind
    return slug(f"{r.data.get('title') or ''} {PurePosixPath(r.location.file).stem}")


def kind_matches(kind: str, wanted: tuple[str, ...]) -> bool:
    """Return True when a document kind is one of ``wanted``, or an inferred slug contains one of them."""
    return any(kind == w or f"-{w}-" in f"-{kind}-" for w in wanted)


def candidates(records: RecordSet) -> list[Candidate]:
    """Return every document that could cover a requirement, with its extracted text and legacy citations."""
    texts = pdf_texts(records)
    out = []
    for r in records.of_type("controlled_document", "document"):
        if r.type == "controlled_document" and str(r.data.get("status")) in INACTIVE_STATUSES:
            continue
        passages = tuple(record_passages(r, texts))
        legacy = tuple((h.found, h.suggestion, h.passage.where) for h in retired_citations(passages))
        text = "\n".join(p.text for p in passages)
        out.append(Candidate(r, document_kind(r), passages, text, legacy, numerals(text)))
    return out


def month(value: Any) -> str | None:
    """Return ``YYYY-MM`` of a date string, or None."""
    d = as_date(value)
    return d.strftime("%Y-%m") if d else None


def complaints_by_month(records: RecordSet, win: Window) -> dict[str, dict[str, int]]:
    """Return {month: {failure mode: count}} for device and drug complaints received in the window."""
    out: dict[str, dict[str, int]] = {}
    for c in records.of_type("complaint", "drug_complaint"):
        d = as_date(c.data.get("received_date"))
        if d is None or not win.start <= d <= win.end:
            continue
        mode = str(c.data.get("failure_mode") or c.data.get("category") or "unspecified")
        bucket = out.setdefault(d.strftime("%Y-%m"), {})
        bucket[mode] = bucket.get(mode, 0) + 1
    return dict(sorted(out.items()))


def capa_cycle_days(records: RecordSet, win: Window) -> list[dict[str, Any]]:
    """Return [{id, opened, closed, days}] for CAPAs closed in the window, by closing date."""
    out = []
    for c in records.of_type("capa"):
        opened, closed = as_date(c.data.get("opened_at")), as_date(c.data.get("closed_at"))
        if opened and closed and win.start <= closed <= win.end and closed >= opened:
            out.append(
                {"id": c.id, "opened": opened.isoformat(), "closed": closed.isoformat(), "days": (closed - opened).days}
            )
    return sorted(out, key=lambda x: (x["closed"], x["id"]))
