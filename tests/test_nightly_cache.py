"""The incremental cache (keys, crash safety, --no-cache) and --jobs (byte-identical to a serial run)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from evidence_kit import _io
from evidence_kit._api import run
from evidence_kit._cache import FileCache
from evidence_kit._plugins import build_registry, get_plugin_manager
from evidence_kit.cli import ExitCode

from .nightly_helpers import TOML, capa, complaint, files, write

N_COMPLAINTS = 12  # 6 complaint files + capas.jsonl = 7 cacheable files (the config file is not cached)


def _bundle(make_bundle):
    complaints = [complaint(n) for n in range(1, N_COMPLAINTS + 1)]
    complaints[3] = complaint(4, received_date="not a date")  # a schema finding, cached with its file
    capas = [capa(n) for n in range(1, N_COMPLAINTS)]  # CAPA-12 is missing: a cross-record finding
    return make_bundle(files(complaints, capas), toml=TOML)


def _entries(cache: Path) -> list[Path]:
    """The per-file ingest entries (record-rule entries live apart, under v5/rules/)."""
    return sorted(p for p in cache.rglob("*.json") if "rules" not in p.relative_to(cache).parts)


def test_second_run_reuses_every_file_and_gives_the_same_report(make_bundle, tmp_path):
    bundle, cache = _bundle(make_bundle), tmp_path / "cache"
    cold = run(bundle, cache_dir=cache)
    assert cold.cache is not None and (cold.cache.hits, cold.cache.misses) == (0, 7)
    assert len(_entries(cache)) == 7
    warm = run(bundle, cache_dir=cache)
    assert warm.cache is not None and (warm.cache.hits, warm.cache.misses) == (7, 0)
    assert warm.report == cold.report == run(bundle).report
    codes = {f.code for f in warm.report.findings}
    assert {"schema.invalid", "complaints.capa-dangling"} <= codes, "cross-record rules still run on cached records"


def test_changed_file_is_parsed_again_and_the_rest_reused(make_bundle, tmp_path):
    bundle, cache = _bundle(make_bundle), tmp_path / "cache"
    run(bundle, cache_dir=cache)
    write(bundle, "complaints/c002.json", [complaint(5, lot="L9"), complaint(6)])
    warm = run(bundle, cache_dir=cache)
    assert warm.cache is not None and (warm.cache.hits, warm.cache.misses) == (6, 1)
    assert warm.report == run(bundle).report


def test_key_covers_source_version_schema_and_config(make_bundle, tmp_path):
    bundle = _bundle(make_bundle)
    registry = build_registry(get_plugin_manager(entry_points=False))
    cache = FileCache(tmp_path, registry)
    from evidence_kit._config import load_config

    config = load_config(bundle)
    rel, sha = "capas.jsonl", "a" * 64
    key = cache.key(rel, sha, ("json", "1.0"), config)
    assert key == FileCache(tmp_path, registry).key(rel, sha, ("json", "1.0"), config)
    assert key != cache.key(rel, sha, ("json", "1.1"), config), "source version"
    assert key != cache.key(rel, sha, ("xml", "1.0"), config), "source name"
    assert key != cache.key(rel, "b" * 64, ("json", "1.0"), config), "file content"
    assert key != cache.key("other.jsonl", sha, ("json", "1.0"), config), "file path"
    other = load_config(bundle, overrides={})
    object.__setattr__(other.inputs[1], "options", {"id_field": "number"})
    assert key != cache.key(rel, sha, ("json", "1.0"), other), "[[inputs]] options"
    rt = registry.record_types["capa"]
    registry.record_types["capa"] = type(rt)(rt.name, rt.title, {**rt.schema, "$id": "https://x/capa/2"})
    assert key != FileCache(tmp_path, registry).key(rel, sha, ("json", "1.0"), config), "schema $id"


def test_damaged_entry_is_ignored_and_rebuilt(make_bundle, tmp_path):
    bundle, cache = _bundle(make_bundle), tmp_path / "cache"
    expected = run(bundle, cache_dir=cache).report
    entries = _entries(cache)
    entries[0].write_bytes(entries[0].read_bytes()[:-20])  # torn tail
    entries[1].write_bytes(b"garbage")
    data = entries[2].read_bytes().replace(b"CMP", b"CMX")  # content no longer matches its checksum
    entries[2].write_bytes(data)
    again = run(bundle, cache_dir=cache)
    assert again.cache is not None and (again.cache.hits, again.cache.damaged) == (4, 3)
    assert again.report == expected
    healed = run(bundle, cache_dir=cache)
    assert healed.cache is not None and (healed.cache.hits, healed.cache.damaged) == (7, 0)


def test_crash_while_writing_leaves_no_entry(make_bundle, tmp_path, monkeypatch):
    bundle, cache = _bundle(make_bundle), tmp_path / "cache"
    real_replace = os.replace
    calls = []

    def crash_on_third(src, dst):
        if "rules" not in Path(dst).parts:  # the third per-file ingest entry
            calls.append(dst)
        if len(calls) == 3:
            raise KeyboardInterrupt("simulated crash between write and rename")
        real_replace(src, dst)

    monkeypatch.setattr(_io.os, "replace", crash_on_third)
    with pytest.raises(KeyboardInterrupt):
        run(bundle, cache_dir=cache)
    monkeypatch.setattr(_io.os, "replace", real_replace)
    assert len(_entries(cache)) == 2, "only the two completed entries exist"
    assert not [p for p in cache.rglob("*") if p.is_file() and p.suffix == ".tmp"], "no temp file is left behind"
    after = run(bundle, cache_dir=cache)
    assert after.cache is not None and (after.cache.hits, after.cache.damaged) == (2, 0)
    assert after.report == run(bundle).report


def test_cli_caches_by_default_and_no_cache_writes_nothing(cli, make_bundle, tmp_path):
    bundle = _bundle(make_bundle)
    default = Path(os.environ["EVIDENCE_KIT_CACHE_DIR"])  # set per test by conftest
    code, _, err = cli("validate", bundle)
    assert code == ExitCode.FINDINGS
    assert "cache: 0 files reused, 7 parsed" in err
    assert len(_entries(default)) == 7
    code, _, err = cli("validate", bundle)
    assert "cache: 7 files reused, 0 parsed" in err
    own = tmp_path / "own"
    cli("validate", bundle, "--no-cache", "--cache-dir", own)
    assert not own.exists()
    cli("validate", bundle, "-q", "--cache-dir", own)
    assert len(_entries(own)) == 7


@pytest.mark.parametrize("cached", [False, True])
def test_jobs_2_report_is_byte_identical_to_serial(cli, make_bundle, tmp_path, cached):
    bundle = _bundle(make_bundle)
    cache = ["--cache-dir", tmp_path / "c"] if cached else ["--no-cache"]
    outs = []
    for jobs in ("1", "2", "2"):
        out = tmp_path / f"r{len(outs)}.json"
        code, _, _ = cli("validate", bundle, "-q", "--format", "json", "-o", out, "--jobs", jobs, *cache)
        assert code == ExitCode.FINDINGS
        outs.append(out.read_bytes())
    assert outs[0] == outs[1] == outs[2]
    assert json.loads(outs[0])["record_count"] == 2 * N_COMPLAINTS - 1


def test_errors_keep_their_hint_across_processes():
    import pickle

    from evidence_kit.errors import ConfigError

    err = pickle.loads(pickle.dumps(ConfigError("bad option", hint="fix it")))
    assert type(err) is ConfigError and str(err) == "bad option" and err.hint == "fix it"


def test_lone_surrogate_in_a_record_is_digested_and_not_cached(tmp_path):
    # the JSON source refuses lone surrogates, but other sources may hand them over in strings
    from evidence_kit._cache import FileResult
    from evidence_kit._diff import digest_record
    from evidence_kit.model import InputOutcome, Location, Record

    rec = Record(
        "complaint", "CMP-1", {"id": "CMP-1", "description": "bad \ud800 text"}, Location("c.xml"), "0" * 64, "x"
    )
    digest = digest_record(rec)
    assert digest.sha256 == rec.digest() and len(digest.fields["description"]) == 16
    registry = build_registry(get_plugin_manager(entry_points=False))
    cache = FileCache(tmp_path, registry)
    result = FileResult(InputOutcome("c.xml", "0" * 64, 1, "x", ("CMP-1",), True), [rec], [], [digest.to_line()])
    cache.store("k" * 64, result)
    assert _entries(tmp_path) == [], "an entry UTF-8 cannot hold is not stored"
    assert cache.load("k" * 64) is None


def test_build_uses_the_cache_and_the_binder_is_byte_identical(cli, tmp_path, monkeypatch):
    """Records that come back from the cache (JSON types) make the same binder as freshly parsed ones."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1790000000")
    bundle, cache = Path(__file__).resolve().parent.parent / "example_bundle", tmp_path / "cache"
    cold, warm, fresh = tmp_path / "cold.pdf", tmp_path / "warm.pdf", tmp_path / "fresh.pdf"
    assert cli("build", bundle, "-q", "-o", cold, "--cache-dir", cache)[0] == ExitCode.FINDINGS
    assert len(_entries(cache)) > 50
    assert cli("build", bundle, "-q", "-o", warm, "--cache-dir", cache)[0] == ExitCode.FINDINGS
    assert cli("build", bundle, "-q", "-o", fresh, "--no-cache")[0] == ExitCode.FINDINGS
    assert cold.read_bytes() == warm.read_bytes() == fresh.read_bytes()


def test_worker_results_cross_as_json_unless_a_record_holds_more(tmp_path):
    """Worker blocks travel as orjson bytes; a date-time (or a lone surrogate) keeps the exact pickled value."""
    import datetime as dt

    from evidence_kit._cache import FileResult, encode, pack, unpack
    from evidence_kit._diff import digest_record
    from evidence_kit.model import InputOutcome, Location, Record

    def result(value: object) -> FileResult:
        rec = Record("complaint", "CMP-1", {"id": "CMP-1", "received": value}, Location("c.x"), "0" * 64, "x")
        digest = digest_record(
            Record("complaint", "CMP-1", {"id": "CMP-1", "received": str(value)}, Location("c.x"), "0" * 64, "x")
        )
        return FileResult(InputOutcome("c.x", "0" * 64, 1, "x", ("CMP-1",), True), [rec], [], [digest.to_line()])

    plain = [encode(result("2026-01-02"))]
    assert isinstance(pack(plain), bytes)
    assert unpack(pack(plain))[0].records[0].data["received"] == "2026-01-02"
    for odd in (dt.datetime(2026, 1, 2, tzinfo=dt.UTC), "bad \ud800 text"):
        packed = pack([encode(result(odd))])
        assert isinstance(packed, list), "not plain JSON: handed to pickle as it is"
        assert unpack(packed)[0].records[0].data["received"] == odd
        cache = FileCache(tmp_path / type(odd).__name__, build_registry(get_plugin_manager(entry_points=False)))
        cache.store("k" * 64, result(odd))
        assert cache.load("k" * 64) is None, "an entry that would change the value on its way back is not stored"


def test_gc_pause_restores_the_collector_without_a_pending_young_collection():
    """Objects made during the pause go to the oldest generation, so re-enabling does not walk them all at once."""
    import gc

    collections: list[int] = []

    def seen(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            collections.append(info["generation"])

    assert gc.isenabled()
    gc.callbacks.append(seen)
    try:
        with _io.gc_paused():
            assert not gc.isenabled()
            with _io.gc_paused():  # nested: the outer pause restores
                made = [[i] for i in range(50_000)]
            assert not gc.isenabled()
        assert gc.isenabled()
        more = [[i] for i in range(100)]  # a young collection would start here if the 50,000 were still young
    finally:
        gc.callbacks.remove(seen)
    assert collections == []
    assert len(made) + len(more) == 50_100
    gc.disable()
    try:
        with _io.gc_paused():
            pass
        assert not gc.isenabled()  # a collector that was off stays off
    finally:
        gc.enable()
