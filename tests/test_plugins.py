"""The plugin host: built-ins and third parties through the same hooks, failures contained or loud."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from evidence_kit import Finding, Location, Severity, hookimpl, rule
from evidence_kit._api import run
from evidence_kit._plugins import DEFAULT_PLUGINS, build_registry, get_plugin_manager
from evidence_kit.cli import ExitCode
from evidence_kit.errors import PluginError

from .conftest import MINIMAL_TOML, ROOT

CAPA_TOML = MINIMAL_TOML + '\n[[inputs]]\npath = "capas.json"\nrecord_type = "capa"\n'


class CrashingRulePlugin:
    @hookimpl
    def evidence_kit_rules(self):
        @rule("crashy.boom", title="Always crashes", cites=("21 CFR 820.35",), hint="n/a", record_types={"capa"})
        def boom(records, ctx):
            raise ZeroDivisionError("division by zero in rule")
            yield  # pragma: no cover

        return [boom]


class CrashingHookPlugin:
    @hookimpl
    def evidence_kit_rules(self):
        raise RuntimeError("cannot register")


class CrashingSourcePlugin:
    class Src:
        name, version = "crashy-src", "1"

        def detect(self, path, head):
            return path.suffix == ".crash"

        def read(self, path, ctx):
            yield ctx.record("capa", "CAPA-9", {"id": "CAPA-9"})
            raise ValueError("source blew up")

    @hookimpl
    def evidence_kit_sources(self):
        return [self.Src()]


def test_builtins_register_through_hooks(pm):
    reg = build_registry(pm)
    assert {"complaint", "capa", "document"} <= set(reg.record_types)
    assert {"json", "pdf"} <= {s.name for _, s in reg.sources}
    assert {"fda-qmsr", "qmm"} <= set(reg.profiles)
    assert {"text", "json"} <= set(reg.formats)
    names = {p.name for p in reg.plugins}
    assert set(DEFAULT_PLUGINS) <= names
    assert all(p.origin == "built-in" for p in reg.plugins if p.name in DEFAULT_PLUGINS)


def test_crashing_rule_becomes_finding_and_run_goes_on(make_bundle):
    bundle = make_bundle({"capas.json": [{"id": "CAPA-1"}]}, toml=CAPA_TOML)
    pm = get_plugin_manager(entry_points=False, extra=[("crashy", CrashingRulePlugin())])
    report = run(bundle, pm=pm).report
    crash = [f for f in report.findings if f.code == "engine.rule-crashed"]
    assert len(crash) == 1
    assert crash[0].plugin == "crashy" and "crashy.boom" in crash[0].message
    assert "ZeroDivisionError" in crash[0].message
    assert {o.file: o.records for o in report.inputs}["capas.json"] == ("CAPA-1",)  # the run went on


def test_crashing_hook_becomes_finding(make_bundle):
    bundle = make_bundle({"capas.json": [{"id": "CAPA-1"}]}, toml=CAPA_TOML)
    pm = get_plugin_manager(entry_points=False, extra=[("broken-hook", CrashingHookPlugin())])
    report = run(bundle, pm=pm).report
    (crash,) = [f for f in report.findings if f.code == "engine.plugin-crashed"]
    assert crash.plugin == "broken-hook" and "cannot register" in crash.message


def test_crashing_source_excludes_file_with_reason(make_bundle):
    bundle = make_bundle({"x.crash": "whatever"})
    pm = get_plugin_manager(entry_points=False, extra=[("crashy-src", CrashingSourcePlugin())])
    report = run(bundle, pm=pm).report
    (out,) = [o for o in report.inputs if o.file == "x.crash"]
    assert not out.bound and out.excluded_by == "ingest.source-crashed"
    assert "source blew up" in (out.reason or "")
    assert report.record_count == 0


def test_duplicate_rule_code_is_a_plugin_error():
    class Dup:
        @hookimpl
        def evidence_kit_rules(self):
            @rule("complaints.capa-missing", title="dup", cites=("x",), hint="", record_types=())
            def dup(records, ctx):
                return []

            return [dup]

    pm = get_plugin_manager(entry_points=False, extra=[("dup", Dup())])
    with pytest.raises(PluginError, match=r"'complaints\.capa-missing' is registered twice") as info:
        build_registry(pm)
    assert "plugin 'complaints'" in str(info.value) and "plugin 'dup'" in str(info.value)


def test_misspelt_hook_fails_loudly():
    class Typo:
        @hookimpl
        def evidence_kit_rule(self):
            return []

    with pytest.raises(PluginError, match="does not exist"):
        get_plugin_manager(entry_points=False, extra=[("typo", Typo())])


def test_disable_blocks_builtin(pm):
    reg = build_registry(get_plugin_manager(entry_points=False, disabled=["complaints"]))
    assert not any(code.startswith("complaints.") for code in reg.rules)


def _fake_dist(tmp_path: Path, name: str, module_src: str, ep_value: str) -> Path:
    site = tmp_path / "site"
    (site / f"{name}-0.1.dist-info").mkdir(parents=True)
    (site / f"{name}-0.1.dist-info" / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1\n")
    (site / f"{name}-0.1.dist-info" / "entry_points.txt").write_text(f"[evidence_kit]\n{name} = {ep_value}\n")
    (site / f"{name.replace('-', '_')}.py").write_text(textwrap.dedent(module_src))
    return site


def test_broken_entry_point_stops_run_naming_distribution(tmp_path, monkeypatch, cli, make_bundle):
    site = _fake_dist(tmp_path, "badplug", "import does_not_exist\n", "badplug")
    monkeypatch.syspath_prepend(str(site))
    with pytest.raises(PluginError) as info:
        get_plugin_manager()
    assert "'badplug'" in str(info.value) and "distribution 'badplug'" in str(info.value)
    assert "ModuleNotFoundError" in str(info.value)
    code, _, err = cli("validate", make_bundle({}), "-q")
    assert code == ExitCode.PLUGIN and "badplug" in err
    # the escape hatch
    assert cli("validate", make_bundle({}, name="b2"), "-q", "--disable", "badplug")[0] == ExitCode.NO_INPUT


def test_plugin_distribution_installed_from_folder_is_picked_up(tmp_path, make_bundle):
    """pip-install tests/example_plugin into a target dir; the CLI finds it through its entry point."""
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--target",
            str(target),
            str(ROOT / "tests" / "example_plugin"),
        ],
        check=True,
        capture_output=True,
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(target), os.environ.get("PYTHONPATH", "")])}
    listing = subprocess.run(
        [sys.executable, "-m", "evidence_kit", "plugins"], capture_output=True, text=True, env=env, check=True
    ).stdout
    (line,) = [ln for ln in listing.splitlines() if ln.startswith("acme ")]
    assert "1.2.3" in line and "distribution evidence-kit-example-plugin" in line
    assert "rules" in line and "sources" in line
    bundle = make_bundle({"export.acme": "CAPA-7;Seal leak;\nCAPA-8;Label smear;J. Doe\n"})
    proc = subprocess.run(
        [sys.executable, "-m", "evidence_kit", "validate", str(bundle), "-q"], capture_output=True, text=True, env=env
    )
    assert proc.returncode == ExitCode.OK, proc.stdout + proc.stderr
    assert "acme.capa-owner" in proc.stdout and "export.acme:1 · CAPA-7 · /owner" in proc.stdout


def test_finding_fingerprint_survives_rewording():
    loc = Location("a.json", "CMP-1", "/udi", line=3)
    a = Finding("udi.bad", Severity.ERROR, "Old words.", loc)
    b = Finding("udi.bad", Severity.ERROR, "New words entirely.", Location("a.json", "CMP-1", "/udi", line=9))
    assert a.fingerprint == b.fingerprint
    assert a.fingerprint != Finding("udi.other", Severity.ERROR, "Old words.", loc).fingerprint
