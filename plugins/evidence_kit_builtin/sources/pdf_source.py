"""The PDF document source (``source = "pdf"``); what it reads is described in :mod:`.pdf_documents`.

This module only registers the source: the reading code, and with it pikepdf and pypdfium2 (~75 ms to
import), is loaded when the first PDF is read, so a bundle without PDFs never pays for them.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

from evidence_kit import Finding, Record, SourceContext, __version__, hookimpl
from evidence_kit.mapping import options_schema

OPTIONS_SCHEMA = options_schema(
    {"attachments": {"type": "boolean"}, "password": {"type": "string"}, "password_env": {"type": "string"}}
)

PASSWORDS_ENV = "EVIDENCE_KIT_PDF_PASSWORDS"  #: a JSON object {bundle path: password}


def password_for(ctx: SourceContext) -> str | None:
    """Return the user's password for this PDF, or None: never guessed.

    In order: the ``[[inputs]]`` option ``password_env`` (the name of an environment variable holding
    it), the option ``password``, then the JSON map in ``EVIDENCE_KIT_PDF_PASSWORDS`` keyed by the
    file's bundle path.
    """
    env_name = ctx.options.get("password_env")
    if isinstance(env_name, str) and env_name in os.environ:
        return os.environ[env_name]
    if isinstance(ctx.options.get("password"), str):
        return str(ctx.options["password"])
    raw = os.environ.get(PASSWORDS_ENV)
    if raw:
        try:
            table = json.loads(raw)
        except ValueError:
            return None
        value = table.get(ctx.file) if isinstance(table, dict) else None
        return value if isinstance(value, str) else None
    return None


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

    def cache_token(self, ctx: SourceContext) -> str:
        """Stand for the password this PDF would be opened with, in the cache key, without holding it.

        ``""`` when no password is given; else the SHA-256 of the file's SHA-256 and the password, so
        supplying, changing or removing a password is a cache miss, and the key is no easier a test
        of a guessed password than the encrypted file itself.
        """
        password = password_for(ctx)
        if password is None:
            return ""
        salted = f"evidence-kit pdf password\0{ctx.sha256}\0".encode() + password.encode("utf-8", "surrogatepass")
        return hashlib.sha256(salted).hexdigest()


@hookimpl(trylast=True)
def evidence_kit_sources() -> list[PdfDocumentSource]:
    """Register the PDF document source, last, so plugins get first refusal on PDFs."""
    return [PdfDocumentSource()]
