from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pikepdf
from reportlab.pdfgen import canvas

from evidence_kit._api import run

from .conftest import ROOT, source_errors

TOML = """\
[establishment]
name = "Test Devices Inc."

[inspection]
as_of = "2026-11-30T12:00:00+00:00"
"""


def _form_pdf(values: dict[str, str], checked: bool) -> bytes:
    buf = io.BytesIO()
    c = canvas.Canvas(buf, invariant=1)
    c.drawString(72, 760, "Complaint intake form QF-8.2.2-01")
    y = 700
    for name, value in values.items():
        c.acroForm.textfield(name=name, value=value, x=72, y=y, width=300, height=20)
        y -= 40
    c.acroForm.checkbox(name="Investigated", checked=checked, x=72, y=y)
    c.showPage()
    c.save()
    return buf.getvalue()


def _with_attachment(pdf_bytes: bytes, name: str, payload: bytes) -> bytes:
    pdf = pikepdf.open(io.BytesIO(pdf_bytes))
    pdf.attachments[name] = pikepdf.AttachedFileSpec(pdf, payload, filename=name)
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def test_filled_form_becomes_a_mapped_record_and_the_pdf_a_document(make_bundle) -> None:
    pdf = _form_pdf({"ComplaintNo": "C-77", "Received": "03/11/2026", "Reporter": "Lee Chan"}, checked=True)
    toml = (
        TOML
        + """
[[inputs]]
path = "forms/*.pdf"
record_type = "complaint"
[inputs.options.mapping]
id = "ComplaintNo"
received_date = { from = "Received", date_format = "%m/%d/%Y" }
"complainant.name" = "Reporter"
investigated = { from = "Investigated", map = { Yes = true, Off = false } }
"""
    )
    result = run(make_bundle({"forms/intake.pdf": pdf}, toml=toml))
    form = result.records.get("C-77", "complaint")
    assert form is not None
    assert dict(form.data) == {
        "id": "C-77",
        "received_date": "2026-03-11",
        "complainant": {"name": "Lee Chan"},
        "investigated": True,
    }
    assert form.location.file == "forms/intake.pdf" and form.location.path == "AcroForm"
    doc = result.records.get("intake", "document")
    assert doc is not None and doc.attachments == ("forms/intake.pdf",)
    assert doc.data["pages"] == 1 and doc.data["text_extractable"] is True
    assert doc.data["form_fields"] == ["ComplaintNo", "Investigated", "Received", "Reporter"]
    assert not source_errors(result), source_errors(result)


def test_embedded_json_and_xml_attachments_become_records(make_bundle) -> None:
    base = _form_pdf({}, checked=False)
    capa = json.dumps([{"record_type": "capa", "id": "CAPA-9", "status": "open"}]).encode()
    pdf = _with_attachment(base, "capa.json", capa)
    pdf = _with_attachment(pdf, "more.xml", b"<x><capa><id>CAPA-10</id><record_type>capa</record_type></capa></x>")
    pdf = _with_attachment(pdf, "bomb.xml", b'<!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>')
    result = run(make_bundle({"pack.pdf": pdf}, toml=TOML))
    assert result.records.get("CAPA-9", "capa") is not None
    assert result.records.get("CAPA-10", "capa") is not None
    assert result.records.get("CAPA-9").location.path == "attachment capa.json/0"  # type: ignore[union-attr]
    refused = [f for f in result.report.findings if f.code == "ingest.xml-refused"]
    assert len(refused) == 1 and "bomb.xml" in refused[0].message
    assert result.records.get("pack", "document") is not None


def test_signatures_metadata_and_hostile_pdfs(corpus: Path, tmp_path: Path) -> None:
    bundle = tmp_path / "b"
    bundle.mkdir()
    names = [
        "qpdf_digitally-signed.pdf",
        "pyhanko_sigcov_tail-uncovered.pdf",
        "pikepdf_invalid_creationdate.pdf",
        "pypdf_r3-empty-password.pdf",
        "pdfjs_pr6531_1_user_owner_pw.pdf",
        "qpdf_bad1.pdf",
        "pyhanko_form-tree-circular-ref.pdf",
        "pdfjs_poppler-67295-0_pages_count_9999999999.pdf",
    ]
    for n in names:
        shutil.copy(corpus / "pdf" / n, bundle / n)
    (bundle / "evidence-kit.toml").write_text(TOML)
    result = run(bundle)
    assert not [f for f in result.report.findings if f.code == "ingest.source-crashed"]
    signed = result.records.get("qpdf_digitally-signed", "document")
    assert signed is not None
    assert signed.data["signatures"] == [
        {
            "signature_id": "Signature2",
            "printed_name": "John Doe",
            "signed_at": "2019-09-27T20:54:52+09:00",
            "covers_whole_file": True,
        }
    ]
    by_file = {f.location.file: f for f in result.report.findings if f.code == "ingest.bad-metadata"}
    assert "does not cover the entire document" in by_file["pyhanko_sigcov_tail-uncovered.pdf"].message
    assert "D:00000805034056" in by_file["pikepdf_invalid_creationdate.pdf"].message
    assert "encrypted" in by_file["pypdf_r3-empty-password.pdf"].message
    outcomes = {o.file: o for o in result.report.inputs}
    assert "encrypted: password required" in (outcomes["pdfjs_pr6531_1_user_owner_pw.pdf"].reason or "")
    assert outcomes["pdfjs_pr6531_1_user_owner_pw.pdf"].excluded_by == "ingest.encrypted"
    assert outcomes["qpdf_bad1.pdf"].excluded_by == "ingest.malformed"
    assert outcomes["pyhanko_form-tree-circular-ref.pdf"].records
    lying = result.records.get("pdfjs_poppler-67295-0_pages_count_9999999999", "document")
    assert lying is not None and lying.data["pages"] < 10


def test_unreadable_document_info_is_reported_not_dropped(make_bundle, monkeypatch):
    def broken(self):
        raise pikepdf.PdfError("damaged /Info dictionary")

    monkeypatch.setattr(pikepdf.Pdf, "docinfo", property(broken))
    bundle = make_bundle({"sop.pdf": next((ROOT / "example_bundle" / "sops").glob("*.pdf")).read_bytes()})
    result = run(bundle)
    (f,) = [f for f in result.report.findings if f.code == "ingest.bad-metadata"]
    assert f.location.file == "sop.pdf" and "damaged /Info dictionary" in f.message
    assert {o.file: o.bound for o in result.report.inputs}["sop.pdf"]


def test_page_text_is_on_the_record_even_for_damaged_and_owner_encrypted_pdfs(corpus: Path, tmp_path: Path) -> None:
    bundle = tmp_path / "b"
    bundle.mkdir()
    names = [
        "qpdf_bad2.pdf",  # damaged xref: pdfium reads it directly
        "pypdf_r6-user-password.pdf",  # empty owner password: qpdf opens it, pdfium gets qpdf's decrypted copy
        "pdfjs_bug1606566_missing_header.pdf",  # no header: pdfium refuses, qpdf's repaired copy has the text
        "samplefiles_GeoTopo-compressed.pdf",  # 117 pages
    ]
    for n in names:
        shutil.copy(corpus / "pdf" / n, bundle / n)
    (bundle / "evidence-kit.toml").write_text(TOML)
    result = run(bundle)
    texts = {r.location.file: r.text for r in result.records if r.type == "document"}
    assert texts["qpdf_bad2.pdf"] == ("Potato",)
    assert texts["pypdf_r6-user-password.pdf"] == ("pdf encryption test\npassword: asdfzxcv",)
    assert texts["pdfjs_bug1606566_missing_header.pdf"] == ("Bug 1606566",)
    geo = result.records.get("samplefiles_GeoTopo-compressed", "document")
    assert geo is not None and 100 < len(geo.text) <= geo.data["pages"] and "\r" not in "".join(geo.text)
    assert not [f for f in result.report.findings if f.code == "ingest.not-legible"]
    # the text is not record content: it stays out of the data (and so out of the digest and the summary page)
    assert all("Potato" not in json.dumps(dict(r.data)) for r in result.records)


def test_page_text_line_ends_are_plain() -> None:
    from evidence_kit_builtin.sources.pdf_documents import page_texts

    mdf = ROOT / "example_bundle/records/mdf/MDF-LVP-200_medical-device-file-index.pdf"
    (text,) = page_texts(mdf.read_bytes()) or ()
    assert "WI-\nLBL-004." in text  # pdfium's hyphenation mark, written as pypdf wrote it
    assert "\r" not in text and "\ufffe" not in text and "\x02" not in text
    assert page_texts(b"%PDF-1.7 not really") is None
