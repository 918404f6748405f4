"""`evidence-kit verify BINDER [BUNDLE]`: every tampering case is detected and named; a clean binder verifies."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path
from typing import Any

import pikepdf
import pytest

from evidence_kit._api import build_binder

from .conftest import EXAMPLE


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("verify")
    bundle = root / "bundle"
    shutil.copytree(EXAMPLE, bundle)
    before = _hashes(bundle)
    out = root / "binder.pdf"
    build_binder(bundle, out)
    assert _hashes(bundle) == before  # the example bundle's inputs are read, never modified
    return bundle, out


def _hashes(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in root.rglob("*")
        if p.is_file()
    }


def _copy(src: Path, tmp_path: Path) -> Path:
    dst = tmp_path / "copy.pdf"
    shutil.copy(src, dst)
    return dst


def test_clean_binder_and_bundle_verify(built: tuple[Path, Path], cli: Any) -> None:
    bundle, out = built
    code, text, _ = cli("verify", str(out), str(bundle))
    assert code == 0, text
    assert "verified: binder matches its manifest" in text and "TAMPERED" not in text


def test_one_page_replaced_is_named(built: tuple[Path, Path], tmp_path: Path, cli: Any) -> None:
    _, out = built
    bad = tmp_path / "bad.pdf"
    with pikepdf.open(out) as pdf:
        pdf.pages[4].obj.Contents = pdf.make_stream(b"BT /F1 12 Tf 72 700 Td (all good) Tj ET")
        pdf.save(bad)
    code, text, _ = cli("verify", str(bad))
    assert code == 1
    assert "TAMPERED (page altered): page 5:" in text
    assert "page 6:" not in text


def test_one_attachment_edited_is_named(built: tuple[Path, Path], tmp_path: Path, cli: Any) -> None:
    _, out = built
    bad = tmp_path / "bad.pdf"
    with pikepdf.open(out) as pdf:
        name = next(n for n in pdf.attachments if not n.startswith("evidence-kit-"))
        pdf.attachments[name] = pikepdf.AttachedFileSpec(pdf, b'{"edited": true}', filename=name)
        pdf.save(bad)
    code, text, _ = cli("verify", str(bad))
    assert code == 1 and f"TAMPERED (attachment altered): embedded original {name}" in text


def _page_with_form(pdf: pikepdf.Pdf, text: bytes) -> int:
    """Return the index of the first source page whose own content (the /EKSrc form) contains ``text``."""
    for i, page in enumerate(pdf.pages):
        xo = page.obj.get("/Resources", {}).get("/XObject", {})
        if "/EKSrc" in xo and text in xo.EKSrc.read_bytes():
            return i
    raise AssertionError(f"no source page shows {text!r}")


def test_source_page_content_edited_inside_its_form_is_named(
    built: tuple[Path, Path], tmp_path: Path, cli: Any
) -> None:
    """The source page is drawn from a Form XObject: changing what it shows (a lot number) is tampering."""
    _, out = built
    bad = tmp_path / "bad.pdf"
    with pikepdf.open(out) as pdf:
        n = _page_with_form(pdf, b"A24-1001")
        form = pdf.pages[n].obj.Resources.XObject.EKSrc
        form.write(form.read_bytes().replace(b"A24-1001", b"A24-9999"))
        pdf.save(bad)
    code, text, _ = cli("verify", str(bad))
    assert code == 1 and f"TAMPERED (page altered): page {n + 1}:" in text, text


def test_form_field_retyped_and_note_added_are_named(built: tuple[Path, Path], tmp_path: Path, cli: Any) -> None:
    _, out = built
    with pikepdf.open(out) as pdf:
        n = next(
            i for i, p in enumerate(pdf.pages) if any(a.get("/FT") == pikepdf.Name.Tx for a in p.obj.get("/Annots", []))
        )
    retyped, noted = tmp_path / "retyped.pdf", tmp_path / "noted.pdf"
    with pikepdf.open(out) as pdf:
        widget = next(a for a in pdf.pages[n].obj.Annots if a.get("/FT") == pikepdf.Name.Tx)
        widget.V = pikepdf.String("Death")
        pdf.save(retyped)
    with pikepdf.open(out) as pdf:
        note = pikepdf.Dictionary(
            Type=pikepdf.Name.Annot,
            Subtype=pikepdf.Name.FreeText,
            Rect=[72, 72, 300, 100],
            Contents=pikepdf.String("approved"),
        )
        pdf.pages[2].obj.Annots = pdf.make_indirect(pikepdf.Array([*pdf.pages[2].obj.get("/Annots", []), note]))
        pdf.save(noted)
    code, text, _ = cli("verify", str(retyped))
    assert code == 1 and f"TAMPERED (page altered): page {n + 1}:" in text, text
    code, text, _ = cli("verify", str(noted))
    assert code == 1 and "TAMPERED (page altered): page 3:" in text, text


def test_added_attachment_and_replaced_report_are_named(built: tuple[Path, Path], tmp_path: Path, cli: Any) -> None:
    _, out = built
    bad = tmp_path / "bad.pdf"
    with pikepdf.open(out) as pdf:
        pdf.attachments["extra.json"] = pikepdf.AttachedFileSpec(pdf, b"{}", filename="extra.json")
        pdf.attachments["evidence-kit-report.json"] = pikepdf.AttachedFileSpec(
            pdf, b"{}", filename="evidence-kit-report.json"
        )
        pdf.save(bad)
    code, text, _ = cli("verify", str(bad))
    assert code == 1
    assert "TAMPERED (attachment added): extra.json is embedded but not in the manifest" in text, text
    assert "TAMPERED (report altered): the embedded evidence-kit-report.json" in text, text


def test_source_file_changed_after_the_build_is_named(built: tuple[Path, Path], tmp_path: Path, cli: Any) -> None:
    bundle, out = built
    copy = tmp_path / "bundle"
    shutil.copytree(bundle, copy)
    victim = next(p for p in sorted(copy.rglob("*.json")))
    victim.write_bytes(victim.read_bytes() + b"\n")
    (copy / "smuggled.txt").write_text("x")
    code, text, _ = cli("verify", str(out), str(copy))
    rel = victim.relative_to(copy).as_posix()
    assert code == 1
    assert f"TAMPERED (source changed): {rel} changed since the binder was built" in text
    assert "TAMPERED (unaccounted file): smuggled.txt" in text


def _append_page_incrementally(src: Path, dst: Path) -> None:
    """Append one blank page with a hand-written incremental update (new objects, xref section, /Prev)."""
    data = src.read_bytes()
    prev = int(data[data.rindex(b"startxref") + 9 :].split()[0])
    with pikepdf.open(src) as pdf:
        size = int(pdf.trailer.Size)
        root = pdf.Root.objgen[0]
        pages = pdf.Root.Pages
        pages_num = pages.objgen[0]
        kids = " ".join(f"{k.objgen[0]} {k.objgen[1]} R" for k in pages.Kids)
        count = int(pages.Count)
    body = bytearray(data if data.endswith(b"\n") else data + b"\n")
    page_off = len(body)
    body += f"{size} 0 obj\n<< /Type /Page /Parent {pages_num} 0 R /MediaBox [0 0 612 792] >>\nendobj\n".encode()
    pages_off = len(body)
    body += f"{pages_num} 0 obj\n<< /Type /Pages /Kids [{kids} {size} 0 R] /Count {count + 1} >>\nendobj\n".encode()
    xref = len(body)
    body += (
        f"xref\n{pages_num} 1\n{pages_off:010d} 00000 n \n{size} 1\n{page_off:010d} 00000 n \n"
        f"trailer\n<< /Size {size + 1} /Root {root} 0 R /Prev {prev} >>\nstartxref\n{xref}\n%%EOF\n"
    ).encode()
    dst.write_bytes(bytes(body))


def test_page_appended_by_incremental_update_is_named(built: tuple[Path, Path], tmp_path: Path, cli: Any) -> None:
    _, out = built
    bad = tmp_path / "bad.pdf"
    _append_page_incrementally(out, bad)
    with pikepdf.open(out) as a, pikepdf.open(bad) as b:
        assert len(b.pages) == len(a.pages) + 1  # the update really adds a page
    code, text, _ = cli("verify", str(bad))
    assert code == 1
    assert "TAMPERED (page count)" in text and "TAMPERED (incremental update)" in text


def test_verify_usage_errors_exit_2(tmp_path: Path, cli: Any) -> None:
    code, _, _ = cli("verify", str(tmp_path / "missing.pdf"))
    assert code == 2
    plain = next(EXAMPLE.rglob("*.pdf"))
    code, _, err = cli("verify", str(plain))
    assert code == 2 and "not an evidence binder" in err
    junk = tmp_path / "junk.pdf"
    junk.write_bytes(b"hello")
    code, _, err = cli("verify", str(junk))
    assert code == 2 and "not a readable PDF" in err


def _pdf_with(make: Any) -> bytes:
    import io

    pdf = pikepdf.new()
    make(pdf)
    buf = io.BytesIO()
    pdf.save(buf)
    return buf.getvalue()


def _image(pdf: pikepdf.Pdf, shade: int) -> pikepdf.Object:
    import zlib

    return pdf.make_indirect(
        pikepdf.Stream(
            pdf,
            zlib.compress(bytes([shade, 0, 0]) * 16),
            Type=pikepdf.Name.XObject,
            Subtype=pikepdf.Name.Image,
            Width=4,
            Height=4,
            ColorSpace=pikepdf.Name.DeviceRGB,
            BitsPerComponent=8,
            Filter=pikepdf.Name.FlateDecode,
        )
    )


def _template_pages(pdf: pikepdf.Pdf) -> None:
    """Two pages sharing one content stream ("/Im Do"), each with its own image as /Im (a template page)."""
    shared = pdf.make_indirect(pikepdf.Stream(pdf, b"q 100 0 0 100 100 100 cm /Im Do Q"))
    for i in range(2):
        pdf.add_blank_page(page_size=(612, 792))
        pdf.pages[i].obj.Contents = shared
        pdf.pages[i].obj.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im=_image(pdf, 200 * i)))


def _deep_forms(pdf: pikepdf.Pdf) -> None:
    """A page drawing a chain of 3,000 nested forms, and a note whose appearance dictionary holds itself."""
    pdf.add_blank_page(page_size=(612, 792))
    prev = None
    for _ in range(3000):
        body = b"/N Do" if prev is not None else b"0 0 1 1 re f"
        form = pdf.make_indirect(
            pikepdf.Stream(pdf, body, Type=pikepdf.Name.XObject, Subtype=pikepdf.Name.Form, BBox=[0, 0, 10, 10])
        )
        if prev is not None:
            form.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(N=prev))
        prev = form
    page = pdf.pages[0].obj
    page.Contents = pdf.make_indirect(pikepdf.Stream(pdf, b"/F0 Do"))
    page.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(F0=prev))
    loop = pdf.make_indirect(pikepdf.Dictionary())
    loop.On = loop
    note = pikepdf.Dictionary(
        Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Square, Rect=[0, 0, 10, 10], AP=pikepdf.Dictionary(N=loop)
    )
    page.Annots = pdf.make_indirect(pikepdf.Array([note]))


@pytest.mark.parametrize("make", [_template_pages, _deep_forms], ids=["template-pages", "deep-and-looping"])
def test_unusual_sources_build_and_verify_clean(make: Any, tmp_path: Path, cli: Any) -> None:
    """No false alarm, no crash: template pages keep their own images; hostile nesting is sealed, not walked."""
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    (bundle / "evidence-kit.toml").write_text('[establishment]\nname = "X"\n')
    (bundle / "source.pdf").write_bytes(_pdf_with(make))
    out = tmp_path / "binder.pdf"
    build_binder(bundle, out)
    code, text, _ = cli("verify", str(out), str(bundle))
    assert code == 0, text
    if make is _template_pages:  # each source page draws its own image, as in the source
        with pikepdf.open(out) as pdf:
            shades = {
                bytes(p.obj.Resources.XObject.EKSrc.Resources.XObject.Im.read_bytes()[:1])
                for p in pdf.pages
                if "/EKSrc" in p.obj.get("/Resources", {}).get("/XObject", {})
            }
        assert shades == {b"\x00", b"\xc8"}


def test_a_link_that_draws_an_appearance_is_named(built: tuple[Path, Path], tmp_path: Path, cli: Any) -> None:
    """A 'link' that draws an appearance ("APPROVED") changes what the page shows."""
    _, out = built
    drawn = tmp_path / "drawn.pdf"
    with pikepdf.open(out) as pdf:
        stamp = pdf.make_stream(b"BT /Helv 24 Tf 100 100 Td (APPROVED) Tj ET")
        link = pikepdf.Dictionary(
            Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Link, Rect=[50, 50, 300, 150], AP=pikepdf.Dictionary(N=stamp)
        )
        pdf.pages[5].obj.Annots = pdf.make_indirect(pikepdf.Array([*pdf.pages[5].obj.get("/Annots", []), link]))
        pdf.save(drawn)
    code, text, _ = cli("verify", str(drawn))
    assert code == 1 and "TAMPERED (page altered): page 6:" in text, text
