"""What a plugin provides: record types, sources, rules, binder profiles and report formats.

Hooks return objects of these shapes. Record types, sections and the rule decorator are concrete
classes; sources, binder profiles and report formats are Protocols a plugin implements however it
likes. The contexts handed to plugins carry everything they may use, so plugins never import the
engine.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Protocol, runtime_checkable

from evidence_kit.model import Finding, Location, Record, RecordSet, Report, Severity

__all__ = [
    "Analysis",
    "BinderProfile",
    "MappedProfile",
    "RecordType",
    "ReportFormat",
    "Rule",
    "RuleContext",
    "Section",
    "Source",
    "SourceContext",
    "rule",
]


@dataclass(frozen=True)
class RecordType:
    """A kind of quality record and the JSON Schema (Draft 2020-12) its canonical data must meet.

    Attributes:
        name: Short name used in configs and findings, e.g. ``complaint``.
        title: Human title, e.g. ``Complaint file (21 CFR 820.35(a))``.
        schema: The JSON Schema; its ``$id`` carries the version, e.g. ``…/complaint/1``.
        id_field: Field of the canonical data that holds the record id.
        date_field: Field used to place the record in the record window and to sort logs.
        cites: Clauses the record type exists to satisfy.
        resources: Other schemas (each with an ``$id``) that ``schema`` refers to by ``$ref``,
            such as shared definitions of signatures and dates.
    """

    name: str
    title: str
    schema: Mapping[str, Any]
    id_field: str = "id"
    date_field: str | None = None
    cites: tuple[str, ...] = ()
    resources: tuple[Mapping[str, Any], ...] = ()

    @property
    def schema_id(self) -> str:
        """Return the schema's ``$id`` (versioned), or ``""`` when it has none."""
        return str(self.schema.get("$id", ""))


@dataclass(frozen=True)
class SourceContext:
    """What a source gets for one input file, and helpers to build records and findings.

    Attributes:
        bundle: Absolute path of the bundle folder.
        file: Bundle-relative POSIX path of the input file.
        sha256: SHA-256 of the file.
        source: Name of the source reading it.
        record_type: Record type named by the bundle config for this file, if any.
        options: The source options the bundle config gives for this file.
    """

    bundle: Path
    file: str
    sha256: str
    source: str
    record_type: str | None = None
    options: Mapping[str, Any] = field(default_factory=dict)

    def record(
        self,
        type: str,
        id: str,
        data: Mapping[str, Any],
        *,
        line: int | None = None,
        page: int | None = None,
        path: str | None = None,
        attachments: tuple[str, ...] = (),
        text: tuple[str, ...] = (),
    ) -> Record:
        """Build a Record whose provenance is this file, at the given line, page or path (``text``: its page texts)."""
        loc = Location(self.file, record=id, line=line, page=page, path=path)
        return Record(type, id, data, loc, self.sha256, self.source, attachments, text)

    def finding(
        self,
        code: str,
        message: str,
        *,
        severity: Severity = Severity.ERROR,
        record: str | None = None,
        field: str | None = None,
        line: int | None = None,
        page: int | None = None,
        path: str | None = None,
        hint: str | None = None,
        cites: tuple[str, ...] = (),
    ) -> Finding:
        """Build a Finding located in this file."""
        loc = Location(self.file, record=record, field=field, line=line, page=page, path=path)
        return Finding(code, severity, message, loc, cites, hint, self.source)


@runtime_checkable
class Source(Protocol):
    """Reads one kind of exported file into records.

    ``read`` yields Records and Findings; bad data is a Finding, never an exception. An exception
    that escapes anyway becomes an ``ingest.source-crashed`` finding naming the plugin.

    The incremental cache reuses what ``read`` made of a file while the file, its ``[[inputs]]``
    entry, the source's ``version`` and its package's code stay the same, and while every file an
    option names (a string option that is a path inside the bundle) keeps its content. A source
    whose reading depends on anything else may add, optionally:

    * ``referenced_files(ctx) -> Iterable[Path]``: further files the reading depends on (an XSD's
      imports, a file outside the bundle); their content goes into the cache key.
    * ``cache_token(ctx) -> str``: a string that changes whenever something else the reading
      depends on changes (an environment variable). Never return a secret itself: return a
      digest of it, salted with ``ctx.sha256``.

    Both must be quick (they run for every file on every cached run) and must not read the input file.
    """

    name: str
    version: str

    def detect(self, path: PurePosixPath, head: bytes) -> bool:
        """Return True when this source can read the file (``head`` is its first 4 KiB)."""
        ...

    def read(self, path: Path, ctx: SourceContext) -> Iterable[Record | Finding]:
        """Yield the file's records, and a finding for every defect found on the way."""
        ...


@dataclass(frozen=True)
class RuleContext:
    """What a rule gets: its options, the evaluation time, the bundle settings and a finding maker.

    Attributes:
        code: The running rule's code.
        severity: Its default severity.
        cites: Its citations.
        hint: Its default fix hint.
        options: The rule's options, defaults merged with the bundle config.
        now: The time the run judges "now" against (timezone-aware).
        settings: The bundle's ``[establishment]`` and ``[inspection]`` settings.
        plugin: The name of the plugin that registered the rule.
    """

    code: str
    severity: Severity
    cites: tuple[str, ...]
    hint: str | None
    options: Mapping[str, Any]
    now: dt.datetime
    settings: Mapping[str, Any] = field(default_factory=dict)
    plugin: str = ""

    def finding(
        self,
        record: Record,
        *,
        field: str | None,
        message: str,
        hint: str | None = None,
        severity: Severity | None = None,
        cites: tuple[str, ...] | None = None,
    ) -> Finding:
        """Build a finding on ``record`` at JSON Pointer ``field``, with the rule's metadata.

        The location keeps the record's file, line, page and source path, so the user can go
        straight to the place in the export.
        """
        src = record.location
        loc = Location(src.file, record.id, field, src.line, src.page, src.path)
        return Finding(
            self.code,
            severity or self.severity,
            message,
            loc,
            cites if cites is not None else self.cites,
            hint if hint is not None else self.hint,
            self.plugin,
        )


class Rule(Protocol):
    """A check over the whole record set; see :func:`rule` for the usual way to write one.

    Attributes:
        code: Stable dotted code, ``pack.kebab-name``.
        title: One line saying what the rule finds.
        severity: Default severity of its findings.
        cites: Clauses it enforces; at least one.
        hint: How to fix what it finds.
        record_types: The record types it reads.
        options: Default values of its configurable thresholds.
        options_schema: JSON Schema the bundle config's options must meet, or None.
        scope: ``"set"`` (the default when a rule does not say) or ``"record"``. A record-scoped rule
            promises that every finding it makes on a record depends only on that record (its data
            and location), the options, the settings and ``now``, never on other records. The engine
            may then run it on any subset of the records, e.g. one input file at a time in worker
            processes, and keep its findings in the incremental cache with the file. Rules that look
            records up by id, lot or device, or compare records with each other, are ``"set"``.
    """

    code: str
    title: str
    severity: Severity
    cites: tuple[str, ...]
    hint: str
    record_types: frozenset[str]
    options: Mapping[str, Any]
    options_schema: Mapping[str, Any] | None
    scope: str

    def check(self, records: RecordSet, ctx: RuleContext) -> Iterable[Finding]:
        """Yield a finding for every defect in ``records``."""
        ...


CheckFunction = Callable[[RecordSet, RuleContext], Iterable[Finding]]

RULE_SCOPES = ("set", "record")


@dataclass(frozen=True)
class FunctionRule:
    """A Rule made from a generator function by the :func:`rule` decorator."""

    code: str
    title: str
    severity: Severity
    cites: tuple[str, ...]
    hint: str
    record_types: frozenset[str]
    function: CheckFunction
    options: Mapping[str, Any] = field(default_factory=dict)
    options_schema: Mapping[str, Any] | None = None
    scope: str = "set"

    def check(self, records: RecordSet, ctx: RuleContext) -> Iterable[Finding]:
        """Run the wrapped function."""
        return self.function(records, ctx)


def rule(
    code: str,
    *,
    title: str,
    cites: Sequence[str],
    hint: str,
    record_types: Iterable[str],
    severity: Severity = Severity.ERROR,
    options: Mapping[str, Any] | None = None,
    options_schema: Mapping[str, Any] | None = None,
    scope: str = "set",
) -> Callable[[CheckFunction], FunctionRule]:
    """Turn a generator function ``(records, ctx) -> findings`` into a Rule.

    Pass ``scope="record"`` when each finding on a record depends on that record alone (see
    :class:`Rule`): the engine then runs the rule per input file, in parallel and incrementally.

    Example:
        >>> @rule("acme.owner-missing", title="CAPA has no owner",
        ...       cites=("ISO 13485:2016 8.5.2",), hint="Assign an owner.",
        ...       record_types={"capa"})
        ... def owner_missing(records, ctx):
        ...     for r in records.of_type("capa"):
        ...         if not r.data.get("owner"):
        ...             yield ctx.finding(r, field="/owner", message=f"CAPA {r.id} has no owner.")
    """
    if not cites:
        raise ValueError(f"rule {code} must cite at least one clause")
    if scope not in RULE_SCOPES:
        raise ValueError(f"rule {code}: scope must be one of {', '.join(RULE_SCOPES)}, not {scope!r}")

    def wrap(function: CheckFunction) -> FunctionRule:
        return FunctionRule(
            code=code,
            title=title,
            severity=severity,
            cites=tuple(cites),
            hint=hint,
            record_types=frozenset(record_types),
            function=function,
            options=dict(options or {}),
            options_schema=options_schema,
            scope=scope,
        )

    return wrap


@dataclass(frozen=True)
class Section:
    """One binder section: a title, the records in it and nested sections."""

    key: str
    title: str
    records: tuple[Record, ...] = ()
    children: tuple[Section, ...] = ()


@dataclass(frozen=True)
class LogColumn:
    """One column of a binder log: header, width in points, the fields it reads and how it shows them.

    ``fields`` are dotted paths (``mdr_decision.reportable``); the first one a record has wins, so one log can
    hold records of several types. ``show`` is ``text`` (the value), ``join`` (every present field, joined by
    spaces), ``yes_no`` (a boolean decision: Yes / No / not recorded), ``ids`` (linked record ids), ``id``
    (the record's id) or ``label_result`` (a label inspection's result from its ``items.*``: ``pass``,
    ``pass (n/a: processing)`` or ``FAIL: storage``).
    """

    title: str
    width: float
    fields: tuple[str, ...] = ()
    show: str = "text"


@dataclass(frozen=True)
class BinderLog:
    """A log in the binder's front matter: the record types that feed it and its columns.

    Each row links to its record's summary page; the binder adds the ``Page`` column.
    """

    key: str
    title: str
    record_types: tuple[str, ...]
    columns: tuple[LogColumn, ...]


#: The CAPA log (ISO 13485:2016 8.5.2): both built-in profiles show it.
CAPA_LOG = BinderLog(
    "capa",
    "CAPA log",
    ("capa",),
    (
        LogColumn("CAPA", 100, show="id"),
        LogColumn("Opened", 70, ("opened_at", "opened_date")),
        LogColumn("Status", 70, ("status",)),
        LogColumn("Closed", 70, ("closed_at", "closed_date")),
        LogColumn("Triggered by", 160, ("triggers",), "ids"),
    ),
)

#: The device-maker logs (complaints: 21 CFR 820.35(a), ISO 13485:2016 8.2.2; CAPA: 8.5.2; nonconformance: 8.3;
#: label inspection: 21 CFR 820.45): the default of a MappedProfile.
DEVICE_LOGS: tuple[BinderLog, ...] = (
    BinderLog(
        "complaint",
        "Complaint log",
        ("complaint",),
        (
            LogColumn("Complaint", 95, show="id"),
            LogColumn("Received", 60, ("received_date", "date")),
            LogColumn("Device", 120, ("device_name", "device", "udi")),
            LogColumn("MDR reportable", 55, ("mdr_decision.reportable", "mdr_reportable"), "yes_no"),
            LogColumn("Linked CAPA", 90, ("capa_ids", "capa_id"), "ids"),
            LogColumn("Status", 50, ("status",)),
        ),
    ),
    CAPA_LOG,
    BinderLog(
        "nonconformance",
        "Nonconformance log",
        ("nonconformance",),
        (
            LogColumn("Nonconformance", 120, show="id"),
            LogColumn("Detected", 80, ("detected_at", "date")),
            LogColumn("Disposition", 160, ("disposition.decision", "disposition")),
            LogColumn("Linked CAPA", 110, ("capa_ids", "capa_id"), "ids"),
        ),
    ),
    BinderLog(
        "label_inspection",
        "Label inspection log",
        ("label_inspection",),
        (
            LogColumn("Inspection", 120, show="id"),
            LogColumn("Lot", 100, ("lot", "lot_number")),
            LogColumn("Inspected", 110, ("inspected_at", "date")),
            LogColumn("Result", 140, show="label_result"),
        ),
    ),
)


class BinderProfile(Protocol):
    """A binder layout: which sections, in which order, and which records go where."""

    name: str
    title: str

    def sections(self, report: Report, records: RecordSet, extra_map: Mapping[str, str]) -> Sequence[Section]:
        """Return the top-level sections. ``extra_map`` maps record types to section keys from the user's config."""
        ...


@dataclass(frozen=True)
class MappedProfile:
    """A BinderProfile driven by data: ordered sections and a record-type → section map.

    Records of a type missing from the map go into the section keyed ``fallback``.
    Within a section, records are grouped by type (one child section per type) and sorted by id.
    ``logs`` are the front matter's logs (:data:`DEVICE_LOGS` unless the profile names its own).
    """

    name: str
    title: str
    section_titles: tuple[tuple[str, str], ...]
    type_map: Mapping[str, str]
    fallback: str
    type_titles: Mapping[str, str] = field(default_factory=dict)
    appendices: tuple[tuple[str, str], ...] = ()
    logs: tuple[BinderLog, ...] = DEVICE_LOGS  #: the front matter's logs, in order

    def section_key(self, record: Record, mapping: Mapping[str, str]) -> str:
        """Return the key of the section ``record`` goes into (by its type; subclasses may look at more)."""
        return mapping.get(record.type, self.fallback)

    def sections(self, report: Report, records: RecordSet, extra_map: Mapping[str, str]) -> Sequence[Section]:
        """Group ``records`` into the profile's sections."""
        mapping = {**self.type_map, **extra_map}
        known = {key for key, _ in self.section_titles}
        grouped: dict[str, dict[str, list[Record]]] = {key: {} for key in known}
        for rec in records:
            key = self.section_key(rec, mapping)
            grouped[key if key in known else self.fallback].setdefault(rec.type, []).append(rec)
        out = []
        for key, title in self.section_titles:
            children = tuple(
                Section(
                    f"{key}/{rtype}",
                    self.type_titles.get(rtype, rtype.replace("_", " ").capitalize()),
                    tuple(sorted(recs, key=lambda r: r.id)),
                )
                for rtype, recs in sorted(grouped[key].items())
            )
            out.append(Section(key, title, (), children))
        return out


class ReportFormat(Protocol):
    """Renders a Report as text, JSON, JUnit XML, SARIF or HTML."""

    name: str
    media_type: str
    suffix: str

    def render(self, report: Report) -> str:
        """Return the whole rendered report."""
        ...


class Analysis(Protocol):
    """A read-out over the whole record set, beside the findings: a gap map, a readiness sheet.

    ``analyse`` returns plain JSON-able data (it is what ``--format json`` prints); ``render_text``
    and ``render_pdf`` present that data. The binder includes ``render_pdf``'s pages for the binder
    profiles named in ``profiles``.

    Attributes:
        name: Short name, e.g. ``gap``.
        title: Human title, e.g. ``QMSR gap analysis``.
        profiles: Binder profiles whose binders (and whose ``evidence-kit gap`` runs) include it.
    """

    name: str
    title: str
    profiles: frozenset[str]

    def analyse(
        self, records: RecordSet, report: Report, settings: Mapping[str, Any], now: dt.datetime
    ) -> dict[str, Any]:
        """Return the analysis as JSON-able data. ``settings`` holds the bundle path and config sections."""
        ...

    def render_text(self, result: Mapping[str, Any]) -> str:
        """Return ``result`` as plain text for a terminal."""
        ...

    def render_pdf(self, result: Mapping[str, Any]) -> bytes:
        """Return ``result`` as a PDF (vector pages) for the binder."""
        ...
