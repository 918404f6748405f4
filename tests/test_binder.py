"""The evidence binder, checked with PDF clients nobody on the team wrote: qpdf, poppler, mutool.

One binder is built per module from a bundle that exercises every part: complaints linked to CAPAs,
a confidential record, long unbroken text, signatures, non-Latin text, nonconformance and label
inspection records (in their real schemas' shapes), a source PDF with a rotated page, and an excluded file.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pikepdf
import pytest
from reportlab.pdfgen import canvas

from evidence_kit._api import build_binder
from evidence_kit._binder import BAND, CONFIDENTIAL, MIN_WIDTH
from evidence_kit._plugins import build_registry, get_plugin_manager

TOML = """\
[establishment]
name = "Test Devices Inc."
fei = "1234567"

[inspection]
profile = "fda-qmsr"
window_start = "2025-01-01"
window_end = "2026-11-30"

[binder]
bates_prefix = "TDI-"

[[inputs]]
path = "exports/complaints.json"
source = "json"
record_type = "complaint"

[[inputs]]
path = "exports/capas.json"
source = "json"
record_type = "capa"

[[inputs]]
path = "exports/ncs.json"
source = "json"
record_type = "nonconformance"

[[inputs]]
path = "exports/labels.json"
source = "json"
record_type = "label_inspection"

[[exclude]]
path = "notes.txt"
reason = "working notes, not a quality record"
"""

LONG_TOKEN = "X" * 400
LONG_TEXT = " ".join(f"word{i}" for i in range(900))
SIG = {"printed_name": "Dana Whitfield", "signed_at": "2026-02-01T10:15:00Z", "meaning": "approved"}

COMPLAINTS = [
    {
        "id": "CMP-1",
        "device_name": "LVP-200 Infusion Pump",
        "received_date": "2026-01-14",
        "udi": "(01)00812345000011(17)281231(10)L2511",
        "description": LONG_TEXT + " " + LONG_TOKEN,
        "mdr_decision": {"reportable": False, "decided_by": "R. Alvarez"},
        "capa_ids": ["CAPA-1"],
        "status": "closed",
        "signatures": [SIG],
    },
    {
        "id": "CMP-2",
        "device_name": "Syringe Driver SD-9",
        "received_date": "2026-03-02",
        "description": "Écran défectueux — 表示が点滅する",
        "mdr_decision": {"reportable": True},
        "status": "open",
        "corrective_action_needed": True,
        "confidential": True,
    },
]
CAPAS = [
    {
        "id": "CAPA-1",
        "kind": "corrective",
        "opened_at": "2026-01-22",
        "status": "closed",
        "closed_at": "2026-05-01",
        "triggers": [{"type": "complaint", "id": "CMP-1"}],
    }
]
NCS = [{"id": "NC-7", "detected_at": "2026-02-02", "disposition": "rework", "capa_ids": ["CAPA-1"]}]
#: schemas/label_inspection.schema.json: the five 820.45(a) items, each pass, fail or n/a
LABELS = [
    {
        "id": "LI-3",
        "lot": "L2511",
        "inspected_at": "2026-01-05",
        "items": {"udi": "pass", "expiry": "pass", "storage": "pass", "handling": "pass", "processing": "n/a"},
        "na_justification": "No processing: supplied sterile.",
    },
    {
        "id": "LI-4",
        "lot": "L2512",
        "inspected_at": "2026-01-06",
        "items": {"udi": "pass", "expiry": "pass", "storage": "fail", "handling": "pass", "processing": "pass"},
    },
]


def _pdf(path: Path) -> None:
    c = canvas.Canvas(str(path), pagesize=(612, 792), invariant=1)
    c.setFont("Helvetica", 12)
    c.drawString(72, 700, "SOP-9 portrait page with text near the bottom edge")
    c.drawString(72, 4, "BOTTOM-EDGE-TEXT")
    c.showPage()
    c.drawString(72, 700, "SOP-9 second page, displayed rotated")
    c.showPage()
    c.save()
    pdf = pikepdf.open(path, allow_overwriting_input=True)
    pdf.pages[1].Rotate = 90
    pdf.save(path)


def make_bundle(root: Path) -> Path:
    """Write the test bundle under ``root`` and return it."""
    (root / "exports").mkdir(parents=True)
    (root / "sops").mkdir()
    (root / "evidence-kit.toml").write_text(TOML)
    for name, data in (("complaints", COMPLAINTS), ("capas", CAPAS), ("ncs", NCS), ("labels", LABELS)):
        (root / "exports" / f"{name}.json").write_text(json.dumps(data))
    (root / "notes.txt").write_text("scratch")
    _pdf(root / "sops" / "SOP-9.pdf")
    return root


def _pm() -> Any:
    """The built-in plugins only: the real record types and their schemas."""
    return get_plugin_manager(entry_points=False)


def tool(name: str) -> str:
    """Return the path of a PDF client, or skip the test with a clear message."""
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed (apt-get install qpdf poppler-utils mupdf-tools)")
    return path


def sh(*args: str) -> str:
    return subprocess.run(args, check=True, capture_output=True, text=True, errors="replace").stdout


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    root = make_bundle(tmp_path_factory.mktemp("binder") / "bundle")
    out = root.parent / "binder.pdf"
    mp = pytest.MonkeyPatch()
    mp.setenv("SOURCE_DATE_EPOCH", "1764504000")
    build_binder(root, out, pm=_pm())
    yield root, out
    mp.undo()


@pytest.fixture(scope="module")
def qjson(built: tuple[Path, Path]) -> dict[str, Any]:
    tool("qpdf")
    return json.loads(sh("qpdf", "--json=2", str(built[1])))


def page_texts(pdf: Path) -> list[str]:
    tool("pdftotext")
    return sh("pdftotext", "-layout", str(pdf), "-").split("\f")[:-1]


def headed(texts: list[str], title: str) -> str:
    """Return the first page whose first line is ``title``."""
    return next(t for t in texts if t.strip().startswith(title))


def test_qpdf_check_passes(built: tuple[Path, Path]) -> None:
    tool("qpdf")
    result = subprocess.run(["qpdf", "--check", str(built[1])], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No syntax or stream encoding errors" in result.stdout


def test_mutool_reads_it(built: tuple[Path, Path]) -> None:
    tool("mutool")
    info = subprocess.run(["mutool", "info", str(built[1])], capture_output=True, text=True)
    assert info.returncode == 0 and "error" not in info.stderr.lower(), info.stderr
    pages = int(re.search(r"Pages:\s*(\d+)", info.stdout).group(1))  # type: ignore[union-attr]
    assert pages == len(page_texts(built[1]))
    outlines = sh("mutool", "show", str(built[1]), "trailer/Root/Outlines")
    assert "/First" in outlines and "/Count" in outlines


def _label_of(qjson: dict[str, Any]) -> Any:
    """Return pos -> printed page label (0-based page position), from the binder's /PageLabels."""
    front = qjson["pagelabels"][1]["index"]
    romans = ["i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x", "xi", "xii", "xiii", "xiv", "xv"]
    return lambda pos: romans[pos] if pos < front else str(pos - front + 1)


def test_every_page_is_stamped(built: tuple[Path, Path], qjson: dict[str, Any]) -> None:
    texts = page_texts(built[1])
    n = len(texts)
    label = _label_of(qjson)
    for i, text in enumerate(texts, 1):
        assert f"TDI-{i:06d}" in text, f"page {i} has no control number"
        assert f"page {i} of {n}" in text, f"page {i} has no 'page n of N'"
        # the label the TOC, logs and index cite ("see page 3"), so a reader finds it on paper
        assert f"{label(i - 1)} (page {i} of {n})" in text, f"page {i}: no label {label(i - 1)} in the footer"


def test_confidential_stamp_only_on_confidential_record_pages(built: tuple[Path, Path]) -> None:
    for i, text in enumerate(page_texts(built[1]), 1):
        stamped = CONFIDENTIAL in text
        # the stamp's right side names the record; CMP-2 is the only confidential record
        owner = text.strip().splitlines()[-1].split()[-1]
        assert stamped == (owner == "CMP-2"), f"page {i}: owner {owner}, confidential stamp {stamped}"


def test_nothing_clipped_and_no_blank_pages(built: tuple[Path, Path]) -> None:
    tool("pdftotext")
    xhtml = sh("pdftotext", "-bbox", str(built[1]), "-")
    pages = re.findall(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', xhtml, re.S)
    for i, (w, h, body) in enumerate(pages, 1):
        words = re.findall(r'xMin="([\d.-]+)" yMin="([\d.-]+)" xMax="([\d.-]+)" yMax="([\d.-]+)"', body)
        assert words, f"page {i} has no text"
        # poppler gives a rotated page's size unrotated but its word boxes rotated: allow either orientation
        boxes = [tuple(float(v) for v in word) for word in words]
        fits = [
            all(x0 >= -0.5 and x1 <= pw + 0.5 and y0 >= -0.5 and y1 <= ph + 0.5 for x0, y0, x1, y1 in boxes)
            for pw, ph in ((float(w), float(h)), (float(h), float(w)))
        ]
        assert any(fits), f"page {i}: a word lies off the page"
    text = "".join(page_texts(built[1]))
    flat = re.sub(r"\s+", "", text)
    assert LONG_TOKEN in flat, "the 400-character token was cut"
    assert "word899" in text and "word0" in text
    assert "表示が点滅する" in text or "Écran défectueux" in text


def test_rendered_pages_are_not_blank(built: tuple[Path, Path], tmp_path: Path) -> None:
    tool("pdftoppm")
    sh("pdftoppm", "-r", "12", "-gray", str(built[1]), str(tmp_path / "p"))
    images = sorted(tmp_path.glob("p-*.pgm"))
    assert len(images) == len(page_texts(built[1]))
    for img in images:
        data = img.read_bytes()
        pixels = data.split(b"\n", 3)[3]
        assert min(pixels) < 200, f"{img.name} renders blank"


def test_source_pages_get_a_band_instead_of_being_covered(built: tuple[Path, Path]) -> None:
    pdf = pikepdf.open(built[1])
    texts = page_texts(built[1])
    src = [i for i, t in enumerate(texts) if "SOP-9 portrait page" in t]
    assert len(src) == 1
    page = pdf.pages[src[0]]
    llx, lly, urx, ury = (float(v) for v in page.MediaBox)
    assert (urx - llx, ury - lly) == (612, 792 + BAND)
    assert lly == -BAND
    # the text 4 pt above the original bottom edge is still there and above the stamp band
    xhtml = sh("pdftotext", "-bbox", "-f", str(src[0] + 1), "-l", str(src[0] + 1), str(built[1]), "-")
    edge = re.search(r'yMax="([\d.]+)">BOTTOM-EDGE-TEXT', xhtml)
    bates = re.search(r'yMin="([\d.]+)" xMax="[\d.]+" yMax="[\d.]+">TDI-', xhtml)
    assert edge and bates and float(edge.group(1)) <= float(bates.group(1)), "stamp overlaps source content"
    rotated = pdf.pages[src[0] + 1]
    assert int(rotated.Rotate) == 90
    assert float(rotated.MediaBox[2]) - float(rotated.MediaBox[0]) == 612 + BAND  # band on the visual bottom


def test_source_streams_are_merged_byte_for_byte(tmp_path: Path) -> None:
    root = tmp_path / "bundle"
    (root / "pdfs").mkdir(parents=True)
    (root / "evidence-kit.toml").write_text('[establishment]\nname = "Bytes"\n')
    c = canvas.Canvas(str(root / "pdfs" / "SOP-1.pdf"), invariant=1)  # reportlab's default: ASCII85 + Flate
    for n in (1, 2):
        c.drawString(72, 700, f"SOP-1 page {n}")
        c.showPage()
    c.save()
    out = tmp_path / "binder.pdf"
    build_binder(root, out)
    with pikepdf.open(root / "pdfs" / "SOP-1.pdf") as src, pikepdf.open(out) as pdf:
        want = [(p.obj.Contents.read_raw_bytes(), repr(p.obj.Contents.Filter)) for p in src.pages]
        assert "ASCII85Decode" in want[0][1]
        forms = [
            p.obj.Resources.XObject.EKSrc
            for p in pdf.pages
            if "/XObject" in p.obj.Resources and "/EKSrc" in p.obj.Resources.XObject
        ]
        assert [(f.read_raw_bytes(), repr(f.Filter)) for f in forms] == want  # not decoded, not recompressed


def test_page_labels_match_the_toc(built: tuple[Path, Path], qjson: dict[str, Any]) -> None:
    labels = qjson["pagelabels"]
    assert labels[0]["label"]["/S"] == "/r" and labels[1]["label"]["/S"] == "/D"
    front = labels[1]["index"]

    def label(pos: int) -> str:  # 0-based page position -> printed label
        if pos < front:
            return ["i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x", "xi", "xii"][pos]
        return str(pos - front + 1)

    texts = page_texts(built[1])
    toc_page = texts.index(headed(texts, "Table of contents"))
    by_title = {o["title"]: o["destpageposfrom1"] - 1 for o in _walk(qjson["outlines"])}
    checked = 0
    for line in texts[toc_page].splitlines():
        m = re.match(r"\s*(.+?)\s{2,}([ivx]+|\d+)\s*$", line)
        if m and m.group(1).strip() in by_title:
            assert label(by_title[m.group(1).strip()]) == m.group(2), line
            checked += 1
    assert checked >= 6


def _walk(items: list[dict[str, Any]], depth: int = 0) -> Iterator[dict[str, Any]]:
    for item in items:
        yield {**item, "depth": depth}
        yield from _walk(item.get("kids", []), depth + 1)


def test_outline_nests_section_type_record(qjson: dict[str, Any]) -> None:
    top = {o["title"]: o for o in qjson["outlines"]}
    assert {"Cover", "Readiness summary", "Table of contents", "Exceptions", "Logs", "Index"} <= set(top)
    assert "Appendix A: QSIT crosswalk" in top and "Integrity manifest" in top
    measurement = top["5 Measurement, Analysis and Improvement"]
    types = {k["title"]: k for k in measurement["kids"]}
    assert {"Complaint file (2)", "CAPA (1)", "Nonconforming product (1)"} <= set(types)
    assert [k["title"] for k in types["Complaint file (2)"]["kids"]] == ["CMP-1", "CMP-2"]
    npages = len(qjson["pages"])
    for o in _walk(qjson["outlines"]):
        assert 1 <= o["destpageposfrom1"] <= npages, o["title"]
        assert o["dest"][1] == "/Fit"


def _links(pdf: pikepdf.Pdf) -> dict[int, list[int]]:
    """Return {page index: [target page index, ...]} for every /Link annotation."""
    index = {p.objgen: i for i, p in enumerate(pdf.pages)}
    out: dict[int, list[int]] = {}
    for i, page in enumerate(pdf.pages):
        for annot in page.get("/Annots", []):
            if annot.get("/Subtype") == "/Link":
                out.setdefault(i, []).append(index[annot.Dest[0].objgen])
    return out


def test_links_resolve_toc_logs_and_complaint_capa_both_ways(built: tuple[Path, Path], qjson: dict[str, Any]) -> None:
    pdf = pikepdf.open(built[1])
    links = _links(pdf)
    texts = page_texts(built[1])
    rec_page = {o["title"]: o["destpageposfrom1"] - 1 for o in _walk(qjson["outlines"]) if o["depth"] == 2}
    toc = texts.index(headed(texts, "Table of contents"))
    assert len(links[toc]) >= 10
    log = texts.index(headed(texts, "Complaint log"))
    assert {rec_page["CMP-1"], rec_page["CMP-2"]} <= set(links[log])
    assert rec_page["CAPA-1"] in links[rec_page["CMP-1"]], "complaint -> CAPA link missing"
    assert rec_page["CMP-1"] in links[rec_page["CAPA-1"]], "CAPA -> complaint link missing"
    assert rec_page["CAPA-1"] in links[rec_page["NC-7"]]
    for targets in links.values():
        assert all(0 <= t < len(pdf.pages) for t in targets)


def test_logs_show_the_columns_investigators_ask_for(built: tuple[Path, Path]) -> None:
    texts = page_texts(built[1])
    log = headed(texts, "Complaint log")
    row = next(line for line in log.splitlines() if "CMP-1 " in line)
    assert "2026-01-14" in row and "No" in row and "CAPA-1" in row and "closed" in row
    assert re.search(r"CMP-2\s.*Yes", log)
    capa = headed(texts, "CAPA log")
    assert re.search(r"CAPA-1\s+2026-01-22\s+closed\s+2026-05-01\s+CMP-1", capa)
    assert re.search(r"NC-7\s+2026-02-02\s+rework\s+CAPA-1", headed(texts, "Nonconformance log"))
    labels = headed(texts, "Label inspection log")
    assert re.search(r"LI-3\s+L2511\s+2026-01-05\s+pass \(n/a: processing\)", labels)
    assert re.search(r"LI-4\s+L2512\s+2026-01-06\s+FAIL: storage", labels)


def test_label_log_reads_the_real_label_inspection_schema() -> None:
    props = build_registry(_pm()).record_types["label_inspection"].schema["properties"]
    assert "result" not in props and "outcome" not in props  # what the log once read
    for rec in LABELS:
        assert set(rec) <= set(props)
        assert set(rec["items"]) <= set(props["items"]["properties"])
        assert all(v in props["items"]["properties"][k]["enum"] for k, v in rec["items"].items())


def test_summary_shows_fields_signatures_and_findings(built: tuple[Path, Path]) -> None:
    texts = page_texts(built[1])
    cmp1 = "".join(t for t in texts if "CMP-1" in t.splitlines()[-1] if t.strip())
    assert "Dana Whitfield" in cmp1 and "2026-02-01T10:15:00Z" in cmp1 and "approved" in cmp1
    assert "mdr_decision.decided_by" in cmp1 and "R. Alvarez" in cmp1
    cmp2 = "".join(t for t in texts if t.strip().splitlines()[-1].endswith("CMP-2"))
    assert "Findings on this record" in cmp2 and "ERROR" in cmp2  # no CAPA while a complaint needs one


def test_summary_counts_the_source_pages_that_follow(built: tuple[Path, Path]) -> None:
    # drawn while the sources are still being opened, so the count comes from the ingest (it once said 0)
    assert "Source pages that follow: sops/SOP-9.pdf (2 page(s))" in " ".join(page_texts(built[1]))


def test_front_matter_cover_readiness_exceptions(built: tuple[Path, Path]) -> None:
    texts = page_texts(built[1])
    cover = texts[0]
    for needle in ("Test Devices Inc.", "1234567", "fda-qmsr", "2025-01-01 to 2026-11-30", "Bundle digest"):
        assert needle in cover
    readiness = texts[1]
    assert "Readiness summary" in readiness and "ATTENTION" in readiness and "Top findings" in readiness
    exceptions = headed(texts, "Exceptions: inputs not bound")
    assert "notes.txt" in exceptions and "working notes" in exceptions


def test_index_and_manifest(built: tuple[Path, Path]) -> None:
    texts = page_texts(built[1])
    index = "".join(t for t in texts if "Index" in t or "Regulation citations" in t)
    for needle in (
        "CAPA-1",
        "LVP-200 Infusion Pump",
        "(01)00812345000011",
        "L2511",
        "21 CFR 820.35(a)",
        "ISO 13485:2016 8.3",
    ):
        assert needle in index, needle
    manifest = "".join(t for t in texts if "Integrity manifest" in t)
    assert "exports/complaints.json" in manifest


def _words(pdf: Path, page: int) -> tuple[float, list[tuple[float, float, float, float, str]]]:
    """Return page ``page``'s (0-based) height and its words as (xMin, yMin, xMax, yMax, text), y from the top."""
    xhtml = sh("pdftotext", "-bbox", "-f", str(page + 1), "-l", str(page + 1), str(pdf), "-")
    height = float(re.search(r'<page width="[\d.]+" height="([\d.]+)"', xhtml).group(1))  # type: ignore[union-attr]
    words = re.findall(r'xMin="([\d.-]+)" yMin="([\d.-]+)" xMax="([\d.-]+)" yMax="([\d.-]+)">([^<]*)<', xhtml)
    return height, [(float(a), float(b), float(c), float(d), w) for a, b, c, d, w in words]


def test_index_links_each_page_number_to_its_own_page(built: tuple[Path, Path], qjson: dict[str, Any]) -> None:
    pdf = pikepdf.open(built[1])
    texts = page_texts(built[1])
    label = _label_of(qjson)
    at = {p.objgen: i for i, p in enumerate(pdf.pages)}
    start = texts.index(headed(texts, "Index"))
    numbers: dict[tuple[int, float], set[int]] = {}  # (page, line) -> target pages of the numbers on it
    for p in range(start, len(texts)):
        height, words = _words(built[1], p)
        for annot in pdf.pages[p].get("/Annots", []):
            x0, y0, x1, y1 = (float(v) for v in annot.Rect)
            inside = [
                w[4].rstrip(",")
                for w in words
                if x0 <= (w[0] + w[2]) / 2 <= x1 and height - y1 <= (w[1] + w[3]) / 2 <= height - y0
            ]
            target = at[annot.Dest[0].objgen]
            if len(inside) == 1 and re.fullmatch(r"\d+|[ivxl]+", inside[0]):
                assert inside[0] == label(target), f"index page {p + 1}: {inside[0]} links to page {label(target)}"
                numbers.setdefault((p, round(y0)), set()).add(target)
    assert numbers, "no page number in the index has a link of its own"
    assert any(len(targets) > 1 for targets in numbers.values()), "no index line links two different pages"


def test_index_citations_point_to_pages_that_show_them(built: tuple[Path, Path], qjson: dict[str, Any]) -> None:
    texts = page_texts(built[1])
    label = _label_of(qjson)
    physical = {label(i): i for i in range(len(texts))}
    index = "\n".join(texts[texts.index(headed(texts, "Index")) :])
    block = index.split("Regulation citations\n", 1)[1].split("Regulation citations of record types", 1)
    checked = 0
    for line in block[0].splitlines():
        m = re.match(r"\s*(\S.*?)\s{2,}([\divxl, ]+)$", line)
        if not m or m.group(1) == "Term":
            continue
        for page_label in m.group(2).split(", "):
            shown = re.sub(r"\s+", "", texts[physical[page_label]])
            assert re.sub(r"\s+", "", m.group(1)) in shown, f"{m.group(1)} -> page {page_label}, which does not cite it"
            checked += 1
    assert checked >= 2
    assert "ISO 13485:2016 8.3: Nonconforming product" in block[1]  # a record type's own citation, labelled so


def test_attachments_and_xmp(built: tuple[Path, Path], qjson: dict[str, Any]) -> None:
    root, out = built
    names = set(qjson["attachments"])
    # names are flat ('/' -> '_': pdfdetach -saveall writes them as they are); the manifest maps them to files
    assert {"exports_complaints.json", "exports_capas.json", "evidence-kit-manifest.json"} <= names
    original = sh("qpdf", "--show-attachment=exports_complaints.json", str(out))
    assert original == (root / "exports" / "complaints.json").read_text()
    manifest = json.loads(sh("qpdf", "--show-attachment=evidence-kit-manifest.json", str(out)))
    assert {r["id"] for r in manifest["records"]} >= {"CMP-1", "CMP-2", "CAPA-1", "NC-7", "LI-3", "SOP-9"}
    assert {a["name"]: a["file"] for a in manifest["attachments"]}[
        "exports_complaints.json"
    ] == "exports/complaints.json"
    tool("pdfinfo")
    meta = sh("pdfinfo", "-meta", str(out))
    assert f"bundle-sha256:{manifest['bundle_digest']}" in meta
    assert tool("pdfdetach") and "evidence-kit-manifest.json" in sh("pdfdetach", "-list", str(out))


def test_deterministic_and_independent_of_worker_count(
    built: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, first = built
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1764504000")
    again = tmp_path / "again.pdf"
    build_binder(root, again, pm=_pm())
    assert again.read_bytes() == first.read_bytes()
    import evidence_kit._binder as binder

    monkeypatch.setattr(binder, "PARALLEL_MIN", 2)  # summaries in a forked worker vs in-process
    monkeypatch.setattr(binder, "CHUNK", 2)  # several summary documents, shared between the two processes
    one, two = tmp_path / "w1.pdf", tmp_path / "w2.pdf"
    build_binder(root, one, pm=_pm(), workers=1)
    build_binder(root, two, pm=_pm(), workers=2)
    assert one.read_bytes() == two.read_bytes()
    assert "No syntax or stream encoding errors" in sh(tool("qpdf"), "--check", str(two))
    assert one.read_bytes() != first.read_bytes()  # so several chunks were merged (a font object per document)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    other = tmp_path / "other.pdf"
    build_binder(root, other, pm=_pm())
    assert other.read_bytes() != first.read_bytes()


def test_write_is_atomic(built: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "binder.pdf"
    target.write_bytes(b"previous binder")

    def boom(*args: Any, **kwargs: Any) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(pikepdf.Pdf, "save", boom)
    with pytest.raises(OSError, match="disk full"):
        build_binder(built[0], target, pm=_pm())
    assert target.read_bytes() == b"previous binder"
    assert [p.name for p in tmp_path.iterdir()] == ["binder.pdf"]


def test_request_binder_by_id(built: tuple[Path, Path], tmp_path: Path) -> None:
    out = tmp_path / "req.pdf"
    build_binder(built[0], out, pm=_pm(), select=["id:CMP-1"])
    texts = page_texts(out)
    assert "records selected by: id:CMP-1" in texts[0]
    bound = {o["title"] for o in _walk(json.loads(sh("qpdf", "--json=2", "--json-key=outlines", str(out)))["outlines"])}
    assert "CMP-1" in bound and "CMP-2" not in bound and "CAPA-1" not in bound
    assert all(f"TDI-{i:06d}" in t for i, t in enumerate(texts, 1))
    manifest = json.loads(sh("qpdf", "--show-attachment=evidence-kit-manifest.json", str(out)))
    assert [r["id"] for r in manifest["records"]] == ["CMP-1"]
    assert "not selected" in "".join(texts) and "Not selected by id:CMP-1" in "".join(texts)


def _hash_width(digest: str) -> float:
    from reportlab.pdfbase.pdfmetrics import stringWidth

    return float(stringWidth(digest, "Helvetica", 7))


WIDE_ID = "CMP-" + "W" * 90  # uppercase W: about 6.6 pt each at 7 pt, so a 60-character cut is too wide


@pytest.fixture(scope="module")
def wide(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A binder with a long uppercase record id, a long-named A6 source PDF and an input whose SHA-256 is wide."""
    import hashlib

    root = tmp_path_factory.mktemp("wide") / "bundle"
    (root / "exports").mkdir(parents=True)
    (root / "pdfs").mkdir()
    (root / "evidence-kit.toml").write_text(
        '[establishment]\nname = "Wide"\n[[inputs]]\npath = "exports/c.json"\n'
        'source = "json"\nrecord_type = "complaint"\n'
    )
    body = json.dumps([{"id": WIDE_ID, "device_name": "LVP-200", "received_date": "2026-01-14"}])
    while _hash_width(hashlib.sha256(body.encode()).hexdigest()) < 244:  # wider than the old column's 242 pt
        body += " "
    (root / "exports" / "c.json").write_text(body)
    c = canvas.Canvas(str(root / "pdfs" / ("SOP-" + "M" * 80 + ".pdf")), pagesize=(297, 420), invariant=1)
    c.drawString(20, 300, "A6 page")  # narrower than the stamp: widened to MIN_WIDTH
    c.showPage()
    c.save()
    out = root.parent / "wide.pdf"
    build_binder(root, out, pm=_pm())
    return out, hashlib.sha256(body.encode()).hexdigest()


def test_long_record_ids_in_the_footer_never_run_into_page_n_of_n(wide: tuple[Path, str]) -> None:
    out = wide[0]
    texts = page_texts(out)
    n = len(texts)
    assert any(float(p.MediaBox[2]) - float(p.MediaBox[0]) == MIN_WIDTH for p in pikepdf.open(out).pages)
    for i in range(n):
        height, words = _words(out, i)
        band = sorted((w for w in words if w[1] > height - 25), key=lambda w: w[0])
        k = next(k for k, w in enumerate(band) if w[4] == "of")
        total = band[k + 1]
        assert total[4] in (str(n), f"{n})"), f"page {i + 1}: 'of {n}' is overprinted: {total[4]}"
        assert k + 2 < len(band) and band[k + 2][0] >= total[2] + 2, f"page {i + 1}: the id runs into 'page n of N'"
    assert any(WIDE_ID[:20] in t and "..." in t for t in texts)


def test_manifest_hashes_stay_on_one_line(wide: tuple[Path, str]) -> None:
    manifest = "".join(t for t in page_texts(wide[0]) if "Integrity manifest" in t)
    assert wide[1] in manifest, "the SHA-256 wraps onto a second line"


def test_hostile_corpus_pdfs_bind_or_are_listed_as_exceptions(corpus: Path, tmp_path: Path) -> None:
    tool("qpdf")
    root = tmp_path / "corpus-bundle"
    (root / "pdfs").mkdir(parents=True)
    (root / "evidence-kit.toml").write_text('[establishment]\nname = "Corpus"\n[binder]\nbates_prefix = "C-"\n')
    for pdf in sorted((corpus / "pdf").glob("*.pdf")):
        if pdf.name != "pdfjs_bomb_giant.pdf":  # merged fine, but poppler alone needs minutes to extract it
            shutil.copy(pdf, root / "pdfs" / pdf.name)
    out = tmp_path / "corpus.pdf"
    run = build_binder(root, out)
    merged = {o.file for o in run.report.inputs if o.bound}
    check = subprocess.run(["qpdf", "--check", str(out)], capture_output=True, text=True, errors="replace")
    # the only complaints allowed are about streams the sources themselves carry damaged (merged unchanged)
    problems = [
        line
        for line in (check.stdout + check.stderr).splitlines()
        if line.startswith(("ERROR", "WARNING"))
        and not any(w in line for w in ("decod", "without filtering", "(content, offset", "input stream is complete"))
    ]
    assert not problems, problems
    texts = page_texts(out)
    assert all(f"C-{i:06d}" in t for i, t in enumerate(texts, 1))
    exceptions = headed(texts, "Exceptions: inputs not bound")
    excluded = [o.file for o in run.report.inputs if not o.bound]
    assert excluded and excluded[0] in exceptions
    assert len(merged) > 40


def test_foia_notice_on_every_page_when_asked(built: tuple[Path, Path], tmp_path: Path) -> None:
    from evidence_kit.model import FOIA_NOTICE

    root = tmp_path / "foia"
    shutil.copytree(built[0], root)
    toml = root / "evidence-kit.toml"
    toml.write_text(
        toml.read_text().replace('bates_prefix = "TDI-"', 'bates_prefix = "TDI-"\nfoia_confidential = true')
    )
    out = tmp_path / "foia.pdf"
    build_binder(root, out, pm=_pm())
    texts = page_texts(out)
    assert all("FOIA exemption (b)(4) requested" in t for t in texts)
    assert all(CONFIDENTIAL in t for t in texts if t.strip().splitlines()[-1].endswith("CMP-2"))
    assert FOIA_NOTICE.split(" —")[0] in texts[0]


def test_release_text_frees_page_texts_and_keeps_the_binder(
    built: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from evidence_kit._api import run
    from evidence_kit._binder import write_binder

    root, first = built
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1764504000")
    result = run(root, pm=_pm())
    sop = next(r for r in result.records if r.location.file == "sops/SOP-9.pdf")
    assert "SOP-9 portrait page" in sop.text[0]  # the gap analysis reads these while the binder is built
    kept, released = tmp_path / "kept.pdf", tmp_path / "released.pdf"
    write_binder(result, kept)
    assert sop.text and kept.read_bytes() == first.read_bytes()  # build_binder releases them: same binder
    write_binder(result, released, release_text=True)
    assert released.read_bytes() == first.read_bytes()
    assert all(r.text == () for r in result.records)
    assert sop.digest() == next(r for r in result.records if r.id == sop.id).digest()
    again = build_binder(root, tmp_path / "again.pdf", pm=_pm())
    assert all(r.text == () for r in again.records)  # documented: the returned run has no page texts left


def test_xmp_is_pikepdfs_own_serialisation(built: tuple[Path, Path]) -> None:
    from evidence_kit._binder import _xmp

    with pikepdf.open(built[1]) as pdf:
        raw = pdf.Root.Metadata.read_bytes()
        meta = pdf.open_metadata()
        assert meta["dc:title"] == "Evidence binder — Test Devices Inc."
        digest = json.loads(pdf.attachments["evidence-kit-manifest.json"].get_file().read_bytes())["bundle_digest"]
        assert meta["dc:description"] == f"Bundle SHA-256 {digest}"
        assert meta["pdf:Keywords"] == f"evidence-kit bundle-sha256:{digest}"
        assert meta["xmp:CreateDate"] == meta["xmp:ModifyDate"]
        assert pdf.Root.Metadata.Type == pikepdf.Name.Metadata and pdf.Root.Metadata.Subtype == pikepdf.Name.XML
    import datetime as dt

    when = dt.datetime(2026, 11, 30, 12, 0, tzinfo=dt.UTC)
    for title in ("Evidence binder — A & B <Devices> \"Ltd\" 'x'", "Bell\x07 and\r\nlines\ttab \U0001f600 \ufffe"):
        fresh = pikepdf.new()
        with fresh.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as m:
            m["dc:title"] = title
            m["dc:description"] = "Bundle SHA-256 ab&c"
            m["xmp:CreateDate"] = when.isoformat()
            m["xmp:ModifyDate"] = when.isoformat()
            m["pdf:Producer"] = "evidence-kit 1.0 <dev>"
            m["pdf:Keywords"] = "evidence-kit bundle-sha256:ab&c"
        want = fresh.Root.Metadata.read_bytes()
        assert _xmp(title, "ab&c", when, "evidence-kit 1.0 <dev>") == want
    assert b"x:xmpmeta" in raw


def test_attachments_extract_byte_identical_with_size_and_md5(built: tuple[Path, Path]) -> None:
    import hashlib

    root, out = built
    with pikepdf.open(out) as pdf:
        names = set(pdf.attachments)
        assert {"exports_complaints.json", "evidence-kit-manifest.json", "evidence-kit-report.json"} <= names
        manifest = json.loads(pdf.attachments["evidence-kit-manifest.json"].get_file().read_bytes())
        files = {a["name"]: a["file"] for a in manifest["attachments"]}  # flat names -> bundle paths
        for name in names:
            stream = pdf.attachments[name].get_file()
            data = stream.read_bytes()
            if not name.startswith("evidence-kit-"):
                assert data == (root / files[name]).read_bytes()
            else:
                json.loads(data)
            params = stream.obj.Params
            assert int(params.Size) == len(data)
            assert bytes(params.CheckSum) == hashlib.md5(data).digest()
            assert stream.obj.Filter == pikepdf.Name.FlateDecode and stream.obj.Type == pikepdf.Name.EmbeddedFile


def test_stamps_in_small_jobs_give_the_same_binder(
    built: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import evidence_kit._binder as binder

    root, first = built
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1764504000")
    monkeypatch.setattr(binder, "STAMP_CHUNK", 3)  # several stamp jobs, the last one short
    monkeypatch.setattr(binder, "PARALLEL_MIN", 2)
    for workers in (1, 2):
        out = tmp_path / f"w{workers}.pdf"
        build_binder(root, out, pm=_pm(), workers=workers)
        assert out.read_bytes() == first.read_bytes()


def test_label_log_result_names_missing_items_and_matches_the_rule_pack() -> None:
    from evidence_kit_builtin.rules.labeling import ITEMS

    from evidence_kit._binder import LABEL_ITEMS, _label_result

    assert set(LABEL_ITEMS) == set(ITEMS)  # the log and the rule pack agree on the five 820.45(a) items
    five = {k: "pass" for k in LABEL_ITEMS}
    assert _label_result({"items": five}) == "pass"
    assert _label_result({"items": {**five, "processing": None}}) == "pass; not recorded: processing"
    assert _label_result({"items": {**five, "storage": "fail", "udi": ""}}) == "FAIL: storage; not recorded: udi"
    assert _label_result({}) == "not recorded"


def test_wrap_splits_long_codes_after_a_mark_not_mid_word() -> None:
    from evidence_kit.pdfpages import wrap

    lines = wrap("capa.closed-without-effectiveness", 80, size=8)
    assert "".join(lines) == "capa.closed-without-effectiveness"
    assert all(line[-1] in "-._/" for line in lines[:-1]), lines
    plain = wrap("x" * 200, 50)  # a word with no mark still splits where the line ends
    assert len(plain) > 1 and "".join(plain) == "x" * 200
