"""The wheel carries the schemas and the built-in plugins; the console script and entry points exist."""

from __future__ import annotations

import subprocess
import sys
import zipfile

from .conftest import ROOT


def test_wheel_contents(tmp_path):
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(tmp_path), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("evidence_kit-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for must in (
        "evidence_kit/__init__.py",
        "evidence_kit/py.typed",
        "evidence_kit/hookspecs.py",
        "evidence_kit_builtin/record_types.py",
        "evidence_kit_builtin/schemas/complaint.schema.json",
        "evidence_kit_builtin/schemas/report.schema.json",
    ):
        assert must in names, must
    meta = next(n for n in names if n.endswith("entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(meta).decode()
    assert "evidence-kit = evidence_kit.cli:console" in text
    assert not any(n.startswith(("tests/", "example_bundle/")) for n in names)
