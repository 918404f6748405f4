"""PDF files become ``document`` records that are bound into the binder page for page.

The source reads the document info (title, author, dates), counts pages and checks the text can be
extracted at all (ALCOA+ "legible"). A PDF that cannot be opened is excluded with the reason.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

import pikepdf
from pypdf import PdfReader

from evidence_kit import Finding, Record, Severity, SourceContext, __version__, hookimpl


def _info(pdf: pikepdf.Pdf, key: str) -> str | None:
    try:
        value = pdf.docinfo.get(key)
        return str(value) if value is not None else None
    except (pikepdf.PdfError, ValueError, UnicodeDecodeError):
        return None


def text_extractable(data: bytes, max_pages: int = 3) -> bool:
    """Return True when any of the first pages yields extractable text (pypdf reads text best)."""
    try:
        reader = PdfReader(io.BytesIO(data))
        for page in reader.pages[:max_pages]:
            if (page.extract_text() or "").strip():
                return True
    except Exception:  # pypdf raises many types on damaged files; no text is the honest answer
        return False
    return False


class PdfDocumentSource:
    """Reads any PDF into one ``document`` record whose attachment is the PDF itself."""

    name = "pdf"
    version = __version__

    def detect(self, path: PurePosixPath, head: bytes) -> bool:
        """Claim files that start with the PDF header, or end in .pdf."""
        return head.lstrip()[:5] == b"%PDF-" or path.suffix.lower() == ".pdf"

    def read(self, path: Path, ctx: SourceContext) -> Iterator[Record | Finding]:
        """Yield one document record, or a finding saying why the PDF cannot be bound."""
        data = path.read_bytes()
        if b"%PDF-" not in data[:1024]:
            yield ctx.finding("ingest.malformed", f"{ctx.file}: not a PDF: no %PDF- header in the first 1024 bytes.")
            return
        try:
            pdf = pikepdf.open(io.BytesIO(data))
        except pikepdf.PasswordError:
            yield ctx.finding(
                "ingest.malformed",
                f"{ctx.file}: encrypted: a password is required to open it.",
                hint="Export the document without a user password.",
            )
            return
        except pikepdf.PdfError as exc:
            yield ctx.finding("ingest.malformed", f"{ctx.file}: PDF cannot be opened: {exc}.")
            return
        with pdf:
            pages = len(pdf.pages)
            rid = PurePosixPath(ctx.file).stem
            doc: dict[str, object] = {
                "id": rid,
                "file": ctx.file,
                "pages": pages,
                "text_extractable": text_extractable(data),
            }
            for key, field in (("/Title", "title"), ("/Author", "author"), ("/CreationDate", "created")):
                value = _info(pdf, key)
                if value:
                    doc[field] = value
        if not doc["text_extractable"]:
            yield ctx.finding(
                "ingest.not-legible",
                f"{ctx.file}: no extractable text on its first pages; an "
                "image-only scan cannot be searched (ALCOA+ legible).",
                severity=Severity.INFO,
                record=rid,
                hint="Keep a text-searchable or OCR'd true copy.",
            )
        yield ctx.record("document", rid, doc, page=1, attachments=(ctx.file,))


@hookimpl(trylast=True)
def evidence_kit_sources() -> list[PdfDocumentSource]:
    """Register the PDF document source, last, so plugins get first refusal on PDFs."""
    return [PdfDocumentSource()]
