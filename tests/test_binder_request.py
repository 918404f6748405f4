"""A request binder (``build --select``) discloses the selected records and nothing more, and still verifies.

It embeds each selected record's data alone when its export also holds records outside the request (the whole
export when every record in it is selected), a report limited to the selected records' findings, and readiness
counts of those records; attachment names are flat, so ``pdfdetach -saveall`` can write them.
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pikepdf
import pypdfium2 as pdfium
import pytest
from reportlab.pdfgen import canvas

from evidence_kit._api import build_binder
from evidence_kit._select import parse_selection
from evidence_kit.model import Location, Record, canonical_json

TOML = """\
[establishment]
name = "Test Devices Inc."

[inspection]
as_of = "2026-11-30T12:00:00+00:00"

[[inputs]]
path = "exports/eqms/complaints.json"
source = "json"
record_type = "complaint"

[[inputs]]
path = "exports/eqms/capas.json"
source = "json"
record_type = "capa"
"""

COMPLAINTS = [
    {"id": "CMP-1", "received_date": "2026-01-14", "device_name": "LVP-200", "confidential": True},
    {"id": "CMP-2", "received_date": "2026-04-03", "device_name": "SECRET-PATIENT-DATA"},  # not requested
    {"id": "CMP-3", "received_date": "2026-05-03", "device_name": "SD-9"},
]
CAPAS = [{"id": "CAPA-1", "opened_at": "2026-01-22", "triggers": [{"type": "complaint", "id": "CMP-1"}]}]


def certificate() -> bytes:
    buf = io.BytesIO()
    c = canvas.Canvas(buf, invariant=1)
    c.drawString(72, 700, "Certificate of conformance, lot A24-1001")
    c.showPage()
    c.save()
    return buf.getvalue()


@pytest.fixture
def bundle(make_bundle: Callable[..., Path]) -> Path:
    return make_bundle(
        {
            "exports/eqms/complaints.json": COMPLAINTS,
            "exports/eqms/capas.json": CAPAS,
            "records/A24-1001_certificate_of_conformance.pdf": certificate(),
        },
        toml=TOML,
    )


def attachments(pdf_path: Path) -> dict[str, bytes]:
    with pikepdf.open(pdf_path) as pdf:
        return {name: spec.get_file().read_bytes() for name, spec in pdf.attachments.items()}


def text(pdf_path: Path) -> str:
    doc = pdfium.PdfDocument(str(pdf_path))
    try:
        return "\f".join(doc[i].get_textpage().get_text_range() for i in range(len(doc)))
    finally:
        doc.close()


def test_request_binder_embeds_only_the_selected_records(bundle: Path, tmp_path: Path) -> None:
    out = tmp_path / "req.pdf"
    build_binder(bundle, out, select=["id:CMP-1", "id:CMP-3", "id:CAPA-1"])
    files = attachments(out)
    # complaints.json holds CMP-2, which was not requested: each requested complaint alone, as canonical JSON
    assert "exports_eqms_complaints.json" not in files
    for rid, data in ((r["id"], r) for r in COMPLAINTS if r["id"] != "CMP-2"):
        assert files[f"exports_eqms_complaints.json#{rid}.json"] == canonical_json(data).encode()
    # every record of capas.json is requested: the export itself
    assert files["exports_eqms_capas.json"] == (bundle / "exports/eqms/capas.json").read_bytes()
    assert not any(b"SECRET-PATIENT-DATA" in data for data in files.values())
    manifest = json.loads(files["evidence-kit-manifest.json"])
    digests = {r["id"]: r["sha256"] for r in manifest["records"]}
    listed = {a["name"]: a for a in manifest["attachments"]}
    assert listed["exports_eqms_complaints.json#CMP-1.json"]["sha256"] == digests["CMP-1"]
    assert listed["exports_eqms_complaints.json#CMP-1.json"]["file"] == "exports/eqms/complaints.json"
    for name, entry in listed.items():
        assert hashlib.sha256(files[name]).hexdigest() == entry["sha256"]
    pages = text(out)  # each summary names what holds its record
    assert "embedded in this PDF as: exports_eqms_complaints.json#CMP-1.json" in pages
    assert "embedded in this PDF as: exports_eqms_capas.json" in pages


def test_request_binder_report_and_readiness_cover_the_selected_records_only(bundle: Path, tmp_path: Path) -> None:
    out = tmp_path / "req.pdf"
    result = build_binder(bundle, out, select=["id:CMP-1"])
    everything = result.report
    assert any(f.location.record == "CMP-2" for f in everything.findings)  # the bundle has findings elsewhere
    report = json.loads(attachments(out)["evidence-kit-report.json"])
    assert {f["location"]["record"] for f in report["findings"]} == {"CMP-1"}
    assert report["record_count"] == 1 and [r["id"] for r in report["records"]] == ["CMP-1"]
    assert [rid for o in report["inputs"] for rid in o["records"]] == ["CMP-1"]  # no other id of the bundle
    mine = [f for f in everything.findings if f.location.record == "CMP-1"]
    assert sum(report["counts"].values()) == len(mine) < len(everything.findings)
    pages = text(out)
    assert "CMP-2" not in pages and "SECRET-PATIENT-DATA" not in pages
    assert "It holds 1 of the bundle's 5 records" in pages.replace("\r\n", " ")
    assert "All findings" not in pages and "On the selected records" in pages
    flat = pages.replace("\r\n", " ").replace("\n", " ")
    assert "This record's data (canonical JSON) embedded in this PDF as:" in flat  # not "Original export"


def test_request_binder_verifies(bundle: Path, tmp_path: Path, cli: Any) -> None:
    out = tmp_path / "req.pdf"
    build_binder(bundle, out, select=["type:complaint", "from:2026-04-01"])
    code, stdout, _ = cli("verify", str(out), str(bundle))
    assert code == 0, stdout
    assert "embedded originals checked: 2" in stdout


def test_verify_names_an_altered_record_extract(bundle: Path, tmp_path: Path, cli: Any) -> None:
    out, bad = tmp_path / "req.pdf", tmp_path / "bad.pdf"
    build_binder(bundle, out, select=["id:CMP-1"])
    name = "exports_eqms_complaints.json#CMP-1.json"
    with pikepdf.open(out) as pdf:
        pdf.attachments[name] = pikepdf.AttachedFileSpec(pdf, b'{"id":"CMP-1"}', filename=name)
        pdf.save(bad)
    code, stdout, _ = cli("verify", str(bad))
    assert code == 1
    assert f"TAMPERED (attachment altered): embedded original {name} (exports/eqms/complaints.json (record CMP-1))" in (
        stdout
    )


def test_select_matching_nothing_is_a_usage_error(bundle: Path, tmp_path: Path, cli: Any) -> None:
    out = tmp_path / "none.pdf"
    code, _, err = cli("build", str(bundle), "--select", "id:NOPE", "-o", str(out), "-q")
    assert code == 2
    assert "--select id:NOPE matches none of the bundle's 5 records" in err
    assert not out.exists()


def test_pdfdetach_saveall_writes_every_attachment(bundle: Path, tmp_path: Path) -> None:
    if shutil.which("pdfdetach") is None:
        pytest.skip("pdfdetach is not installed (apt-get install poppler-utils)")
    out = tmp_path / "full.pdf"
    build_binder(bundle, out)
    into = tmp_path / "detached"
    into.mkdir()
    subprocess.run(["pdfdetach", "-saveall", "-o", str(into), str(out)], check=True, capture_output=True)
    saved = {p.name for p in into.iterdir()}
    assert {"exports_eqms_complaints.json", "exports_eqms_capas.json", "evidence-kit-manifest.json"} <= saved
    assert (into / "exports_eqms_complaints.json").read_bytes() == (
        bundle / "exports/eqms/complaints.json"
    ).read_bytes()


def test_attachment_names_are_flat_and_unique() -> None:
    from evidence_kit._binder import attachment_name

    taken: set[str] = set()
    assert attachment_name("exports/eqms/complaints.json", taken) == "exports_eqms_complaints.json"
    assert attachment_name("exports_eqms/complaints.json", taken) == "exports_eqms_complaints~2.json"
    assert attachment_name("a/b c/ü.json#X/1.json", taken) == "a_b_c__.json#X_1.json"
    assert all("/" not in n for n in taken)


def test_lot_selects_the_document_that_names_the_lot() -> None:
    sel = parse_selection(["lot:A24-1001"])
    loc = Location("records/A24-1001_certificate_of_conformance.pdf", "x")
    by_name = Record("document", "x", {"id": "x"}, loc, "0" * 64, "pdf")
    elsewhere = Location("records/coc.pdf", "y")
    by_text = Record("document", "y", {"id": "y"}, elsewhere, "0" * 64, "pdf", text=("Lot a24-1001 released",))
    other = Record("document", "z", {"id": "z"}, elsewhere, "0" * 64, "pdf", text=("Lot A24-10012 released",))
    assert sel.matches(by_name) and sel.matches(by_text) and not sel.matches(other)
