"""End to end: the firm's complaints, openFDA/MAUDE MDR data and a GUDID extract in one bundle.

The plugins come in through their entry points only (``get_plugin_manager()`` with entry points on).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from evidence_kit._api import run
from evidence_kit._plugins import get_plugin_manager
from evidence_kit.testing import flatten, write_bundle

from .conftest import ROOT

DATA = ROOT / "tests" / "data"

TOML = """\
[establishment]
name = "Test Devices Inc."
fei = "{fei}"

[inspection]
profile = "fda-qmsr"
as_of = "2026-11-30T12:00:00+00:00"

[[inputs]]
path = "complaints/*.json"
record_type = "complaint"
"""

COMPLAINTS = [
    {
        "id": "CMP-101",
        "device_name": "CARDINAL HEALTH dental pack",
        "received_date": "2026-03-02",
        "aware_date": "2026-03-02",
        "udi": "(01)10197106131510(17)270131(10)LOT42",
        "description": "Pouch seal found open before use.",
        "mdr_decision": {"reportable": True, "decision_date": "2026-03-10", "report_number": "3004567890-2026-00012"},
    },
    {
        "id": "CMP-102",
        "device_name": "CARDINAL HEALTH oral surgery pack",
        "received_date": "2026-04-01",
        "udi": "(01)10197106126486(17)270228(10)LOT77",
        "description": "Sharp edge on tray.",
        "mdr_decision": {"reportable": False, "decision_date": "2026-04-20", "rationale": "No injury."},
    },
    {
        "id": "CMP-103",
        "device_name": "Suction canister",
        "received_date": "2026-05-01",
        "udi": "(01)00000000000000(10)A1",
        "description": "Canister cracked.",
    },
]


def _bundle(tmp_path: Path) -> Path:
    files: dict[str, object] = {
        "complaints/complaints.json": COMPLAINTS,
        "openfda/device-event-0001-of-0001.json": DATA / "openfda" / "device-event-0001-of-0001.json",
        "gudid/gudid_extract_2026-06.xml": DATA / "gudid" / "gudid_extract_2026-06.xml",
    }
    files.update({f"maude/{p.name}": p for p in (DATA / "maude").iterdir()})
    return write_bundle(tmp_path / "firm", files, TOML.format(fei="3004567890"))


def test_mixed_bundle_links_complaints_mdrs_and_gudid(tmp_path, plugin_dists):
    result = run(_bundle(tmp_path), pm=get_plugin_manager())
    report, records = result.report, result.records
    assert {o.file: o.source for o in report.inputs if o.records} == {
        "complaints/complaints.json": "json",
        "openfda/device-event-0001-of-0001.json": "openfda-json",
        "gudid/gudid_extract_2026-06.xml": "gudid-xml",
        "maude/mdrfoi2026.txt": "maude-foi",
    }
    assert len(records.of_type("complaint")) == 3 and len(records.of_type("device_master")) == 2
    assert len(records.of_type("mdr_report")) == 6
    assert not [f for f in report.findings if f.code.startswith(("schema.", "engine."))]
    rows = set(flatten(report))
    # cross-links resolved: CMP-101 ↔ MDR -00012 by report number, CMP-101's UDI found in GUDID with its PI
    link_codes = ("openfda.", "gudid.", "udi.", "reporting.mdr-report-missing", "linkage.")
    linked = {r for r in rows if r[2] in ("CMP-101", "3004567890-2026-00012") and r[0].startswith(link_codes)}
    assert linked == {("openfda.aware-date-mismatch", "complaints/complaints.json", "CMP-101", "/aware_date")}
    assert not [r for r in rows if r[0].startswith("gudid.") and r[1] == "complaints/complaints.json"]  # no doubles
    # …and every unresolved link is a finding naming the file, the record and the field
    assert {
        ("openfda.complaint-not-reportable", "complaints/complaints.json", "CMP-102", "/mdr_decision/reportable"),
        ("udi.pi-missing", "complaints/complaints.json", "CMP-102", "/udi"),  # core rule, against GUDID's records
        ("udi.di-not-in-master", "complaints/complaints.json", "CMP-103", "/udi"),
        ("gudid.pi-missing", "openfda/device-event-0001-of-0001.json", "3004567890-2026-00019", "/udi"),
        ("openfda.mdr-without-complaint", "maude/mdrfoi2026.txt", "3004567890-2026-00032", "/report_number"),
        ("openfda.mdr-without-complaint", "maude/mdrfoi2026.txt", "3004567890-2026-00033", "/report_number"),
        ("openfda.bad-date", "openfda/device-event-0001-of-0001.json", "3004567890-2026-00019", "/aware_date"),
        ("gudid.package-chain", "gudid/gudid_extract_2026-06.xml", "GUDID-10197106126486", "/package_dis"),
    } <= rows
    assert not [r for r in rows if r[0] == "openfda.mdr-without-complaint" and "9999999" in str(r[2])]
    mismatch = next(f for f in report.findings if f.code == "openfda.aware-date-mismatch")
    assert "MDR 3004567890-2026-00031 (maude/mdrfoi2026.txt, matched by UDI) told FDA 2026-04-30" in mismatch.message


def test_mixed_bundle_through_the_cli(tmp_path, plugin_dists):
    bundle = _bundle(tmp_path)
    proc = subprocess.run(
        [sys.executable, "-m", "evidence_kit", "validate", str(bundle), "-q", "--format", "json"],
        capture_output=True,
        text=True,
        env=plugin_dists,
    )
    assert proc.returncode == 1, proc.stderr
    report = json.loads(proc.stdout)
    assert {"openfda", "gudid"} <= {p["name"] for p in report["plugins"]}
    codes = {f["code"] for f in report["findings"]}
    assert {"openfda.mdr-without-complaint", "gudid.pi-missing", "udi.pi-missing", "openfda.bad-date"} <= codes


def test_real_openfda_and_gudid_with_firm_complaints(tmp_path, plugin_dists, corpus):
    real = corpus / "real"
    complaints = [
        {
            "id": "CMP-2012-0044",
            "device_name": "XIENCE V stent",
            "received_date": "2012-05-01",
            "aware_date": "2012-05-01",
            "description": "Stent could not cross the lesion.",
            "mdr_decision": {"reportable": True, "report_number": "2024168-2012-02668"},
        },
        {
            "id": "CMP-2025-0007",
            "device_name": "CARDINAL HEALTH dental pack",
            "received_date": "2025-06-01",
            "udi": "(01)10197106131510(10)LOT9",
            "description": "Pack opened.",
        },
    ]
    files: dict[str, object] = {
        "complaints/complaints.json": complaints,
        "openfda/api_examples_device_event.json": real / "openfda" / "api_examples_device_event.json",
        "gudid/dental.xml": real / "gudid" / "gudid_fullrelease_2025-05-01_part62_dental.xml",
    }
    bundle = write_bundle(tmp_path / "real", files, TOML.format(fei="2024168"))
    report = run(bundle, pm=get_plugin_manager()).report
    rows = set(flatten(report))
    assert not [r for r in rows if r[0] == "openfda.mdr-without-complaint"]  # linked by report number
    assert ("openfda.aware-date-mismatch", "complaints/complaints.json", "CMP-2012-0044", "/aware_date") in rows
    assert ("udi.pi-missing", "complaints/complaints.json", "CMP-2025-0007", "/udi") in rows
    f = next(f for f in report.findings if f.code == "openfda.aware-date-mismatch")
    assert "MDR 2024168-2012-02668 (openfda/api_examples_device_event.json" in f.message and "2012-05-08" in f.message
    g = next(f for f in report.findings if f.code == "udi.pi-missing")
    assert "gudid/dental.xml:" in g.message and "expiry date" in g.message
