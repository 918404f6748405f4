"""evidence-kit-openfda: installed from its folder, found through its entry point, reading real openFDA formats."""

from __future__ import annotations

import importlib
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from evidence_kit._plugins import build_registry, get_plugin_manager
from evidence_kit.testing import flatten, make_plugin_manager, run_bundle, write_bundle

from .conftest import MINIMAL_TOML, ROOT

DATA = ROOT / "tests" / "data"
FIRM_TOML = MINIMAL_TOML.replace('fei = "1234567"', 'fei = "3004567890"')


@pytest.fixture
def openfda(plugin_dists: dict[str, str]) -> ModuleType:
    return importlib.import_module("evidence_kit_openfda.plugin")


def _bundle(tmp_path: Path, files: dict[str, Path | str], toml: str = FIRM_TOML) -> Path:
    return write_bundle(tmp_path / "bundle", files, toml)


def _records(report, file: str) -> tuple[str, ...]:
    (outcome,) = [o for o in report.inputs if o.file == file]
    return outcome.records


def test_loads_through_entry_point_and_lists_version(plugin_dists):
    pm = get_plugin_manager()  # entry points on: the only way this plugin gets in
    reg = build_registry(pm)
    (info,) = [p for p in reg.plugins if p.name == "openfda"]
    assert info.origin == "distribution evidence-kit-openfda" and info.version == "0.1.0"
    assert {"openfda-json", "maude-foi"} <= {s.name for _, s in reg.sources}
    names = [s.name for _, s in reg.sources]
    assert names.index("openfda-json") < names.index("json"), "plugin sources get first refusal"
    listing = subprocess.run(
        [sys.executable, "-m", "evidence_kit", "plugins"], capture_output=True, text=True, env=plugin_dists, check=True
    ).stdout
    (line,) = [ln for ln in listing.splitlines() if ln.startswith("openfda ")]
    assert "0.1.0" in line and "distribution evidence-kit-openfda" in line and "sources" in line


@pytest.mark.parametrize(
    ("raw", "iso"),
    [
        ("20120508", "2012-05-08"),
        ("2012-05-08", "2012-05-08"),
        ("05/01/2011", "2011-05-01"),
        ("5/1/2011", "2011-05-01"),
    ],
)
def test_dates_in_every_fda_spelling(openfda, raw, iso):
    from evidence_kit_openfda.dates import parse_fda_date

    assert parse_fda_date(raw).iso == iso and parse_fda_date(raw).error is None


@pytest.mark.parametrize("raw", ["", "   ", None])
def test_empty_date_means_no_date(openfda, raw):
    from evidence_kit_openfda.dates import parse_fda_date

    assert parse_fda_date(raw).iso is None and parse_fda_date(raw).error is None


@pytest.mark.parametrize("raw", ["2026-13-02", "20120231", "2026/05/01", "May 1 2026", "13/01/2026"])
def test_unparseable_date_has_a_reason(openfda, raw):
    from evidence_kit_openfda.dates import parse_fda_date

    value = parse_fda_date(raw)
    assert value.iso is None and value.error and repr(raw) in value.error


def test_api_envelope_of_device_events(tmp_path, openfda):
    bundle = _bundle(
        tmp_path, {"mdr/device-event-0001-of-0001.json": DATA / "openfda" / "device-event-0001-of-0001.json"}
    )
    report = run_bundle(bundle, ("openfda", openfda))
    assert _records(report, "mdr/device-event-0001-of-0001.json") == (
        "3004567890-2026-00012",
        "3004567890-2026-00019",
        "9999999-2026-00001",
    )
    (bad,) = [f for f in report.findings if f.code == "openfda.bad-date"]
    assert (bad.location.record, bad.location.field, bad.location.path) == (
        "3004567890-2026-00019",
        "/aware_date",
        "/results/1/date_manufacturer_received",
    )
    assert "date_manufacturer_received" in bad.message and "'2026-13-02'" in bad.message
    assert bad.location.file == "mdr/device-event-0001-of-0001.json" and bad.location.line == 35
    assert not [f for f in report.findings if f.code.startswith(("schema.", "ingest."))]


def test_event_fields_mapped_to_mdr_report(tmp_path, openfda):
    from evidence_kit._api import run

    bundle = _bundle(tmp_path, {"ev.json": DATA / "openfda" / "device-event-0001-of-0001.json"})
    records = run(bundle, pm=make_plugin_manager(("openfda", openfda))).records
    mdr = records.get("3004567890-2026-00012", "mdr_report")
    assert mdr is not None and mdr.source == "openfda-json" and mdr.location.line == 8
    assert {k: mdr.data[k] for k in ("aware_date", "event_date", "submitted_at", "reporter_type", "udi")} == {
        "aware_date": "2026-03-02",
        "event_date": "2026-02-27",
        "submitted_at": "2026-03-30",
        "reporter_type": "manufacturer",
        "udi": "(01)10197106131510(17)270131(10)LOT42",
    }
    assert "report_type" not in mdr.data  # MAUDE does not say whether an initial report was a 5-day one
    assert records.get("9999999-2026-00001").data["report_type"] == "supplemental"
    assert "event_date" not in records.get("3004567890-2026-00019").data  # "" is no date, not an error


def test_single_document_user_facility_report(tmp_path, openfda):
    from evidence_kit._api import run

    bundle = _bundle(tmp_path, {"single_event.json": DATA / "openfda" / "single_event.json"})
    result = run(bundle, pm=make_plugin_manager(("openfda", openfda)))
    mdr = result.records.get("1234567-2026-00003")
    assert mdr.data["reporter_type"] == "user-facility" and mdr.data["report_type"] == "user-facility"
    assert mdr.data["aware_date"] == "2026-04-02" and mdr.data["submitted_at"] == "2026-04-10"
    assert not result.report.findings


def test_recall_envelope_and_res_json_lines(tmp_path, openfda):
    bundle = _bundle(
        tmp_path,
        {
            "recalls/device-recall.json": DATA / "openfda" / "device-recall.json",
            "recalls/enforcement-report.json": DATA / "openfda" / "enforcement-report.json",
        },
    )
    report = run_bundle(bundle, ("openfda", openfda))
    assert _records(report, "recalls/device-recall.json") == ("Z-0101-2026",)
    assert _records(report, "recalls/enforcement-report.json") == ("Z-0102-2026", "Z-0103-2026")
    rows = flatten(report, "code", "file", "record", "line", "path")
    assert ("ingest.malformed", "recalls/enforcement-report.json", None, 4, None) in rows  # the broken line
    assert (
        "openfda.bad-date",
        "recalls/enforcement-report.json",
        "Z-0103-2026",
        5,
        "/4/recall-initiation-date",
    ) in rows
    skipped = {f.location.file: f.message for f in report.findings if f.code == "openfda.not-read"}
    assert "1 Food recall(s)" in skipped["recalls/enforcement-report.json"]
    assert "count results" in skipped["recalls/device-recall.json"]


def test_recall_fields_mapped_to_correction_removal(tmp_path, openfda):
    from evidence_kit._api import run

    bundle = _bundle(tmp_path, {"r.jsonl": (DATA / "openfda" / "enforcement-report.json").read_text()})
    records = run(bundle, pm=make_plugin_manager(("openfda", openfda))).records
    rec = records.get("Z-0102-2026", "correction_removal")
    assert rec.data["action_initiated"] == "2026-05-20" and "risk_to_health" not in rec.data
    assert rec.data["lots"] == ["Lot 8812"] and rec.data["classification"] == "Class II"


def test_maude_foi_files_joined_by_report_key(tmp_path, openfda):
    files = {f"maude/{p.name}": p for p in sorted((DATA / "maude").iterdir())}
    report = run_bundle(_bundle(tmp_path, files), ("openfda", openfda))
    assert _records(report, "maude/mdrfoi2026.txt") == (
        "3004567890-2026-00031",
        "3004567890-2026-00032",
        "3004567890-2026-00033",
    )
    joined = {f.location.file for f in report.findings if f.code == "openfda.foi-joined"}
    assert joined == {"maude/foidev2026.txt", "maude/foitext2026.txt", "maude/patient2026.txt"}
    rows = flatten(report, "code", "record", "field", "line")
    assert ("openfda.bad-date", "3004567890-2026-00032", "/aware_date", 3) in rows  # 13/01/2026
    assert ("openfda.bad-date", "3004567890-2026-00033", None, 4) in rows  # a device's 2027-02-30
    assert ("openfda.foi-encoding", None, None, None) in rows  # the Latin-1 narrative file


def test_maude_foi_record_content(tmp_path, openfda):
    from evidence_kit._api import run

    files = {p.name: p for p in (DATA / "maude").iterdir()}
    records = run(_bundle(tmp_path, files), pm=make_plugin_manager(("openfda", openfda))).records
    mdr = records.get("3004567890-2026-00031")
    assert mdr.data["aware_date"] == "2026-04-30" and mdr.data["submitted_at"] == "2026-05-18"
    assert mdr.data["udi"] == "(01)10197106131510(17)270131(10)LOT42"
    assert mdr.data["devices"][0]["brand_name"] == '"""CARDINAL HEALTH" PACK'  # quotes are data, not CSV quoting
    assert mdr.data["narrative"] == ["CUSTOMER REPORTED THE POUCH SEAL WAS OPEN | NO PATIENT INVOLVEMENT."]
    assert set(mdr.attachments) == {"foidev2026.txt", "foitext2026.txt", "patient2026.txt"}
    assert records.get("3004567890-2026-00033").data["report_type"] == "supplemental"


def test_sources_claim_only_what_they_recognise(tmp_path, openfda):
    firm_json = [{"record_type": "capa", "id": "CAPA-1", "recall_number": "Z-1-2026"}]
    bundle = _bundle(
        tmp_path,
        {"capas.json": str(firm_json).replace("'", '"'), "notes.txt": "MDR_REPORT_KEY is a column name\n"},
    )
    report = run_bundle(bundle, ("openfda", openfda))
    by_file = {o.file: o.source for o in report.inputs}
    assert by_file["capas.json"] == "json"  # evidence-kit's own form stays with the built-in source
    assert by_file["notes.txt"] is None


def test_a_firms_own_recall_export_is_not_claimed(tmp_path, openfda):
    toml = FIRM_TOML + '\n[[inputs]]\npath = "qms/*.json"\nrecord_type = "correction_removal"\n'
    own = [
        {"id": "CR-1", "recall_number": "Z-0001-2026", "reason_for_recall": "Label", "action_initiated": "2026-01-02"}
    ]
    report = run_bundle(
        _bundle(tmp_path, {"qms/corrections.json": str(own).replace("'", '"')}, toml), ("openfda", openfda)
    )
    (outcome,) = report.inputs[1:]
    assert (outcome.source, outcome.records) == ("json", ("CR-1",))


def test_without_the_plugin_the_builtin_json_source_rejects_openfda_files(tmp_path, openfda):
    bundle = _bundle(tmp_path, {"ev.json": DATA / "openfda" / "device-event-0001-of-0001.json"})
    report = run_bundle(bundle)
    assert {f.code for f in report.findings if f.location.file == "ev.json"} == {"ingest.unknown-record-type"}


def test_invalid_utf8_is_rejected_with_byte_offset(tmp_path, openfda):
    bundle = _bundle(tmp_path, {"device-event-x.json": b'{"mdr_report_key": "1", "x": "\xff"}'})
    report = run_bundle(bundle, ("openfda", openfda))
    (f,) = [f for f in report.findings if f.code == "ingest.malformed"]
    assert "byte offset 30" in f.message


def test_real_openfda_and_maude_files(tmp_path, openfda, corpus):
    real = corpus / "real"
    files = {f"openfda/{p.name}": p for p in (real / "openfda").glob("*.json")}
    files.update({f"maude/{p.name}": p for p in (real / "maude_raw").iterdir()})
    report = run_bundle(_bundle(tmp_path, files, MINIMAL_TOML), ("openfda", openfda))
    assert _records(report, "openfda/api_examples_device_event.json") == ("2024168-2012-02668",)
    assert _records(report, "openfda/maude_wide_sample_deviceevent.json") == ("2248721-2004-00001",)
    assert _records(report, "openfda/res_one_recall_device.json") == ("Z-1004-04",)
    res = _records(report, "openfda/res_enforcement_report_ucm308307.json")
    assert len(res) == 7 and all(r.startswith("Z-") for r in res)
    assert set(_records(report, "openfda/api_examples_device_recall.json")) == {"Z-0359-2013", "Z-0053-2020"}
    assert _records(report, "maude/foidev_sample.txt") == tuple(
        f"MDR-KEY-{k}" for k in ("1511544", "1511543", "1511542", "1511541", "538836")
    )
    crashes = [f for f in report.findings if f.code in ("ingest.source-crashed", "engine.rule-crashed")]
    assert not crashes and not [f for f in report.findings if f.code == "schema.invalid"]


def test_real_event_record_content(tmp_path, openfda, corpus):
    from evidence_kit._api import run

    src = corpus / "real" / "openfda" / "api_examples_device_event.json"
    bundle = _bundle(tmp_path, {"event.json": shutil.copy(src, tmp_path / "event.json")})
    mdr = run(bundle, pm=make_plugin_manager(("openfda", openfda))).records.get("2024168-2012-02668")
    assert (mdr.data["aware_date"], mdr.data["submitted_at"], mdr.data["event_date"]) == (
        "2012-05-08",
        "2012-04-26",
        "2012-04-02",
    )
    assert mdr.data["devices"][0]["lot_number"] == "1050441"
    assert mdr.data["devices"][0]["expiration_date"] == "2013-05-16"
