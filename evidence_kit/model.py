"""The immutable data every stage passes on: records, findings, outcomes and the report.

Everything here is a frozen dataclass made of plain values, so a report can be written to JSON and
read back without loss, and two runs over the same inputs compare equal.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any, TypeVar, overload

import orjson

T = TypeVar("T")

__all__ = [
    "FOIA_NOTICE",
    "REPORT_SCHEMA_VERSION",
    "Baseline",
    "Finding",
    "InputOutcome",
    "Location",
    "PluginInfo",
    "Record",
    "RecordDigest",
    "RecordDigests",
    "RecordSet",
    "Report",
    "Severity",
    "canonical_json",
]

REPORT_SCHEMA_VERSION = "1"

#: The page marking for ``foia_confidential = true`` ([binder] or [inspection]): the drug-side
#: counterpart of 21 CFR 820.35(d), asking FDA to withhold the pages under 21 CFR 20.61 / FOIA (b)(4).
FOIA_NOTICE = "Confidential commercial information \u2014 FOIA exemption (b)(4) requested"


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return dict(value)
    raise TypeError(f"not JSON-serialisable: {type(value).__name__}")


def canonical_json(value: Any) -> str:
    """Return ``value`` as canonical JSON: sorted keys, no spaces, UTF-8 characters kept."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_plain)


class Severity(StrEnum):
    """How serious a finding is; ``error`` means the regulation's text is violated."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        """Return 3 for error, 2 for warning and 1 for info, for ``>=`` comparisons."""
        return {"error": 3, "warning": 2, "info": 1}[self.value]


@dataclass(frozen=True, slots=True, init=False)
class Location:
    """Where something is, as precisely as the source format allows.

    Attributes:
        file: Bundle-relative POSIX path of the input file.
        record: Record id, when the place is inside one record.
        field: JSON Pointer into the canonical record, e.g. ``/signatures/0/signed_at``.
        line: 1-based line in a text file (JSON, JSON Lines, XML, CSV).
        page: 1-based page in a PDF.
        path: Position inside the source file in its own terms: a JSON Pointer into the file,
            an XPath, a CSV column, or a PDF form field name.
    """

    file: str
    record: str | None = None
    field: str | None = None
    line: int | None = None
    page: int | None = None
    path: str | None = None

    def __init__(
        self,
        file: str,
        record: str | None = None,
        field: str | None = None,
        line: int | None = None,
        page: int | None = None,
        path: str | None = None,
    ) -> None:
        """Set the fields through their slots (a frozen dataclass's own ``__init__`` is twice as slow)."""
        a, b, c, d, e, f = _LOCATION_SLOTS
        a(self, file)
        b(self, record)
        c(self, field)
        d(self, line)
        e(self, page)
        f(self, path)

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
        if self.page is not None:
            where += f" p.{self.page}"
        parts = [where]
        if self.path:
            parts.append(self.path)
        if self.record:
            parts.append(self.record)
        if self.field:
            parts.append(self.field)
        return " · ".join(parts)

    def sort_key(self) -> tuple[str, str, str, int, int]:
        """Return a key that orders locations by file, record, field, line and page."""
        return (self.file, self.record or "", self.field or "", self.line or 0, self.page or 0)


@dataclass(frozen=True, slots=True, init=False)
class Record:
    """One canonical quality record (a complaint, a CAPA, a signed SOP …).

    Attributes:
        type: Name of a registered record type, e.g. ``complaint``.
        id: The record's identifier, unique within the bundle (duplicates are findings).
        data: Canonical content. The top level is read-only; treat nested values as read-only too.
        location: Where the record came from (file plus line, JSON Pointer, XPath or page).
        sha256: SHA-256 of the input file the record was read from.
        source: Name of the source plugin that produced it.
        attachments: Bundle-relative paths of files that belong to this record in the binder,
            such as the signed PDF of an SOP revision.
        text: The text of the record's own PDF, one string per page (page n at index n-1), as the
            source extracted it once, so rules search it without reading the PDF again; empty for
            records not read from a PDF. Not part of ``data`` or the record's digest. ``build``
            empties it once its binder's analyses have read it (see :func:`_release_text`).
    """

    type: str
    id: str
    data: Mapping[str, Any]
    location: Location
    sha256: str
    source: str
    attachments: tuple[str, ...] = ()
    text: tuple[str, ...] = ()

    def __init__(
        self,
        type: str,
        id: str,
        data: Mapping[str, Any],
        location: Location,
        sha256: str,
        source: str,
        attachments: tuple[str, ...] = (),
        text: tuple[str, ...] = (),
    ) -> None:
        """Set the fields through their slots; ``data`` is kept as a read-only view of a private copy."""
        a, b, c, d, e, f, g, h = _RECORD_SLOTS
        a(self, type)
        b(self, id)
        c(self, data if isinstance(data, MappingProxyType) else MappingProxyType(dict(data)))
        d(self, location)
        e(self, sha256)
        f(self, source)
        g(self, attachments)
        h(self, text)

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle with a plain dict (a mapping proxy cannot be pickled); used by the guarded PDF reader."""
        plain = dict(self.data)
        return (
            Record,
            (self.type, self.id, plain, self.location, self.sha256, self.source, self.attachments, self.text),
        )

    def digest(self) -> str:
        """Return the SHA-256 of the record's canonical JSON (sorted keys, no spaces)."""
        return hashlib.sha256(canonical_json(self.data).encode("utf-8", "surrogatepass")).hexdigest()


def _slot_setters(cls: type, names: str) -> tuple[Any, ...]:
    """The slot descriptors' ``__set__`` methods: they write a frozen instance's fields during ``__init__``."""
    return tuple(cls.__dict__[name].__set__ for name in names.split())


_LOCATION_SLOTS = _slot_setters(Location, "file record field line page path")
_RECORD_SLOTS = _slot_setters(Record, "type id data location sha256 source attachments text")


def _opt(value: str | None) -> tuple[bool, str]:
    """Order ``None`` before every string, ``""`` included."""
    return (value is not None, value or "")


def _release_text(records: Iterable[Record]) -> None:
    """Drop the records' page texts (``Record.text`` becomes ``()``), in place, to free their memory.

    Only for the last user of a run: the binder built by ``build`` calls it once the gap analysis, the
    only reader of page texts after the rules, has run (~6.5 MiB of text at 1,000 source PDFs). The text is
    not part of ``data``, the digest, the report or the binder, so nothing else changes.
    """
    set_text = _RECORD_SLOTS[7]
    for r in records:
        if r.text:
            set_text(r, ())


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem, anywhere: an unreadable file, a schema violation, a broken rule, a crash.

    Attributes:
        code: Stable dotted code, ``pack.kebab-name`` (``complaints.capa-missing``).
        severity: error, warning or info.
        message: A full sentence naming the file, record and field, and what was expected.
        location: Where the problem is.
        cites: Regulation clauses the finding rests on, e.g. ``("21 CFR 820.35(a)(6)",)``.
        hint: How to fix it.
        plugin: Name of the plugin that raised the finding (``core`` for the engine itself).
    """

    code: str
    severity: Severity
    message: str
    location: Location
    cites: tuple[str, ...] = ()
    hint: str | None = None
    plugin: str = "core"

    @property
    def fingerprint(self) -> str:
        """Return a 16-hex-digit id that survives rewording: code, file, record and field only.

        Positions are left out, the location's ``path`` as much as ``line`` and ``page``: an XPath
        (``…/Complaint[2]``) or a JSON Pointer into a file (``/17``) moves when a record is added
        above, and a baseline must keep matching. So two findings on the same record and field of
        one file that differ only in position (the two ``records.duplicate-id`` findings of a form
        whose document record and form record share an id) share a fingerprint: they are one problem.
        """
        loc = self.location
        key = "|".join((self.code, loc.file, loc.record or "", loc.field or ""))
        return hashlib.sha256(key.encode()).hexdigest()[:16]

    def sort_key(self) -> tuple[Any, ...]:
        """Return the deterministic report order: file, record, field, line, page, code, message, then the rest.

        The order is total: two findings that differ in anything (the location's ``path``, a
        ``None`` where the other has ``""`` or 0, severity, citations, hint, plugin) never tie, so
        the report's order does not depend on the order they were found in or on set iteration
        (``hash(None)`` differs per process).
        """
        loc = self.location
        return (
            *loc.sort_key(),
            self.code,
            self.message,
            _opt(loc.path),
            self.severity.value,
            self.cites,
            _opt(self.hint),
            self.plugin,
            (loc.record is None, loc.field is None, loc.line is None, loc.page is None),
        )


@dataclass(frozen=True, slots=True)
class InputOutcome:
    """What became of one file under the bundle. Every file gets exactly one.

    Attributes:
        file: Bundle-relative POSIX path.
        sha256: SHA-256 of the file's bytes ("" when it could not be read).
        size: Size in bytes.
        source: Name of the source plugin that read it, or None.
        records: Ids of the records it produced, in file order.
        bound: True when its content goes into the binder (merged pages or an attachment).
        excluded_by: The finding code that explains why it was not bound, when it was not.
        reason: The exclusion reason in words.
    """

    file: str
    sha256: str
    size: int
    source: str | None
    records: tuple[str, ...] = ()
    bound: bool = False
    excluded_by: str | None = None
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class PluginInfo:
    """Which plugin took part in a run: name, version, origin and the hooks it implements."""

    name: str
    version: str
    origin: str
    hooks: tuple[str, ...] = ()


def json_loads(text: str | bytes) -> Any:
    """Parse JSON the tool wrote: with orjson, or with the stdlib for what orjson refuses (a lone surrogate escape)."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


@dataclass(frozen=True, slots=True)
class RecordDigest:
    """A record's fingerprint in a report, so two reports can be compared record by record.

    Attributes:
        type: Record type.
        id: Record id.
        file: Bundle-relative path of the file it came from.
        sha256: SHA-256 of the record's canonical JSON (:meth:`Record.digest`).
        fields: Top-level field name → first 16 hex digits of the SHA-256 of that field's
            canonical JSON, so a diff can name the fields that changed.
        status: The record's ``status`` value, when it has one.
        closed: True when the record is closed (a closed status or a closing date).
        approved: True when the record is approved or released (an approval status, date or
            signature).
    """

    type: str
    id: str
    file: str
    sha256: str
    fields: Mapping[str, str]
    status: str | None = None
    closed: bool = False
    approved: bool = False

    @property
    def key(self) -> tuple[str, str]:
        """Return ``(type, id)``, the identity a diff matches records by."""
        return (self.type, self.id)

    def to_dict(self) -> dict[str, Any]:
        """Return the digest as plain JSON data (its entry in a report's ``records`` list)."""
        return {
            "type": self.type,
            "id": self.id,
            "file": self.file,
            "sha256": self.sha256,
            "fields": dict(self.fields),
            "status": self.status,
            "closed": self.closed,
            "approved": self.approved,
        }

    def to_line(self) -> str:
        """Return the digest as compact, key-sorted JSON on one line: its line in a JSON report."""
        try:
            return orjson.dumps(self.to_dict(), option=orjson.OPT_SORT_KEYS).decode()
        except orjson.JSONEncodeError:  # text orjson refuses (a lone surrogate): the stdlib writes it
            return json.dumps(self.to_dict(), sort_keys=True, ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_line(cls, line: str) -> RecordDigest:
        """Read a digest back from :meth:`to_line` (or from a report's ``records`` entry)."""
        return cls(**json_loads(line))


class RecordDigests(Sequence[RecordDigest]):
    """A run's record digests, held as their report lines and read into :class:`RecordDigest` on first use.

    A cached rerun reads tens of thousands of digests from the cache only to write them into the report
    again; keeping the lines (:meth:`RecordDigest.to_line`) spares an object and a re-serialisation per
    record unless something looks inside (a baseline comparison, a diff, the HTML report).
    """

    __slots__ = ("_digests", "lines")

    def __init__(self, lines: Iterable[str] = ()) -> None:
        """Hold ``lines``, one :meth:`RecordDigest.to_line` each."""
        self.lines: tuple[str, ...] = tuple(lines)
        self._digests: tuple[RecordDigest, ...] | None = None

    @classmethod
    def of(cls, digests: Iterable[RecordDigest]) -> RecordDigests:
        """Return the digests as lines."""
        return cls(d.to_line() for d in digests)

    def _parsed(self) -> tuple[RecordDigest, ...]:
        if self._digests is None:
            self._digests = tuple(RecordDigest.from_line(line) for line in self.lines)
        return self._digests

    def __len__(self) -> int:
        return len(self.lines)

    @overload
    def __getitem__(self, index: int) -> RecordDigest: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[RecordDigest, ...]: ...

    def __getitem__(self, index: int | slice) -> RecordDigest | tuple[RecordDigest, ...]:
        return self._parsed()[index]

    def __iter__(self) -> Iterator[RecordDigest]:
        return iter(self._parsed())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, RecordDigests):
            return self.lines == other.lines
        if isinstance(other, Sequence):
            return self._parsed() == tuple(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.lines)

    def __repr__(self) -> str:
        return f"RecordDigests({len(self.lines)} records)"


@dataclass(frozen=True, slots=True)
class Baseline:
    """What a run was compared with: an earlier report, and what changed since.

    Attributes:
        report: Name of the baseline report file.
        tool_version: evidence-kit version that wrote the baseline.
        as_of: The baseline run's "now".
        open: Fingerprints of current findings the baseline already had (still open).
        fixed: Baseline findings whose fingerprint is gone from this run.
        added: ``type:id`` of records present now but not in the baseline.
        removed: ``type:id`` of baseline records that are gone.
        changed: ``(type:id, changed fields)`` of records whose content changed.
        records_compared: False when the baseline has no record digests (an older tool wrote it), so
            records could not be compared and ``added``/``removed``/``changed`` say nothing.
        extra: Current findings that are new although the baseline has their fingerprint: occurrences
            beyond the baseline's count (a third copy of a record where the baseline had two), and
            edits of closed records made since the baseline (each edit is a new event).
    """

    report: str
    tool_version: str
    as_of: str
    open: frozenset[str] = frozenset()
    fixed: tuple[Finding, ...] = ()
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    changed: tuple[tuple[str, tuple[str, ...]], ...] = ()
    records_compared: bool = True
    extra: frozenset[Finding] = frozenset()


@dataclass(frozen=True, slots=True)
class Report:
    """The result of a validation run, serialised as schema-versioned JSON.

    Attributes:
        tool_version: evidence-kit version that made it.
        bundle: Bundle name (its folder name).
        profile: Binder profile named by the bundle.
        as_of: The date-time the run judged "now" against (ISO 8601 with zone).
        plugins: Plugins that ran.
        inputs: One outcome per file, sorted by path.
        findings: All findings, sorted by location then code.
        record_count: How many records were read.
        schema_version: Version of the report format (see ``schemas/report.schema.json``).
        records: One digest per record, in input order (empty in reports of older tools).
        baseline: The comparison with an earlier report, when the run was given one.
    """

    tool_version: str
    bundle: str
    profile: str
    as_of: str
    plugins: tuple[PluginInfo, ...]
    inputs: tuple[InputOutcome, ...]
    findings: tuple[Finding, ...]
    record_count: int
    schema_version: str = REPORT_SCHEMA_VERSION
    records: Sequence[RecordDigest] = ()
    baseline: Baseline | None = None

    def baseline_status(self, finding: Finding) -> str | None:
        """Return ``"new"`` or ``"open"`` for a finding when the run had a baseline, else None."""
        if self.baseline is None:
            return None
        base = self.baseline
        return "open" if finding.fingerprint in base.open and finding not in base.extra else "new"

    def failing(self, severity: Severity) -> list[Finding]:
        """Return the findings at or above ``severity`` that count for the exit code.

        With a baseline only new findings count; findings the baseline already had do not.
        """
        return [f for f in self.at_or_above(severity) if self.baseline_status(f) != "open"]

    def counts(self) -> dict[str, int]:
        """Return the number of findings per severity, every severity present."""
        out = {s.value: 0 for s in Severity}
        for f in self.findings:
            out[f.severity.value] += 1
        return out

    def at_or_above(self, severity: Severity) -> list[Finding]:
        """Return the findings whose severity is at least ``severity``."""
        return [f for f in self.findings if f.severity.rank >= severity.rank]

    def flatten(self, *attrs: str) -> list[tuple[Any, ...]]:
        """Return one tuple per finding, of the named attributes (frictionless ``flatten``).

        Names are looked up on the finding first, then on its location, so
        ``report.flatten("code", "file", "record", "field")`` works.
        """
        rows = []
        for f in self.findings:
            row = []
            for a in attrs:
                row.append(getattr(f, a) if hasattr(f, a) else getattr(f.location, a))
            rows.append(tuple(row))
        return rows


@dataclass(frozen=True)
class RecordSet:
    """A read-only index over all records of a run, by id and by type, in input order."""

    records: tuple[Record, ...]
    _by_id: Mapping[str, tuple[Record, ...]] = field(init=False, repr=False, compare=False)
    _by_type: Mapping[str, tuple[Record, ...]] = field(init=False, repr=False, compare=False)
    _by_type_id: Mapping[tuple[str, str], Record] = field(init=False, repr=False, compare=False)
    _memo: dict[Any, Any] = field(init=False, repr=False, compare=False, default_factory=dict)

    def derived(self, function: Callable[..., T], *args: Hashable) -> T:
        """Return ``function(self, *args)``, computed once per record set and shared by every caller.

        Rules that need the same index or parse (CAPA-trigger pairs, parsed UDIs, a device-master
        index) ask for it here, so a run computes it once instead of once per rule. ``function``
        must be a pure function of the record set and ``args``, and its result must not be mutated.

        Example:
            >>> def capas_by_lot(records):
            ...     return {r.data.get("lot"): r for r in records.of_type("capa")}
            >>> index = records.derived(capas_by_lot)  # doctest: +SKIP
        """
        key = (function, args)
        try:
            return self._memo[key]  # type: ignore[no-any-return]
        except KeyError:
            value = self._memo[key] = function(self, *args)
            return value

    def __post_init__(self) -> None:
        by_id: dict[str, list[Record]] = {}
        by_type: dict[str, list[Record]] = {}
        by_type_id: dict[tuple[str, str], Record] = {}
        for r in self.records:
            by_id.setdefault(r.id, []).append(r)
            by_type.setdefault(r.type, []).append(r)
            by_type_id.setdefault((r.type, r.id), r)
        object.__setattr__(self, "_by_id", {k: tuple(v) for k, v in by_id.items()})
        object.__setattr__(self, "_by_type", {k: tuple(v) for k, v in by_type.items()})
        object.__setattr__(self, "_by_type_id", by_type_id)

    @classmethod
    def of(cls, records: Iterable[Record]) -> RecordSet:
        """Build a record set from any iterable of records."""
        return cls(tuple(records))

    def __iter__(self) -> Iterator[Record]:
        return iter(self.records)

    def __len__(self) -> int:
        return len(self.records)

    def of_type(self, *types: str) -> tuple[Record, ...]:
        """Return the records of the given types, in input order per type."""
        if len(types) == 1:
            return self._by_type.get(types[0], ())
        return tuple(r for t in types for r in self._by_type.get(t, ()))

    def get(self, record_id: str, type: str | None = None) -> Record | None:
        """Return the first record with this id (and type, if given), or None."""
        if type is not None:
            return self._by_type_id.get((type, record_id))
        found = self._by_id.get(record_id)
        return found[0] if found else None

    def all_with_id(self, record_id: str) -> tuple[Record, ...]:
        """Return every record carrying this id (more than one means a duplicate)."""
        return self._by_id.get(record_id, ())

    def types(self) -> list[str]:
        """Return the record types present, sorted."""
        return sorted(self._by_type)
