"""PDF files: a ``document`` record bound into the binder, plus whatever structure the PDF carries.

For every PDF the source reads (pikepdf; pdfium, via pypdfium2, for the page text):

* the document info dictionary and XMP metadata (title, author, subject, producer, dates; an
  unparseable date is an ``ingest.bad-metadata`` warning, never a crash);
* the page count, and whether text can be extracted from the first pages (ALCOA+ "legible");
* the text of every page (up to :data:`MAX_TEXT_PAGES`), extracted once here, in the guarded reader, onto
  ``Record.text``: the terminology rules and the gap analysis search it without opening the PDF again,
  and the incremental cache keeps it with the record;
* signature fields: signer name, signing time, reason and location from each ``/Sig`` dictionary,
  and whether its ``/ByteRange`` covers the whole file (cryptographic verification is not done here);
* AcroForm field values: with ``options.mapping`` (form field names as selectors) and the
  ``[[inputs]] record_type``, a filled eQMS form becomes a record of that type;
* embedded JSON or XML attachments, each ingested as records (JSON under the strict policy, XML
  under the safe-parsing policy; their ``record_type`` key or the entry's record type decides the
  type).

Records read from a PDF (its form or an embedded attachment) carry the PDF as their attachment, so the
binder puts its pages right after their summary; the ``document`` record of that PDF is then not bound
a second time (the binder folds it into the record, see :mod:`evidence_kit._binder`).

A PDF with no structured content still becomes a ``document`` record bound into the binder. A PDF
that cannot be opened (damaged beyond repair, or needing a password) is excluded with the reason.

The source itself is registered by :mod:`evidence_kit_builtin.sources.pdf_source`, which imports this
module (and with it pikepdf and pypdfium2, ~75 ms) only when a bundle has a PDF to read.
"""

from __future__ import annotations

import dataclasses
import io
import re
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import Any

import pikepdf
import pypdfium2 as pdfium

from evidence_kit import Finding, Record, Severity, SourceContext
from evidence_kit.mapping import MISSING, RecordBuilder
from evidence_kit.parsing import JsonError, XmlRefused, loads_strict, parse_date, parse_xml
from evidence_kit_builtin.sources.pdf_source import PASSWORDS_ENV, password_for
from evidence_kit_builtin.sources.xml_records import element_to_dict

MAX_FIELDS = 5000
MAX_FIELD_DEPTH = 32
MAX_ATTACHMENT_BYTES = 32 * 1024 * 1024
MAX_TEXT_PAGES = 200  #: pages whose text is extracted (the legibility check looks at the first 3)
MAX_TEXT_CHARS = 4_000_000  #: characters of page text kept per PDF; later pages are left empty
LEGIBLE_PAGES = 3
#: pdfium marks a word hyphenated at a line end with U+0002 or U+FFFE; pypdf gave "-" and a line break
_LINE_ENDS = str.maketrans({"\x02": "-\n", "\ufffe": "-\n"})

_STREAM_NAME = re.compile(r"^.*?<_io\.BytesIO object at 0x[0-9a-f]+>:?\s*")


def _clean(exc: Exception) -> str:
    """Return qpdf's message without the in-memory stream's name."""
    return _STREAM_NAME.sub("", str(exc).splitlines()[0] if str(exc) else type(exc).__name__).strip()


def _preflight(pdf: pikepdf.Pdf) -> None:
    """Do now what the binder does later: copy every page and decode its content streams.

    The source runs in the budgeted reader process (``isolate``), so a page tree, resource graph or
    content-stream bomb that would hang or exhaust the binder is caught here, within the time and memory
    budget, and the file is excluded before the binder ever opens it. Errors are the binder's to report.
    """
    scratch = pikepdf.new()
    try:
        for page in pdf.pages:
            copied = scratch.copy_foreign(page.obj)
            contents = copied.get("/Contents")
            for st in contents if isinstance(contents, pikepdf.Array) else [contents]:
                if isinstance(st, pikepdf.Stream):
                    st.read_bytes()
    except Exception:  # damaged content: the binder keeps the raw stream and says so
        return
    finally:
        scratch.close()


def active_content(pdf: pikepdf.Pdf) -> list[str]:
    """Name the active content a PDF carries: document JavaScript, /OpenAction, /AA, /Launch, XFA, file:// links."""
    found: set[str] = set()
    root = pdf.Root
    names = root.get("/Names")
    if isinstance(names, pikepdf.Dictionary) and "/JavaScript" in names:
        found.add("document JavaScript")
    opening = root.get("/OpenAction")
    if isinstance(opening, pikepdf.Dictionary) and opening.get("/S") not in (pikepdf.Name.GoTo, None):
        found.add(f"/OpenAction {_text(opening.get('/S'))}")  # a plain "open at page n" destination is harmless
    if "/AA" in root:
        found.add("document /AA actions")
    acro = root.get("/AcroForm")
    if isinstance(acro, pikepdf.Dictionary) and "/XFA" in acro:
        found.add("XFA form")
    for page in pdf.pages[:2000]:
        if "/AA" in page.obj:
            found.add("page /AA actions")
        annots = page.obj.get("/Annots")
        if not isinstance(annots, pikepdf.Array):
            continue
        for annot in list(annots)[:2000]:
            if not isinstance(annot, pikepdf.Dictionary):
                continue
            if "/AA" in annot:
                found.add("annotation /AA actions")
            action = annot.get("/A")
            if isinstance(action, pikepdf.Dictionary):
                kind = action.get("/S")
                if kind in (pikepdf.Name.JavaScript, pikepdf.Name.Launch):
                    found.add(f"{kind} action")
                uri = action.get("/URI")
                if kind == pikepdf.Name.URI and str(uri if uri is not None else "").lower().startswith("file:"):
                    found.add("file:// link")
    return sorted(found)


def page_texts(data: bytes, password: str | None = None, max_pages: int = MAX_TEXT_PAGES) -> tuple[str, ...] | None:
    r"""Return the text of each of the first ``max_pages`` pages (pdfium), "" for a page without text.

    Line breaks are ``\n`` (pdfium gives ``\r\n``); its mark for a word hyphenated at a line end becomes
    ``-\n``, as pypdf had it; trailing pages without text are left out. A page pdfium cannot read gives "",
    a document it cannot open None.
    """
    try:
        doc = pdfium.PdfDocument(data, password=password)
    except Exception:  # pdfium raises PdfiumError (and others) on damaged or encrypted files
        return None
    out: list[str] = []
    total = 0
    try:
        for i in range(min(len(doc), max_pages)):
            text = ""
            if total < MAX_TEXT_CHARS:
                try:
                    page = doc[i]
                    try:
                        textpage = page.get_textpage()
                        try:
                            text = textpage.get_text_range()
                        finally:
                            textpage.close()
                    finally:
                        page.close()
                except Exception:  # one damaged page: its text is missing, the others still count
                    text = ""
            text = text.translate(_LINE_ENDS).replace("\r\n", "\n").replace("\r", "\n")
            text = text[: MAX_TEXT_CHARS - total] if text.strip() else ""
            total += len(text)
            out.append(text)
    finally:
        doc.close()
    while out and not out[-1]:
        out.pop()
    return tuple(out)


def _plain_copy(pdf: pikepdf.Pdf) -> bytes:
    """Return qpdf's repaired, decrypted copy of an open PDF (for pdfium when it cannot open the original)."""
    buf = io.BytesIO()
    try:
        pdf.save(buf)
    except Exception:  # damaged beyond what qpdf writes back: no copy, so no text
        return b""
    return buf.getvalue()


def _text(value: Any) -> str | None:
    """Return a PDF string, name or number as text (names without their slash), else None."""
    try:
        if isinstance(value, pikepdf.Name):
            return str(value)[1:]
        if isinstance(value, pikepdf.String):
            return str(value)
        if isinstance(value, (int, float, bool, str)):
            return str(value)
    except (UnicodeDecodeError, ValueError):
        return None
    return None


def _iso(text: str | None) -> tuple[str | None, str | None]:
    """Return ``(ISO 8601 text, None)`` for a PDF/ISO date, or ``(None, problem)``."""
    if not text:
        return None, None
    try:
        return parse_date(text).isoformat(), None
    except ValueError as exc:
        return None, str(exc)


def _fields(pdf: pikepdf.Pdf) -> Iterator[tuple[str, pikepdf.Dictionary]]:
    """Yield ``(fully qualified name, terminal field)`` for the AcroForm, guarding against cycles."""
    acro = pdf.Root.get("/AcroForm")
    roots = acro.get("/Fields") if isinstance(acro, pikepdf.Dictionary) else None
    if not isinstance(roots, pikepdf.Array):
        return
    seen: set[tuple[int, int]] = set()
    stack: list[tuple[Any, str, int]] = [(f, "", 1) for f in reversed(list(roots))]
    count = 0
    while stack and count < MAX_FIELDS:
        node, prefix, depth = stack.pop()
        if not isinstance(node, pikepdf.Dictionary) or depth > MAX_FIELD_DEPTH:
            continue
        if node.is_indirect:
            if node.objgen in seen:
                continue
            seen.add(node.objgen)
        count += 1
        part = _text(node.get("/T"))
        name = f"{prefix}.{part}" if prefix and part else (part or prefix)
        kids = node.get("/Kids")
        named_kids = isinstance(kids, pikepdf.Array) and any(
            isinstance(k, pikepdf.Dictionary) and "/T" in k for k in kids
        )
        if named_kids and isinstance(kids, pikepdf.Array):
            stack.extend((k, name, depth + 1) for k in reversed(list(kids)))
        elif name:
            yield name, node


def _field_value(field: pikepdf.Dictionary) -> Any:
    value = field.get("/V")
    if isinstance(value, pikepdf.Array):
        items = [_text(v) for v in value]
        return [i for i in items if i]
    text = _text(value)
    return text if text not in (None, "") else MISSING


class PdfReader:
    """Reads any PDF into a ``document`` record (plus form and attachment records)."""

    def read(self, path: Path, ctx: SourceContext) -> Iterator[Record | Finding]:
        """Yield the document record and any form/attachment records, or why the PDF cannot be bound."""
        data = path.read_bytes()
        if not data:
            yield ctx.finding("ingest.malformed", f"{ctx.file}: empty file (0 bytes).")
            return
        header = b"%PDF-" in data[:1024]
        password = password_for(ctx)
        try:
            pdf = pikepdf.open(io.BytesIO(data), password=password or "")
        except pikepdf.PasswordError:
            if password:
                reason = "encrypted: wrong password (the password supplied for it does not open it)"
            else:
                reason = "encrypted: password required"
            yield ctx.finding(
                "ingest.encrypted",
                f"{ctx.file}: {reason}.",
                hint=f"Give the password in the [[inputs]] option password_env or in {PASSWORDS_ENV}; "
                "evidence-kit never guesses.",
            )
            return
        except pikepdf.PdfError as exc:
            text = _clean(exc)
            if not header:
                yield ctx.finding("ingest.malformed", f"{ctx.file}: not a PDF: no %PDF- header ({text}).")
            elif "encryption" in text or "/Encrypt" in text:
                kind = "unsupported security handler" if "unsupported" in text else "malformed encryption dictionary"
                yield ctx.finding("ingest.encrypted", f"{ctx.file}: encrypted: {kind} ({text}).")
            else:
                yield ctx.finding("ingest.malformed", f"{ctx.file}: PDF cannot be opened: {text}.")
            return
        rid = PurePosixPath(ctx.file).stem
        with pdf:
            doc: dict[str, Any] = {"id": rid, "file": ctx.file, "pages": len(pdf.pages)}
            repairs = [_STREAM_NAME.sub("", w).strip() for w in pdf.get_warnings()]
            if repairs or not header:
                what = "; ".join(dict.fromkeys(repairs[:3])) or "no %PDF- header in the first 1024 bytes"
                doc["repaired"] = True
                yield ctx.finding(
                    "ingest.repaired",
                    f"{ctx.file}: damaged PDF repaired to be read ({what}); the binder holds the repaired copy, "
                    f"the manifest the original's SHA-256 {ctx.sha256}.",
                    severity=Severity.WARNING,
                    record=rid,
                )
            _preflight(pdf)
            active = active_content(pdf)
            if active:
                doc["active_content"] = active
                yield ctx.finding(
                    "binder.active-content",
                    f"{ctx.file}: active content ({', '.join(active)}) is neutralised in the binder copy; "
                    "the original bytes are embedded unchanged.",
                    severity=Severity.WARNING,
                    record=rid,
                )
            yield from self._metadata(pdf, doc, ctx, rid)
            if pdf.is_encrypted:
                doc["encrypted"] = True
                how = "the password supplied" if password else "an empty password"
                yield ctx.finding(
                    "ingest.bad-metadata",
                    f"{ctx.file}: source PDF is encrypted (opened with {how}); "
                    f"permissions: extract={pdf.allow.extract}, print={pdf.allow.print_highres}.",
                    severity=Severity.WARNING,
                    record=rid,
                    hint="Keep an unencrypted true copy for inspection.",
                )
            form: dict[str, Any] = {}
            signatures: list[dict[str, Any]] = []
            for name, fld in _fields(pdf):
                if fld.get("/FT") == pikepdf.Name.Sig or isinstance(fld.get("/V"), pikepdf.Dictionary):
                    sig = fld.get("/V")
                    if isinstance(sig, pikepdf.Dictionary):
                        signatures.append(self._signature(name, sig, len(data), ctx, rid))
                    continue
                form[name] = _field_value(fld)
            if signatures:
                doc["signatures"] = signatures
                for s in signatures:
                    if not s.get("covers_whole_file"):
                        yield ctx.finding(
                            "ingest.bad-metadata",
                            f"{ctx.file}: signature field {s['signature_id']!r} does not cover the "
                            "entire document (its /ByteRange leaves bytes unsigned: content was added after signing, "
                            "or the range has gaps).",
                            severity=Severity.WARNING,
                            record=rid,
                            field="/signatures",
                            path=s["signature_id"],
                        )
            if form:
                doc["form_fields"] = sorted(form)
            embedded = list(self._attachments(pdf, ctx)) if ctx.options.get("attachments", True) else []
            pages_text = page_texts(data, password)
            if pages_text is None:  # pdfium cannot open what qpdf repaired or decrypted (empty owner password)
                pages_text = page_texts(_plain_copy(pdf)) or ()
        doc["text_extractable"] = any(pages_text[:LEGIBLE_PAGES])
        if not doc["text_extractable"]:
            yield ctx.finding(
                "ingest.not-legible",
                f"{ctx.file}: no extractable text on its first pages; an "
                "image-only scan cannot be searched (ALCOA+ legible).",
                severity=Severity.INFO,
                record=rid,
                hint="Keep a text-searchable or OCR'd true copy.",
            )
        if form and ctx.options.get("mapping"):
            builder = RecordBuilder(ctx, lambda _rec, sel: sel)
            yield from builder.build(
                form,
                lambda sel: form.get(sel, MISSING),
                page=1,
                path="AcroForm",
                fallback_id=f"{rid}-form",
                attachments=(ctx.file,),
            )
        yield from embedded
        yield ctx.record("document", rid, doc, page=1, attachments=(ctx.file,), text=pages_text)

    def _metadata(self, pdf: pikepdf.Pdf, doc: dict[str, Any], ctx: SourceContext, rid: str) -> Iterator[Finding]:
        info: dict[str, str] = {}
        try:
            for key, obj in pdf.docinfo.items():
                entry = _text(obj)
                if entry:
                    info[str(key)[1:]] = entry
        except (pikepdf.PdfError, ValueError) as exc:  # say so rather than silently dropping the metadata
            yield ctx.finding(
                "ingest.bad-metadata",
                f"{ctx.file}: the PDF's document information dictionary cannot be read ({exc}); "
                "title, author and dates come from XMP only.",
                severity=Severity.WARNING,
                record=rid,
            )
        xmp: dict[str, str] = {}
        try:
            if "/Metadata" not in pdf.Root:  # no XMP stream: parsing the empty packet costs 0.5 ms a file
                raise LookupError("no XMP")
            meta = pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False)
            for key in ("dc:title", "dc:creator", "xmp:CreateDate", "xmp:ModifyDate", "pdf:Producer"):
                found = meta.get(key)
                if found:
                    xmp[key] = ", ".join(map(str, found)) if isinstance(found, list) else str(found)
        except Exception:  # XMP is optional and often broken; the info dictionary still counts
            xmp = {}
        for field, text in (
            ("title", info.get("Title") or xmp.get("dc:title")),
            ("author", info.get("Author") or xmp.get("dc:creator")),
            ("subject", info.get("Subject")),
            ("producer", info.get("Producer") or xmp.get("pdf:Producer")),
        ):
            if text:
                doc[field] = text
        for field, raw in (
            ("created", info.get("CreationDate") or xmp.get("xmp:CreateDate")),
            ("modified", info.get("ModDate") or xmp.get("xmp:ModifyDate")),
        ):
            iso, problem = _iso(raw)
            if iso:
                doc[field] = iso
            elif problem:
                yield ctx.finding(
                    "ingest.bad-metadata",
                    f"{ctx.file}: the PDF's {field} date {raw!r} cannot be read ({problem}); it was left out.",
                    severity=Severity.WARNING,
                    record=rid,
                    field=f"/{field}",
                )
        if "title" in info and "dc:title" in xmp and info["Title"] != xmp["dc:title"]:
            yield ctx.finding(
                "ingest.bad-metadata",
                f"{ctx.file}: document info title {info['Title']!r} differs from the XMP title {xmp['dc:title']!r}.",
                severity=Severity.WARNING,
                record=rid,
                field="/title",
            )

    def _signature(self, name: str, sig: pikepdf.Dictionary, size: int, ctx: SourceContext, rid: str) -> dict[str, Any]:
        out: dict[str, Any] = {"signature_id": name}
        for key, field in (("/Name", "printed_name"), ("/Reason", "meaning"), ("/Location", "location")):
            text = _text(sig.get(key))
            if text:
                out[field] = text
        signed_at, _ = _iso(_text(sig.get("/M")))
        if signed_at:
            out["signed_at"] = signed_at
        br = sig.get("/ByteRange")
        try:
            nums = [int(x) for x in br] if isinstance(br, pikepdf.Array) else []
        except (TypeError, ValueError):
            nums = []
        out["covers_whole_file"] = len(nums) == 4 and nums[0] == 0 and nums[2] + nums[3] == size
        return out

    def _attachments(self, pdf: pikepdf.Pdf, ctx: SourceContext) -> Iterator[Record | Finding]:
        try:
            items = list(pdf.attachments.items())
        except Exception:  # a damaged name tree: the document itself is still evidence
            return
        inner = dataclasses.replace(ctx, record_type=None, options={})
        builder = RecordBuilder(inner)
        for name, spec in items:
            suffix = PurePosixPath(str(name)).suffix.lower()
            if suffix not in (".json", ".xml"):
                continue
            try:
                payload = spec.get_file().read_bytes()
            except Exception as exc:  # undecodable stream: report, keep going
                yield ctx.finding("ingest.malformed", f"{ctx.file}: attachment {name!r} cannot be read: {exc}.")
                continue
            if len(payload) > MAX_ATTACHMENT_BYTES:
                yield ctx.finding(
                    "ingest.malformed", f"{ctx.file}: attachment {name!r} is larger than 32 MiB; skipped."
                )
                continue
            yield from self._embedded(str(name), suffix, payload, ctx, builder)

    def _embedded(
        self, name: str, suffix: str, payload: bytes, ctx: SourceContext, builder: RecordBuilder
    ) -> Iterator[Record | Finding]:
        items: list[tuple[Any, str]] = []
        try:
            if suffix == ".json":
                value = loads_strict(payload.decode("utf-8"))
                items = (
                    [(v, f"{name}/{i}") for i, v in enumerate(value)] if isinstance(value, list) else [(value, name)]
                )
            else:
                tree = parse_xml(payload)
                items = [
                    (element_to_dict(el), f"{name}{tree.getpath(el)}")
                    for el in tree.getroot()
                    if isinstance(el.tag, str)
                ]
        except (JsonError, XmlRefused, UnicodeDecodeError) as exc:
            code = (
                "ingest.xml-refused"
                if isinstance(exc, XmlRefused) and "not allowed" in str(exc)
                else "ingest.malformed"
            )
            yield ctx.finding(code, f"{ctx.file}: embedded attachment {name!r} was not read: {exc}.", path=name)
            return
        for value, where in items:
            if not isinstance(value, dict):
                yield ctx.finding(
                    "ingest.malformed", f"{ctx.file}: attachment {where!r} is not an object (a record).", path=where
                )
                continue
            yield from builder.build(
                value, None, path=f"attachment {where}", record_type=ctx.record_type, attachments=(ctx.file,)
            )
