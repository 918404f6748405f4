"""The example generator: byte-for-byte reproduction of the committed bundles, seeds, sizes, GS1 digits."""

from __future__ import annotations

import json

import pytest

from evidence_kit.examples import PROFILES, build, generate, main
from evidence_kit.examples._kit import gs1_check_digit, gtin14, wrong_check

from .conftest import ROOT


def _tree(root):
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("folder", [folder for folder, _ in PROFILES.values()])
def test_generator_reproduces_the_committed_bundle_byte_for_byte(tmp_path, folder):
    profile = next(p for p, (f, _) in PROFILES.items() if f == folder)
    generate(tmp_path, profiles=[profile])
    committed, fresh = _tree(ROOT / folder), _tree(tmp_path / folder)
    assert sorted(committed) == sorted(fresh), "file lists differ; run `python -m evidence_kit.examples`"
    changed = [rel for rel in committed if committed[rel] != fresh[rel]]
    assert not changed, f"{folder}: these files differ from a fresh generation: {changed}"


def test_the_seed_fixes_everything_and_changes_the_data():
    a, b, c = build("fda-qmsr", seed=7), build("fda-qmsr", seed=7), build("fda-qmsr", seed=8)
    assert a.files == b.files
    assert a.files["exports/eqms/complaints.json"] != c.files["exports/eqms/complaints.json"]


@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_size_scales_records_and_keeps_ids_unique(profile):
    one, three = build(profile, size=1), build(profile, size=3)
    assert len(three.defects) > 2 * len(one.defects)
    for rel, data in three.files.items():
        if rel.endswith(".json") and rel.startswith("exports/"):
            rows = json.loads(data)
            ids = [r["id"] for r in rows]
            assert len(ids) == len(set(ids)), rel
        if rel.endswith(".jsonl"):
            ids = [json.loads(line)["id"] for line in data.decode().splitlines()]
            assert len(ids) == len(set(ids)), rel
    complaints = {"fda-qmsr": "exports/eqms/complaints.json", "qmm": "exports/qms/drug_complaints.json"}[profile]
    assert len(json.loads(three.files[complaints])) == 3 * len(json.loads(one.files[complaints]))


def test_device_bundle_has_about_sixty_complaints_and_twenty_lots():
    files = build("fda-qmsr").files
    complaints = json.loads(files["exports/eqms/complaints.json"])
    forms = [rel for rel in files if rel.startswith("forms/complaint_intake/")]
    assert 55 <= len(complaints) + len(forms) <= 65
    assert any(c.get("mdr_decision", {}).get("reportable") for c in complaints)
    assert 13 <= len(files["exports/eqms/capas.jsonl"].decode().splitlines()) <= 17
    lots = [rel for rel in files if rel.startswith("records/lot_release/")]
    assert len(lots) == 20
    capa_triggers = {t["type"] for line in files["exports/eqms/capas.jsonl"].decode().splitlines()
                     for t in json.loads(line)["triggers"]}  # fmt: skip
    assert {"complaint", "nonconformance", "internal_audit"} <= capa_triggers


def test_gs1_check_digits():
    assert gs1_check_digit("5102222223333") == "6"  # FDA's worked example (01)51022222233336
    assert gtin14("0081234510020")[-1] == gs1_check_digit("0081234510020")
    assert wrong_check("00812345100203") != "00812345100203"
    master = json.loads(build("fda-qmsr").files["exports/udi/device_master.json"])
    valid = [m["di"][-1] == gs1_check_digit(m["di"][:-1]) for m in master]
    assert valid.count(False) == 1  # exactly the one seeded defect


def test_cli_writes_into_out(tmp_path, capsys):
    assert main(["--out", str(tmp_path), "--profile", "qmm"]) == 0
    assert (tmp_path / "example_bundle_qmm" / "evidence-kit.toml").is_file()
    assert not (tmp_path / "example_bundle").exists()
    assert "example_bundle_qmm" in capsys.readouterr().out


def test_update_golden_refuses_non_default_bundles(tmp_path):
    with pytest.raises(SystemExit):
        main(["--out", str(tmp_path), "--seed", "3", "--update-golden", str(tmp_path / "g.json")])
