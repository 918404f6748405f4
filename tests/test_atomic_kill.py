"""SIGKILL during a build never leaves a partial binder at the output path; the previous one survives."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pikepdf
import pytest

from .conftest import EXAMPLE

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")


def _build(out, env=None):
    return subprocess.Popen(
        [sys.executable, "-m", "evidence_kit", "build", str(EXAMPLE), "-q", "-o", str(out)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )


def test_kill_at_many_points_keeps_previous_binder_intact(tmp_path):
    out = tmp_path / "binder.pdf"
    start = time.perf_counter()
    assert _build(out).wait() in (0, 1)
    duration = time.perf_counter() - start
    previous = out.read_bytes()
    # kill points spread over the whole run, from start-up to the final save
    for fraction in (0.05, 0.2, 0.35, 0.5, 0.65, 0.8, 0.9, 0.95, 1.0):
        proc = _build(out)
        time.sleep(duration * fraction)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        data = out.read_bytes()
        assert data == previous or data.endswith(b"%%EOF\n") or data.rstrip().endswith(b"%%EOF")
        with pikepdf.open(out) as pdf:  # whatever is at the path opens as a whole PDF
            assert len(pdf.pages) > 0
        previous = data
