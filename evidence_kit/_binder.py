"""The evidence binder: generated pages and source PDFs, navigable, stamped and hashed.

Generated pages come from :mod:`._binder_pages` (reportlab); this is the only module that imports pikepdf.

Layout (page labels in brackets)::

    front matter [i, ii, …]   cover, readiness summary, table of contents, exceptions, the profile's logs
    body         [1, 2, …]    profile sections → record types → records; each record = summary page(s)
                              followed by its source PDF pages, merged unchanged
    back matter  [continues]  profile appendices (QSIT crosswalk …), integrity manifest, index

How it is built, and why in this order (from :data:`PARALLEL_MIN` records a forked second process, the
*pool*, does the work that is plain data while this process does the pikepdf work, which only it can do):

1. plan: sections, the records' summary views (findings, related records both ways; the fields, signatures
   and digest are gathered by the renderer); sources the ingest refused are known here and listed as
   exceptions;
2. jobs that need no page numbers (:func:`_render_parallel`): the report's JSON, the manifest pages, the
   index's terms and the record summary pages in :data:`CHUNK`-record documents. The pool takes them from
   the first while this process opens every source PDF from bytes (pikepdf keeps one fd per file-backed
   source until save; bytes keep the fd count flat), copies its pages, adds the stamp band and drops it at
   once (QPDF reads a copied stream's data from the source's bytes at save, so the source document need not
   stay in memory); then it takes the jobs the pool has not started, from the last. The jobs are the same
   either way, so the output does not depend on the worker count;
3. render the front matter once to count its pages (page numbers sit in fixed-width cells and never
   change the layout), place the body, lay the index out (its length sets the page total) while the pool
   renders it, then render the front matter again with the real page labels;
4. the pool makes every page's stamp stream (compressed) while this process assembles with pikepdf by
   appending page objects directly (``Pdf._add_page``: ``pages.append`` and ``pages[i]`` are O(n) per call)
   and adds links and the outline (explicit ``[page /Fit]`` destinations, shared per page); then stamps,
   page labels, embedded originals, XMP (the manifest seals each page's content digest and the outline
   titles, taken from what was built rather than read back); save with ``deterministic_id=True``, every
   stream's data as it is (nothing decoded or recompressed), through a temp file and ``os.replace``.

Stamps sit in a band *added below* each source page (the page box grows; the original content is
clipped to its old box), so they can never cover source content; generated pages keep the band free.
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
import gc
import hashlib
import io
import json
import logging
import mmap
import multiprocessing as mp
import re
import time
import warnings
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, NamedTuple

import pikepdf
from reportlab.pdfbase.pdfmetrics import stringWidth

from evidence_kit._binder_pages import (
    BOLD,
    Column,
    Link,
    PageWriter,
    RecordView,
    Row,
    render_records,
)
from evidence_kit._io import atomic_write, gc_paused
from evidence_kit._select import Selection, is_device_field, is_lot_field, record_date, scalars
from evidence_kit.contracts import DEVICE_LOGS, BinderLog, LogColumn, Section
from evidence_kit.model import FOIA_NOTICE, Finding, Record, RecordSet, Report, Severity, _release_text, canonical_json
from evidence_kit.reports import report_to_dict

if TYPE_CHECKING:
    from evidence_kit._api import Run

log = logging.getLogger(__name__)
_clock = [0.0, 0.0]


def _mark(phase: str) -> None:
    """Log how long the phase that just ended took, wall and CPU (``logging.DEBUG``; the benchmark uses it)."""
    now, cpu = time.perf_counter(), time.process_time()
    if phase != "start" and log.isEnabledFor(logging.DEBUG):
        with Path("/proc/self/status").open() as fh:
            kib = {k: int(v.split()[0]) for k, v in (ln.split(":", 1) for ln in fh) if k in ("VmRSS", "VmHWM")}
        log.debug(
            "binder phase %-34s %6.3f s wall %6.3f s CPU  RSS %5d MiB (peak %5d)",
            phase,
            now - _clock[0],
            cpu - _clock[1],
            kib.get("VmRSS", 0) // 1024,
            kib.get("VmHWM", 0) // 1024,
        )
    _clock[0], _clock[1] = now, cpu


PARALLEL_MIN = 300  #: render summaries in two processes from this many records
BAND = 30.0  #: height of the stamp band added below source pages
MIN_WIDTH = 430.0  #: narrower source pages are widened (blank, on the visual right) so the stamp fits
CONFIDENTIAL = "CONFIDENTIAL – 21 CFR 820.35(d)"
_SEV_ORDER = {"error": 0, "warning": 1, "info": 2}


# -- small helpers ----------------------------------------------------------------------------------------


def _fmt(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        return ", ".join(f"{k}: {_fmt(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return ", ".join(_fmt(v) for v in value)
    return str(value)


def flatten(value: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """Yield (field path, text) for every leaf of a record: ``a.b``, ``items[2].c``; scalar lists joined."""
    if isinstance(value, Mapping):
        if not value:
            yield path, "(empty)"
        for k, v in value.items():
            yield from flatten(v, f"{path}.{k}" if path else str(k))
    elif isinstance(value, list | tuple):
        if not value:
            yield path, "(none)"
        elif all(not isinstance(v, Mapping | list | tuple) for v in value):
            yield path, ", ".join(_fmt(v) for v in value)
        else:
            for i, v in enumerate(value, 1):
                yield from flatten(v, f"{path}[{i}]")
    else:
        yield path, _fmt(value)


def signatures(value: Any, path: str = "") -> Iterator[tuple[str, str, str, str]]:
    """Yield (printed name, date-time, meaning, field) for every signature-shaped object in a record."""
    if isinstance(value, Mapping):
        if any(k in value for k in ("printed_name", "signed_at")):
            yield (
                _fmt(value.get("printed_name") or value.get("name") or "(no printed name)"),
                _fmt(value.get("signed_at") or value.get("date_time") or "(no date/time)"),
                _fmt(value.get("meaning") or "(no meaning)"),
                path or "/",
            )
            return
        for k, v in value.items():
            yield from signatures(v, f"{path}.{k}" if path else str(k))
    elif isinstance(value, list | tuple):
        for i, v in enumerate(value, 1):
            yield from signatures(v, f"{path}[{i}]")


def _refs(value: Any, ids: Mapping[str, str], path: str = "") -> Iterator[tuple[str, str]]:
    """Yield (field path, id) for every string in a record that is the id of a bound record."""
    if isinstance(value, Mapping):
        for k, v in value.items():
            yield from _refs(v, ids, f"{path}.{k}" if path else str(k))
    elif isinstance(value, list | tuple):
        for v in value:
            yield from _refs(v, ids, path)
    elif isinstance(value, str) and value in ids:
        yield path, value


def _get(data: Mapping[str, Any], *names: str) -> Any:
    for n in names:
        cur: Any = data
        for part in n.split("."):
            cur = cur.get(part) if isinstance(cur, Mapping) else None
        if cur not in (None, "", [], {}):
            return cur
    return None


def _ids(value: Any) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(str(v.get("id", _fmt(v))) if isinstance(v, Mapping) else str(v) for v in value)
    return "–" if value is None else _fmt(value)


def _yes_no(value: Any) -> str:
    if value is True:
        return "Yes"
    if value is False:
        return "No"
    return "not recorded" if value is None else _fmt(value)


def _roman(n: int) -> str:
    out = ""
    for v, s in ((1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"), (50, "l")):
        while n >= v:
            out, n = out + s, n - v
    for v, s in ((40, "xl"), (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i")):
        while n >= v:
            out, n = out + s, n - v
    return out


def _label(page: int | None, front_count: int) -> str:
    """Return the label of physical page ``page`` (0-based): roman in the front matter, then 1, 2, …."""
    if page is None:
        return "–"
    return _roman(page + 1) if page < front_count else str(page - front_count + 1)


def bundle_digest(inputs: Sequence[Any]) -> str:
    """Return the SHA-256 over every input's path and SHA-256, in path order."""
    h = hashlib.sha256()
    for o in inputs:
        h.update(f"{o.file}\0{o.sha256}\n".encode())
    return h.hexdigest()


def manifest(run: Run, records: Sequence[Record], digests: Sequence[str] | None = None) -> dict[str, Any]:
    """Return the integrity manifest: SHA-256 of every input file and of every bound record.

    ``digests`` are the records' :meth:`Record.digest`, when already computed.
    """
    if digests is None:
        digests = [r.digest() for r in records]
    return {
        "bundle_digest": bundle_digest(run.report.inputs),
        "inputs": [
            {"file": o.file, "sha256": o.sha256, "bound": o.bound, "excluded_by": o.excluded_by}
            for o in run.report.inputs
        ],
        "records": [
            {"type": r.type, "id": r.id, "file": r.location.file, "sha256": d}
            for r, d in zip(records, digests, strict=True)
        ],
    }


def _pdf_date(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).strftime("D:%Y%m%d%H%M%SZ")


# -- the plan ---------------------------------------------------------------------------------------------

#: A page's stamp geometry: its box after banding, its /Rotate, and what precedes the stamp on source pages: the
#: shared clip-prefix stream where the source content stays in place, else None, and the prefix's bytes
Geometry = tuple[float, float, float, float, int, "pikepdf.Object | None", bytes]


@dataclass
class Source:
    """One source PDF of a record: its pages once copied into the binder (banded), or why it was not merged."""

    file: str
    pages: list[tuple[pikepdf.Object, Geometry]] = field(default_factory=list)
    error: str | None = None


@dataclass
class Entry:
    """One bound record: where it sits, its summary view and its source PDFs."""

    rec: Record
    key: str
    section: Section
    type_key: str
    view: RecordView
    sources: list[Source]
    gen_start: int = 0
    gen_count: int = 0
    first_page: int = 0
    documents: tuple[Record, ...] = ()  #: ``document`` records of the source PDFs, folded into this one


@dataclass
class Plan:
    """Everything the renderers and the assembler share."""

    run: Run
    records: list[Record]
    sections: Sequence[Section]
    entries: list[Entry]
    by_id: dict[str, Entry]
    findings: dict[tuple[str, str], list[Finding]]
    digest: str
    selection: Selection | None
    not_merged: list[tuple[str, str]]
    pages_of: dict[str, int] = field(default_factory=dict)  #: target key -> physical page index
    front_count: int = 0
    total: int = 0
    appendices: tuple[tuple[str, str], ...] = ()
    type_titles: dict[str, str] = field(default_factory=dict)
    analyses: list[tuple[str, str, pikepdf.Pdf]] = field(default_factory=list)  #: (name, title, pages) after front
    sign: Callable[[bytes], bytes] | None = None  #: signs the saved bytes before the atomic move
    folded: list[Record] = field(default_factory=list)  #: ``document`` records bound as part of another record
    #: source pages' XObject digests, hashed from the source before the copy (see _source_xobjects_digest)
    xobject_digests: dict[tuple[int, int], bytes] = field(default_factory=dict)
    embedded: list[Embedded] = field(default_factory=list)  #: the originals embedded (see _embedded_originals)
    scoped_report: Report | None = None  #: the report a request binder embeds, once made (see _binder_report)

    @property
    def bound_count(self) -> int:
        """Return how many of the run's records this binder holds (folded documents included)."""
        return len(self.entries) + len(self.folded)

    def child_title(self, child: Section) -> str:
        """Return a record-type group's title: the record type's registered title, else the profile's."""
        rtype = child.key.split("/", 1)[-1]
        return f"{self.type_titles.get(rtype, child.title)} ({len(child.records)})"

    def label(self, target: str) -> str:
        """Return the page label the target's page carries (roman in front matter, then 1, 2, …)."""
        return _label(self.pages_of.get(target), self.front_count)


def _fold_documents(records: Sequence[Record]) -> tuple[list[Record], dict[str, list[Record]]]:
    """Set apart the ``document`` records of PDFs that other records were read from (a form, embedded JSON).

    Such a PDF is bound once, after the summary of the first record read from it; its document record is not
    bound a second time as a record of its own. Returns the records to bind and ``{PDF: its document records}``.
    """
    owned = {a for r in records if r.type != "document" for a in r.attachments}
    keep: list[Record] = []
    folded: dict[str, list[Record]] = {}
    for r in records:
        if r.type == "document" and r.location.file in owned:
            folded.setdefault(r.location.file, []).append(r)
        else:
            keep.append(r)
    return keep, folded


def _plan(run: Run, records: Sequence[Record], selection: Selection | None) -> Plan:
    report, registry = run.report, run.registry
    records, folded = _fold_documents(records)
    profile = registry.profiles[report.profile]
    sections = profile.sections(report, RecordSet.of(records), run.config.binder.get("sections", {}))
    findings: dict[tuple[str, str], list[Finding]] = {}
    for f in report.findings:
        if f.location.record:
            findings.setdefault((f.location.file, f.location.record), []).append(f)
    ordered = [(sec, child, rec) for sec in sections for child in sec.children for rec in child.records]
    key_of: dict[str, str] = {}
    for i, (_, _, rec) in enumerate(ordered):
        key_of.setdefault(rec.id, f"r{i}")
    type_title = {
        name: getattr(rt, "title", name.replace("_", " ").capitalize()) for name, rt in registry.record_types.items()
    } | dict(getattr(profile, "type_titles", {}))
    # references both ways: A names B in a field -> "→ B" on A and "← A" on B
    outgoing: dict[int, list[tuple[str, str, str, str]]] = {}
    incoming: dict[str, list[tuple[str, str, str, str]]] = {}
    for i, (_, _, rec) in enumerate(ordered):
        seen: set[tuple[str, str]] = set()
        for path, rid in _refs(rec.data, key_of):
            if rid == rec.id or (path, rid) in seen:
                continue
            seen.add((path, rid))
            target = ordered[int(key_of[rid][1:])][2]
            outgoing.setdefault(i, []).append(
                ("→", f"{type_title.get(target.type, target.type)} {rid}", path, key_of[rid])
            )
            incoming.setdefault(rid, []).append(
                ("named by", f"{type_title.get(rec.type, rec.type)} {rec.id}", path, f"r{i}")
            )
    outcome = {o.file: o for o in report.inputs}
    # the summaries are drawn while the sources are still being opened: their page counts come from the ingest
    page_count = {
        r.location.file: r.data["pages"]
        for r in run.records
        if r.type == "document" and isinstance(r.data.get("pages"), int) and not isinstance(r.data["pages"], bool)
    }
    opened: dict[str, Source] = {}
    not_merged: list[tuple[str, str]] = []
    entries: list[Entry] = []
    folded_docs = [d for ds in folded.values() for d in ds]
    embedded_files = _embedded_originals(run, records, folded_docs, selection is not None)
    by_file: dict[str, list[Embedded]] = {}
    for emb in embedded_files:
        by_file.setdefault(emb.file, []).append(emb)
    opened_by: dict[str, tuple[str, str]] = {}  # PDF → (id, key) of the record its pages follow
    for i, (sec, child, rec) in enumerate(ordered):
        srcs: list[Source] = []
        bound_with = tuple((att, *opened_by[att]) for att in dict.fromkeys(rec.attachments) if att in opened_by)
        docs = [d for att in rec.attachments if att not in opened for d in folded.get(att, ())]
        if docs:  # the folded documents' findings count as this record's (the PDF's pages follow it)
            mine = findings.setdefault((rec.location.file, rec.id), [])
            for d in docs:
                mine.extend(f for f in findings.get((d.location.file, d.id), ()) if f not in mine)
        for att in rec.attachments:
            # a PDF bound to two records is merged once, after the first; other files are embedded, not merged
            if not att.lower().endswith(".pdf") or att in opened:
                continue
            # opened later, while the summaries render; ingest has already refused the unreadable ones
            o = outcome.get(att)
            why = None if o is None or o.bound else f"{o.excluded_by}: {o.reason}"
            opened[att] = src = Source(att, error=why)
            opened_by[att] = (rec.id, f"r{i}")
            srcs.append(src)
            if why:
                not_merged.append((att, why))
        fs = sorted(
            findings.get((rec.location.file, rec.id), ()),
            key=lambda f: (_SEV_ORDER.get(f.severity.value, 9), f.code, f.location.field or ""),
        )
        related = (*outgoing.get(i, ()), *(r for r in incoming.get(rec.id, ()) if r[3] != f"r{i}"))
        view = RecordView(
            key=f"r{i}",
            type=rec.type,
            type_title=type_title.get(rec.type, child.title),
            id=rec.id,
            section=sec.title,
            location=str(rec.location),
            file_sha256=rec.sha256,
            record_sha256="",  # these three are filled in by the summaries' renderer (_full_view)
            fields=(),
            signatures=(),
            findings=tuple(
                (
                    f.severity.value,
                    f.code,
                    f.location.field or "",
                    f.message + (f" Cites: {'; '.join(f.cites)}." if f.cites else ""),
                )
                for f in fs
            ),
            related=tuple(related),
            sources=tuple(
                f"{s.file} (NOT MERGED: {s.error})"
                if s.error
                else f"{s.file} ({page_count[s.file]} page(s))"
                if s.file in page_count
                else s.file
                for s in srcs
            ),
            embedded=tuple(_embedded_names(rec, by_file)),
            confidential=rec.data.get("confidential") is True,
            bound_with=bound_with,
        )
        entries.append(Entry(rec, f"r{i}", sec, child.key, view, srcs, documents=tuple(docs)))
    by_id: dict[str, Entry] = {}
    for e in entries:
        by_id.setdefault(e.rec.id, e)
    return Plan(
        run,
        list(records),
        sections,
        entries,
        by_id,
        findings,
        bundle_digest(report.inputs),
        selection,
        not_merged,
        appendices=tuple(getattr(profile, "appendices", ())),
        type_titles=type_title,
        folded=folded_docs,
        embedded=embedded_files,
    )


def _open_sources(plan: Plan, out: pikepdf.Pdf, shared: dict[Any, Any], fonts: pikepdf.Dictionary) -> None:
    """Open every source from bytes (no fd stays open), copy its pages into ``out`` and give them a band.

    Form fields come along under one parent field per source (see :class:`_Forms`), so every form keeps its own
    values and appearances.
    """
    forms = _Forms()
    for e in plan.entries:
        for src in e.sources:
            if src.error:
                continue
            try:
                # closed as soon as its pages are copied: QPDF copies a foreign stream's data at save time
                # from the source's input (the bytes), not from the source Pdf, whose objects would otherwise
                # stay in memory until save (about 30 KiB per source)
                data = (plan.run.config.bundle / src.file).read_bytes()
                # no page attribute push-down at open (half its cost): _inherit copies just what we read
                with pikepdf.open(io.BytesIO(data), inherit_page_attributes=False) as pdf:
                    for page in pdf.pages:
                        _inherit(page.obj)
                        xobjects = _source_xobjects_digest(page.obj)  # before the copy: see there
                        new = out.copy_foreign(page.obj)  # page by page: QPDF nulls pages reached through an array
                        plan.xobject_digests[new.objgen] = xobjects
                        _neutralise(new)
                        _hide_off_page(new)
                        src.pages.append((new, _band(out, new, shared, fonts)))
                    forms.add(out, pdf, src.file)
            except (pikepdf.PdfError, OSError, ValueError) as exc:
                src.pages.clear()
                src.error = f"{type(exc).__name__}: {(str(exc).splitlines() or [''])[0]}".rstrip(": ")
                plan.not_merged.append((src.file, src.error))
    forms.install(out)


MAX_FORM_NODES = 20_000  #: form-field nodes walked per source (a hostile field tree cannot stall the build)
_HIDDEN = 2  #: annotation flag bit 2: Hidden
_PAGE_TYPES = (pikepdf.Name.Page, pikepdf.Name.Pages)


class _Forms:
    """The binder's ``/AcroForm``, gathered source by source.

    Two forms from one template have the same field names; in one ``/AcroForm`` they would be one field with
    one value, and viewers (PDFium: Chrome, Edge) show that value on both pages. So each source's root fields
    become the kids of a parent field of their own, whose /T (``src<n>_<file stem>``) makes every fully
    qualified name unique. The source's /DA (and /Q) go on that parent, where its fields inherit them; its /DR
    joins the binder's (a resource name two sources define differently keeps the first: appearances do not
    use /DR). The widgets keep their appearance streams, so /NeedAppearances is set only when a source asked
    for it or a widget has none. Only dictionaries change: every stream is copied as it is.
    """

    def __init__(self) -> None:
        self.parents: list[pikepdf.Object] = []
        self.resources: dict[str, dict[str, pikepdf.Object]] = {}
        self.need_appearances = False

    def add(self, out: pikepdf.Pdf, pdf: pikepdf.Pdf, file: str) -> None:
        """Add the form of source ``pdf`` (already copied page by page into ``out``), if it has one."""
        form = pdf.Root.get("/AcroForm")
        if not isinstance(form, pikepdf.Dictionary) or not isinstance(form.get("/Fields"), pikepdf.Array):
            return
        picked: dict[tuple[int, int], pikepdf.Object] = {}
        for f in list(form.Fields)[:MAX_FORM_NODES]:  # indirect field dictionaries, each once; never a page
            if isinstance(f, pikepdf.Dictionary) and f.is_indirect and f.get("/Type") not in _PAGE_TYPES:
                picked.setdefault(f.objgen, f)
        nodes = _field_tree(list(picked.values())) if picked else None
        if nodes is None:
            return  # a field tree that loops (or shares nodes) breaks signature tools: the widgets stay, unmerged
        roots = [out.copy_foreign(f) for f in picked.values()]
        stem = PurePosixPath(file).stem.replace(".", "_")
        parent = out.make_indirect(
            pikepdf.Dictionary(T=pikepdf.String(f"src{len(self.parents) + 1}_{stem}"), Kids=pikepdf.Array(roots))
        )
        for key in ("/DA", "/Q"):
            value = form.get(key)
            if isinstance(value, pikepdf.String | int) and not isinstance(value, bool):
                parent[key] = pikepdf.String(bytes(value)) if isinstance(value, pikepdf.String) else value
        for root in roots:
            root.Parent = parent
        self.parents.append(parent)
        asked = form.get("/NeedAppearances")
        if (isinstance(asked, bool) and asked) or not _widgets_have_appearances(nodes):
            self.need_appearances = True
        dr = form.get("/DR")
        if isinstance(dr, pikepdf.Dictionary):
            copied = out.copy_foreign(dr if dr.is_indirect else pdf.make_indirect(dr))
            for category, entries in copied.items():
                if isinstance(entries, pikepdf.Dictionary):
                    merged = self.resources.setdefault(category, {})
                    for name, value in entries.items():
                        merged.setdefault(name, value)

    def install(self, out: pikepdf.Pdf) -> None:
        """Set the binder's ``/AcroForm`` (nothing when no source had a form)."""
        if not self.parents:
            return
        form = pikepdf.Dictionary(Fields=pikepdf.Array(self.parents))
        if self.resources:
            form.DR = pikepdf.Dictionary(
                {
                    cat: pikepdf.Dictionary(dict(sorted(entries.items())))
                    for cat, entries in sorted(self.resources.items())
                }
            )
        if self.need_appearances:
            form.NeedAppearances = True
        out.Root.AcroForm = form


def _field_tree(roots: Sequence[pikepdf.Object]) -> list[pikepdf.Dictionary] | None:
    """Return every node of the form-field tree under ``roots``, or None when it is no tree.

    A field whose /Kids lead back to itself or to another field's node (a hostile or broken form), or a tree
    of more than :data:`MAX_FORM_NODES` nodes, makes pyHanko refuse the whole /AcroForm, and with it the
    binder's own signature; such a source's fields are not merged.
    """
    stack, seen, nodes = list(roots), set[tuple[int, int]](), []
    while stack:
        node = stack.pop()
        if not isinstance(node, pikepdf.Dictionary):
            continue
        if node.is_indirect:
            if node.objgen in seen or len(seen) >= MAX_FORM_NODES:
                return None
            seen.add(node.objgen)
        nodes.append(node)
        kids = node.get("/Kids")
        if isinstance(kids, pikepdf.Array):
            stack.extend(kids)
    return nodes


def _widgets_have_appearances(nodes: Sequence[pikepdf.Dictionary]) -> bool:
    """Whether every widget (leaf) among the form-field ``nodes`` has a normal appearance (/AP /N)."""
    for node in nodes:
        kids = node.get("/Kids")
        if isinstance(kids, pikepdf.Array) and len(kids):
            continue
        ap = node.get("/AP")
        if not (isinstance(ap, pikepdf.Dictionary) and "/N" in ap):
            return False
    return True


def _hide_off_page(page: pikepdf.Object) -> None:
    """Hide the annotations that lie wholly outside a source page's visible box.

    They were never visible in the original; the stamp band grows the page, and would show them.
    """
    annots = _annotations(page)
    if not annots:
        return
    try:
        media = _floats(page.MediaBox)
        box = _floats(page.CropBox) if "/CropBox" in page else media
    except (TypeError, ValueError, IndexError, AttributeError):
        return
    llx, lly = max(min(box[0], box[2]), min(media[0], media[2])), max(min(box[1], box[3]), min(media[1], media[3]))
    urx, ury = min(max(box[0], box[2]), max(media[0], media[2])), min(max(box[1], box[3]), max(media[1], media[3]))
    for annot in annots:
        if not isinstance(annot.get("/Rect"), pikepdf.Array):
            continue
        try:
            x1, y1, x2, y2 = _floats(annot.Rect)
            flags = int(annot.get("/F", 0))
        except (TypeError, ValueError, IndexError):
            continue
        if max(x1, x2) <= llx or min(x1, x2) >= urx or max(y1, y2) <= lly or min(y1, y2) >= ury:
            annot.F = flags | _HIDDEN


_ACTIVE = (pikepdf.Name.JavaScript, pikepdf.Name.Launch, pikepdf.Name.ImportData, pikepdf.Name.SubmitForm)


def _annotations(page: pikepdf.Object) -> list[pikepdf.Dictionary]:
    """Return the annotation dictionaries of ``page`` (at most :data:`MAX_FORM_NODES`; anything else left out)."""
    annots = page.get("/Annots")
    if not isinstance(annots, pikepdf.Array):
        return []
    return [a for a in list(annots)[:MAX_FORM_NODES] if isinstance(a, pikepdf.Dictionary)]


def _neutralise(page: pikepdf.Object) -> None:
    """Strip active content from a copied source page: its /AA, and its annotations' /AA and script/launch actions.

    The document-level /OpenAction, /Names /JavaScript and /AcroForm /XFA are never copied (only pages and
    form fields are), so this is all that can reach the binder. The original bytes are embedded unchanged.
    """
    if "/AA" in page:
        del page["/AA"]
    for annot in _annotations(page):
        if "/AA" in annot:
            del annot["/AA"]
        action = annot.get("/A")
        if isinstance(action, pikepdf.Dictionary) and (
            action.get("/S") in _ACTIVE or str(action.get("/URI", "")).lower().startswith("file:")
        ):
            del annot["/A"]


def _keep_original(rec: Record) -> bool:
    """Whether a bound PDF's original bytes go into the binder as an attachment (the copy was altered or breaks)."""
    return any(rec.data.get(k) for k in ("active_content", "signatures", "repaired", "encrypted"))


# -- generated pages and the report, in a second process while the main one opens the sources -------------

CHUNK = 200  #: records per summaries document: the unit of work shared between the two processes
_JOBS: list[Callable[[], Any]] = []
#: with a pool: a lock and one byte per job, shared with the forked process; whoever sets a job's byte runs it
_CLAIMS: tuple[Any, mmap.mmap] | None = None


def _claim(i: int) -> bool:
    """Claim job ``i`` for this process; False when the other one has."""
    if _CLAIMS is None:
        return True
    lock, taken = _CLAIMS
    with lock:
        if taken[i]:
            return False
        taken[i] = 1
        return True


def _run_job(i: int) -> Any:
    """Run job ``i`` unless the other process has claimed it (then None)."""
    return _JOBS[i]() if _claim(i) else None


def _full_view(e: Entry) -> RecordView:
    """Return the entry's summary view with what costs most to gather: every field, the signatures, the digest."""
    data = e.rec.data
    signed = [*signatures(data), *(s for d in e.documents for s in signatures(d.data, f"{d.location.file}"))]
    return replace(e.view, fields=tuple(flatten(data)), signatures=tuple(signed), record_sha256=e.rec.digest())


def _render_chunk(entries: Sequence[Entry]) -> tuple[bytes, list[int], list[Link]]:
    return render_records("Record summaries", [_full_view(e) for e in entries])


def _bound_records(plan: Plan) -> list[Record]:
    """Return every record the binder holds: its entries', then the folded documents."""
    return [*(e.rec for e in plan.entries), *plan.folded]


def _binder_report(plan: Plan) -> Report:
    """Return the report the binder embeds: the run's; in a request binder, only what concerns its records.

    That is the findings on the bound records and their digests, with ``record_count`` the number of bound
    records and no baseline comparison (which names records and findings of the whole bundle). The inputs
    list stays whole (it names files and their SHA-256, as the manifest does), but each input lists only the
    ids of its bound records: the ids of the rest of the bundle are not the request's to disclose.
    """
    report = plan.run.report
    if plan.selection is None:
        return report
    if plan.scoped_report is None:
        held = _bound_records(plan)
        keys = {(r.location.file, r.id) for r in held}
        bound = {(r.type, r.id, r.location.file) for r in held}
        plan.scoped_report = replace(
            report,
            findings=tuple(f for f in report.findings if (f.location.file, f.location.record) in keys),
            record_count=plan.bound_count,
            inputs=tuple(
                replace(o, records=tuple(rid for rid in o.records if (o.file, rid) in keys)) for o in report.inputs
            ),
            records=[d for d in report.records if (d.type, d.id, d.file) in bound],
            baseline=None,
        )
    return plan.scoped_report


class Packed(NamedTuple):
    """A file to embed, as the binder keeps it until the save: its size, MD5 and Flate compression."""

    size: int
    md5: bytes
    data: bytes  #: the Flate-compressed bytes
    sha256: str  #: of the original bytes, for the manifest


def _pack(data: bytes) -> Packed:
    """Return what embedding ``data`` needs (:func:`_attachment`), so ``data`` itself need not be kept."""
    md5 = hashlib.md5(data, usedforsecurity=False).digest()
    return Packed(len(data), md5, zlib.compress(data), hashlib.sha256(data).hexdigest())


def _report_json(report: Any) -> Packed:
    """Return the report as compact JSON, packed for embedding as evidence-kit-report.json."""
    # compact: the indented encoder is pure Python and costs seconds on big reports
    return _pack(json.dumps(report_to_dict(report), sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode())


def _render_parallel(
    plan: Plan,
    out: pikepdf.Pdf,
    shared: dict[Any, Any],
    fonts: pikepdf.Dictionary,
    pool: ProcessPoolExecutor | None,
) -> list[Any]:
    """Open the sources, and meanwhile run the work that needs no page numbers; return its results.

    That work is the report's JSON, the manifest pages (appendices and manifest), the index's terms and the
    record summaries in ``CHUNK``-record documents, in that order. With a pool (a forked process) it takes the
    jobs from the first, while this one opens the sources and then takes jobs from the last until the two meet.
    The jobs are the same either way, so the binder is byte-identical whatever the worker count.
    """
    global _JOBS, _CLAIMS
    _JOBS = [
        functools.partial(_report_json, _binder_report(plan)),
        functools.partial(_render_manifest, plan),
        functools.partial(_index, plan),
        *(functools.partial(_render_chunk, plan.entries[i : i + CHUNK]) for i in range(0, len(plan.entries), CHUNK)),
    ]
    n = len(_JOBS)
    done: list[Any] = [None] * n
    try:
        if pool is not None:
            # claims, not Future.cancel: the pool marks the next queued job as running before it starts it
            _CLAIMS = (mp.get_context("fork").Lock(), mmap.mmap(-1, n))
            futures = [pool.submit(_run_job, i) for i in range(n)]  # forks now: the process sees _JOBS, _CLAIMS
            _open_sources(plan, out, shared, fonts)
            _mark("open + copy sources (overlapped)")
            for i in reversed(range(n)):  # the pool claims in order: once it has one, it has every earlier one
                if not _claim(i):
                    break
                done[i] = _JOBS[i]()
            stolen = sum(1 for d in done if d is not None)
            _mark(f"summaries ({stolen} of {n} jobs here)")
            for i, f in enumerate(futures):
                result = f.result()  # None for a job this process took
                if done[i] is None:
                    done[i] = result
            _mark("wait for the summaries")
        else:
            _open_sources(plan, out, shared, fonts)
            _mark("open + copy sources")
            done = [_run_job(i) for i in range(n)]
            _mark("summaries")
    finally:
        if _CLAIMS is not None:
            _CLAIMS[1].close()
        _JOBS, _CLAIMS = [], None
    return done


# -- front matter -----------------------------------------------------------------------------------------


def _logs(plan: Plan) -> tuple[BinderLog, ...]:
    """Return the profile's logs (the device logs for a profile that names none)."""
    return tuple(getattr(plan.run.registry.profiles[plan.run.report.profile], "logs", DEVICE_LOGS))


#: the five items 21 CFR 820.45(a) has a label inspection record (the labeling rule pack checks each one)
LABEL_ITEMS = ("udi", "expiry", "storage", "handling", "processing")


def _label_result(d: Mapping[str, Any]) -> str:
    """Return a label inspection's result from its ``items.*`` (pass / fail / n/a) and its pre-use inspection.

    An 820.45(a) item with no result is named: a "pass" over the recorded items alone would read as complete.
    """
    items = d.get("items")
    items = {k: v for k, v in items.items() if v not in (None, "")} if isinstance(items, Mapping) else {}
    absent = [k for k in LABEL_ITEMS if k not in items]
    missing = f"; not recorded: {', '.join(absent)}" if items and absent else ""
    failed = [str(k) for k, v in items.items() if v == "fail"]
    if isinstance(d.get("pre_use_inspection"), Mapping) and d["pre_use_inspection"].get("result") == "fail":
        failed.append("pre-use inspection")
    if failed:
        return "FAIL: " + ", ".join(failed) + missing
    if not items:
        return "not recorded"
    na = [str(k) for k, v in items.items() if v == "n/a"]
    other = [f"{k} {_fmt(v)}" for k, v in items.items() if v not in ("pass", "n/a")]
    if other:
        return "; ".join(other) + missing
    return "pass" + (f" (n/a: {', '.join(na)})" if na else "") + missing


def _cell(col: LogColumn, rec: Record) -> str:
    """Return what log column ``col`` shows for ``rec`` (see :class:`LogColumn`)."""
    d = rec.data
    if col.show == "id":
        return rec.id
    if col.show == "label_result":
        return _label_result(d)
    if col.show == "yes_no":
        return _yes_no(_get(d, *col.fields))
    if col.show == "ids":
        return _ids(_get(d, *col.fields))
    if col.show == "join":
        return " ".join(_fmt(v) for v in (_get(d, f) for f in col.fields) if v is not None) or "–"
    return _fmt(_get(d, *col.fields) or "–")


def _log_rows(plan: Plan, spec: BinderLog) -> tuple[list[Column], list[Row]]:
    rows: list[Row] = []
    entries = [e for e in plan.entries if e.rec.type in spec.record_types]
    entries.sort(key=lambda e: (str(record_date(e.rec, None) or ""), e.rec.id))
    for e in entries:
        cells = tuple(_cell(col, e.rec) for col in spec.columns)
        bad = plan.findings.get((e.rec.location.file, e.rec.id), ())
        flag = min((f.severity.value for f in bad), key=lambda s: _SEV_ORDER[s], default=None)
        rows.append(Row((*cells, plan.label(e.key)), target=e.key, flag=flag if flag != "info" else None))
    return [*(Column(c.title, c.width) for c in spec.columns), Column("Page", 34)], rows


def _section_findings(plan: Plan) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for e in plan.entries:
        c = out.setdefault(e.section.key, {"records": 0, "error": 0, "warning": 0, "info": 0})
        c["records"] += 1
        for f in plan.findings.get((e.rec.location.file, e.rec.id), ()):
            c[f.severity.value] += 1
    return out


def _toc(plan: Plan) -> list[tuple[int, str, str]]:
    logs = _logs(plan)
    items: list[tuple[int, str, str]] = [
        (0, "Readiness summary", "readiness"),
        (0, "Exceptions: inputs not bound", "exceptions"),
        *([(0, "Logs", f"log:{logs[0].key}")] if logs else []),
        *((1, log.title, f"log:{log.key}") for log in logs),
        *((0, title, f"an:{i}") for i, (_, title, _) in enumerate(plan.analyses)),
    ]
    for sec in plan.sections:
        n = sum(len(c.records) for c in sec.children)
        items.append((0, f"{sec.title}" + ("" if n else "  (no records)"), f"s:{sec.key}"))
        items.extend((1, plan.child_title(c), f"t:{c.key}") for c in sec.children)
    items.extend((0, title, f"app:{i}") for i, (title, _) in enumerate(plan.appendices))
    items += [(0, "Integrity manifest", "manifest"), (0, "Index", "index")]
    return items


def _render_front(plan: Plan, *, dry: bool = False) -> tuple[bytes, int, list[Link], dict[str, int]]:
    run, report, cfg = plan.run, plan.run.report, plan.run.config
    est, insp = cfg.establishment, cfg.inspection
    w = PageWriter(f"Evidence binder — {est.get('name', report.bundle)}", dry=dry)
    # cover
    w.new_page(anchor="cover")
    w.gap(90)
    w.text(str(cfg.binder.get("title", "Evidence binder")), font=BOLD, size=24)
    w.gap(4)
    w.text(str(est.get("name", report.bundle)), font=BOLD, size=15)
    if plan.selection:
        w.text(
            f"Request binder — records selected by: {plan.selection.describe()}",
            font=BOLD,
            size=10,
            rgb=(0.05, 0.25, 0.65),
        )
        w.text(
            f"It holds {plan.bound_count} of the bundle's {report.record_count} records; its findings, embedded "
            "data and embedded report concern these records only.",
            size=9,
            rgb=(0.05, 0.25, 0.65),
        )
    w.gap(14)
    profile = run.registry.profiles[report.profile]
    w.table(
        [Column("", 170), Column("", 334)],
        [
            Row(r)
            for r in (
                ("Establishment", str(est.get("name", report.bundle))),
                ("FEI", str(est.get("fei", "not given"))),
                ("Address", str(est.get("address", "not given"))),
                ("Profile", f"{report.profile} — {profile.title}"),
                ("Inspection / assessment date", str(insp.get("date", "not given"))),
                ("Record window", f"{insp.get('window_start', 'not given')} to {insp.get('window_end', 'not given')}"),
                ("Generated (as of)", report.as_of),
                ("Tool", f"evidence-kit {report.tool_version}"),
                ("Bundle digest (SHA-256)", plan.digest),
                ("Records bound", f"{plan.bound_count} of {report.record_count}"),
                ("Input files", f"{len(report.inputs)} ({sum(1 for o in report.inputs if not o.bound)} not bound)"),
                ("Pages", str(plan.total or 0)),
            )
        ],
        size=9,
        header=False,
    )
    w.text(
        "Every page carries a control number, its page number as the contents, logs and index cite it (with its "
        'place in this file: "page n of N") and the record it belongs to in the band at the bottom. The integrity '
        "manifest (appendix and embedded evidence-kit-manifest.json) lists the SHA-256 of every input file and "
        "every record; the bundle digest above is recorded in this file's XMP metadata.",
        size=8,
        rgb=(0.3, 0.3, 0.3),
    )
    # readiness summary
    w.new_page(anchor="readiness")
    w.heading("Readiness summary")
    scope = _binder_report(plan)  # a request binder's: the findings on its records only
    counts = scope.counts()
    bound_keys = {(e.rec.location.file, e.rec.id) for e in plan.entries}
    severities = (Severity.ERROR, Severity.WARNING, Severity.INFO)
    if plan.selection is not None:
        w.text(f"Findings on the {plan.bound_count} records of this request binder.", size=9)
        w.table(
            [Column("Severity", 120), Column("On the selected records", 160)],
            [Row((s.value.capitalize(), str(counts[s.value])), flag=s.value) for s in severities],
            size=9,
        )
    else:
        w.table(
            [Column("Severity", 120), Column("All findings", 120), Column("On records in this binder", 160)],
            [
                Row(
                    (
                        s.value.capitalize(),
                        str(counts[s.value]),
                        str(sum(1 for k in bound_keys for f in plan.findings.get(k, ()) if f.severity is s)),
                    ),
                    flag=s.value,
                )
                for s in severities
            ],
            size=9,
        )
    per = _section_findings(plan)
    w.heading("By section", size=11)
    rows = []
    for sec in plan.sections:
        c = per.get(sec.key, {"records": 0, "error": 0, "warning": 0, "info": 0})
        verdict = "ATTENTION" if c["error"] or c["warning"] else ("PASS" if c["records"] else "no records")
        rows.append(
            Row(
                (sec.title, str(c["records"]), str(c["error"]), str(c["warning"]), str(c["info"]), verdict),
                target=f"s:{sec.key}",
                flag="error" if c["error"] else ("warning" if c["warning"] else None),
            )
        )
    w.table(
        [
            Column("Section", 220),
            Column("Records", 50),
            Column("Errors", 50),
            Column("Warnings", 55),
            Column("Info", 40),
            Column("Verdict", 89),
        ],
        rows,
        size=8,
    )
    w.text("ATTENTION: the section holds records with errors or warnings. PASS: none.", size=7, rgb=(0.3, 0.3, 0.3))
    w.gap(6)
    top = sorted(
        (f for f in scope.findings if f.severity is not Severity.INFO),
        key=lambda f: (_SEV_ORDER[f.severity.value], f.code, f.location.sort_key()),
    )[:15]
    w.heading(f"Top findings ({len(top)} of {counts['error'] + counts['warning']} errors and warnings)", size=11)
    w.table(
        [Column("Severity", 50), Column("Code", 120), Column("Record", 90), Column("Message", 244)],
        [
            Row(
                (f.severity.value.upper(), f.code, f.location.record or f.location.file, f.message),
                target=plan.by_id[f.location.record].key if f.location.record in plan.by_id else None,
                flag=f.severity.value,
            )
            for f in top
        ]
        or [Row(("–", "–", "–", "No errors or warnings."))],
        size=8,
        link_col=2,
    )
    # table of contents
    w.new_page(anchor="toc")
    w.heading("Table of contents")
    w.table(
        [Column("Part", 450), Column("Page", 54)],
        [Row(("    " * lvl + title, plan.label(key)), target=key, bold=lvl == 0) for lvl, title, key in _toc(plan)],
        size=9,
    )
    # exceptions
    w.new_page(anchor="exceptions")
    w.heading("Exceptions: inputs not bound into this binder")
    excluded = [o for o in report.inputs if not o.bound]
    rows = [Row((o.file, o.excluded_by or "–", o.reason or "–"), flag="warning") for o in excluded]
    rows += [Row((f, "source PDF not merged", why), flag="error") for f, why in plan.not_merged]
    if plan.selection:
        left_out = report.record_count - plan.bound_count
        rows.append(Row((f"{left_out} record(s)", "not selected", f"Not selected by {plan.selection.describe()}.")))
    w.table(
        [Column("Input", 190), Column("Why", 110), Column("Reason", 204)],
        rows or [Row(("–", "–", "Every input file is bound into this binder."))],
    )
    # logs
    for spec in _logs(plan):
        w.new_page(anchor=f"log:{spec.key}")
        w.heading(spec.title)
        cols, log = _log_rows(plan, spec)
        if log:
            w.table(cols, log, size=8)
        else:
            w.text(f"No {spec.title.lower().replace(' log', '')} records in this binder.", size=9)
    return w.finish(), w.pages, w.links, w.anchors


# -- back matter ------------------------------------------------------------------------------------------


def _index(plan: Plan) -> dict[str, dict[str, list[str]]]:
    """Return {category: {term: [target keys]}} for record ids, devices/UDIs, lots and citations.

    A citation of a finding points to the record that shows it in its findings; a record type's own citations
    are listed apart, with the type's name, and point to where the type's records begin.
    """
    types = "Regulation citations of record types (where their records begin)"
    idx: dict[str, dict[str, list[str]]] = {
        "Record ids": {},
        "Devices and UDIs": {},
        "Lots": {},
        "Regulation citations": {},
        types: {},
    }

    def add(cat: str, term: str, key: str) -> None:
        keys = idx[cat].setdefault(term, [])
        if key not in keys:
            keys.append(key)

    seen_types: set[str] = set()
    rtypes = plan.run.registry.record_types
    for e in plan.entries:
        add("Record ids", e.rec.id, e.key)
        for name, value in scalars(e.rec.data):
            if isinstance(value, str | int) and not isinstance(value, bool) and str(value).strip():
                if is_device_field(name):
                    add("Devices and UDIs", str(value).strip(), e.key)
                elif is_lot_field(name):
                    add("Lots", str(value).strip(), e.key)
        for f in plan.findings.get((e.rec.location.file, e.rec.id), ()):
            for cite in f.cites:
                add("Regulation citations", cite, e.key)
        if e.type_key not in seen_types:
            seen_types.add(e.type_key)
            for cite in getattr(rtypes.get(e.rec.type), "cites", ()):
                add(types, f"{cite}: {plan.type_titles.get(e.rec.type, e.rec.type)}", f"t:{e.type_key}")
    return idx


def _render_manifest(plan: Plan) -> tuple[bytes, list[Link], dict[str, int], list[str]]:
    """Render the back matter that needs no page numbers: the profile's appendices and the manifest.

    Also returns the records' digests (:meth:`Record.digest`), for the embedded manifest: the entries', then
    the folded documents' (bound with the record read from their PDF, so sealed and listed too).
    """
    digests = [e.rec.digest() for e in plan.entries]
    folded = [r.digest() for r in plan.folded]
    w = PageWriter("Back matter")
    for i, (title, body) in enumerate(plan.appendices):
        w.new_page(anchor=f"app:{i}")
        w.heading(title)
        table: list[list[str]] = []
        for line in [*body.splitlines(), ""]:
            if line.startswith("|"):
                table.append([c.strip() for c in line.strip().strip("|").split("|")])
                continue
            if table:
                n = len(table[0])
                w.table(
                    [Column(h, 504 / n) for h in table[0]], [Row(tuple((r + [""] * n)[:n])) for r in table[1:]], size=8
                )
                table = []
            if line.strip():
                w.text(line, size=9)
            else:
                w.gap(4)
    w.new_page(anchor="manifest")
    w.heading("Integrity manifest")
    w.text(f"Bundle digest (SHA-256 over every input's path and SHA-256): {plan.digest}", size=8)
    w.text("The same data is embedded as evidence-kit-manifest.json.", size=8)
    w.gap(4)
    w.heading("Input files", size=11)
    w.table(
        # a SHA-256 in 7-point Helvetica is up to 249.1 pt wide: its column holds it on one line (4 pt padding)
        [Column("File", 203), Column("SHA-256", 261), Column("Bound", 40)],
        [Row((o.file, o.sha256, "yes" if o.bound else "no")) for o in plan.run.report.inputs],
        size=7,
    )
    w.heading("Records (SHA-256 of canonical JSON)", size=11)
    w.table(
        [Column("Record", 155), Column("Type", 88), Column("SHA-256", 261)],
        [
            *(Row((e.rec.id, e.rec.type, d), target=e.key) for e, d in zip(plan.entries, digests, strict=True)),
            *(
                Row((r.id, f"{r.type} (pages bound with its record)", d))
                for r, d in zip(plan.folded, folded, strict=True)
            ),
        ],
        size=7,
    )
    return w.finish(), w.links, w.anchors, [*digests, *folded]


def _render_index(
    terms: Mapping[str, Mapping[str, Sequence[str]]], pages: Mapping[str, int], front_count: int, *, dry: bool = False
) -> tuple[bytes, int, list[Link], dict[str, int]]:
    """Render the index of ``terms`` (see :func:`_index`) once the body is placed: ``pages`` of its targets.

    Plain data in and out, so the pool can render it; ``dry`` lays it out only (page count and anchors).
    """
    w = PageWriter("Index", dry=dry)
    w.new_page(anchor="index")
    w.heading("Index")
    order = lambda key: pages.get(key, 0)  # noqa: E731
    for cat, by_term in terms.items():
        w.heading(cat, size=11)
        if not by_term:
            w.text("(none)", size=8)
            continue
        w.table(
            [Column("Term", 300), Column("Pages", 204)],
            [
                Row(
                    (term, ", ".join(label for label, _ in parts)),
                    target=min(keys, key=order),
                    parts=parts if len(parts) > 1 else (),  # one page: the whole row is its link
                )
                for term, keys in sorted(by_term.items(), key=lambda kv: kv[0].lower())
                for parts in [[(_label(pages.get(k), front_count), k) for k in sorted(keys, key=order)]]
            ],
            size=8,
        )
    return w.finish(), w.pages, w.links, w.anchors


# -- assembly ---------------------------------------------------------------------------------------------


def _leaf_pages(pdf: pikepdf.Pdf) -> list[pikepdf.Object]:
    """Walk the page tree once (``pdf.pages[i]`` is O(n) per call)."""
    out: list[pikepdf.Object] = []
    stack = [pdf.Root.Pages]
    while stack:
        node = stack.pop()
        if node.get("/Type") == pikepdf.Name.Pages:
            stack.extend(reversed(list(node.Kids)))
        else:
            out.append(node)
    return out


def _esc(text: str) -> bytes:
    raw = text.encode("cp1252", "replace")
    return raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


@dataclass(slots=True)
class Stamp:
    """What the band at the bottom of one page says."""

    record: str
    confidential: bool
    geometry: Geometry | None  #: set for source pages (banded); None for generated Letter pages


def _floats(arr: pikepdf.Object) -> tuple[float, float, float, float]:
    return float(arr[0]), float(arr[1]), float(arr[2]), float(arr[3])  # indexing: iterating an Array is slower


_XOBJECT, _FORM, _EKSRC = pikepdf.Name.XObject, pikepdf.Name.Form, b"/EKSrc Do\n"


_FORMS_MADE = ("forms made",)  #: key in ``shared`` of the content streams already turned into a page's form


def _own_copy(out: pikepdf.Pdf, stream: pikepdf.Stream) -> pikepdf.Stream:
    """Return a new stream with ``stream``'s stored bytes and dictionary (its filters apply unchanged)."""
    copy = out.make_stream(stream.read_raw_bytes())
    for key, value in stream.items():
        if key != "/Length":
            copy[key] = value
    return copy


def _band(out: pikepdf.Pdf, page: pikepdf.Object, shared: dict[Any, Any], fonts: pikepdf.Dictionary) -> Geometry:
    """Grow a source page's box by the stamp band on its visual bottom and fence its content off.

    The page's content stream becomes a Form XObject (its bytes untouched; clipped to the old box by /BBox)
    that the stamp's stream draws first, so a source whose content ends mid-string or mid-inline-image cannot
    swallow the stamp that follows. Pages whose content is an array of streams keep it (joining them would
    mean decoding untrusted streams) and get the stamp after a ``q``/``Q`` pair instead.

    ``shared`` holds what pages share: clip-prefix streams by their bytes and box arrays by their corners
    (direct objects, never changed in place once set: ~35 MiB less at 5,000 sources than one per page).
    """
    media = _floats(page.MediaBox)
    crop = page.CropBox if "/CropBox" in page else None
    box = _floats(crop) if crop is not None else media
    llx, lly = max(min(box[0], box[2]), min(media[0], media[2])), max(min(box[1], box[3]), min(media[1], media[3]))
    urx, ury = min(max(box[0], box[2]), max(media[0], media[2])), min(max(box[1], box[3]), max(media[1], media[3]))
    contents = page.get("/Contents")
    # never decode source streams here (a decompression bomb would go off): an array stays as it is
    form = contents if isinstance(contents, pikepdf.Stream) else None
    if form is not None:
        forms: set[tuple[int, int]] = shared.setdefault(_FORMS_MADE, set())
        if form.objgen in forms or "/Subtype" in form:
            # another page's form already (a template page: one content stream, other resources per page) or
            # drawn as an XObject somewhere: this page gets a form of its own, the same bytes, so neither
            # page's resources and box overwrite the other's
            form = _own_copy(out, form)
        forms.add(form.objgen)
        resources = page.get("/Resources")
        form.Type = _XOBJECT
        form.Subtype = _FORM
        form.BBox = _box(shared, (llx, lly, urx, ury))
        form.Resources = resources if isinstance(resources, pikepdf.Dictionary) else pikepdf.Dictionary()
        page.Resources = pikepdf.Dictionary({"/XObject": pikepdf.Dictionary({"/EKSrc": form}), "/Font": fonts})
        key = _EKSRC
    else:
        key = f"q {llx:.3f} {lly:.3f} {urx - llx:.3f} {ury - lly:.3f} re W n\n".encode()
    rot = int(page.Rotate) % 360 if "/Rotate" in page else 0
    # the band goes on the visual bottom; a page narrower than the stamp also grows on its visual right
    grow = max(0.0, MIN_WIDTH - ((urx - llx) if rot in (0, 180) else (ury - lly)))
    if rot == 90:
        urx, ury = urx + BAND, ury + grow
    elif rot == 180:
        ury, llx = ury + BAND, llx - grow
    elif rot == 270:
        llx, lly = llx - BAND, lly - grow
    else:
        lly, urx = lly - BAND, urx + grow
    new_box = _box(shared, (llx, lly, urx, ury))
    page.MediaBox = new_box
    if crop is not None:
        page.CropBox = new_box
    if form is not None:  # the stamp's stream draws the form first (see _stamp_page)
        return llx, lly, urx, ury, rot, None, key
    prefix = shared.get(key)
    if prefix is None:
        shared[key] = prefix = out.make_stream(key)
    return llx, lly, urx, ury, rot, prefix, key


def _box(shared: dict[Any, Any], corners: tuple[float, float, float, float]) -> pikepdf.Object:
    arr = shared.get(corners)
    if arr is None:
        shared[corners] = arr = pikepdf.Array(corners)
    return arr


_ZEROS = str.maketrans("123456789", "000000000")


@functools.lru_cache(maxsize=1024)
def _width(text: str, font: str) -> float:
    """Return the width of ``text`` in the stamp's 7-point ``font`` (a page's record id repeats on its pages)."""
    return float(stringWidth(text, font, 7.0))


@functools.lru_cache(maxsize=1024)
def _fit(text: str, room: float) -> str:
    """Return ``text``, cut with "..." where it is wider than ``room`` points in the stamp's 7-point Helvetica."""
    if _width(text, "Helvetica") <= room:
        return text
    lo, hi = 0, len(text)  # the longest prefix that fits with the ellipsis (widths grow with the prefix)
    while lo < hi:
        k = (lo + hi + 1) // 2
        if stringWidth(text[:k] + "...", "Helvetica", 7.0) <= room:
            lo = k
        else:
            hi = k - 1
    return text[:lo] + "..."


def _stamp_ops(box: tuple[float, float, float, float, int], left: str, mid: str, right: str, marks: str) -> bytes:
    """Return the content that writes the stamp into the band at the visual bottom of a page (box and /Rotate).

    ``right`` (the record id) is cut to the room right of the centred ``mid``, measured, whatever its letters.
    """
    llx, lly, urx, ury, rot = box
    vw = (urx - llx) if rot in (0, 180) else (ury - lly)

    def at(vx: float, vy: float) -> str:
        if rot == 0:
            return f"1 0 0 1 {llx + vx:.2f} {lly + vy:.2f} Tm"
        if rot == 90:
            return f"0 1 -1 0 {urx - vy:.2f} {lly + vx:.2f} Tm"
        if rot == 180:
            return f"-1 0 0 -1 {urx - vx:.2f} {ury - vy:.2f} Tm"
        return f"0 -1 1 0 {llx + vy:.2f} {ury - vx:.2f} Tm"

    size = 7.0
    margin = min(36.0, vw * 0.06)
    mw = _width(mid.translate(_ZEROS), "Helvetica")  # "page n of N": Helvetica's digits are all one width
    right = _fit(right, round((vw - mw) / 2 - margin - 8, 1))
    rw = _width(right, "Helvetica")
    ops = (
        f"q 0.25 g BT /EKStamp {size} Tf {at(margin, 11)} (".encode()
        + _esc(left)
        + f") Tj {at((vw - mw) / 2, 11)} (".encode()
        + _esc(mid)
        + f") Tj {at(vw - margin - rw, 11)} (".encode()
        + _esc(right)
        + b") Tj"
    )
    if marks:  # CONFIDENTIAL and/or the FOIA notice, one line above, shrunk to fit the page
        cw = _width(marks, "Helvetica-Bold")
        msize = min(size, size * (vw - 2 * margin) / cw)
        cw = cw * msize / size
        ops += f" 0.75 0.1 0.1 rg /EKStampB {msize:.2f} Tf {at((vw - cw) / 2, 20)} (".encode() + _esc(marks) + b") Tj"
    return ops + b" ET Q\n"


_FLATE = pikepdf.Name.FlateDecode


def _lead(geo: Geometry) -> bytes:
    """Return what a page's stamp stream starts with.

    ``/EKSrc Do`` draws the source as a form, ``Q`` closes the clip around source content kept in place, and
    generated pages need nothing.
    """
    return geo[6] if geo[5] is None else b"Q "


STAMP_CHUNK = 1000  #: pages per stamp job: each job's streams are freed once its pages are stamped


def _stamp_streams(
    bates: str,
    specs: Sequence[tuple[tuple[float, float, float, float, int], bytes, str, str]],
    front: int,
    first: int,
    total: int,
) -> list[tuple[bytes, bytes]]:
    """Return each page's stamp stream, as (content, its Flate compression); plain data, so a pool can run it.

    ``specs`` has one (box and rotation, lead, record id, marks) per page, in page order (see :class:`Stamp`),
    from page number ``first`` (1-based) of ``total``. The middle of the stamp gives the page's label (what the
    TOC, logs and index cite; roman in the ``front`` matter pages) and its place in the file:
    ``178 (page 189 of 426)``.
    Compressed here with a 512-byte window: QPDF's own compression at save sets up a 32 KiB window per stream,
    which costs ~70 µs each (1.4 s for 20,000 stamps) against ~8 µs here, for the same size.
    """
    streams = []
    for n, (box, lead, record, marks) in enumerate(specs, first):
        mid = f"{_label(n - 1, front)} (page {n} of {total})"
        data = lead + _stamp_ops(box, f"{bates}{n:06d}", mid, record, marks)
        z = zlib.compressobj(6, zlib.DEFLATED, 9, 1)
        streams.append((data, z.compress(data) + z.flush()))
    return streams


def _stamp_page(
    out: pikepdf.Pdf,
    page: pikepdf.Object,
    geo: Geometry,
    data: bytes,
    packed: bytes,
    fonts: pikepdf.Dictionary,
    patched: set[tuple[int, int]],
    xobjects: bytes | None = None,
) -> str:
    """Append the stamp stream ``data`` (Flate-compressed: ``packed``) to the page's content.

    On source pages it follows the fenced-off source content. Returns the page's digest (:func:`page_digest`
    of the stamped page), from the bytes at hand; ``xobjects`` is the XObject part hashed from the source.
    """
    stream = out.make_stream(packed)
    stream.Filter = _FLATE
    if geo[5] is None and geo[6]:  # source drawn as a form: one stream draws it, then the stamp; fonts are in
        page.Contents = stream
        return hashlib.sha256(data + _drawn_digest(page, xobjects)).hexdigest()
    parts = _content_streams(page)
    h = hashlib.sha256()
    if geo[5] is not None:  # source content kept in place, closed by Q before the stamp
        page.Contents = pikepdf.Array([geo[5], *parts, stream])
        h.update(geo[6])
    else:
        page.Contents = pikepdf.Array([*parts, stream])
    _digest_streams(h, parts)
    h.update(data)
    h.update(_drawn_digest(page, xobjects))  # fonts (the stamp's are added below) are not part of it
    res = page.get("/Resources")
    if res is None:
        page.Resources = res = pikepdf.Dictionary()
    if res.is_indirect and res.objgen in patched:
        return h.hexdigest()
    font = res.get("/Font")
    if font is None:
        res.Font = pikepdf.Dictionary(EKStamp=fonts.EKStamp, EKStampB=fonts.EKStampB)
    else:
        font.EKStamp, font.EKStampB = fonts.EKStamp, fonts.EKStampB
    if res.is_indirect:
        patched.add(res.objgen)
    return h.hexdigest()


def _inherit(page: pikepdf.Object) -> None:
    """Copy inheritable attributes (Resources, MediaBox, CropBox, Rotate) from parent Pages nodes onto the page."""
    missing = [key for key in ("/Resources", "/MediaBox", "/CropBox", "/Rotate") if key not in page]
    node, depth = page.get("/Parent") if missing else None, 0
    while node is not None and missing and depth < 64:
        for key in [key for key in missing if key in node]:
            page[key] = node[key]
            missing.remove(key)
        node, depth = node.get("/Parent") if "/Parent" in node else None, depth + 1
    if "/MediaBox" in missing:
        page.MediaBox = pikepdf.Array([0, 0, 612, 792])


def write_binder(
    run: Run,
    output: Path,
    *,
    records: Sequence[Record] | None = None,
    selection: Selection | None = None,
    workers: int = 2,
    analyses: bool = True,
    sign: Callable[[bytes], bytes] | None = None,
    release_text: bool = False,
) -> None:
    """Render and assemble the binder for ``run`` (only ``records`` when given) and write it atomically.

    Args:
        run: A finished validation run.
        output: Where the PDF goes; written through a temp file and ``os.replace``.
        records: The records to bind (a request binder); all of the run's records when None.
        selection: The selection that chose ``records``, shown on the cover and the exceptions page.
        workers: 2 renders summary pages in a second process for big binders; 1 keeps everything in-process.
            The output is byte-identical either way.
        analyses: Include the profile's analyses (``evidence-kit gap`` pages) after the front matter.
        sign: Turns the finished PDF's bytes into signed bytes (see :mod:`._signing`); applied before the
            atomic move, so no unsigned binder ever sits at ``output``.
        release_text: Drop the page texts of every record of ``run`` (``Record.text`` becomes ``()``) once
            the analyses have read them, so their memory serves the build. For a caller that is the run's
            last user of page texts, as ``build`` is; the binder itself never reads them, so it is the same.
    """
    gc.freeze()  # the run's objects stay alive throughout: keep the forked renderer's collector from rescanning them
    _mark("start")
    plan: Plan | None = None
    # and no collection here while building: hundreds of thousands of short-lived wrappers, hardly any cycles
    # (the few are collected once it is back on); it ran ~500 times at 5,000 sources, 0.2 s
    try:
        with gc_paused():
            plan = _plan(run, list(run.records) if records is None else records, selection)
            plan.sign = sign
            if records is None and analyses:  # a full binder carries the profile's analyses; a request binder not
                from evidence_kit._api import analysis_pages

                plan.analyses = [(n, t, pikepdf.open(io.BytesIO(b))) for n, t, b in analysis_pages(run)]
                _mark("analyses (gap map, readiness)")
            if release_text:  # the analyses were their last reader
                _release_text(run.records)
            _build(plan, output, workers)
            _mark("release")
    finally:
        for _, _, apdf in plan.analyses if plan is not None else ():
            apdf.close()
        gc.unfreeze()


def _build(plan: Plan, output: Path, workers: int) -> None:
    parallel = len(plan.entries) >= PARALLEL_MIN and workers >= 2 and "fork" in mp.get_all_start_methods()
    # the forked process renders pages: its collector runs as usual
    pool = ProcessPoolExecutor(1, mp_context=mp.get_context("fork"), initializer=gc.enable) if parallel else None
    try:
        _assemble(plan, output, pool)
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)


def _assemble(plan: Plan, output: Path, pool: ProcessPoolExecutor | None) -> None:
    config = plan.run.config
    out = pikepdf.new()
    shared: dict[Any, Any] = {}
    fonts = pikepdf.Dictionary(
        EKStamp=out.make_indirect(
            pikepdf.Dictionary(
                Type=pikepdf.Name.Font,
                Subtype=pikepdf.Name.Type1,
                BaseFont=pikepdf.Name.Helvetica,
                Encoding=pikepdf.Name.WinAnsiEncoding,
            )
        ),
        EKStampB=out.make_indirect(
            pikepdf.Dictionary(
                Type=pikepdf.Name.Font,
                Subtype=pikepdf.Name.Type1,
                BaseFont=pikepdf.Name("/Helvetica-Bold"),
                Encoding=pikepdf.Name.WinAnsiEncoding,
            )
        ),
    )
    _mark("plan")
    report_json, (manifest_bytes, manifest_links, manifest_anchors, record_digests), terms, *chunks = _render_parallel(
        plan, out, shared, fonts, pool
    )
    counts = [c for _, cs, _ in chunks for c in cs]
    summary_links: list[Link] = []
    offset = 0
    for _, cs, links in chunks:
        summary_links.extend(replace(lk, page=lk.page + offset) for lk in links)
        offset += sum(cs)
    start = 0
    for e, c in zip(plan.entries, counts, strict=True):
        e.gen_start, e.gen_count = start, c
        start += c
    # pass 1: count the front matter, then place the body and render the back matter
    _, front_count, _, front_anchors = _render_front(plan, dry=True)
    plan.pages_of.update(front_anchors)
    plan.front_count = page = front_count
    for i, (_, _, apdf) in enumerate(plan.analyses):
        plan.pages_of[f"an:{i}"] = page
        page += len(apdf.pages)
    seen_sec: set[str] = set()
    for e in plan.entries:
        e.first_page = page
        plan.pages_of[e.key] = page
        if any(src.pages for src in e.sources):
            plan.pages_of[f"{e.key}:src"] = page + e.gen_count
        plan.pages_of.setdefault(f"t:{e.type_key}", page)
        if e.section.key not in seen_sec:
            seen_sec.add(e.section.key)
            plan.pages_of[f"s:{e.section.key}"] = page
        page += e.gen_count + sum(len(src.pages) for src in e.sources)
    body_end = nxt = page
    for sec in reversed(plan.sections):  # an empty section points at the next non-empty one (or the back matter)
        nxt = plan.pages_of.setdefault(f"s:{sec.key}", nxt)
    _mark("front dry run + placement")
    # the index, rendered in the pool while this process merges (laid out here first: its length sets the total)
    back = [pikepdf.open(io.BytesIO(manifest_bytes))]
    manifest_pages = _leaf_pages(back[0])
    targets = {k: plan.pages_of[k] for t in terms.values() for ks in t.values() for k in ks if k in plan.pages_of}
    index_args = (terms, targets, front_count)
    index_result: Callable[[], tuple[bytes, int, list[Link], dict[str, int]]]
    if pool is None:
        rendered = _render_index(*index_args)
        index_count, index_anchors, index_result = rendered[1], rendered[3], lambda: rendered
    else:
        _, index_count, _, index_anchors = _render_index(*index_args, dry=True)
        index_result = pool.submit(_render_index, *index_args).result
    for key, p in manifest_anchors.items():
        plan.pages_of[key] = body_end + p
    for key, p in index_anchors.items():
        plan.pages_of[key] = body_end + len(manifest_pages) + p
    plan.total = body_end + len(manifest_pages) + index_count
    # pass 2: the front matter with real page labels (same layout, so the same page count)
    _mark("index layout")
    front_bytes, count2, front_links, front_anchors = _render_front(plan)
    if count2 != front_count:
        raise RuntimeError(f"front matter changed length between passes ({front_count} -> {count2})")
    for key, p in front_anchors.items():
        plan.pages_of[key] = p

    _mark("front matter")
    summaries = [pikepdf.open(io.BytesIO(b)) for b, _, _ in chunks]
    del chunks
    front = pikepdf.open(io.BytesIO(front_bytes))
    docs = [*summaries, front, *back]  # the generated documents, closed and dropped once their pages are copied
    try:
        # every page's stamp, in page order: the stamp streams are made meanwhile (in the pool, when there is one)
        front_pages = _leaf_pages(front)
        stamps = [Stamp("front matter", False, None)] * len(front_pages)
        for _, title, apdf in plan.analyses:
            for ap in apdf.pages:
                _inherit(ap.obj)
                llx, lly, urx, ury = _floats(ap.obj.MediaBox)
                stamps.append(Stamp(title, False, (llx, lly, urx, ury, int(ap.obj.get("/Rotate", 0)) % 360, None, b"")))
        for e in plan.entries:
            st = Stamp(e.rec.id, e.view.confidential, None)
            stamps += [st] * e.gen_count
            stamps += [Stamp(e.rec.id, e.view.confidential, geo) for src in e.sources for _, geo in src.pages]
        stamps += [Stamp("appendix", False, None)] * (len(manifest_pages) + index_count)
        letter: Geometry = (0.0, 0.0, 612.0, 792.0, 0, None, b"")
        foia = bool(getattr(config, "foia_confidential", False))
        marks = {c: " · ".join(m for m, on in ((CONFIDENTIAL, c), (FOIA_NOTICE, foia)) if on) for c in (False, True)}
        specs = [
            ((st.geometry or letter)[:5], _lead(st.geometry or letter), st.record, marks[st.confidential])
            for st in stamps
        ]
        bates = str(config.binder.get("bates_prefix", "EK-"))
        stamp_jobs: list[Callable[[], list[tuple[bytes, bytes]]]] = [
            functools.partial(_stamp_streams, bates, specs[i : i + STAMP_CHUNK], plan.front_count, i + 1, len(specs))
            for i in range(0, len(specs), STAMP_CHUNK)
        ]
        del specs
        if pool is not None:  # made in the pool while this process merges; taken one job at a time
            stamp_jobs = [pool.submit(job).result for job in stamp_jobs]

        page_objs: list[pikepdf.Object] = []

        def add(obj: pikepdf.Object) -> pikepdf.Object:
            new = out.copy_foreign(obj)
            out._add_page(new, first=False)
            page_objs.append(new)
            return new

        front_pages = [add(p) for p in front_pages]
        for _, _, apdf in plan.analyses:
            for ap in apdf.pages:
                add(ap.obj)
        summary_pages = [p for doc in summaries for p in _leaf_pages(doc)]
        for e in plan.entries:
            for gp in summary_pages[e.gen_start : e.gen_start + e.gen_count]:
                add(gp)
            for src in e.sources:
                for new, _ in src.pages:
                    out._add_page(new, first=False)
                    page_objs.append(new)
        index_bytes, count, index_links, _ = index_result()
        if count != index_count:
            raise RuntimeError(f"index changed length between layout and rendering ({index_count} -> {count})")
        docs.append(pikepdf.open(io.BytesIO(index_bytes)))
        back_objs = [add(p) for p in (*manifest_pages, *_leaf_pages(docs[-1]))]
        back_links = [*manifest_links, *(replace(lk, page=lk.page + len(manifest_pages)) for lk in index_links)]
        del summary_pages, manifest_pages, summaries, front, back
        for doc in docs:  # copies keep their stream data (read from the bytes at save), not the documents
            doc.close()
        docs.clear()

        _mark("merge")

        # links; a page's [page /Fit] destination is one object, shared by its links and outline items
        fit, no_border, annot, link_type = (
            pikepdf.Name.Fit,
            pikepdf.Array([0, 0, 0]),
            pikepdf.Name.Annot,
            pikepdf.Name.Link,
        )
        dests: dict[int, pikepdf.Array] = {}

        def dest(page: int) -> pikepdf.Array:
            arr = dests.get(page)
            if arr is None:
                dests[page] = arr = pikepdf.Array([page_objs[page], fit])
            return arr

        annots: dict[int, list[pikepdf.Object]] = {}
        # a link's /Rect is direct and never changed once set, so links with the same rectangle share one array
        # (table rows repeat the same cells page after page); keyed with the types too: 54 and 54.0 are
        # written differently
        rects: dict[tuple[Any, ...], pikepdf.Array] = {}

        def link(page_index: int, lk: Link) -> None:
            target = plan.pages_of.get(lk.target)
            if target is None:
                return
            corners = tuple(round(v, 2) for v in lk.rect)
            key = (*corners, *map(type, corners))
            rect = rects.get(key)
            if rect is None:
                rects[key] = rect = pikepdf.Array(corners)
            annots.setdefault(page_index, []).append(
                out.make_indirect(
                    pikepdf.Dictionary(
                        {
                            "/Type": annot,
                            "/Subtype": link_type,
                            "/Rect": rect,
                            "/Border": no_border,
                            "/Dest": dest(target),
                        }
                    )
                )
            )

        for lk in front_links:
            link(lk.page, lk)
        for lk in back_links:
            link(body_end + lk.page, lk)
        starts = [e.gen_start for e in plan.entries]  # ascending: the summaries are rendered in entry order
        for lk in summary_links:
            owner = plan.entries[bisect.bisect_right(starts, lk.page) - 1]
            link(owner.first_page + lk.page - owner.gen_start, lk)
        for i, lst in annots.items():
            existing = page_objs[i].get("/Annots")
            page_objs[i].Annots = pikepdf.Array([*(existing or []), *lst])

        _mark("links")

        # outline: front matter, sections -> record types -> records (-> source files), appendices
        def item(title: str, key_or_page: str | int) -> _Item:
            return _Item(title, plan.pages_of[key_or_page] if isinstance(key_or_page, str) else key_or_page)

        root = [
            item("Cover", "cover"),
            item("Readiness summary", "readiness"),
            item("Table of contents", "toc"),
            item("Exceptions", "exceptions"),
        ]
        if log_specs := _logs(plan):
            logs = item("Logs", f"log:{log_specs[0].key}")
            logs.children.extend(item(spec.title, f"log:{spec.key}") for spec in log_specs)
            root.append(logs)
        root.extend(item(title, f"an:{i}") for i, (_, title, _) in enumerate(plan.analyses))
        by_type: dict[str, list[Entry]] = {}
        for e in plan.entries:
            by_type.setdefault(e.type_key, []).append(e)
        for sec in plan.sections:
            if not any(c.records for c in sec.children):  # listed, so the outline shows every area
                root.append(item(f"{sec.title} (no records)", f"s:{sec.key}"))
                continue
            s_item = item(sec.title, f"s:{sec.key}")
            for child in sec.children:
                t_item = item(plan.child_title(child), f"t:{child.key}")
                for e in by_type.get(child.key, ()):
                    r_item = item(e.rec.id, e.key)
                    p = e.first_page + e.gen_count
                    for s in e.sources:
                        if s.pages:
                            r_item.children.append(item(s.file, p))
                            p += len(s.pages)
                    t_item.children.append(r_item)
                s_item.children.append(t_item)
            root.append(s_item)
        root.extend(item(title, f"app:{i}") for i, (title, _) in enumerate(plan.appendices))
        root += [item("Integrity manifest", "manifest"), item("Index", "index")]
        outlines = out.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.Outlines, Count=_count(root)))
        _write_outline(out, outlines, root, dest)
        out.Root.Outlines = outlines
        out.Root.PageLabels = pikepdf.Dictionary(
            Nums=pikepdf.Array(
                [0, pikepdf.Dictionary(S=pikepdf.Name.r), plan.front_count, pikepdf.Dictionary(S=pikepdf.Name.D)]
            )
        )
        out.Root.PageMode = pikepdf.Name.UseOutlines
        _mark("outline + labels")
        # stamps
        patched: set[tuple[int, int]] = set()
        digests: list[str] = []
        for at in range(0, len(page_objs), STAMP_CHUNK):
            streams = stamp_jobs.pop(0)()  # the job (its future) goes, so its streams go once stamped
            digests += [
                _stamp_page(
                    out, obj, st.geometry or letter, raw, packed, fonts, patched, plan.xobject_digests.get(obj.objgen)
                )
                for obj, st, (raw, packed) in zip(
                    page_objs[at : at + STAMP_CHUNK], stamps[at : at + STAMP_CHUNK], streams, strict=True
                )
            ]
            del streams
        if stamp_jobs:
            raise RuntimeError(f"{len(stamp_jobs)} stamp job(s) left over after {len(page_objs)} pages")
        _mark("stamps")
        # what the manifest seals about the binder, from what was just built (reading it back costs seconds)
        layout = {
            "page_count": len(page_objs),
            "page_sha256": digests,
            "page_digest": PAGE_DIGEST,
            "outline": _titles(root),
        }
        # what only the build needed goes before the save, which needs memory of its own
        del stamps, stamp_jobs, front_pages, back_objs, root, summary_links
        for held in (page_objs, annots, dests, rects):
            held.clear()
        _attach_and_save(plan, out, output, layout, report_json, record_digests)
        _mark("attachments + save")
    finally:
        for doc in docs:
            doc.close()


def _attach_and_save(
    plan: Plan,
    out: pikepdf.Pdf,
    output: Path,
    layout: dict[str, Any],
    report_json: Packed,
    record_digests: Sequence[str],
) -> None:
    run, config, report = plan.run, plan.run.config, plan.run.report
    when = _pdf_date(config.as_of)
    embedded = plan.embedded
    for emb in embedded:
        raw = emb.data if emb.data is not None else (config.bundle / emb.file).read_bytes()
        out.attachments[emb.name] = _attachment(
            out,
            _pack(raw),
            filename=emb.name,
            description=emb.description,
            mime_type=_mime(emb.name),
            creation_date=when,
            mod_date=when,
        )
    # the folded documents are bound too (their PDF's pages follow the record read from it): sealed alike, so
    # the manifest counts every record the report and the cover count
    sealed = manifest(run, _bound_records(plan), record_digests)
    sealed["attachments"] = [
        {"name": emb.name, "file": emb.file, "record": emb.record, "sha256": emb.sha256} for emb in embedded
    ]
    sealed["binder"] = layout
    sealed["report_sha256"] = report_json.sha256
    sealed_json = _pack(json.dumps(sealed, sort_keys=True, separators=(",", ":")).encode())
    del sealed
    for name, packed, desc in (
        ("evidence-kit-manifest.json", sealed_json, "SHA-256 of every input file and every record"),
        (
            "evidence-kit-report.json",
            report_json,
            "The validation report"
            if plan.selection is None
            else f"The validation report, limited to the {plan.bound_count} records of this request binder",
        ),
    ):
        out.attachments[name] = _attachment(
            out,
            packed,
            filename=name,
            mime_type="application/json",
            description=desc,
            creation_date=when,
            mod_date=when,
        )
    title = f"Evidence binder — {config.establishment.get('name', report.bundle)}"
    out.docinfo["/Title"] = title
    out.docinfo["/Producer"] = f"evidence-kit {report.tool_version}"
    out.docinfo["/CreationDate"] = when
    out.docinfo["/ModDate"] = when
    xmp = out.make_stream(_xmp(title, plan.digest, config.as_of, f"evidence-kit {report.tool_version}"))
    xmp.Type, xmp.Subtype = pikepdf.Name.Metadata, pikepdf.Name.XML
    out.Root.Metadata = xmp
    with atomic_write(output) as fh:
        if plan.sign is None:
            _save(out, fh)
        else:
            buf = io.BytesIO()
            _save(out, buf)
            fh.write(plan.sign(buf.getvalue()))


@dataclass(frozen=True)
class Embedded:
    """One original embedded in the binder: a whole input file, or one record's data taken out of it."""

    name: str  #: the attachment's name: the bundle path flattened (no '/': ``pdfdetach -saveall`` writes it as is)
    file: str  #: the bundle path it comes from
    record: str | None  #: the record's id, for one record's data (its canonical JSON); None for the whole file
    sha256: str  #: SHA-256 of the embedded bytes (the input's, or the record's digest)
    description: str
    data: bytes | None = None  #: the bytes, for a record's data; None: read the file when embedding


def attachment_name(path: str, taken: set[str]) -> str:
    """Return a flat, unused attachment name for ``path``: each '/' becomes '_' (``a/b.json`` → ``a_b.json``).

    Characters other than letters, digits, '.', '_', '-' and '#' become '_'; a name already in ``taken``
    gets ``~2``, ``~3`` … before its extension. The name is added to ``taken``.
    """
    flat = "".join(c if c.isascii() and (c.isalnum() or c in "._-#") else "_" for c in path).lstrip(".") or "file"
    stem, dot, ext = flat.rpartition(".")
    if not dot or not stem:
        stem, ext = flat, ""
    name, n = flat, 1
    while name in taken:
        n += 1
        name = f"{stem}~{n}.{ext}" if ext else f"{stem}~{n}"
    taken.add(name)
    return name


def _embedded_originals(run: Run, bound: Sequence[Record], folded: Sequence[Record], request: bool) -> list[Embedded]:
    """Return what the binder embeds of its inputs, so that it discloses no record it does not hold.

    ``bound`` are the records bound (``folded``: the documents bound within them); ``request``: a request binder.
    An input file that records were read from is embedded whole when every record read from it (``document``
    records aside: they describe the file itself) is in the binder, always so in a full binder. Otherwise, in a
    request binder, each bound record read from it is embedded alone, as ``<file>#<record id>.json`` holding the
    record's canonical JSON, whose SHA-256 is the record's digest in the manifest. Source PDFs are merged as
    pages; their bytes are embedded only when the merged copy had to be altered (see :func:`_keep_original`).
    """
    wanted = {r.location.file for r in bound} | {a for r in bound for a in r.attachments}
    documents = [*(r for r in bound if r.type == "document"), *folded]
    originals = {d.location.file for d in documents if _keep_original(d)}
    partial: set[str] = set()
    if request:
        in_binder = {(r.type, r.id, r.location.file) for r in (*bound, *folded)}
        for r in run.records:
            if r.type == "document" or (r.type, r.id, r.location.file) in in_binder:
                continue
            partial.add(r.location.file)
            partial.update(r.attachments)
    taken = {"evidence-kit-manifest.json", "evidence-kit-report.json"}
    out: list[Embedded] = []
    for o in run.report.inputs:
        if not (o.bound and o.file in wanted and (not o.file.lower().endswith(".pdf") or o.file in originals)):
            continue
        if o.file not in partial:
            name = attachment_name(o.file, taken)
            out.append(Embedded(name, o.file, None, o.sha256, f"Original {o.file}, SHA-256 {o.sha256}"))
            continue
        for rec in bound:
            if rec.location.file != o.file:
                continue
            name = attachment_name(f"{o.file}#{rec.id}.json", taken)
            data = canonical_json(rec.data).encode("utf-8", "surrogatepass")
            digest = hashlib.sha256(data).hexdigest()  # = rec.digest()
            where = f"{o.file} ({rec.location})" if str(rec.location) != o.file else o.file
            desc = f"Record {rec.id} as read from {where}: canonical JSON, SHA-256 {digest}"
            out.append(Embedded(name, o.file, rec.id, digest, desc, data))
    return out


def _embedded_names(rec: Record, by_file: Mapping[str, Sequence[Embedded]]) -> list[str]:
    """Return the names under which the binder embeds ``rec``'s data: its file whole, or its own extract."""
    return [
        emb.name
        for f in dict.fromkeys((rec.location.file, *rec.attachments))
        for emb in by_file.get(f, ())
        if emb.record is None or (emb.record == rec.id and f == rec.location.file)
    ]


#: Characters XML 1.0 cannot hold (pikepdf's metadata writer drops them too)
_XML_ILLEGAL = re.compile(r"[^\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD\U00010000-\U0010FFFF]")
_XMP_HEAD = (
    '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
    '<x:xmpmeta xmlns:x="adobe:ns:meta/" x:xmptk="pikepdf">\n'
    ' <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n'
    ' <rdf:Description rdf:about="">'
)
_XMP_TAIL = '</rdf:Description></rdf:RDF>\n</x:xmpmeta>\n\n<?xpacket end="w"?>\n'


def _xml_text(text: str) -> str:
    """Return ``text`` as XML character data, escaped as lxml writes it."""
    text = _XML_ILLEGAL.sub("", text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace("\r", "&#13;")


def _xmp(title: str, digest: str, when: dt.datetime, producer: str) -> bytes:
    """Return the binder's XMP packet: title, bundle digest, dates and producer.

    Written from a template, byte for byte what pikepdf's ``open_metadata`` writes for the same values
    (a test holds the two together), without building an lxml tree for it (and importing lxml: ~7 MiB).
    """
    dc, xmp, pdf = (
        'xmlns:dc="http://purl.org/dc/elements/1.1/"',
        'xmlns:xmp="http://ns.adobe.com/xap/1.0/"',
        'xmlns:pdf="http://ns.adobe.com/pdf/1.3/"',
    )

    def alt(name: str, value: str) -> str:  # a language alternative with its one x-default entry
        item = f'<rdf:li xml:lang="x-default">{_xml_text(value)}</rdf:li>'
        return f"<dc:{name} {dc}><rdf:Alt>{item}</rdf:Alt></dc:{name}>"

    date = _xml_text(when.isoformat())
    return (
        _XMP_HEAD
        + alt("title", title)
        + alt("description", f"Bundle SHA-256 {digest}")
        + f"<xmp:CreateDate {xmp}>{date}</xmp:CreateDate><xmp:ModifyDate {xmp}>{date}</xmp:ModifyDate>"
        + f"<pdf:Producer {pdf}>{_xml_text(producer)}</pdf:Producer>"
        + f"<pdf:Keywords {pdf}>{_xml_text(f'evidence-kit bundle-sha256:{digest}')}</pdf:Keywords>"
        + _XMP_TAIL
    ).encode()


def _attachment(out: pikepdf.Pdf, packed: Packed, **kwargs: Any) -> pikepdf.AttachedFileSpec:
    """Return an embedded file stored as ``packed`` (Flate-compressed: ``_save`` compresses nothing).

    The file spec is made empty and then given the compressed bytes and the /Size and /CheckSum (MD5) of
    the original, which is therefore never copied into pikepdf (the same objects as making it from the data).
    """
    spec = pikepdf.AttachedFileSpec(out, b"", **kwargs)
    stream = spec.obj.EF.F
    stream.write(packed.data, filter=_FLATE)
    params = stream.Params
    params.Size = packed.size
    params.CheckSum = pikepdf.String(packed.md5)
    return spec


def _save(out: pikepdf.Pdf, fh: Any) -> None:
    """Write the binder: deterministic /ID, every stream's data written as it is.

    Source streams keep their bytes and filters (QPDF would otherwise decode and recompress every stream
    that is not plain Flate, such as ASCII85 + Flate: about 1 s per 15,000 source pages); the streams the
    binder makes are compressed when made (:func:`_small_stream`, :func:`_attachment`, reportlab's pages).
    """
    with warnings.catch_warnings():
        # widgets of a source whose field tree loops are left out of /AcroForm on purpose (see _field_tree): they keep
        # their appearances, and pikepdf's note that Acrobat may not show them as fields is expected
        warnings.simplefilter("ignore", pikepdf.PageCopyWarning)
        out.save(
            fh,
            deterministic_id=True,
            compress_streams=False,
            stream_decode_level=pikepdf.StreamDecodeLevel.none,
            fix_metadata_version=False,  # the XMP holds no pdf:PDFVersion; checking would parse it with lxml
        )


def _content_streams(page: pikepdf.Object) -> list[Any]:
    """Return the page's /Contents as a list (one stream, an array of them, or none)."""
    contents = page.get("/Contents")
    return list(contents) if isinstance(contents, pikepdf.Array) else [contents] if contents is not None else []


def _digest_streams(h: Any, streams: Sequence[Any]) -> None:
    for st in streams:
        if isinstance(st, pikepdf.Stream):
            try:
                h.update(st.read_bytes())
            except Exception:  # undecodable (qpdf raises PdfError or QpdfRuntimeError): the raw bytes then
                h.update(st.read_raw_bytes())


_SIG = pikepdf.Name.Sig
PAGE_DIGEST = "contents+xobjects+annotations/1"  #: what the manifest's page digests cover (``binder.page_digest``)


def page_digest(page: pikepdf.Object, deep: bool = True) -> str:
    """Return the SHA-256 of what a page shows.

    That is its content streams (decoded; raw where a stream cannot be decoded) and, with ``deep``,
    :func:`_drawn_digest` (the XObjects and annotations it draws). Binders built before ``deep`` digests
    (no ``page_digest`` in the manifest) are checked on content streams only.
    """
    h = hashlib.sha256()
    _digest_streams(h, _content_streams(page))
    if deep:
        h.update(_drawn_digest(page))
    return h.hexdigest()


def _zero_area(rect: Any) -> bool:
    """Whether an annotation rectangle covers no area (an invisible signature field's is [0 0 0 0])."""
    try:
        x1, y1, x2, y2 = _floats(rect)
    except (TypeError, ValueError, IndexError, AttributeError):
        return True
    return x1 == x2 or y1 == y2


def _value_bytes(value: Any) -> bytes:
    """Return a plain annotation value (string, name, number, array of them) as bytes that survive a save."""
    if value is None:
        return b"-"
    if isinstance(value, pikepdf.String):
        return b"(" + bytes(value) + b")"
    if isinstance(value, pikepdf.Name):
        return str(value).encode()
    if isinstance(value, pikepdf.Array):
        return b"[" + b" ".join(_value_bytes(v) for v in value) + b"]"
    if isinstance(value, bool):
        return str(value).encode()
    if isinstance(value, int | float | Decimal):  # 612, 612.0 and 612.000 are one number, however a writer spells it
        return format(float(value), ".4f").encode()
    return type(value).__name__.encode()  # a dictionary or stream value: its kind only (no object numbers)


_EMPTY = hashlib.sha256().digest()  #: a part with nothing in it
MAX_DRAWN_DEPTH = 32  #: forms nested deeper than this are sealed by a marker, not walked (hostile nesting)


class _DrawnHasher:
    """Hashes what a page draws beyond its content streams (see :func:`_drawn_digest`), part by part."""

    def __init__(self) -> None:
        self.h = hashlib.sha256()
        self.seen: dict[tuple[int, int], int] = {}  # object numbers change at save: a repeat is named by its place

    def stream(self, obj: Any, key: str = "", depth: int = 0) -> None:
        """Hash one XObject or appearance stream (stored bytes) under ``key``, then what its resources draw.

        Hostile files nest forms hundreds deep or loop a dictionary into itself: every indirect object is
        hashed once (a repeat by its place), and below :data:`MAX_DRAWN_DEPTH` only a marker is hashed.
        """
        self.h.update(key.encode())
        if depth > MAX_DRAWN_DEPTH:
            self.h.update(b"!deep")
            return
        if isinstance(obj, pikepdf.Stream | pikepdf.Dictionary) and obj.is_indirect:
            if obj.objgen in self.seen:
                self.h.update(b"@%d" % self.seen[obj.objgen])
                return
            self.seen[obj.objgen] = len(self.seen)
        if isinstance(obj, pikepdf.Stream):
            self.h.update(obj.read_raw_bytes())
            self.xobjects(obj.get("/Resources"), depth + 1)
        elif isinstance(obj, pikepdf.Dictionary):  # appearance states: /On, /Off …
            for state in sorted(obj.keys()):
                self.stream(obj[state], state, depth + 1)

    def xobjects(self, resources: Any, depth: int = 0) -> None:
        """Hash every XObject of ``resources``, by name."""
        xo = resources.get("/XObject") if isinstance(resources, pikepdf.Dictionary) else None
        if isinstance(xo, pikepdf.Dictionary):
            for name in sorted(xo.keys()):
                self.stream(xo[name], name, depth)

    def annotations(self, page: pikepdf.Object) -> None:
        """Hash every annotation of ``page`` that can show something.

        Left out: links without an appearance (navigation: the binder's own, sealed by the outline and
        the pages they sit on) and invisible signature fields (the binder's own signature, checked as a
        signature). A link or signature field that draws an appearance is hashed like any annotation.
        """
        for annot in _annotations(page):
            ap = annot.get("/AP")
            if not isinstance(ap, pikepdf.Dictionary) and annot.get("/Subtype") == pikepdf.Name.Link:
                continue
            if annot.get("/FT") == _SIG and _zero_area(annot.get("/Rect")):
                continue
            for key in ("/Subtype", "/Rect", "/F", "/Contents", "/V", "/AS", "/C", "/IC", "/CA", "/OC"):
                value = annot.get(key)
                if value is None and key == "/V" and isinstance(annot.get("/Parent"), pikepdf.Dictionary):
                    value = annot.Parent.get("/V")  # a widget's value sits on its field
                self.h.update(key.encode() + _value_bytes(value))
            if isinstance(ap, pikepdf.Dictionary):
                for state in ("/N", "/R", "/D"):  # normal, rollover, down
                    self.stream(ap.get(state), state)


def _source_xobjects_digest(page: pikepdf.Object) -> bytes:
    """Return, from a source page before it is copied, the XObject part of its digest in the binder.

    In the binder a single content stream becomes the Form XObject ``/EKSrc`` over the page's resources (see
    :func:`_band`); an array of streams stays, with the page's resources. Hashing the source's own objects
    gives the same digest as hashing the copy, without pulling every source stream into the binder's memory
    before the save (reading a copied stream makes QPDF keep its data: +14 MiB at 1,000 sources).
    """
    contents = page.get("/Contents")
    resources = page.get("/Resources")
    if not (isinstance(resources, pikepdf.Dictionary) and "/XObject" in resources):  # text-only pages: most
        if isinstance(contents, pikepdf.Stream):
            return hashlib.sha256(b"/EKSrc" + contents.read_raw_bytes()).digest()
        return _EMPTY
    hasher = _DrawnHasher()
    if isinstance(contents, pikepdf.Stream):
        hasher.h.update(b"/EKSrc")
        hasher.seen[contents.objgen] = 0
        hasher.h.update(contents.read_raw_bytes())
        hasher.xobjects(resources, 1)  # one level down, inside the form, as verify walks the binder's page
    else:
        hasher.xobjects(resources)
    return hasher.h.digest()


def _drawn_digest(page: pikepdf.Object, xobjects: bytes | None = None) -> bytes:
    """Return a SHA-256 of what a page draws beyond its content streams.

    That is every XObject of its resources, followed through Form XObjects' own resources (stored bytes,
    never decoded: a source's form is its original content stream, and a decompression bomb must not go
    off), and every annotation but links and signature fields: subtype, rectangle, flags, text, field value
    and appearance streams. A changed lot number inside a source page's form, a retyped form field or an
    added note all change it; navigation (links, outline) is sealed apart. ``xobjects``: the XObject part,
    when it was hashed from the source (:func:`_source_xobjects_digest`).
    """
    if xobjects is None:
        resources = page.get("/Resources")
        xobjects = _EMPTY
        if isinstance(resources, pikepdf.Dictionary) and "/XObject" in resources:
            part = _DrawnHasher()
            part.xobjects(resources)
            xobjects = part.h.digest()
    annots = _EMPTY  # most pages have none: no hasher to make (20,000 pages at 5k sources)
    if "/Annots" in page:
        part = _DrawnHasher()
        part.annotations(page)
        annots = part.h.digest()
    # page boxes and rotation are left out: reading them back costs 0.08 s at 5,000 sources (issue 5's time budget);
    # a signed binder (build --sign) seals them with every other byte
    return hashlib.sha256(xobjects + annots).digest()


def _outline_titles(pdf: pikepdf.Pdf) -> list[str]:
    with pdf.open_outline() as outline:
        return _titles(outline.root)


@dataclass(slots=True)
class _Item:
    """One outline item as built: its title, the page it opens, its children."""

    title: str
    page: int
    children: list[_Item] = field(default_factory=list)
    count: int = 0  #: open descendants (the outline's /Count)


def _count(items: Sequence[_Item]) -> int:
    """Set each item's ``count`` (its descendants, all open) and return ``items``' own /Count."""
    total = 0
    for it in items:
        it.count = _count(it.children)
        total += 1 + it.count
    return total


def _write_outline(
    out: pikepdf.Pdf, parent: pikepdf.Object, items: Sequence[_Item], dest: Callable[[int], pikepdf.Array]
) -> None:
    """Write ``items`` under ``parent`` as outline dictionaries, every item open (as pikepdf's outline writes them).

    Each item is made with its /Title, /Dest, /Parent, /Prev and /Count (set by :func:`_count`) at once; /Next,
    /First and /Last follow.
    """
    prev: pikepdf.Object | None = None
    first: pikepdf.Object | None = None
    for it in items:
        d: dict[str, Any] = {
            "/Title": it.title,
            "/Dest": dest(it.page),
            "/Parent": parent,
            "/Count": it.count,
        }
        if prev is not None:
            d["/Prev"] = prev
        obj = out.make_indirect(pikepdf.Dictionary(d))
        if prev is None:
            first = obj
        else:
            prev.Next = obj
        if it.children:
            _write_outline(out, obj, it.children, dest)
        prev = obj
    if first is not None:
        parent.First, parent.Last = first, prev


def _titles(items: Sequence[Any]) -> list[str]:
    """Return the outline's titles in reading order (each item, then its children)."""
    titles: list[str] = []
    stack = list(reversed(items))
    while stack and len(titles) < 1_000_000:
        item = stack.pop()
        titles.append(item.title or "")
        stack.extend(reversed(item.children))
    return titles


def binder_layout(pdf: pikepdf.Pdf, deep: bool = True) -> dict[str, Any]:
    """Return what the manifest seals about the binder itself: page count, each page's digest, outline.

    ``deep=False`` gives the digests of binders built before :data:`PAGE_DIGEST` (content streams only).
    """
    return {
        "page_count": len(pdf.pages),
        "page_sha256": [page_digest(p.obj, deep) for p in pdf.pages],
        "outline": _outline_titles(pdf),
    }


@dataclass(frozen=True)
class Problem:
    """One integrity problem ``verify`` found: what (a short kind), and the details naming the page or file."""

    kind: str
    detail: str


def verify_binder(path: Path, bundle: Path | None = None) -> tuple[list[str], list[Problem]]:
    """Check a binder against its embedded manifest (and, given the bundle, the bundle against the manifest).

    Returns ``(facts, problems)``: lines describing what was checked, and every tampering found.

    Raises:
        ConfigError: ``path`` is not a PDF, or not an evidence binder (no manifest).
    """
    from evidence_kit._ingest import walk_bundle
    from evidence_kit._io import sha256_file
    from evidence_kit._signing import FIELD, signatures
    from evidence_kit._signing import revisions as count_revisions
    from evidence_kit.errors import ConfigError

    facts: list[str] = []
    problems: list[Problem] = []
    data = path.read_bytes()
    revisions = count_revisions(data)
    try:
        pdf = pikepdf.open(io.BytesIO(data))
    except pikepdf.PdfError as exc:
        raise ConfigError(f"{path} is not a readable PDF: {exc}") from exc
    with pdf:
        if "evidence-kit-manifest.json" not in pdf.attachments:
            raise ConfigError(f"{path} is not an evidence binder: it has no embedded evidence-kit-manifest.json")
        sealed = json.loads(pdf.attachments["evidence-kit-manifest.json"].get_file().read_bytes())
        layout = sealed.get("binder")
        if not isinstance(layout, dict):
            raise ConfigError(f"{path}: its manifest has no page digests (built by an older evidence-kit)")
        deep = layout.get("page_digest") == PAGE_DIGEST
        now = binder_layout(pdf, deep)
        facts.append(f"manifest: {len(sealed['inputs'])} inputs, {len(sealed['records'])} records")
        if not deep:
            facts.append("older binder: its page digests cover content streams only, not the forms and notes drawn")
        if now["page_count"] != layout["page_count"]:
            problems.append(
                Problem("page count", f"the binder has {now['page_count']} pages, the manifest {layout['page_count']}")
            )
        for n, (got, want) in enumerate(zip(now["page_sha256"], layout["page_sha256"], strict=False), 1):
            if got != want:
                problems.append(Problem("page altered", f"page {n}: content SHA-256 {got} differs from the manifest"))
        if now["outline"] != layout["outline"]:
            problems.append(Problem("outline altered", "the outline differs from the manifest's"))
        own = [sg for sg in signatures(data) if sg.field == FIELD]
        for sg in own:
            facts.append(f"binder {sg.describe()}")
            if not (sg.intact and sg.valid):
                problems.append(Problem("signature broken", f"the binder's signature {sg.field} does not verify"))
        if revisions > 1 + len(own) or (own and not own[-1].covers_whole_file):
            problems.append(
                Problem("incremental update", f"the file has {revisions} revisions (changes appended after the build)")
            )
        inputs = {i["file"]: i["sha256"] for i in sealed["inputs"]}
        checked = _check_attachments(pdf, sealed, inputs, problems)
        facts.append(f"pages: {now['page_count']}, embedded originals checked: {checked}")
    if bundle is not None:
        seen: set[str] = set()
        for rel, full in walk_bundle(bundle):
            seen.add(rel)
            if rel not in inputs:
                problems.append(Problem("unaccounted file", f"{rel} is in the bundle but not in the manifest"))
            elif not full.is_symlink() and sha256_file(full) != inputs[rel]:
                problems.append(Problem("source changed", f"{rel} changed since the binder was built"))
            if rel.lower().endswith(".pdf") and not full.is_symlink():
                facts.extend(f"source {rel}: {sg.describe()}" for sg in signatures(full.read_bytes()))
        for rel in sorted(set(inputs) - seen):
            problems.append(Problem("source missing", f"{rel} is in the manifest but no longer in the bundle"))
        facts.append(f"bundle: {len(seen)} files checked against the manifest")
    return facts, problems


def _check_attachments(
    pdf: pikepdf.Pdf, sealed: Mapping[str, Any], inputs: Mapping[str, str], problems: list[Problem]
) -> int:
    """Check every embedded original against the manifest's SHA-256; return how many were checked.

    The manifest maps each attachment name to the file (or one record of it) and its SHA-256; binders built
    before it had that list named their attachments by the bundle path (``inputs``).
    """
    listed = sealed.get("attachments")
    if isinstance(listed, list):
        expected = {a["name"]: (a["sha256"], a["file"] + (f" (record {a['record']})" if a.get("record") else ""))
                    for a in listed if isinstance(a, dict) and {"name", "sha256", "file"} <= a.keys()}  # fmt: skip
    else:
        expected = {name: (sha, name) for name, sha in inputs.items()}
    present = dict(pdf.attachments.items())
    checked = 0
    for name, (want, what) in expected.items():
        spec = present.get(name)
        if spec is None:
            if isinstance(listed, list):
                problems.append(Problem("attachment missing", f"embedded original {name} ({what}) is gone"))
            continue
        checked += 1
        got = hashlib.sha256(spec.get_file().read_bytes()).hexdigest()
        if got != want:
            problems.append(Problem("attachment altered", f"embedded original {name} ({what}): SHA-256 {got}"))
    report = present.get("evidence-kit-report.json")
    want_report = sealed.get("report_sha256")
    if isinstance(want_report, str):
        got = hashlib.sha256(report.get_file().read_bytes()).hexdigest() if report is not None else "(missing)"
        if got != want_report:
            problems.append(Problem("report altered", f"the embedded evidence-kit-report.json: SHA-256 {got}"))
    if isinstance(listed, list):
        for name in sorted(set(present) - set(expected) - {"evidence-kit-manifest.json", "evidence-kit-report.json"}):
            problems.append(Problem("attachment added", f"{name} is embedded but not in the manifest"))
    return checked


def _mime(name: str) -> str:
    suffix = name.lower().rsplit(".", 1)[-1]
    return {"json": "application/json", "jsonl": "application/jsonl", "xml": "application/xml", "csv": "text/csv"}.get(
        suffix, "application/octet-stream"
    )
