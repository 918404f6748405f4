"""The PDF document source (``source = "pdf"``); what it reads is described in :mod:`.pdf_documents`.

This module only registers the source: the reading code, and with it pikepdf and pypdfium2 (~75 ms to
import), is loaded when the first PDF is read, so a bundle without PDFs never pays for them.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path, PurePosixPath

from evidence_kit import Finding, Record, SourceContext, __version__, hookimpl
from evidence_kit.mapping import options_schema

OPTIONS_SCHEMA = options_schema(
    {"attachments": {"type": "boolean"}, "password": {"type": "string"}, "password_env": {"type": "string"}}
)


class PdfDocumentSource:
    """Reads any PDF into a ``document`` record (plus form and attachment records)."""

    name = "pdf"
    version = __version__
    options_schema = OPTIONS_SCHEMA
    isolate = True  #: read in a forked child under the per-file time and memory budget (evidence_kit._guard)

    def detect(self, path: PurePosixPath, head: bytes) -> bool:
        """Claim files that start with the PDF header, or end in .pdf."""
        return head.lstrip()[:5] == b"%PDF-" or path.suffix.lower() == ".pdf"

    def read(self, path: Path, ctx: SourceContext) -> Iterator[Record | Finding]:
        """Yield the document record and any form/attachment records, or why the PDF cannot be bound."""
        from evidence_kit_builtin.sources.pdf_documents import PdfReader

        return PdfReader().read(path, ctx)


@hookimpl(trylast=True)
def evidence_kit_sources() -> list[PdfDocumentSource]:
    """Register the PDF document source, last, so plugins get first refusal on PDFs."""
    return [PdfDocumentSource()]
