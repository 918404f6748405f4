"""The main job end to end: the example bundle becomes a binder that qpdf accepts, twice byte-identical."""

from __future__ import annotations

import shutil
import subprocess

import pikepdf
import pytest

from evidence_kit.cli import ExitCode

from .conftest import EXAMPLE


def test_example_binder(cli, tmp_path):
    out = tmp_path / "binder.pdf"
    code, stdout, _ = cli("build", EXAMPLE, "-q", "-o", out)
    assert code in (ExitCode.OK, ExitCode.FINDINGS)
    assert f"wrote {out}" in stdout
    with pikepdf.open(out) as pdf, pdf.open_outline() as outline:
        titles = [item.title for item in outline.root]
        assert titles[0] == "Cover"
        assert any("Measurement, Analysis and Improvement" in t for t in titles)
        assert "evidence-kit-manifest.json" in pdf.attachments
    again = tmp_path / "again.pdf"
    cli("build", EXAMPLE, "-q", "-o", again)
    assert out.read_bytes() == again.read_bytes()
    if shutil.which("qpdf") is None:
        pytest.skip("qpdf not installed; install it (apt-get install qpdf) for the structural check")
    proc = subprocess.run(["qpdf", "--check", str(out)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
