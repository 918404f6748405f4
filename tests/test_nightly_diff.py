"""`evidence-kit diff OLD NEW`: records added/removed/changed, and closed records altered afterwards."""

from __future__ import annotations

import json
import shutil

from evidence_kit._diff import digest_record
from evidence_kit.cli import ExitCode
from evidence_kit.model import Location, Record, RecordDigest, RecordDigests

from .nightly_helpers import TOML, capa, complaint, files, write

CLOSED = {"status": "closed", "closed_date": "2026-02-01"}


def _bundle(make_bundle):
    return make_bundle(
        files([complaint(1, **CLOSED), complaint(2), complaint(3)], [capa(1), capa(2), capa(3)]), toml=TOML
    )


def _edit(bundle):
    """CMP-1 (closed) gets a new description, CMP-2 (open) a new lot, CMP-3 goes, CMP-4 arrives."""
    write(bundle, "complaints/c000.json", [complaint(1, **CLOSED, description="edited later"), complaint(2, lot="L7")])
    write(bundle, "complaints/c001.json", [complaint(4)])


def test_diff_two_reports_lists_changes_and_flags_closed_record(cli, make_bundle, tmp_path):
    bundle = _bundle(make_bundle)
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    cli("validate", bundle, "-q", "--write-baseline", old)
    _edit(bundle)
    cli("validate", bundle, "-q", "--write-baseline", new)

    code, out, _ = cli("diff", old, new, "--format", "json")
    assert code == ExitCode.FINDINGS
    d = json.loads(out)
    assert d["counts"] == {"added": 1, "removed": 1, "changed": 2}
    assert [r["id"] for r in d["added"]] == ["CMP-4"]
    assert [r["id"] for r in d["removed"]] == ["CMP-3"]
    assert {c["id"]: c["fields"] for c in d["changed"]} == {"CMP-1": ["/description"], "CMP-2": ["/lot"]}
    (f,) = d["findings"]
    assert f["code"] == "records.altered-after-closure"
    assert f["cites"] == ["21 CFR 11.10(e)", "ISO 13485:2016 4.2.5"]
    assert f["location"]["record"] == "CMP-1" and f["location"]["file"] == "complaints/c000.json"
    assert "closed" in f["message"] and "/description" in f["message"]

    code, text, _ = cli("diff", old, new)
    assert "1 added, 1 removed, 2 changed, 1 data-integrity findings" in text
    assert "~ complaint:CMP-2  (complaints/c000.json): /lot" in text


def test_diff_two_bundles_gives_the_same_answer(cli, make_bundle, tmp_path):
    bundle = _bundle(make_bundle)
    old_copy = tmp_path / "old_bundle"
    shutil.copytree(bundle, old_copy)
    _edit(bundle)
    code, out, _ = cli("diff", old_copy, bundle, "--format", "json", "--no-cache")
    assert code == ExitCode.FINDINGS
    d = json.loads(out)
    assert d["counts"] == {"added": 1, "removed": 1, "changed": 2}
    assert [f["location"]["record"] for f in d["findings"]] == ["CMP-1"]


def test_unchanged_sides_exit_0(cli, make_bundle, tmp_path):
    bundle = _bundle(make_bundle)
    old = tmp_path / "old.json"
    cli("validate", bundle, "-q", "--write-baseline", old)
    code, out, _ = cli("diff", old, bundle)
    assert code == ExitCode.OK
    assert "0 added, 0 removed, 0 changed, 0 data-integrity findings" in out


def test_deleting_an_approved_record_is_flagged(cli, make_bundle, tmp_path):
    signed = {"signatures": [{"printed_name": "A. Roe", "signed_at": "2026-02-01T10:00:00Z", "meaning": "Approval"}]}
    bundle = make_bundle(files([complaint(1), complaint(2)], [capa(1, **signed), capa(2)]), toml=TOML)
    old = tmp_path / "old.json"
    cli("validate", bundle, "-q", "--write-baseline", old)
    write(bundle, "capas.jsonl", json.dumps(capa(2)) + "\n")
    code, out, _ = cli("diff", old, bundle, "--format", "json")
    assert code == ExitCode.FINDINGS
    (f,) = json.loads(out)["findings"]
    assert f["location"]["record"] == "CAPA-1" and "deleted" in f["message"] and "approved" in f["message"]


def test_baseline_run_adds_the_integrity_finding_to_the_report(cli, make_bundle, tmp_path):
    bundle = _bundle(make_bundle)
    old = tmp_path / "old.json"
    cli("validate", bundle, "-q", "--write-baseline", old)
    _edit(bundle)
    code, out, _ = cli("validate", bundle, "-q", "--baseline", old, "--format", "json")
    assert code == ExitCode.FINDINGS
    found = [f for f in json.loads(out)["findings"] if f["code"] == "records.altered-after-closure"]
    assert [(f["location"]["record"], f["baseline"]) for f in found] == [("CMP-1", "new")]


def test_report_without_digests_cannot_be_diffed(cli, make_bundle, tmp_path):
    bundle = _bundle(make_bundle)
    old = tmp_path / "old.json"
    cli("validate", bundle, "-q", "--write-baseline", old)
    data = json.loads(old.read_text())
    del data["records"]
    old.write_text(json.dumps(data))
    code, _, err = cli("diff", old, bundle)
    assert code == ExitCode.USAGE
    assert "has no record digests" in err


def test_digest_markers():
    def rec(data):
        return Record("capa", "C-1", {"id": "C-1", **data}, Location("c.json", "C-1"), "0" * 64, "json")

    assert digest_record(rec({"status": "Closed"})).closed
    assert digest_record(rec({"closed_at": "2026-01-01"})).closed
    assert not digest_record(rec({"status": "open"})).closed
    assert digest_record(rec({"status": "approved"})).approved
    sig = {"signed_at": "2026-01-01T00:00:00Z", "meaning": "Reviewed"}
    assert not digest_record(rec({"signatures": [sig]})).approved
    assert digest_record(rec({"signatures": [{**sig, "meaning": "Released for use"}]})).approved
    a, b = digest_record(rec({"status": "open"})), digest_record(rec({"status": "closed"}))
    assert a.fields["id"] == b.fields["id"] and a.fields["status"] != b.fields["status"] and a.sha256 != b.sha256


def test_digest_equals_record_digest_and_report_lines_are_sorted_one_line_json():
    data = {"id": "C-1", "z": [1, 2.5, None, {"b": 'é\n"', "a": True}], "a": "ünï", "n": 3, "e": {}, "l": []}
    rec = Record("capa", "C-1", data, Location('dir/"q".json', "C-1"), "0" * 64, "json")
    d = digest_record(rec)
    assert d.sha256 == rec.digest()
    line = d.to_line()
    assert "\n" not in line and json.loads(line) == d.to_dict()
    assert line == json.dumps(d.to_dict(), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    assert RecordDigest.from_line(line) == d
    closed = digest_record(Record("capa", "C-1", {**data, "status": "closed"}, rec.location, "0" * 64, "json"))
    assert json.loads(closed.to_line()) == closed.to_dict()
    held = RecordDigests.of([d, closed])
    assert len(held) == 2 and held.lines == (line, closed.to_line())
    assert held == (d, closed) and held[1] == closed and list(held) == [d, closed] and held == RecordDigests(held.lines)


def test_rewritten_baseline_keeps_the_integrity_finding_until_the_record_changes_again(cli, make_bundle, tmp_path):
    """Re-baselining accepts an edit of a closed record: the finding stays open, it is never called fixed."""
    bundle = _bundle(make_bundle)
    first, second = tmp_path / "first.json", tmp_path / "second.json"
    cli("validate", bundle, "-q", "--write-baseline", first)
    _edit(bundle)
    cli("validate", bundle, "-q", "--baseline", first, "--write-baseline", second)
    code, out, _ = cli("validate", bundle, "-q", "--baseline", second, "--format", "json")
    data = json.loads(out)
    assert code == ExitCode.OK, "accepted in the baseline: not new"
    found = [f for f in data["findings"] if f["code"] == "records.altered-after-closure"]
    assert [(f["location"]["record"], f["baseline"]) for f in found] == [("CMP-1", "open")]
    assert data["baseline"]["counts"]["fixed"] == 0
    # restoring the closed record's original content is a change again: compared afresh, so the carried finding goes
    write(bundle, "complaints/c000.json", [complaint(1, **CLOSED), complaint(2, lot="L7")])
    _, out, _ = cli("validate", bundle, "-q", "--baseline", second, "--format", "json")
    data = json.loads(out)
    found = [f for f in data["findings"] if f["code"] == "records.altered-after-closure"]
    assert [(f["location"]["record"], f["baseline"]) for f in found] == [("CMP-1", "new")]
