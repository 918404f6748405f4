"""``validate --executor dask``: ingest on a Dask cluster gives the local run's report byte for byte."""

from __future__ import annotations

from pathlib import Path

import pytest

from evidence_kit.cli import ExitCode

from .nightly_helpers import TOML, capa, complaint, files

distributed = pytest.importorskip(
    "distributed", reason="dask.distributed is not installed (pip install -e '.[dask]' to run the Dask tests)"
)

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def scheduler():
    """A loopback-only cluster of two in-process workers, started and stopped by the test."""
    with distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=False,
        protocol="tcp",
        host="127.0.0.1",
        dashboard_address=None,
    ) as cluster:
        yield cluster.scheduler_address


def _reports(cli, bundle: Path, tmp_path: Path, scheduler: str, *extra: str) -> tuple[int, bytes, int, bytes]:
    local, remote = tmp_path / "local.json", tmp_path / "dask.json"
    args = ("validate", bundle, "-q", "--format", "json", *extra)
    code_local, _, _ = cli(*args, "-o", local)
    code_dask, _, err = cli(*args, "-o", remote, "--executor", "dask", "--scheduler", scheduler)
    assert err == ""
    return code_local, local.read_bytes(), code_dask, remote.read_bytes()


def test_example_bundle_report_is_byte_identical_on_dask(cli, tmp_path, scheduler):
    code_local, local, code_dask, remote = _reports(cli, ROOT / "example_bundle", tmp_path, scheduler, "--no-cache")
    assert code_local == code_dask == ExitCode.FINDINGS
    assert remote == local
    assert b'"pdf' in remote  # PDF, JSON, CSV and XML sources all went through the workers


def test_cached_run_on_dask_matches_and_reuses_the_cache(cli, make_bundle, tmp_path, scheduler):
    bundle = make_bundle(files([complaint(n) for n in range(1, 9)], [capa(n) for n in range(1, 8)]), toml=TOML)
    cache = ("--cache-dir", str(tmp_path / "cache"))
    first = _reports(cli, bundle, tmp_path, scheduler, *cache)
    again = _reports(cli, bundle, tmp_path, scheduler, *cache)  # the workers now read the cache entries
    assert first[1] == first[3] == again[1] == again[3]
    assert first[0] == again[2] == ExitCode.FINDINGS


def test_executor_and_scheduler_go_together(cli, make_bundle):
    bundle = make_bundle(files([complaint(1)], [capa(1)]), toml=TOML)
    code, _, err = cli("validate", bundle, "--executor", "dask")
    assert code == ExitCode.USAGE
    assert "--scheduler" in err
    code, _, err = cli("validate", bundle, "--scheduler", "tcp://127.0.0.1:1")
    assert code == ExitCode.USAGE
