"""Records read from PDFs in the binder: filled forms render as in the original, and the PDF follows its record.

Two forms filled in on one template have the same field names. Merged into one ``/AcroForm`` they must stay
two sets of fields with their own values and appearances (PDFium, the engine of Chrome and Edge, showed the
first form's values on the second form's page), and widgets that sat off the original page must not show up
in the stamp band. A record read from a PDF (its form, or JSON embedded in it) is followed by that PDF's
pages, as a ``document`` record is, and the PDF is not bound a second time as a document of its own.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pikepdf
import pypdfium2 as pdfium
import pytest
from PIL import Image, ImageChops, ImageStat
from reportlab.pdfgen import canvas

from evidence_kit._api import build_binder, run
from evidence_kit.examples._pdf import with_json_attachment

TOML = """\
[establishment]
name = "Form Test Inc."

[inspection]
profile = "fda-qmsr"
as_of = "2026-11-30T12:00:00+00:00"

[[inputs]]
path = "forms/*.pdf"
source = "pdf"
record_type = "complaint"
[inputs.options.mapping]
id = "ComplaintNo"
received_date = "DateReceived"
lot = "Lot"
confidential = { const = true }
"""

FORMS = {
    "forms/CMP-1_intake.pdf": {"ComplaintNo": "CMP-1", "DateReceived": "2026-11-16", "Lot": "B26-1015"},
    "forms/CMP-2.pdf": {"ComplaintNo": "CMP-2", "DateReceived": "2026-11-23", "Lot": "A26-1017"},
}


def form_pdf(values: dict[str, str], checked: bool) -> bytes:
    """One template, filled in: text fields with appearances, and a checkbox below the page (never visible)."""
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=(612, 792), invariant=1)
    c.setFont("Helvetica-Bold", 13)
    c.drawString(72, 740, "Complaint intake form QA-012-F1")
    y = 680
    for name, value in values.items():
        c.setFont("Helvetica", 9)
        c.drawString(72, y + 6, name)
        c.acroForm.textfield(name=name, value=value, x=200, y=y, width=340, height=18, fontName="Helvetica", fontSize=8)
        y -= 30
    c.acroForm.checkbox(name="Investigated", x=200, y=-25, size=14, checked=checked, buttonStyle="check")
    c.showPage()
    c.save()
    return buf.getvalue()


def minutes_pdf() -> bytes:
    """Management-review minutes: a visible page, and the record embedded as JSON."""
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=(612, 792), invariant=1)
    c.drawString(72, 700, "Management review MR-7 minutes")
    c.showPage()
    c.save()
    record = {"record_type": "management_review", "id": "MR-7", "review_date": "2026-06-01"}
    return with_json_attachment(buf.getvalue(), "MR-7.json", json.dumps(record).encode(), "record", "D:20260601")


@pytest.fixture(scope="module")
def bound(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    root = tmp_path_factory.mktemp("forms") / "bundle"
    (root / "forms").mkdir(parents=True)
    (root / "evidence-kit.toml").write_text(TOML)
    for i, (rel, values) in enumerate(FORMS.items()):
        (root / rel).write_bytes(form_pdf(values, checked=i == 0))
    (root / "minutes").mkdir()
    (root / "minutes" / "MR-7_minutes.pdf").write_bytes(minutes_pdf())
    out = root.parent / "binder.pdf"
    mp = pytest.MonkeyPatch()
    mp.setenv("SOURCE_DATE_EPOCH", "1764504000")
    build_binder(root, out)
    yield root, out
    mp.undo()


def form_pages(binder: Path) -> list[int]:
    """Return the 0-based pages of the binder that carry widgets, in order."""
    with pikepdf.open(binder) as pdf:
        return [
            i
            for i, page in enumerate(pdf.pages)
            if any(a.get("/Subtype") == "/Widget" for a in page.obj.get("/Annots", []))
        ]


def pdfium_render(path: Path, index: int) -> Image.Image:
    doc = pdfium.PdfDocument(str(path))
    try:
        doc.init_forms()
        return doc[index].render(scale=1, may_draw_forms=True).to_pil().convert("L")
    finally:
        doc.close()


def tool_render(tool: str, path: Path, page: int, out: Path) -> Image.Image:
    """Render 1-based ``page`` at 72 dpi with poppler's pdftoppm or mutool draw."""
    if shutil.which(tool) is None:
        pytest.skip(f"{tool} is not installed")
    if tool == "pdftoppm":
        subprocess.run(["pdftoppm", "-r", "72", "-gray", "-f", str(page), "-l", str(page), "-singlefile", str(path),
                        str(out)], check=True, capture_output=True)  # fmt: skip
        return Image.open(f"{out}.pgm").convert("L")
    subprocess.run(["mutool", "draw", "-q", "-r", "72", "-c", "gray", "-o", f"{out}.png", str(path), str(page)],
                   check=True, capture_output=True)  # fmt: skip
    return Image.open(f"{out}.png").convert("L")


def difference(binder_page: Image.Image, original: Image.Image) -> float:
    """Mean pixel difference of the original's area (the band added below the page is left out)."""
    top = binder_page.crop((0, 0, original.width, original.height))
    return float(ImageStat.Stat(ImageChops.difference(top, original)).mean[0])


def test_each_form_renders_its_own_values_in_pdfium(bound: tuple[Path, Path]) -> None:
    root, binder = bound
    pages = form_pages(binder)
    assert len(pages) == 2
    for page, rel in zip(pages, FORMS, strict=True):
        mine = difference(pdfium_render(binder, page), pdfium_render(root / rel, 0))
        other = next(r for r in FORMS if r != rel)
        theirs = difference(pdfium_render(binder, page), pdfium_render(root / other, 0))
        assert mine < 0.001 < theirs, f"{rel} on binder page {page + 1}: {mine:.4f} from it, {theirs:.4f} from {other}"


@pytest.mark.parametrize("tool", ["pdftoppm", "mutool"])
def test_each_form_renders_as_the_original_in_poppler_and_mutool(
    bound: tuple[Path, Path], tool: str, tmp_path: Path
) -> None:
    root, binder = bound
    for page, rel in zip(form_pages(binder), FORMS, strict=True):
        got = tool_render(tool, binder, page + 1, tmp_path / f"b{page}")
        want = tool_render(tool, root / rel, 1, tmp_path / f"o{page}")
        assert difference(got, want) < 0.001, (tool, rel)


def test_fields_are_unique_and_keep_da_dr_and_appearances(bound: tuple[Path, Path]) -> None:
    _, binder = bound
    with pikepdf.open(binder) as pdf:
        form = pdf.Root.AcroForm
        assert "/NeedAppearances" not in form  # every widget has its appearance: viewers must not redo them
        assert "/Helv" in form.DR.Font or len(form.DR.Font)
        names: list[str] = []
        values: dict[str, str] = {}
        for parent in form.Fields:
            assert "/DA" in parent
            for kid in parent.Kids:
                full = f"{parent.T}.{kid.T}"
                names.append(full)
                if kid.get("/FT") == "/Tx":
                    assert "/AP" in kid
                    values[full] = str(kid.V)
        assert len(names) == len(set(names)) == 8
        assert sorted(v for k, v in values.items() if k.endswith(".ComplaintNo")) == ["CMP-1", "CMP-2"]


def test_poppler_reads_the_binder_without_form_errors(bound: tuple[Path, Path]) -> None:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext is not installed")
    done = subprocess.run(["pdftotext", str(bound[1]), "-"], capture_output=True, text=True, check=True)
    assert "Syntax Error" not in done.stderr, done.stderr


def test_widgets_off_the_original_page_stay_hidden_in_the_band(bound: tuple[Path, Path]) -> None:
    _, binder = bound
    page = form_pages(binder)[0]  # its checkbox, below the page in the original, is checked
    with pikepdf.open(binder) as pdf:
        box = [float(v) for v in pdf.pages[page].MediaBox]
        assert box[1] < -20  # the band reaches the checkbox's place
        off = [a for a in pdf.pages[page].Annots if float(a.Rect[3]) <= 0]
        assert off and all(int(a.get("/F", 0)) & 2 for a in off)
    img = pdfium_render(binder, page)
    band = img.crop((195, 792 + 5, 220, 792 + 30))  # where the checkbox would be drawn (y -25 … -11)
    assert band.getextrema()[0] > 200, "the off-page checkbox shows in the stamp band"


def page_texts(path: Path) -> list[str]:
    doc = pdfium.PdfDocument(str(path))
    try:
        return [doc[i].get_textpage().get_text_range() for i in range(len(doc))]
    finally:
        doc.close()


@pytest.mark.parametrize(("rid", "rel", "marker"), [
    ("CMP-1", "forms/CMP-1_intake.pdf", "Complaint intake form QA-012-F1"),
    ("CMP-2", "forms/CMP-2.pdf", "Complaint intake form QA-012-F1"),
    ("MR-7", "minutes/MR-7_minutes.pdf", "Management review MR-7 minutes"),
])  # fmt: skip
def test_a_record_read_from_a_pdf_is_followed_by_its_pages(
    bound: tuple[Path, Path], rid: str, rel: str, marker: str
) -> None:
    _, binder = bound
    texts = page_texts(binder)
    summary = next(i for i, t in enumerate(texts) if f"Source: {rel}" in t)
    assert f"Source pages that follow: {rel} (1 page(s))" in texts[summary]
    assert marker in texts[summary + 1]
    assert re.search(rf"page \d+ of \d+\) {rid}(\s|$)", texts[summary + 1])  # the stamp names the record
    with pikepdf.open(binder) as pdf:
        link = [
            a
            for a in pdf.pages[summary].obj.get("/Annots", [])
            if a.get("/Subtype") == "/Link" and a.Dest[0].objgen == pdf.pages[summary + 1].obj.objgen
        ]
        assert link, "no link from the summary to its source pages"
        sealed = json.loads(pdf.attachments["evidence-kit-manifest.json"].get_file().read_bytes())
    # the PDF's document record is sealed with the record read from it (the report counts it too), but its pages
    # are not bound a second time (counted below)
    assert [r["type"] for r in sealed["records"] if r["file"] == rel] == [
        "management_review" if rid == "MR-7" else "complaint",
        "document",
    ]
    assert sum(marker in t for t in texts) == (2 if rid != "MR-7" else 1)  # each form once, the minutes once


def test_confidential_record_stamps_its_source_pages(bound: tuple[Path, Path]) -> None:
    texts = page_texts(bound[1])
    form_pages = [t for t in texts if "Complaint intake form QA-012-F1" in t]
    assert len(form_pages) == 2 and all("CONFIDENTIAL" in t for t in form_pages)


def test_a_form_named_after_its_record_is_not_a_duplicate_id(bound: tuple[Path, Path]) -> None:
    result = run(bound[0])
    assert result.records.get("CMP-2", "complaint") is not None
    assert result.records.get("CMP-2", "document") is not None
    assert not [f for f in result.report.findings if f.code == "records.duplicate-id"]


def test_request_binder_by_id_holds_the_form(bound: tuple[Path, Path], tmp_path: Path) -> None:
    root, _ = bound
    out = tmp_path / "req.pdf"
    build_binder(root, out, select=["id:CMP-1"])
    texts = page_texts(out)
    form = [t for t in texts if "Complaint intake form QA-012-F1" in t]
    assert len(form) == 1 and "CONFIDENTIAL" in form[0]


def test_appearance_streams_are_copied_byte_for_byte(bound: tuple[Path, Path]) -> None:
    root, binder = bound

    def streams(page: pikepdf.Object) -> dict[str, bytes]:
        """Each widget's normal appearance (the one its /AS picks), raw bytes, by field name."""
        found: dict[str, bytes] = {}
        for a in page.get("/Annots", []):
            if a.get("/Subtype") == "/Widget" and "/N" in a.get("/AP", {}):
                n = a.AP.N
                found[str(a.T)] = (n if isinstance(n, pikepdf.Stream) else n[a.AS]).read_raw_bytes()
        return found

    with pikepdf.open(binder) as pdf:
        for page, rel in zip(form_pages(binder), FORMS, strict=True):
            with pikepdf.open(root / rel) as original:
                assert streams(pdf.pages[page].obj) == streams(original.pages[0].obj), rel


def test_need_appearances_when_a_widget_has_none(tmp_path: Path) -> None:
    root = tmp_path / "bundle"
    (root / "forms").mkdir(parents=True)
    (root / "evidence-kit.toml").write_text(TOML)
    with pikepdf.open(io.BytesIO(form_pdf(FORMS["forms/CMP-2.pdf"], checked=False))) as pdf:
        for field in pdf.Root.AcroForm.Fields:
            if field.get("/FT") == "/Tx":
                del field["/AP"]
        pdf.save(root / "forms" / "CMP-2.pdf")
    out = tmp_path / "binder.pdf"
    build_binder(root, out)
    with pikepdf.open(out) as binder:
        assert binder.Root.AcroForm.get("/NeedAppearances") is True


def test_a_hostile_field_list_cannot_touch_the_page_tree(tmp_path: Path) -> None:
    """/Fields naming a page, or one field twice: the page keeps its place, the field is listed once."""
    root = tmp_path / "bundle"
    (root / "forms").mkdir(parents=True)
    (root / "evidence-kit.toml").write_text(TOML)
    with pikepdf.open(io.BytesIO(form_pdf(FORMS["forms/CMP-2.pdf"], checked=False))) as pdf:
        fields = pdf.Root.AcroForm.Fields
        fields.append(fields[0])
        fields.append(pdf.pages[0].obj)
        pdf.save(root / "forms" / "CMP-2.pdf")
    out = tmp_path / "binder.pdf"
    build_binder(root, out)
    with pikepdf.open(out) as binder:
        (parent,) = binder.Root.AcroForm.Fields
        kids = [k.objgen for k in parent.Kids]
        assert len(kids) == len(set(kids)) == 4
        assert all(p.obj.Parent.get("/Type") == "/Pages" for p in binder.pages)


def test_second_record_of_one_pdf_points_to_the_pages_bound_after_the_first(tmp_path: Path) -> None:
    """One minutes PDF carrying two records: its pages follow the first; the second's summary links to them."""
    second = {"record_type": "management_review", "id": "MR-8", "review_date": "2026-06-01"}
    pdf = minutes_pdf()  # carries MR-7.json
    pdf = with_json_attachment(pdf, "MR-8.json", json.dumps(second).encode(), "record", "D:20260601")
    root = tmp_path / "bundle"
    (root / "minutes").mkdir(parents=True)
    (root / "evidence-kit.toml").write_text(TOML.split("[[inputs]]")[0])
    (root / "minutes" / "MR-7_minutes.pdf").write_bytes(pdf)
    out = tmp_path / "binder.pdf"
    result = build_binder(root, out)
    assert {r.id for r in result.records if r.type == "management_review"} == {"MR-7", "MR-8"}
    texts = page_texts(out)
    marker = "Management review MR-7 minutes"
    assert sum(marker in t for t in texts) == 1  # the pages are bound once
    owner = next(i for i, t in enumerate(texts) if "Source pages that follow: minutes/MR-7_minutes.pdf" in t)
    other = next(i for i, t in enumerate(texts) if "Source pages: minutes/MR-7_minutes.pdf, bound after" in t)
    assert marker in texts[owner + 1] and other != owner
    with pikepdf.open(out) as doc:
        links = [a for a in doc.pages[other].obj.get("/Annots", []) if a.get("/Subtype") == "/Link"]
        targets = {a.Dest[0].objgen for a in links if "/Dest" in a}
        assert doc.pages[owner + 1].obj.objgen in targets, "the pointer links to the pages"
