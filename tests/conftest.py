"""Shared fixtures: a fresh plugin manager, tiny bundles in tmp_path, the in-process CLI, the corpus."""

from __future__ import annotations

import importlib
import importlib.metadata as md
import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from evidence_kit._plugins import get_plugin_manager
from evidence_kit.cli import main
from evidence_kit.testing import MINIMAL_TOML

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "example_bundle"
SHARED = ROOT.parent / "shared"
CORPUS = SHARED / "corpus"


@pytest.fixture
def pm() -> Any:
    """A fresh plugin manager with the built-ins only (no entry points)."""
    return get_plugin_manager(entry_points=False)


MakeBundle = Callable[..., Path]


@pytest.fixture
def make_bundle(tmp_path: Path) -> MakeBundle:
    """Build a bundle folder: ``make_bundle({"a/b.json": [...], ...}, toml=...)``.

    Values that are str or bytes are written as they are; anything else is written as JSON.
    """

    def make(files: dict[str, Any], toml: str = MINIMAL_TOML, name: str = "bundle") -> Path:
        root = tmp_path / name
        root.mkdir()
        (root / "evidence-kit.toml").write_text(textwrap.dedent(toml), encoding="utf-8")
        for rel, content in files.items():
            p = root / rel
            p.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                p.write_bytes(content)
            elif isinstance(content, str):
                p.write_text(content, encoding="utf-8")
            else:
                p.write_text(json.dumps(content), encoding="utf-8")
        return root

    return make


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., tuple[int, str, str]]:
    """Run the CLI in-process: ``code, out, err = cli("validate", path)``."""

    def run(*args: str) -> tuple[int, str, str]:
        code = main([str(a) for a in args])
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


@pytest.fixture
def corpus() -> Path:
    """The shared hostile-input corpus, or a clean skip where it is absent."""
    if not CORPUS.is_dir():
        pytest.skip(f"shared corpus not found at {CORPUS}; these tests need ../shared/corpus beside the repo")
    return CORPUS


#: The third-party-style plugin distributions under plugins/, by entry-point name.
PLUGIN_DISTS = {
    "openfda": ROOT / "plugins" / "evidence-kit-openfda",
    "gudid": ROOT / "plugins" / "evidence-kit-gudid",
}


@pytest.fixture(scope="session")
def plugin_dists(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """Make sure the plugin distributions under plugins/ are installed, and found through their entry points.

    The README test command installs them (``pip install -e '.[test]' ./plugins/…``). Where they are
    missing, they are pip-installed from their folders into a temporary target put on ``sys.path``,
    exactly as an outside distribution would be. Returns the environment for subprocesses.
    """
    installed = {ep.name for ep in md.entry_points(group="evidence_kit")}
    missing = [str(path) for name, path in PLUGIN_DISTS.items() if name not in installed]
    env = dict(os.environ)
    target = None
    if missing:
        target = tmp_path_factory.mktemp("plugin-site")
        cmd = [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", "--target"]
        subprocess.run([*cmd, str(target), *missing], check=True, capture_output=True)
        sys.path.insert(0, str(target))
        importlib.invalidate_caches()
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(target), env.get("PYTHONPATH", "")) if p)
    yield env
    if target is not None:
        sys.path.remove(str(target))


@pytest.fixture(autouse=True)
def _private_cache_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep the CLI's incremental cache out of the user's home during tests."""
    monkeypatch.setenv("EVIDENCE_KIT_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))


def source_errors(result: Any) -> list[str]:
    """Errors from reading and schema-checking a run (rule findings about the content are expected)."""
    return [
        f.message
        for f in result.report.findings
        if f.code.split(".")[0] in ("ingest", "schema", "engine") and f.severity.value != "info"
    ]
