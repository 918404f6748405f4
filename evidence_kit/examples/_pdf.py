"""The example bundles' PDFs, drawn with reportlab (``invariant=1``) and pikepdf (deterministic save).

Each function returns bytes that are identical on every run with the same arguments: reportlab's
invariant mode fixes the dates and the document id, and pikepdf saves with ``deterministic_id``
without touching the XMP metadata.
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Mapping, Sequence

import pikepdf
from PIL import Image, ImageDraw, ImageFont
from reportlab.lib.pagesizes import LETTER
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas

_TOP = 720.0


def _canvas(buf: io.BytesIO, title: str, author: str, subject: str = "") -> canvas.Canvas:
    c = canvas.Canvas(buf, pagesize=LETTER, invariant=1, pageCompression=1)
    c.setTitle(title)
    c.setAuthor(author)
    c.setSubject(subject)
    c.setCreator("evidence-kit example generator")
    return c


def _wrapped(c: canvas.Canvas, y: float, text: str, *, width: int = 95, size: int = 10, x: float = 72) -> float:
    c.setFont("Helvetica", size)
    for line in textwrap.wrap(text, width) or [""]:
        if y < 72:
            c.showPage()
            c.setFont("Helvetica", size)
            y = _TOP
        c.drawString(x, y, line)
        y -= size + 4
    return y


def _header(c: canvas.Canvas, company: str, left: str, right: str) -> None:
    c.setFont("Helvetica", 8)
    c.drawString(72, 760, company)
    c.drawRightString(540, 760, right)
    c.drawString(72, 750, left)
    c.line(72, 745, 540, 745)


def sop_pdf(
    company: str,
    doc_number: str,
    rev: str,
    title: str,
    effective: str,
    sections: Sequence[tuple[str, str]],
    approvals: Sequence[tuple[str, str, str]],
) -> bytes:
    """Return a controlled SOP revision: header, numbered sections and a signature block.

    Args:
        company: Company name for the page header.
        doc_number: Document number, e.g. ``SOP-QA-012``.
        rev: Revision letter.
        title: Document title.
        effective: Effective date (YYYY-MM-DD).
        sections: ``(heading, text)`` pairs.
        approvals: ``(printed name, meaning, signed at)`` rows of the signature manifestation block.
    """
    buf = io.BytesIO()
    c = _canvas(buf, f"{doc_number} Rev {rev} {title}", f"{company} Document Control", "Standard operating procedure")
    _header(c, company, "CONTROLLED DOCUMENT", f"{doc_number} Rev {rev}  Effective {effective}")
    c.setFont("Helvetica-Bold", 14)
    c.drawString(72, 715, f"{doc_number} Rev {rev}: {title}")
    y = 690.0
    for n, (heading, text) in enumerate(sections, 1):
        c.setFont("Helvetica-Bold", 11)
        c.drawString(72, y, f"{n} {heading}")
        y = _wrapped(c, y - 15, text) - 6
    if y < 160:
        c.showPage()
        y = _TOP
    c.setFont("Helvetica-Bold", 11)
    c.drawString(72, y - 10, "Approval (21 CFR 11.50 signature manifestation)")
    y -= 28
    for name, meaning, at in approvals:
        c.setFont("Helvetica", 10)
        c.drawString(72, y, f"{meaning.capitalize():<10}  {name}")
        c.drawString(300, y, at or "(no date recorded)")
        y -= 14
    c.showPage()
    c.save()
    return buf.getvalue()


def text_pdf(
    company: str, title: str, header_right: str, paragraphs: Sequence[str], author: str, *, created: str | None = None
) -> bytes:
    """Return a plain report PDF (certificates, plans, reports): a title and wrapped paragraphs.

    ``created`` (YYYY-MM-DD) replaces the fixed invariant-mode date in the document info, so the document
    carries the date it was issued (the gap analysis reads it as the document's date).
    """
    buf = io.BytesIO()
    c = _canvas(buf, title, author)
    _header(c, company, title, header_right)
    c.setFont("Helvetica-Bold", 13)
    c.drawString(72, 715, title)
    y = 690.0
    for para in paragraphs:
        y = _wrapped(c, y, para) - 8
    c.showPage()
    c.save()
    if created is None:
        return buf.getvalue()
    out = io.BytesIO()
    stamp = "D:" + created.replace("-", "") + "120000Z"
    with pikepdf.open(io.BytesIO(buf.getvalue())) as pdf:
        pdf.docinfo["/CreationDate"] = stamp
        pdf.docinfo["/ModDate"] = stamp
        pdf.save(out, deterministic_id=True, compress_streams=True)
    return out.getvalue()


def label_proof_scan(company: str, title: str, lines: Sequence[str], bars: str) -> bytes:
    """Return a scanned-style label proof: the label is a grey raster image, so no text can be extracted.

    Args:
        company: Company name (printed on the label raster only).
        title: Document title (PDF metadata).
        lines: Human-readable label text, drawn into the image.
        bars: Digits whose pattern becomes the barcode-like bars on the label.
    """
    img = Image.new("L", (1100, 700), 236)
    draw = ImageDraw.Draw(img)
    font = ImageFont.load_default(size=30)
    draw.rectangle((40, 40, 1060, 660), outline=30, width=4)
    draw.text((70, 70), company.upper(), fill=20, font=font)
    for i, line in enumerate(lines):
        draw.text((70, 130 + 50 * i), line, fill=25, font=font)
    x = 70
    for ch in bars:
        w = 2 + int(ch) % 4
        draw.rectangle((x, 530, x + w, 630), fill=15)
        x += w + 3 + int(ch) % 3
    for i in range(0, 1100, 7):  # scanner streaks
        draw.line((i, 0, i + 40, 700), fill=226 + i % 9)
    raw = io.BytesIO()
    img.save(raw, format="PNG", optimize=False)
    raw.seek(0)
    buf = io.BytesIO()
    c = _canvas(buf, title, f"{company} Labeling", "Scanned label proof")
    c.drawImage(ImageReader(Image.open(raw)), 54, 300, width=504, height=320)
    c.showPage()
    c.save()
    return buf.getvalue()


def acroform_pdf(company: str, title: str, fields: Sequence[tuple[str, str, str]], checks: Mapping[str, bool]) -> bytes:
    """Return a filled AcroForm: one labelled text field per ``(name, label, value)`` and checkboxes.

    Args:
        company: Company name for the page header.
        title: Form title.
        fields: ``(field name, printed label, filled value)``.
        checks: Checkbox field name → checked.
    """
    buf = io.BytesIO()
    c = _canvas(buf, title, f"{company} Customer Service", "Complaint intake form")
    _header(c, company, "FORM QA-012-F1 Rev D", title)
    c.setFont("Helvetica-Bold", 13)
    c.drawString(72, 715, title)
    form = c.acroForm
    y = 680.0
    for name, label, value in fields:
        tall = len(value) > 60
        height = 46 if tall else 18
        c.setFont("Helvetica", 9)
        c.drawString(72, y + height - 12, label)
        form.textfield(
            name=name,
            value=value,
            x=200,
            y=y,
            width=340,
            height=height,
            borderStyle="inset",
            forceBorder=True,
            fontName="Helvetica",
            fontSize=8,
            maxlen=1000,
            fieldFlags="multiline" if tall else "",
        )
        y -= height + 8
    for name, checked in checks.items():
        c.setFont("Helvetica", 9)
        c.drawString(72, y + 4, name.replace("_", " "))
        form.checkbox(name=name, x=200, y=y, size=14, checked=checked, buttonStyle="check", forceBorder=True)
        y -= 22
    c.showPage()
    c.save()
    return buf.getvalue()


def with_json_attachment(pdf_bytes: bytes, name: str, payload: bytes, description: str, when: str) -> bytes:
    """Return ``pdf_bytes`` with ``payload`` embedded as a file attachment, saved deterministically.

    Args:
        pdf_bytes: The visible document.
        name: Attachment file name, e.g. ``MR-2026-01.json``.
        payload: The attached bytes (a JSON record).
        description: Attachment description.
        when: PDF date string (``D:YYYYMMDDHHmmSS``) used for the attachment's dates.
    """
    out = io.BytesIO()
    with pikepdf.open(io.BytesIO(pdf_bytes)) as pdf:
        pdf.attachments[name] = pikepdf.AttachedFileSpec(
            pdf,
            payload,
            description=description,
            filename=name,
            mime_type="application/json",
            creation_date=when,
            mod_date=when,
        )
        pdf.save(out, deterministic_id=True, compress_streams=True)
    return out.getvalue()
