"""evidence-kit-gudid: GUDID release XML into device_master records, and every UDI checked against GUDID."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from evidence_kit import Record, RecordSet
from evidence_kit._api import run
from evidence_kit._plugins import build_registry, get_plugin_manager
from evidence_kit.testing import flatten, make_plugin_manager, make_record, run_bundle, run_rule, write_bundle

from .conftest import MINIMAL_TOML, ROOT

SAMPLE = ROOT / "tests" / "data" / "gudid" / "gudid_extract_2026-06.xml"


@pytest.fixture
def gudid(plugin_dists: dict[str, str]) -> ModuleType:
    return importlib.import_module("evidence_kit_gudid.plugin")


@pytest.fixture
def master(tmp_path: Path, gudid: ModuleType) -> tuple[Record, ...]:
    bundle = write_bundle(tmp_path / "g", {"gudid/extract.xml": SAMPLE})
    return run(bundle, pm=make_plugin_manager(("gudid", gudid))).records.of_type("device_master")


def test_loads_through_entry_point_and_lists_version(plugin_dists):
    reg = build_registry(get_plugin_manager())
    (info,) = [p for p in reg.plugins if p.name == "gudid"]
    assert info.origin == "distribution evidence-kit-gudid" and info.version == "0.1.0"
    assert {"gudid.di-unknown", "gudid.brand-mismatch", "gudid.model-mismatch", "gudid.pi-missing"} <= set(reg.rules)
    listing = subprocess.run(
        [sys.executable, "-m", "evidence_kit", "plugins"], capture_output=True, text=True, env=plugin_dists, check=True
    ).stdout
    (line,) = [ln for ln in listing.splitlines() if ln.startswith("gudid ")]
    assert "0.1.0" in line and "distribution evidence-kit-gudid" in line and "rules, sources" in line


def test_release_xml_with_bom_nil_and_package_chains(master):
    first, second = master
    assert (first.id, second.id) == ("GUDID-10197106131510", "GUDID-10197106126486")
    assert first.source == "gudid-xml" and first.location.line == 3
    assert first.data["device_name"] == "CARDINAL HEALTH" and first.data["version_model"] == "SEN11DNHHH"
    assert first.data["lot_controlled"] is True and first.data["expiration_date_controlled"] is True
    assert first.data["serial_controlled"] is False and first.data["issuing_agency"] == "GS1"
    assert "marketing_ended" not in first.data  # xsi:nil="true"
    assert second.data["marketing_ended"] == "2026-09-30" and second.data["manufacturing_date_controlled"] is True
    assert [p["di"] for p in first.data["package_dis"]] == ["50197106131518", "30197106131514"]
    assert first.data["package_dis"][0] == {
        "di": "50197106131518",
        "agency": "GS1",
        "contains": "30197106131514",
        "quantity": "3",
        "package_type": "CASE",
        "package_status": "In Commercial Distribution",
    }


def test_broken_package_chain_is_a_finding(tmp_path, gudid):
    report = run_bundle(write_bundle(tmp_path / "g", {"extract.xml": SAMPLE}), ("gudid", gudid))
    (f,) = [f for f in report.findings if f.code == "gudid.package-chain"]
    assert (f.location.file, f.location.record, f.location.line) == (
        "extract.xml",
        "GUDID-10197106126486",
        67,
    )  # its <identifier>
    assert "50197106126484" in f.message and "ends at 50197106126499" in f.message


def test_doctype_and_entities_are_refused(tmp_path, gudid):
    evil = (
        '<?xml version="1.0"?>\n<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
        '<devices><device xmlns="http://www.fda.gov/cdrh/gudid"><brandName>&x;</brandName></device></devices>\n'
    )
    report = run_bundle(write_bundle(tmp_path / "g", {"evil.xml": evil}), ("gudid", gudid))
    assert report.record_count == 0
    (f,) = [f for f in report.findings if f.location.file == "evil.xml" and f.code == "ingest.malformed"]
    assert "DOCTYPE" in f.message and "root:" not in f.message


def test_malformed_xml_is_a_finding_with_line(tmp_path, gudid):
    text = SAMPLE.read_text(encoding="utf-8-sig").replace("</devices>", "")
    report = run_bundle(write_bundle(tmp_path / "g", {"cut.xml": text}), ("gudid", gudid))
    assert report.record_count == 0  # evidence is not guessed at: a broken file is refused whole
    (f,) = [f for f in report.findings if f.location.file == "cut.xml"]
    assert f.code == "ingest.malformed" and f.location.line and "not well-formed" in f.message


def _complaint(udi: str, type: str = "complaint", **data: object) -> Record:
    return make_record(type, "CMP-1", file="complaints.json", line=4, udi=udi, **data)


FIRM_MASTER = make_record("device_master", "DM-7", file="erp/master.json", source="json", di="00812345000017")


@pytest.mark.parametrize(
    ("udi", "kind", "extra", "data", "expected"),
    [
        ("(01)10197106131510(17)270131(10)LOT42", "complaint", [], {"device_name": "Cardinal Health dental pack"}, []),
        ("(01)50197106131518(17)270131(10)LOT42", "complaint", [], {}, []),  # a package DI resolves through GUDID
        ("0110197106131510172701311" + "0LOT42", "complaint", [], {}, []),  # element string, no parentheses
        # what the built-in udi.* rules already report is not reported twice
        ("(01)00000000000000(10)X", "complaint", [], {}, []),  # udi.di-not-in-master
        ("not a udi", "complaint", [], {}, []),  # udi.syntax
        ("(01)10197106131510(10)LOT42", "complaint", [], {}, []),  # udi.pi-missing (primary DI)
        # …and what they cannot see is
        ("(01)50197106131518(10)LOT42", "complaint", [], {}, [("gudid.pi-missing", "/udi")]),  # package DI
        ("(01)10197106131510(10)LOT42", "mdr_report", [], {}, [("gudid.pi-missing", "/udi")]),  # MDRs
        ("(01)00000000000000(10)X", "mdr_report", [], {}, [("gudid.di-unknown", "/udi")]),
        ("(01)00812345000017(10)X", "complaint", [FIRM_MASTER], {}, [("gudid.di-unknown", "/udi")]),  # not in GUDID
        (
            "(01)10197106131510(17)270131(10)L1",
            "complaint",
            [],
            {"device_name": "Acme tray"},
            [("gudid.brand-mismatch", "/device_name")],
        ),
        (
            "(01)10197106131510(17)270131(10)L1",
            "complaint",
            [],
            {"version_model": "SEN99"},
            [("gudid.model-mismatch", "/version_model")],
        ),
    ],
)
def test_udi_checked_against_gudid(gudid, master, udi, kind, extra, data, expected):
    from evidence_kit_gudid.rules import RULES

    records = RecordSet.of([*master, *extra, _complaint(udi, kind, **data)])
    found = [row for r in RULES for row in flatten(run_rule(r, records), "code", "field")]
    assert sorted(found) == expected


def test_pi_missing_names_what_is_missing(gudid, master):
    from evidence_kit_gudid.rules import pi_missing

    records = RecordSet.of([*master, _complaint("(01)50197106126484", "mdr_report")])
    (f,) = run_rule(pi_missing, records)
    assert (f.location.file, f.location.record, f.location.line) == ("complaints.json", "CMP-1", 4)
    assert all(w in f.message for w in ("lot or batch (AI 10)", "expiry date (AI 17)", "manufacture date (AI 11)"))
    assert "(package DI of 10197106126486)" in f.message


def test_di_unknown_says_the_device_was_never_published(gudid, master):
    from evidence_kit_gudid.rules import di_unknown

    (f,) = run_rule(di_unknown, RecordSet.of([*master, FIRM_MASTER, _complaint("(01)00812345000017(10)X")]))
    assert "never to have been published to GUDID" in f.message and "00812345000017" in f.message


def test_rules_are_silent_without_a_gudid_extract(gudid):
    from evidence_kit_gudid.rules import RULES

    records = [_complaint("(01)00000000000000(10)X")]
    assert [f for r in RULES for f in run_rule(r, records)] == []


def test_hibcc_and_iccbba_udis_are_split(gudid):
    from evidence_kit_gudid.udi import parse_udi

    hibcc = parse_udi("+H123IPX21/$$3270101LOTA7")
    assert hibcc is not None and hibcc.agency == "HIBCC" and hibcc.di == "+H123IPX21" and hibcc.pi == {"expiry", "lot"}
    isbt = parse_udi("=/A9999XYZ100T0944=,000025=A99971312345600=>014032=}013032&,1000000000000XYZ123")
    assert isbt is not None and isbt.di == "A9999XYZ100T0944"
    assert isbt.pi == {"serial", "expiry", "manufacture_date", "lot"}


def test_real_gudid_release_files(tmp_path, gudid, corpus):
    real = corpus / "real" / "gudid"
    bundle = write_bundle(tmp_path / "g", {p.name: p for p in real.glob("*.xml")}, MINIMAL_TOML)
    result = run(bundle, pm=make_plugin_manager(("gudid", gudid)))
    masters = result.records.of_type("device_master")
    assert len(masters) == 45
    dental = [r for r in masters if r.location.file == "gudid_fullrelease_2025-05-01_part62_dental.xml"]
    assert len(dental) == 44 and all(r.data["package_dis"] for r in dental)
    first = result.records.get("GUDID-10197106131510")
    assert first is not None and first.data["device_name"] == "CARDINAL HEALTH"
    assert first.data["package_dis"][0]["contains"] == "10197106131510"
    chain = [f for f in result.report.findings if f.code == "gudid.package-chain"]
    assert [(f.location.file, f.location.record) for f in chain] == [
        ("openfda_gudid_device_test.xml", "GUDID-00844588018923")
    ]
    assert not [f for f in result.report.findings if f.code.startswith(("schema.", "ingest."))]


def test_accessgudid_lookup_json_single_identifier(tmp_path, gudid):
    sample = ROOT / "tests" / "data" / "gudid" / "accessgudid_lookup_00812345000017.json"
    result = run(write_bundle(tmp_path / "g", {"lookup.json": sample}), pm=make_plugin_manager(("gudid", gudid)))
    (rec,) = result.records.of_type("device_master")
    assert rec.source == "accessgudid-json" and rec.id == "GUDID-00812345000017"
    assert (rec.data["device_name"], rec.data["version_model"], rec.data["gudid_published"]) == (
        "SUCTION CANISTER",
        "SC-1200",
        "2026-01-05",
    )
    assert rec.data["lot_controlled"] is True and "marketing_ended" not in rec.data
    assert not [f for f in result.report.findings if f.code.startswith(("gudid.", "ingest.", "schema."))]


def test_real_accessgudid_lookup_and_history_agree(tmp_path, gudid, corpus):
    real = corpus / "real" / "accessgudid"
    files = {p.name: p for p in real.glob("json_devices_*.json")}
    result = run(write_bundle(tmp_path / "g", files, MINIMAL_TOML), pm=make_plugin_manager(("gudid", gudid)))
    by_file = {r.location.file: r for r in result.records.of_type("device_master")}
    assert set(by_file) == set(files)  # parse_udi responses are not device records and are not claimed
    lookup = by_file["json_devices_lookup_by_device_identifier_code.json"]
    history = by_file["json_devices_history_by_device_identifier_code.json"]
    assert lookup.id == history.id == "GUDID-08717648200274"
    assert history.location.path == "/history/3/xml[deviceId='08717648200274']"  # the newest version
    assert dict(lookup.data) == dict(history.data)
    assert lookup.data["device_name"] == "XIENCE ALPINE" and lookup.data["expiration_date_controlled"] is True
