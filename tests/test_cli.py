"""The CLI's documented exit codes and outputs, run in-process."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from evidence_kit import cli as cli_module
from evidence_kit.cli import ExitCode

from .conftest import EXAMPLE, ROOT
from .rules_baseline import baseline
from .test_rules_pipeline import _bundle as pipeline_bundle


def _bundle(make_bundle, **changes):
    """The realistic rule baseline as JSON Lines exports, with ``changes`` applied: {record id: {field: value}}."""
    data = baseline()
    for rid, fields in changes.items():
        data[rid][1].update(fields)
    return pipeline_bundle(make_bundle, data)


def test_version(cli):
    code, out, _ = cli("--version")
    assert code == ExitCode.OK
    assert "evidence-kit" in out


def test_clean_bundle_exits_0(cli, make_bundle):
    code, out, _ = cli("validate", _bundle(make_bundle), "-q")
    assert code == ExitCode.OK, out
    assert "0 errors" in out


def test_findings_exit_1_and_fail_on(cli, make_bundle):
    bundle = _bundle(make_bundle, **{"CMP-2026-0001": {"capa_ids": []}})
    code, out, _ = cli("validate", bundle, "-q")
    assert code == ExitCode.FINDINGS
    assert "complaints.capa-missing" in out
    assert "exports/complaint.jsonl:1" in out
    # ignoring the rule makes the run clean; a warning-only report passes --fail-on error
    assert cli("validate", bundle, "-q", "--ignore", "complaints")[0] == ExitCode.OK


def test_fail_on_warning(cli, make_bundle):
    capa = baseline()["CAPA-2026-003"][1]
    triggers = [t for t in capa["triggers"] if t["id"] != "CMP-2026-0001"]  # the link now goes one way: a warning
    bundle = _bundle(make_bundle, **{"CAPA-2026-003": {"triggers": triggers}})
    assert cli("validate", bundle, "-q")[0] == ExitCode.OK
    assert cli("validate", bundle, "-q", "--fail-on", "warning")[0] == ExitCode.FINDINGS


def test_unknown_config_key_exits_2_with_did_you_mean(cli, make_bundle):
    from .conftest import MINIMAL_TOML

    bundle = make_bundle({}, toml=MINIMAL_TOML.replace("[inspection]", "[inspection]\nprofle = 'qmm'"))
    code, _, err = cli("validate", bundle, "-q")
    assert code == ExitCode.USAGE
    assert "unknown key 'inspection.profle'" in err
    assert "Did you mean 'profile'?" in err


def test_bad_value_exits_2(cli, make_bundle):
    from .conftest import MINIMAL_TOML

    bundle = make_bundle({}, toml=MINIMAL_TOML.replace('fei = "1234567"', 'fei = "12-AB"'))
    code, _, err = cli("validate", bundle, "-q")
    assert code == ExitCode.USAGE
    assert "establishment.fei" in err


def test_unknown_profile_and_source_names(cli, make_bundle):
    from .conftest import MINIMAL_TOML

    bundle = make_bundle(
        {"a.json": {"id": "X"}}, toml=MINIMAL_TOML + '\n[[inputs]]\npath = "a.json"\nsource = "jsno"\n'
    )
    code, _, err = cli("validate", bundle, "-q")
    assert code == ExitCode.USAGE
    assert "Did you mean 'json'?" in err
    bundle2 = make_bundle({}, toml=MINIMAL_TOML.replace('"fda-qmsr"', '"fda-qsmr"'), name="b2")
    code, _, err = cli("validate", bundle2, "-q")
    assert code == ExitCode.USAGE and "Did you mean 'fda-qmsr'?" in err


def test_binder_section_typo_is_a_usage_error(cli, make_bundle):
    from .conftest import MINIMAL_TOML

    bundle = make_bundle({}, toml=MINIMAL_TOML + '\n[binder.sections]\ncapa = "measurment"\n')
    code, _, err = cli("validate", bundle, "-q")
    assert code == ExitCode.USAGE
    assert "binder.sections.capa = 'measurment' is not a section of the fda-qmsr profile" in err
    assert "Did you mean 'measurement'?" in err
    good = make_bundle({}, toml=MINIMAL_TOML + '\n[binder.sections]\ncapa = "measurement"\n', name="good")
    assert cli("validate", good, "-q")[0] != ExitCode.USAGE


def test_missing_bundle_and_bad_format_exit_2(cli, make_bundle, tmp_path):
    assert cli("validate", tmp_path / "nope", "-q")[0] == ExitCode.USAGE
    code, _, err = cli("validate", _bundle(make_bundle), "-q", "--format", "yaml")
    assert code == ExitCode.USAGE and "unknown --format 'yaml'" in err
    assert cli("validate")[0] == ExitCode.USAGE  # click usage error


def test_empty_bundle_exits_5(cli, make_bundle):
    assert cli("validate", make_bundle({}), "-q")[0] == ExitCode.NO_INPUT


def test_internal_error_exits_3(cli, make_bundle, monkeypatch):
    def boom(*a, **k):
        raise RuntimeError("kaboom")

    monkeypatch.setattr(cli_module, "run", boom)
    code, _, err = cli("validate", _bundle(make_bundle), "-q")
    assert code == ExitCode.INTERNAL
    assert "kaboom" in err and "bug" in err


def test_json_report_validates_against_schema(cli, make_bundle, tmp_path):
    bad = {"received_date": "2026-02-30", "capa_ids": ["CAPA-404"]}
    out_file = tmp_path / "report.json"
    code, _, _ = cli(
        "validate", _bundle(make_bundle, **{"CMP-2026-0001": bad}), "-q", "--format", "json", "-o", out_file
    )
    assert code == ExitCode.FINDINGS
    report = json.loads(out_file.read_text())
    schema = json.loads((ROOT / "schemas" / "report.schema.json").read_text())
    jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker()).validate(report)
    codes = {(f["code"], f["location"]["record"], f["location"]["field"]) for f in report["findings"]}
    assert ("schema.invalid", "CMP-2026-0001", "/received_date") in codes
    assert ("complaints.capa-dangling", "CMP-2026-0001", "/capa_ids/0") in codes
    for f in report["findings"]:
        assert f["cites"] and f["severity"] in ("error", "warning", "info") and f["location"]["file"]
    files = {i["file"]: i for i in report["inputs"]}
    complaints = files["exports/complaint.jsonl"]
    assert complaints["records"] == ["CMP-2026-0001", "CMP-2026-0002"] and complaints["bound"]


def test_example_bundle_report_accounts_for_every_file(cli, tmp_path):
    out_file = tmp_path / "r.json"
    code, _, _ = cli("validate", EXAMPLE, "-q", "--format", "json", "-o", out_file)
    assert code in (ExitCode.OK, ExitCode.FINDINGS)
    report = json.loads(out_file.read_text())
    on_disk = sorted(p.relative_to(EXAMPLE).as_posix() for p in EXAMPLE.rglob("*") if p.is_file())
    assert [i["file"] for i in report["inputs"]] == on_disk
    for i in report["inputs"]:
        assert i["bound"] or (i["excluded_by"] and i["reason"])


def test_plugins_and_rules_commands(cli):
    code, out, _ = cli("plugins")
    assert code == ExitCode.OK
    for name in ("json", "pdf", "complaints", "fda-qmsr", "qmm", "text", "json-report", "record-types"):
        assert any(line.split()[0] == name and "built-in" in line for line in out.splitlines()), name
    code, out, _ = cli("rules")
    assert code == ExitCode.OK
    assert "complaints.capa-missing" in out and "21 CFR 820.35(a)(6)" in out
    assert "schema.invalid" in out


def test_output_written_atomically(cli, make_bundle, tmp_path, monkeypatch):
    out_file = tmp_path / "report.txt"
    out_file.write_text("previous report")
    from evidence_kit import _io

    def fail_replace(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(_io.os, "replace", fail_replace)
    code, _, _ = cli("validate", _bundle(make_bundle), "-q", "-o", out_file)
    assert code == ExitCode.USAGE
    assert out_file.read_text() == "previous report"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".report")] == []


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_report_is_deterministic(cli, fmt):
    a = cli("validate", EXAMPLE, "-q", "--format", fmt)[1]
    b = cli("validate", EXAMPLE, "-q", "--format", fmt)[1]
    assert a == b


def test_python_dash_m(tmp_path):
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-m", "evidence_kit", "--version"], capture_output=True, text=True)
    assert proc.returncode == 0 and "evidence-kit" in proc.stdout


def test_console_exit_flushes_the_whole_report_and_keeps_the_exit_code(tmp_path):
    """The command ends with os._exit (no teardown of the run): stdout must be complete and the code kept."""
    import subprocess
    import sys

    cmd = [sys.executable, "-m", "evidence_kit", "validate", str(EXAMPLE), "-q", "--format", "json", "--no-cache"]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    assert proc.returncode == ExitCode.FINDINGS, proc.stderr
    report = json.loads(proc.stdout)
    assert report["record_count"] == len(report["records"]) > 0
    proc = subprocess.run([*cmd[:4], str(tmp_path / "missing")], capture_output=True, text=True, check=False)
    assert proc.returncode == ExitCode.USAGE and "does not exist" in proc.stderr


def test_inputs_never_modified(cli, make_bundle, tmp_path):
    bundle = _bundle(make_bundle)
    before = {p: p.read_bytes() for p in bundle.rglob("*") if p.is_file()}
    cli("build", bundle, "-q", "-o", tmp_path / "b.pdf")
    after = {p: p.read_bytes() for p in bundle.rglob("*") if p.is_file()}
    assert before == after
    assert Path(tmp_path / "b.pdf").read_bytes().startswith(b"%PDF-")


def test_ignore_accepts_a_source_finding_code_of_a_known_pack_but_not_a_typo(cli, make_bundle):
    bundle = _bundle(make_bundle)
    assert cli("validate", bundle, "-q", "--ignore", "ingest.some-source-code")[0] == ExitCode.OK
    code, _, err = cli("validate", bundle, "-q", "--ignore", "complaint.capa-missing")
    assert code == ExitCode.USAGE and "Did you mean 'complaints.capa-missing'?" in err
