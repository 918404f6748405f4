"""The evidence binder: generated pages (reportlab) and source PDFs (pikepdf), bookmarked and hashed.

This is the only module that imports pikepdf. Layout:

1. plan: front matter, then the profile's sections → record types → records; each record gets a
   generated summary page followed by the pages of its source PDFs;
2. render every generated page in one reportlab document (``invariant=1``, so byte-stable);
3. assemble with pikepdf, appending page objects directly (``Pdf._add_page``; ``pages.append`` is
   O(n) per call and makes big binders quadratic), add the outline, page labels, the original
   structured exports and a SHA-256 manifest as attachments, and XMP metadata;
4. save with ``deterministic_id=True`` through a temp file and ``os.replace``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import textwrap
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pikepdf
import reportlab
from reportlab.lib.pagesizes import LETTER
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from evidence_kit._io import atomic_write
from evidence_kit.contracts import Section
from evidence_kit.model import Finding, Record, Report
from evidence_kit.reports import report_to_json

if TYPE_CHECKING:
    from evidence_kit._api import Run

PAGE_W, PAGE_H = LETTER
MARGIN = 54.0
LINE = 13.0
FONT, BOLD = "EKVera", "EKVeraBd"
WRAP = 95


def _register_fonts() -> None:
    if FONT in pdfmetrics.getRegisteredFontNames():
        return
    fonts = Path(reportlab.__file__).parent / "fonts"  # Bitstream Vera ships with reportlab
    pdfmetrics.registerFont(TTFont(FONT, str(fonts / "Vera.ttf")))
    pdfmetrics.registerFont(TTFont(BOLD, str(fonts / "VeraBd.ttf")))


class PageWriter:
    """A thin cursor over a reportlab canvas: writes wrapped lines and breaks pages when full."""

    def __init__(self, buffer: io.BytesIO, title: str) -> None:
        _register_fonts()
        self.c = canvas.Canvas(buffer, pagesize=LETTER, invariant=1, pageCompression=1)
        self.c.setTitle(title)
        self.pages = 0
        self.y = 0.0
        self._open = False

    def new_page(self) -> int:
        """Start a page and return its 0-based index in the generated document."""
        if self._open:
            self.c.showPage()
        self._open = True
        self.pages += 1
        self.y = PAGE_H - MARGIN
        return self.pages - 1

    def text(self, text: str, *, bold: bool = False, size: float = 10, indent: float = 0) -> None:
        """Write ``text``, wrapped to the page width; continues on a new page when needed."""
        width = max(20, int(WRAP * 10 / size) - int(indent / 5))
        for raw in str(text).splitlines() or [""]:
            for line in textwrap.wrap(raw, width, replace_whitespace=False, drop_whitespace=True) or [""]:
                if self.y < MARGIN + LINE * 2:
                    self.new_page()
                self.c.setFont(BOLD if bold else FONT, size)
                self.c.drawString(MARGIN + indent, self.y, line)
                self.y -= LINE * size / 10

    def gap(self, lines: float = 0.5) -> None:
        """Leave vertical space."""
        self.y -= LINE * lines

    def finish(self) -> None:
        """Close the last page and the document."""
        if self._open:
            self.c.showPage()
        self.c.save()


@dataclass
class Block:
    """A run of pages in the binder: generated pages, or the pages of one source PDF."""

    title: str
    gen_start: int = -1
    gen_count: int = 0
    source: str | None = None
    data: bytes | None = None  # a PDF rendered in memory (an analysis's pages)
    record: Record | None = None
    first_page: int = 0
    page_count: int = 0


@dataclass
class Plan:
    """The binder's page plan, filled while rendering and assembling."""

    blocks: list[Block] = field(default_factory=list)
    outline: list[tuple[str, int, list[Any]]] = field(default_factory=list)


def _fmt(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=dict)


def _signature_lines(data: Any) -> Iterator[str]:
    """Yield every signature as printed name, date-time and meaning (21 CFR 11.50(b))."""
    sigs = data.get("signatures") if hasattr(data, "get") else None
    for sig in sigs or ():
        if hasattr(sig, "get"):
            yield (
                f"{sig.get('printed_name') or '(no printed name)'} · {sig.get('signed_at') or '(no date/time)'}"
                f" · {sig.get('meaning') or '(no meaning)'}"
            )


def _render_cover(w: PageWriter, run: Run, digest: str, sections: Sequence[Section]) -> None:
    cfg, report = run.config, run.report
    est, insp = cfg.establishment, cfg.inspection
    w.new_page()
    w.gap(6)
    w.text(str(cfg.binder.get("title", "Evidence binder")), bold=True, size=22)
    w.gap(1)
    w.text(str(est.get("name", report.bundle)), bold=True, size=14)
    for label, value in (
        ("FEI", est.get("fei")),
        ("Address", est.get("address")),
        ("Profile", f"{report.profile} ({run.registry.profiles[report.profile].title})"),
        ("Inspection / assessment date", insp.get("date")),
        ("Record window", f"{insp.get('window_start', '–')} to {insp.get('window_end', '–')}"),
        ("Generated (as of)", report.as_of),
        ("Tool", f"evidence-kit {report.tool_version}"),
        ("Bundle digest (SHA-256)", digest),
        ("Records", str(report.record_count)),
        ("Input files", str(len(report.inputs))),
    ):
        if value:
            w.text(f"{label}: {value}", size=11)
    w.gap(2)
    w.text("Sections", bold=True, size=12)
    for s in sections:
        n = sum(len(c.records) for c in s.children)
        w.text(f"{s.title} — {n} record(s)", indent=12)


def _render_summary(w: PageWriter, report: Report) -> None:
    w.new_page()
    w.text("Validation summary", bold=True, size=16)
    w.gap()
    counts = report.counts()
    w.text(f"Errors: {counts['error']}   Warnings: {counts['warning']}   Info: {counts['info']}", size=11)
    w.gap()
    for f in report.findings:
        w.text(f"[{f.severity.value.upper()}] {f.code} — {f.location}", bold=True, size=9)
        w.text(f.message, size=9, indent=12)
        if f.cites:
            w.text("Cites: " + "; ".join(f.cites), size=8, indent=12)


def _render_exceptions(w: PageWriter, report: Report) -> None:
    w.new_page()
    w.text("Exceptions: inputs not bound into this binder", bold=True, size=16)
    w.gap()
    excluded = [o for o in report.inputs if not o.bound]
    if not excluded:
        w.text("Every input file is bound into this binder.", size=11)
    for o in excluded:
        w.text(f"{o.file}  ({o.excluded_by})", bold=True, size=9)
        w.text(o.reason or "", size=9, indent=12)


def _render_record(w: PageWriter, rec: Record, findings: Sequence[Finding]) -> None:
    w.new_page()
    w.text(f"{rec.type.replace('_', ' ').title()} {rec.id}", bold=True, size=14)
    w.text(f"Source: {rec.location}   SHA-256 of file: {rec.sha256[:16]}…", size=8)
    w.gap()
    sigs = list(_signature_lines(rec.data))
    if sigs:
        w.text("Signatures (printed name · date-time · meaning)", bold=True, size=10)
        for s in sigs:
            w.text(s, size=9, indent=12)
        w.gap()
    if findings:
        w.text(f"Findings on this record ({len(findings)})", bold=True, size=10)
        for f in findings:
            w.text(f"[{f.severity.value.upper()}] {f.code} {f.location.field or ''}: {f.message}", size=9, indent=12)
        w.gap()
    w.text("Fields", bold=True, size=10)
    for key in sorted(rec.data):
        if key != "signatures":
            w.text(f"{key}: {_fmt(rec.data[key])}", size=9, indent=12)


def bundle_digest(report: Report) -> str:
    """Return the SHA-256 over every input's path and SHA-256, in path order."""
    h = hashlib.sha256()
    for o in report.inputs:
        h.update(f"{o.file}\0{o.sha256}\n".encode())
    return h.hexdigest()


def manifest(run: Run) -> dict[str, Any]:
    """Return the integrity manifest: SHA-256 of every input file and of every record."""
    return {
        "bundle_digest": bundle_digest(run.report),
        "inputs": [
            {"file": o.file, "sha256": o.sha256, "bound": o.bound, "excluded_by": o.excluded_by}
            for o in run.report.inputs
        ],
        "records": [{"type": r.type, "id": r.id, "file": r.location.file, "sha256": r.digest()} for r in run.records],
    }


def _pdf_date(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).strftime("D:%Y%m%d%H%M%SZ")


def _keep_form_fields(out: pikepdf.Pdf) -> None:
    """Make merged form widgets reachable from the binder's /AcroForm, so filled forms still display."""
    fields, seen = [], set()
    for page in out.pages:
        for annot in page.obj.get("/Annots", []):
            if annot.get("/Subtype") != pikepdf.Name.Widget:
                continue
            root = annot
            while "/Parent" in root:  # a widget of a field hierarchy: register the top-level field once
                root = root.Parent
            if root.objgen not in seen:
                seen.add(root.objgen)
                fields.append(root)
    if fields:
        out.Root.AcroForm = pikepdf.Dictionary(Fields=pikepdf.Array(fields), NeedAppearances=True)


def write_binder(run: Run, output: Path) -> None:
    """Render and assemble the binder for ``run`` and write it to ``output`` atomically."""
    report, config = run.report, run.config
    profile = run.registry.profiles[report.profile]
    sections = profile.sections(report, run.records, config.binder.get("sections", {}))
    by_record: dict[str, list[Finding]] = {}
    for f in report.findings:
        if f.location.record:
            by_record.setdefault(f.location.record, []).append(f)
    digest = bundle_digest(report)

    buf = io.BytesIO()
    w = PageWriter(buf, f"Evidence binder — {config.establishment.get('name', report.bundle)}")
    plan = Plan()

    def gen_block(title: str, render: Any, *args: Any, record: Record | None = None) -> Block:
        start = w.pages
        render(w, *args)
        block = Block(title, start, w.pages - start, record=record)
        plan.blocks.append(block)
        return block

    cover = gen_block("Cover", _render_cover, run, digest, sections)
    summary = gen_block("Validation summary", _render_summary, report)
    exceptions = gen_block("Exceptions", _render_exceptions, report)
    plan.outline += [
        ("Cover", id(cover), []),
        ("Validation summary", id(summary), []),
        ("Exceptions", id(exceptions), []),
    ]
    block_by_id = {id(b): b for b in (cover, summary, exceptions)}
    from evidence_kit._api import analysis_pages  # _api imports this module lazily; import back the same way

    for _name, title, pdf_bytes in analysis_pages(run):  # gap coverage / QMM readiness, after the front matter
        block = Block(title, data=pdf_bytes)
        plan.blocks.append(block)
        block_by_id[id(block)] = block
        plan.outline.append((title, id(block), []))
    for section in sections:
        sec_children: list[Any] = []
        first_id: int | None = None
        for child in section.children:
            type_children: list[Any] = []
            for rec in child.records:
                b = gen_block(f"{rec.id}", _render_record, rec, by_record.get(rec.id, ()), record=rec)
                block_by_id[id(b)] = b
                first_id = first_id or id(b)
                type_children.append((rec.id, id(b), []))
                for att in rec.attachments:
                    plan.blocks.append(Block(f"{rec.id}: {att}", source=att, record=rec))
            sec_children.append((f"{child.title} ({len(child.records)})", type_children[0][1], type_children))
        if first_id is None:  # an empty section still gets a page saying so
            b = gen_block(
                section.title,
                lambda wr, t: (
                    wr.new_page(),
                    wr.text(t, bold=True, size=16),
                    wr.text("No records in this section.", size=11),
                ),
                section.title,
            )
            block_by_id[id(b)] = b
            first_id = id(b)
        plan.outline.append((section.title, first_id, sec_children))
    w.finish()
    _assemble(run, plan, block_by_id, buf.getvalue(), output, digest)


def _assemble(run: Run, plan: Plan, block_by_id: dict[int, Block], generated: bytes, output: Path, digest: str) -> None:
    report, config = run.report, run.config
    gen = pikepdf.open(io.BytesIO(generated))
    gen_pages = list(gen.pages)
    out = pikepdf.new()
    opened: list[pikepdf.Pdf] = []
    page_no = 0
    for block in plan.blocks:
        block.first_page = page_no
        if block.source is None and block.data is None:
            pages = gen_pages[block.gen_start : block.gen_start + block.gen_count]
        else:
            try:
                raw = block.data if block.data is not None else (config.bundle / str(block.source)).read_bytes()
                src = pikepdf.open(io.BytesIO(raw))
            except (pikepdf.PdfError, OSError) as exc:
                block.page_count = 0
                block.title += f" (not merged: {exc})"
                continue
            opened.append(src)
            pages = list(src.pages)
        for page in pages:
            out._add_page(out.copy_foreign(page.obj), first=False)
        block.page_count = len(pages)
        page_no += len(pages)

    with out.open_outline() as outline:

        def build(items: list[Any]) -> list[pikepdf.OutlineItem]:
            made = []
            for title, bid, children in items:
                target = block_by_id[bid].first_page
                item = pikepdf.OutlineItem(title, target)
                item.children.extend(build(children))
                made.append(item)
            return made

        outline.root.extend(build(plan.outline))

    when = _pdf_date(config.as_of)
    for o in report.inputs:
        if o.bound and not o.file.lower().endswith(".pdf"):
            data = (config.bundle / o.file).read_bytes()
            out.attachments[o.file] = pikepdf.AttachedFileSpec(
                out,
                data,
                filename=o.file,
                description=f"Original export, SHA-256 {o.sha256}",
                creation_date=when,
                mod_date=when,
            )
    out.attachments["evidence-kit-manifest.json"] = pikepdf.AttachedFileSpec(
        out,
        json.dumps(manifest(run), indent=2, sort_keys=True).encode(),
        filename="evidence-kit-manifest.json",
        mime_type="application/json",
        description="SHA-256 of every input file and every record",
        creation_date=when,
        mod_date=when,
    )
    out.attachments["evidence-kit-report.json"] = pikepdf.AttachedFileSpec(
        out,
        report_to_json(report).encode(),
        filename="evidence-kit-report.json",
        mime_type="application/json",
        description="The validation report",
        creation_date=when,
        mod_date=when,
    )

    out.docinfo["/Title"] = f"Evidence binder — {config.establishment.get('name', report.bundle)}"
    out.docinfo["/Producer"] = f"evidence-kit {report.tool_version}"
    out.docinfo["/CreationDate"] = when
    out.docinfo["/ModDate"] = when
    with out.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as meta:
        meta["dc:title"] = str(out.docinfo["/Title"])
        meta["xmp:CreateDate"] = config.as_of.isoformat()
        meta["pdf:Keywords"] = f"evidence-kit bundle-sha256:{digest}"
    out.Root.PageMode = pikepdf.Name.UseOutlines
    _keep_form_fields(out)
    with atomic_write(output) as fh:
        out.save(fh, deterministic_id=True)
    for src in opened:
        src.close()
    gen.close()
