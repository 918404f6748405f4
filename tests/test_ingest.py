"""Every file is accounted for; bad input becomes findings, never crashes."""

from __future__ import annotations

import hashlib
import os

import pytest

from evidence_kit._api import run
from evidence_kit._io import sha256_file, sha256_head_size

from .conftest import MINIMAL_TOML


def outcomes(report):
    return {o.file: o for o in report.inputs}


def test_unreadable_and_unknown_files_are_listed_with_reasons(make_bundle, tmp_path):
    bundle = make_bundle({"notes.docx": b"PK\x03\x04...", "c.json": [{"id": "CMP-1", "record_type": "complaint"}]})
    os.symlink(bundle / "gone.json", bundle / "dangling.json")  # target missing: unreadable
    os.symlink(tmp_path, bundle / "escape")  # leaves the bundle
    os.mkfifo(bundle / "pipe.json")
    report = run(bundle).report
    out = outcomes(report)
    assert out["c.json"].bound and out["c.json"].records == ("CMP-1",)
    assert out["notes.docx"].excluded_by == "ingest.no-source"
    assert out["dangling.json"].excluded_by == "ingest.unreadable"
    assert out["pipe.json"].excluded_by == "ingest.unreadable"
    assert out["escape"].excluded_by == "ingest.outside-bundle"
    assert out["evidence-kit.toml"].bound and out["evidence-kit.toml"].source == "config"
    for o in report.inputs:
        assert o.bound or (o.excluded_by and o.reason), o
    by_file = {f.location.file: f for f in report.findings}
    assert "cannot be read" in by_file["dangling.json"].message


def test_malformed_json_names_file_and_line(make_bundle):
    bundle = make_bundle({"c.json": '[{"id": "CMP-1", "record_type": "complaint"},\n {"id": "CMP-2",, }]'})
    report = run(bundle).report
    (f,) = [f for f in report.findings if f.code == "ingest.malformed"]
    assert f.location.file == "c.json" and f.location.line == 2
    assert outcomes(report)["c.json"].records == ("CMP-1",)


def test_strict_json_policy(make_bundle):
    bundle = make_bundle(
        {
            "dup.json": '{"id": "CMP-1", "record_type": "complaint", "status": "open", "status": "closed"}',
            "nan.json": '{"id": "CMP-2", "record_type": "complaint", "x": NaN}',
            "deep.json": "[" * 100 + "]" * 100,
            "latin1.json": b'{"id": "CMP-3", "description": "caf\xe9"}',
        }
    )
    out = outcomes(run(bundle).report)
    assert "duplicate key 'status'" in out["dup.json"].reason
    assert "NaN is not valid JSON" in out["nan.json"].reason
    assert "nesting deeper than 64" in out["deep.json"].reason
    assert "byte offset 35" in out["latin1.json"].reason


def test_jsonl_line_numbers_and_bad_line_skipped(make_bundle):
    toml = MINIMAL_TOML + '\n[[inputs]]\npath = "capas.jsonl"\nrecord_type = "capa"\n'
    bundle = make_bundle(
        {"capas.jsonl": '{"id": "CAPA-1"}\n\n{"id": "CAPA-2", "opened_at": "yesterday"}\n{oops\n'}, toml=toml
    )
    report = run(bundle).report
    by_code = {f.code: f for f in report.findings}
    assert by_code["schema.invalid"].location.line == 3 and by_code["schema.invalid"].location.field == "/opened_at"
    assert by_code["ingest.malformed"].location.line == 4
    assert outcomes(report)["capas.jsonl"].records == ("CAPA-1", "CAPA-2")


def test_duplicate_ids_across_files(make_bundle):
    toml = MINIMAL_TOML + '\n[[inputs]]\npath = "*.json"\nrecord_type = "capa"\n'
    bundle = make_bundle({"a.json": {"id": "CAPA-1"}, "b.json": {"id": "CAPA-1"}}, toml=toml)
    dups = [f for f in run(bundle).report.findings if f.code == "records.duplicate-id"]
    assert {f.location.file for f in dups} == {"a.json", "b.json"}
    assert "a.json" in dups[0].message and "b.json" in dups[0].message


def test_excluded_by_config(make_bundle):
    toml = MINIMAL_TOML + '\n[[exclude]]\npath = "scratch/*"\nreason = "working notes"\n'
    bundle = make_bundle({"scratch/n.txt": "x"}, toml=toml)
    (o,) = [o for o in run(bundle).report.inputs if o.file == "scratch/n.txt"]
    assert o.excluded_by == "ingest.excluded" and o.reason == "working notes"


def test_config_paths_may_not_leave_bundle(make_bundle):
    import pytest

    from evidence_kit.errors import ConfigError

    bundle = make_bundle({}, toml=MINIMAL_TOML + '\n[[inputs]]\npath = "../secret.json"\n')
    with pytest.raises(ConfigError, match="leaves the bundle"):
        run(bundle)


@pytest.mark.parametrize("size", [0, 10, 4096, (1 << 20) + 1, (3 << 20) + 5])
def test_hash_head_and_size_come_from_one_read(tmp_path, size):
    data = bytes(range(256)) * (size // 256) + b"x" * (size % 256)
    path = tmp_path / "f.bin"
    path.write_bytes(data)
    assert sha256_head_size(path, 4096) == (hashlib.sha256(data).hexdigest(), data[:4096], size)
    assert sha256_file(path) == hashlib.sha256(data).hexdigest()
