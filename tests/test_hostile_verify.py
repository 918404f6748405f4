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
