"""The plugin author's kit: evidence_kit.testing, the import boundary, and the plugin template."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from typing import ClassVar

import pytest
from evidence_kit_builtin.rules import complaints

from evidence_kit import hookimpl
from evidence_kit.errors import PluginError
from evidence_kit.testing import (
    DEFAULT_NOW,
    flatten,
    make_plugin_manager,
    make_record,
    private_imports,
    run_bundle,
    run_rule,
    write_bundle,
)

from .conftest import ROOT

PLUGIN_FOLDERS = sorted(
    [p for p in (ROOT / "plugins").iterdir() if p.is_dir() and not p.name.startswith((".", "_"))]
    + [ROOT / "tests" / "example_plugin"]
)


def test_make_record_and_run_rule():
    c = make_record("complaint", "CMP-1", {"corrective_action_needed": True}, file="c.json", line=7)
    assert c.data == {"id": "CMP-1", "corrective_action_needed": True} and c.location.line == 7
    findings = run_rule(complaints.capa_missing, [c])
    assert flatten(findings, "code", "file", "record", "field", "line") == [
        ("complaints.capa-missing", "c.json", "CMP-1", "/capa_ids", 7)
    ]
    assert run_rule(complaints.capa_missing, [make_record("complaint", "CMP-2", capa_ids=["CAPA-1"])]) == []


def test_run_rule_passes_options_now_and_settings():
    seen = {}

    class Probe:
        code, title, hint, cites = "probe.x", "probe", "", ("ISO 13485:2016 4.2.5",)
        severity = complaints.capa_missing.severity
        record_types: frozenset[str] = frozenset()
        options: ClassVar[dict[str, int]] = {"days": 30, "keep": 1}
        options_schema = None

        def check(self, records, ctx):
            seen.update(options=dict(ctx.options), now=ctx.now, settings=dict(ctx.settings), n=len(records))
            return []

    now = dt.datetime(2026, 1, 2, tzinfo=dt.UTC)
    run_rule(Probe(), [make_record("capa", "C")], options={"days": 5}, now=now, settings={"establishment": {}})
    assert seen == {"options": {"days": 5, "keep": 1}, "now": now, "settings": {"establishment": {}}, "n": 1}
    run_rule(Probe(), [])
    assert seen["now"] == DEFAULT_NOW
    with pytest.raises(ValueError, match="timezone-aware"):
        run_rule(Probe(), [], now=dt.datetime(2026, 1, 2))


def test_flatten_sorts_and_filters_by_severity(tmp_path):
    bundle = write_bundle(tmp_path / "b", {"x.unknown": "?", "bad.json": "{"})
    report = run_bundle(bundle)
    assert flatten(report, "code", "file") == [("ingest.malformed", "bad.json"), ("ingest.no-source", "x.unknown")]
    assert flatten(report, "code", severity="error") == [("ingest.malformed",)]


def test_plugin_manager_holds_only_builtins_and_the_plugin(plugin_dists):
    class Extra:
        @hookimpl
        def evidence_kit_rules(self):
            return []

    names = {name for name, _ in make_plugin_manager(("extra", Extra())).list_name_plugin()}
    assert "extra" in names and "openfda" not in names and "gudid" not in names
    assert make_plugin_manager(disabled=["json"]).get_plugin("json") is None


def test_plugin_manager_rejects_a_misspelt_hook():
    class Typo:
        @hookimpl
        def evidence_kit_source(self):
            return []

    with pytest.raises(PluginError, match="does not exist"):
        make_plugin_manager(("typo", Typo()))


@pytest.mark.parametrize("folder", PLUGIN_FOLDERS, ids=lambda p: p.name)
def test_every_plugin_uses_only_the_public_api(folder):
    violations = private_imports(folder)
    assert violations == [], "\n".join(map(str, violations))


@pytest.mark.parametrize(
    "line",
    [
        "from evidence_kit._plugins import get_plugin_manager",
        "import evidence_kit._api",
        "from evidence_kit import _config",
        "import importlib\nmod = importlib.import_module('evidence_kit._engine')",
    ],
)
def test_a_plugin_importing_a_private_module_fails_the_boundary_check(tmp_path, line):
    pkg = tmp_path / "evidence_kit_sneaky"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("from evidence_kit import hookimpl, rule\n")
    (pkg / "plugin.py").write_text(f'"""A plugin that reaches into the core."""\n{line}\n')
    (violation,) = private_imports(pkg)
    assert violation.file.endswith("plugin.py") and violation.line == line.count("\n") + 2
    assert violation.module.startswith("evidence_kit._") and "imports private module" in str(violation)


def test_template_installs_and_its_own_tests_pass(tmp_path):
    """Install plugins/template from its folder, list it through its entry point, and run its test suite."""
    template = ROOT / "plugins" / "template"
    target = tmp_path / "site"
    pip = [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", "--target"]
    subprocess.run([*pip, str(target), str(template)], check=True, capture_output=True)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (str(target), os.environ.get("PYTHONPATH")) if p)}
    listing = subprocess.run(
        [sys.executable, "-m", "evidence_kit", "plugins"], capture_output=True, text=True, env=env, check=True
    ).stdout
    (line,) = [ln for ln in listing.splitlines() if ln.startswith("myplugin ")]
    assert "0.1.0" in line and "distribution evidence-kit-myplugin" in line
    tests = tmp_path / "template-tests"
    subprocess.run(["cp", "-r", str(template / "tests"), str(tests)], check=True)
    (tests / "pytest.ini").write_text("[pytest]\naddopts = -p no:cacheprovider\nfilterwarnings = error\n")
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", str(tests)], capture_output=True, text=True, env=env, cwd=tests
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "4 passed" in proc.stdout


def test_docs_document_the_testing_kit():
    import evidence_kit.testing as kit

    text = (ROOT / "docs" / "plugins.md").read_text(encoding="utf-8")
    for name in kit.__all__:
        assert f"`{name}" in text, name
    assert "plugins/template/" in text
