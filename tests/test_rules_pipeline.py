"""The rule packs through the real pipeline: JSON Lines exports of every record type, ingested and checked."""

from __future__ import annotations

import json
from typing import Any

from evidence_kit._api import run

from .rules_baseline import BASELINE, baseline

TOML_HEAD = """\
[establishment]
name = "Meridian Infusion Systems, Inc."
fei = "3012345678"

[inspection]
profile = "fda-qmsr"
as_of = "2026-11-30T12:00:00+00:00"
"""


def _bundle(make_bundle: Any, data: dict[str, tuple[str, dict[str, Any]]]) -> Any:
    by_type: dict[str, list[dict[str, Any]]] = {}
    for rtype, body in data.values():
        by_type.setdefault(rtype, []).append(body)
    files = {f"exports/{t}.jsonl": "".join(json.dumps(b) + "\n" for b in bodies) for t, bodies in by_type.items()}
    toml = TOML_HEAD + "".join(
        f'\n[[inputs]]\npath = "exports/{t}.jsonl"\nsource = "json"\nrecord_type = "{t}"\n' for t in sorted(by_type)
    )
    return make_bundle(files, toml=toml)


def test_baseline_bundle_is_clean(make_bundle: Any) -> None:
    report = run(_bundle(make_bundle, BASELINE)).report
    problems = [(f.code, f.location.record, f.message) for f in report.findings if f.severity.value != "info"]
    assert problems == []
    assert report.record_count == len(BASELINE)


def test_findings_keep_file_line_and_pointer(make_bundle: Any) -> None:
    data = baseline()
    data["LI-L2511"][1]["printed_expiry"] = "31.12.2028"
    data["CMP-2026-0001"][1]["signatures"][1]["signed_at"] = "2026-03-01T15:00:00"
    report = run(_bundle(make_bundle, data)).report
    by_code = {f.code: f for f in report.findings}
    label = by_code["labeling.date-format"].location
    assert (label.file, label.record, label.field, label.line) == (
        "exports/label_inspection.jsonl",
        "LI-L2511",
        "/printed_expiry",
        1,
    )
    zone = by_code["part11.signature-no-zone"]
    assert zone.location.file == "exports/complaint.jsonl" and zone.location.line == 1
    assert zone.location.field == "/signatures/1/signed_at"
    assert "2026-03-01T15:00:00" in zone.message


def test_select_and_ignore_reach_the_new_packs(make_bundle: Any) -> None:
    data = baseline()
    data["LI-L2511"][1]["printed_expiry"] = "31.12.2028"
    bundle = _bundle(make_bundle, data)
    only = run(bundle, overrides={"select": ["labeling"]}).report
    assert {f.code for f in only.findings if not f.code.startswith(("ingest.", "schema."))} == {"labeling.date-format"}
    none = run(bundle, overrides={"ignore": ["labeling"]}).report
    assert "labeling.date-format" not in {f.code for f in none.findings}
