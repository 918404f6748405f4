"""Tests for the template plugin, written with evidence_kit.testing only."""

from __future__ import annotations

from pathlib import Path

from evidence_kit_myplugin import plugin

from evidence_kit.testing import flatten, make_record, private_imports, run_bundle, run_rule

PLUGIN = ("myplugin", plugin)
EXPORT = "id;detected_at;product;disposition\nNC-1;2026-03-02;Valve body;scrap\nNC-2;02/03/2026;Seal;\n"


def test_source_reads_export_and_reports_bad_date(make_bundle):
    """The source reads each line into a record; a bad date and a missing disposition are findings."""
    report = run_bundle(make_bundle({"qms/march.nc.txt": EXPORT}), PLUGIN)
    (outcome,) = [o for o in report.inputs if o.file == "qms/march.nc.txt"]
    assert outcome.source == "myplugin-nc" and outcome.records == ("NC-1", "NC-2")
    assert ("myplugin.bad-date", "qms/march.nc.txt", "NC-2", "/detected_at") in flatten(report)
    assert ("myplugin.disposition-missing", "qms/march.nc.txt", "NC-2", "/disposition") in flatten(report)


def test_source_claims_only_its_own_files(make_bundle):
    """Neither a .nc.txt file without the header nor a differently named file is claimed."""
    bundle = make_bundle({"notes.nc.txt": "just some notes\n", "other.txt": EXPORT})
    report = run_bundle(bundle, PLUGIN)
    assert all(o.source != "myplugin-nc" for o in report.inputs)


def test_rule_on_in_memory_records():
    """The rule runs over records built in memory, no bundle needed."""
    records = [
        make_record("nonconformance", "NC-7", product="Valve", disposition="rework"),
        make_record("nonconformance", "NC-8", product="Valve", file="nc.txt", line=3),
    ]
    findings = run_rule(plugin.disposition_missing, records)
    assert flatten(findings, "code", "record", "field", "line") == [
        ("myplugin.disposition-missing", "NC-8", "/disposition", 3)
    ]


def test_uses_only_the_public_api():
    """The plugin imports no private evidence_kit._* module."""
    assert private_imports(Path(plugin.__file__).parent) == []
