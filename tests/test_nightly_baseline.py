"""--baseline / --write-baseline: new, still open and fixed findings; exit code counts new ones only."""

from __future__ import annotations

import json

import jsonschema

from evidence_kit.cli import ExitCode
from evidence_kit.reports import report_from_json, report_to_json

from .conftest import ROOT
from .nightly_helpers import TOML, capa, complaint, files, write

SCHEMA = json.loads((ROOT / "schemas" / "report.schema.json").read_text())


def _bundle(make_bundle):
    # CMP-1 links a missing CAPA (error); CMP-2 is clean
    return make_bundle(files([complaint(1, capa_ids=["CAPA-9"]), complaint(2)], [capa(2)]), toml=TOML)


def test_write_baseline_then_unchanged_rerun_is_green(cli, make_bundle, tmp_path):
    bundle = _bundle(make_bundle)
    base = tmp_path / "base.json"
    code, _, _ = cli("validate", bundle, "-q", "--write-baseline", base)
    assert code == ExitCode.FINDINGS
    saved = json.loads(base.read_text())
    jsonschema.validate(saved, SCHEMA)
    assert [f["code"] for f in saved["findings"]] == ["complaints.capa-dangling"]

    code, out, _ = cli("validate", bundle, "-q", "--baseline", base, "--format", "json")
    assert code == ExitCode.OK, "an unchanged error already in the baseline must not fail the build"
    data = json.loads(out)
    jsonschema.validate(data, SCHEMA)
    assert data["baseline"]["counts"] == {"new": 0, "open": 1, "fixed": 0}
    assert [f["baseline"] for f in data["findings"]] == ["open"]


def test_new_finding_fails_and_fixed_finding_is_listed(cli, make_bundle, tmp_path):
    bundle = _bundle(make_bundle)
    base = tmp_path / "base.json"
    cli("validate", bundle, "-q", "--write-baseline", base)
    # fix CMP-1, break CMP-2 (its CAPA link now dangles)
    write(
        bundle,
        "complaints/c000.json",
        [complaint(1, capa_ids=[], no_capa_rationale="duplicate"), complaint(2, capa_ids=["CAPA-7"])],
    )
    code, out, _ = cli("validate", bundle, "-q", "--baseline", base, "--format", "json")
    assert code == ExitCode.FINDINGS
    data = json.loads(out)
    jsonschema.validate(data, SCHEMA)
    status = {(f["location"]["record"], f["code"]): f["baseline"] for f in data["findings"]}
    # CAPA-2 still names CMP-2, which no longer names it back: a new warning as well
    assert status == {("CMP-2", "complaints.capa-dangling"): "new", ("CAPA-2", "complaints.capa-one-way"): "new"}
    assert [(f["location"]["record"], f["code"]) for f in data["baseline"]["fixed"]] == [
        ("CMP-1", "complaints.capa-dangling")
    ]
    changed = {c["record"]: c["fields"] for c in data["baseline"]["records"]["changed"]}
    assert changed == {"complaint:CMP-1": ["/capa_ids", "/no_capa_rationale"], "complaint:CMP-2": ["/capa_ids"]}


def test_exit_code_counts_only_new_findings_at_or_above_fail_on(cli, make_bundle, tmp_path):
    bundle = _bundle(make_bundle)
    base = tmp_path / "base.json"
    cli("validate", bundle, "-q", "--write-baseline", base)
    # a new warning only: the CAPA for CMP-2 no longer points back (complaints.capa-one-way)
    write(bundle, "capas.jsonl", json.dumps(capa(2, triggers=[])) + "\n")
    assert cli("validate", bundle, "-q", "--baseline", base)[0] == ExitCode.OK
    assert cli("validate", bundle, "-q", "--baseline", base, "--fail-on", "warning")[0] == ExitCode.FINDINGS


def test_text_report_without_baseline_flags_is_unchanged_by_status(cli, make_bundle):
    code, out, _ = cli("validate", _bundle(make_bundle), "-q")
    assert code == ExitCode.FINDINGS
    assert "complaints.capa-dangling" in out


def test_older_report_without_record_digests_still_loads(cli, make_bundle, tmp_path):
    bundle = _bundle(make_bundle)
    base = tmp_path / "base.json"
    cli("validate", bundle, "-q", "--write-baseline", base)
    data = json.loads(base.read_text())
    del data["records"]  # what the foundation release (report schema 1, no digests) wrote
    old = tmp_path / "old.json"
    old.write_text(json.dumps(data))
    report = report_from_json(old.read_text())
    assert report.records == () and len(report.findings) == 1
    code, out, _ = cli("validate", bundle, "-q", "--baseline", old, "--format", "json")
    assert code == ExitCode.OK
    assert json.loads(out)["baseline"]["records"] == {"compared": False, "added": [], "removed": [], "changed": []}
    code, text, _ = cli("validate", bundle, "-q", "--baseline", old)
    assert "records not compared (the baseline has no record digests" in text, text
    code, html, _ = cli("validate", bundle, "-q", "--baseline", old, "--format", "html")
    assert 'id="records-not-compared"' in html and 'id="record-changes"' not in html


def test_other_schema_versions_fail_with_a_clear_message(cli, make_bundle, tmp_path):
    bundle = _bundle(make_bundle)
    base = tmp_path / "base.json"
    cli("validate", bundle, "-q", "--write-baseline", base)
    data = json.loads(base.read_text())
    for version, words in (("7", "newer than this tool understands"), ("0", "is not readable by this tool")):
        bad = tmp_path / f"v{version}.json"
        bad.write_text(json.dumps({**data, "schema_version": version}))
        code, _, err = cli("validate", bundle, "-q", "--baseline", bad)
        assert code == ExitCode.USAGE
        assert words in err and f"'{version}'" in err and "--write-baseline" in err
    junk = tmp_path / "junk.json"
    junk.write_text("[1, 2]")
    code, _, err = cli("validate", bundle, "-q", "--baseline", junk)
    assert code == ExitCode.USAGE and "not an evidence-kit JSON report" in err


def test_report_with_baseline_round_trips(cli, make_bundle, tmp_path):
    bundle = _bundle(make_bundle)
    base = tmp_path / "base.json"
    cli("validate", bundle, "-q", "--write-baseline", base)
    write(bundle, "complaints/c000.json", [complaint(1, capa_ids=[], no_capa_rationale="dup"), complaint(2)])
    out = tmp_path / "now.json"
    cli("validate", bundle, "-q", "--baseline", base, "--write-baseline", out)
    text = out.read_text()
    assert report_to_json(report_from_json(text)) == text


def test_text_report_shows_baseline_summary_and_marks_new_findings(cli, make_bundle, tmp_path):
    bundle = _bundle(make_bundle)
    base = tmp_path / "base.json"
    cli("validate", bundle, "-q", "--write-baseline", base)
    write(bundle, "complaints/c000.json", [complaint(1, capa_ids=["CAPA-9"]), complaint(2, capa_ids=["CAPA-7"])])
    code, out, _ = cli("validate", bundle, "-q", "--baseline", base)
    assert code == ExitCode.FINDINGS
    assert "since baseline base.json" in out and "2 new, 1 still open, 0 fixed" in out
    lines = [line for line in out.splitlines() if "links CAPA" in line]
    assert [line.strip().startswith("[new]") for line in lines] == [False, True]


def test_missing_baseline_file_is_a_usage_error(cli, make_bundle, tmp_path):
    code, _, err = cli("validate", _bundle(make_bundle), "-q", "--baseline", tmp_path / "nope.json")
    assert code == ExitCode.USAGE
    assert "cannot read the baseline report" in err and "nope.json" in err and "--write-baseline" in err


def test_a_further_occurrence_of_a_baseline_finding_is_new(cli, make_bundle, tmp_path):
    """Fingerprints count: a third copy of a finding the baseline had twice is new, and fails the build."""
    bundle = make_bundle(files([complaint(1, capa_ids=["CAPA-9"]), complaint(2, capa_ids=["CAPA-9"])], []), toml=TOML)
    base = tmp_path / "base.json"
    cli("validate", bundle, "-q", "--write-baseline", base)
    two = [f for f in json.loads(base.read_text())["findings"] if f["code"] == "complaints.capa-dangling"]
    assert len(two) == 2
    write(bundle, "complaints/c000.json", [complaint(1, capa_ids=["CAPA-9"])] * 2 + [complaint(2, capa_ids=["CAPA-9"])])
    code, out, _ = cli("validate", bundle, "-q", "--baseline", base, "--format", "json")
    data = json.loads(out)
    jsonschema.validate(data, SCHEMA)
    dangling = [f for f in data["findings"] if f["code"] == "complaints.capa-dangling"]
    assert len(dangling) == 3 and sorted(f["baseline"] for f in dangling) == ["new", "open", "open"]
    assert code == ExitCode.FINDINGS
    assert report_from_json(out).baseline_status(report_from_json(out).findings[0]) is not None
    again = report_from_json(out)  # the statuses survive a round trip through JSON
    assert sorted(again.baseline_status(f) or "" for f in again.findings if f.code == "complaints.capa-dangling") == [
        "new",
        "open",
        "open",
    ]
