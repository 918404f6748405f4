"""Atomic writes give outputs the mode open() gives a new file, 0666 less the umask (audit 5-8, D20)."""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from evidence_kit import _io

from .nightly_helpers import TOML, capa, complaint, files

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX permission bits")


@pytest.fixture
def umask() -> Iterator[object]:
    """Set the process umask for one test, and restore it after."""
    old = os.umask(0o022)

    def set_mask(mask: int) -> None:
        os.umask(mask)

    yield set_mask
    os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize("mask", [0o022, 0o027, 0o077, 0o002])
def test_new_file_gets_0666_less_the_umask_like_open(tmp_path, umask, mask):
    umask(mask)
    _io.write_bytes_atomic(tmp_path / "atomic.pdf", b"%PDF-")
    (tmp_path / "plain.pdf").write_bytes(b"%PDF-")
    assert _mode(tmp_path / "atomic.pdf") == _mode(tmp_path / "plain.pdf") == 0o666 & ~mask


@pytest.mark.parametrize("mode", [0o600, 0o640, 0o664])
def test_rewriting_an_output_keeps_its_mode_as_writing_in_place_would(tmp_path, umask, mode):
    """A binder the user locked down (chmod 600) stays locked down on the next nightly rebuild."""
    out = tmp_path / "report.json"
    out.write_bytes(b"{}")
    out.chmod(mode)
    _io.write_text_atomic(out, "{}\n")
    assert _mode(out) == mode
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"], "no temporary file is left"


def test_failed_write_leaves_the_old_file_and_no_temporary(tmp_path, umask):
    out = tmp_path / "binder.pdf"
    out.write_bytes(b"old")
    with pytest.raises(RuntimeError), _io.atomic_write(out) as fh:
        fh.write(b"partial")
        raise RuntimeError("crash mid-write")
    assert out.read_bytes() == b"old" and [p.name for p in tmp_path.iterdir()] == ["binder.pdf"]


def test_cli_outputs_follow_the_umask_and_cache_entries_stay_private(cli, make_bundle, tmp_path, umask):
    bundle = make_bundle(files([complaint(1), complaint(2)], [capa(1)]), toml=TOML)
    cache, report, base = tmp_path / "cache", tmp_path / "out" / "report.html", tmp_path / "base.json"
    cli("validate", bundle, "-q", "--cache-dir", cache, "--format", "html", "-o", report, "--write-baseline", base)
    assert _mode(report) == _mode(base) == 0o644
    entries = [p for p in cache.rglob("*.json") if p.is_file()]
    assert entries and {_mode(p) for p in entries} == {0o600}, "the cache holds the records: owner only"
