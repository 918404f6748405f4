"""Ingest every file of a bundle, serially or in a process pool, through the incremental cache.

With ``jobs > 1`` the files are parsed and schema-checked in a ``ProcessPoolExecutor``. Plugins
are never sent to a worker: each worker builds its own plugin manager, registry and schema
validator once, in its initializer, from the same plugin settings as the parent. Results come back
as plain data in bundle order, so the report is byte-for-byte the one a serial run writes.
"""

from __future__ import annotations

import concurrent.futures as cf
import gc
import itertools
import multiprocessing
import multiprocessing.context
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evidence_kit._cache import FileCache, FileResult, encode, pack, process_file, unpack
from evidence_kit._config import Config
from evidence_kit._engine import RecordRules
from evidence_kit._ingest import IngestResult, walk_bundle
from evidence_kit._io import spool_dir
from evidence_kit._plugins import DEFAULT_PLUGINS, Registry, build_registry, get_plugin_manager
from evidence_kit._schemas import SchemaValidator


@dataclass(frozen=True)
class PluginSettings:
    """How a worker rebuilds the parent's plugins: entry points on or off, and the blocked names."""

    entry_points: bool = True
    disabled: tuple[str, ...] = ()


@dataclass
class IngestStats:
    """What the cache did in one run (summed over workers)."""

    hits: int = 0
    misses: int = 0
    damaged: int = 0


@dataclass
class Ingested:
    """Ingest output plus the record digests (as report lines), in bundle order."""

    result: IngestResult = field(default_factory=IngestResult)
    digest_lines: list[str] = field(default_factory=list)
    stats: IngestStats = field(default_factory=IngestStats)

    def add(self, item: FileResult) -> None:
        """Append one file's result."""
        self.result.outcomes.append(item.outcome)
        self.result.records.extend(item.records)
        self.result.findings.extend(item.findings)
        self.result.findings.extend(item.rule_findings)
        self.digest_lines.extend(item.digest_lines)


# Worker-process state, set once by the pool initializer (each worker is its own process).
_worker: tuple[Config, Registry, SchemaValidator, FileCache | None, RecordRules, Path] | None = None
# The parent's registry and validator while its pool runs: a worker forked from it uses them as they are
# (a worker started by the fork server does not see them and builds its own from the plugin settings).
_forked_from: tuple[Registry, SchemaValidator] | None = None


_blocks_done = itertools.count()  # names the result files of this worker process


def _init_worker(config: Config, plugins: PluginSettings, cache_dir: Path | None, spool: Path) -> None:
    global _worker
    gc.disable()  # a worker lives for one run and builds only acyclic data; see gc_paused()
    if _forked_from is not None:  # forked: the parent's registry and validators came along in memory
        registry, validator = _forked_from
    else:
        registry = build_registry(get_plugin_manager(entry_points=plugins.entry_points, disabled=plugins.disabled))
        validator = SchemaValidator(registry.record_types)
    cache = FileCache(cache_dir, registry) if cache_dir else None
    _worker = (config, registry, validator, cache, RecordRules(config, registry), spool)


def _work(block: list[tuple[str, str]]) -> tuple[str | bytes | list[dict[str, Any]], tuple[int, int, int]]:
    """Ingest one block in a worker; return where its results are (or the results) and the cache counters.

    The results go into a file in the run's spool folder as JSON (:func:`pack`), and only the file's
    path goes back through the pool. Sent through the pool's pipe, a block's few hundred kilobytes
    went in 64 KiB pieces, each read by a thread of the parent that had to wait for the interpreter
    lock while the parent parsed its own files: the worker sat blocked for a third of the run.
    Results that are not plain JSON are returned as they are (pickled by the pool).
    """
    assert _worker is not None, "worker initializer did not run"
    config, registry, validator, cache, rules, spool = _worker
    before = (cache.hits, cache.misses, cache.damaged) if cache else (0, 0, 0)
    results = [encode(process_file(rel, Path(path), config, registry, validator, cache, rules)) for rel, path in block]
    after = (cache.hits, cache.misses, cache.damaged) if cache else (0, 0, 0)
    stats = (after[0] - before[0], after[1] - before[1], after[2] - before[2])
    packed = pack(results)
    if isinstance(packed, list):
        return packed, stats
    path = spool / f"{os.getpid()}-{next(_blocks_done)}"
    try:
        path.write_bytes(packed)
    except OSError:  # a full spool folder: the pipe still works, only slower
        return packed, stats
    return str(path), stats


def _mp_context() -> multiprocessing.context.BaseContext:
    """Return ``fork`` when this process runs a single thread (workers start in milliseconds), else ``forkserver``.

    Forking a process with other threads (the CLI's progress spinner) can deadlock, so then a fork
    server, started fresh with the plugin modules preloaded, forks the workers instead.
    """
    if threading.active_count() == 1 and "fork" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("fork")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([__name__, *DEFAULT_PLUGINS.values()])
    return context


def ingest_all(
    config: Config,
    registry: Registry,
    validator: SchemaValidator,
    *,
    cache_dir: Path | None = None,
    jobs: int = 1,
    plugins: PluginSettings | None = None,
    progress: Callable[[str], None] | None = None,
    scheduler: str | None = None,
) -> Ingested:
    """Ingest every file under the bundle in path order, through the cache when ``cache_dir`` is set.

    Each file's records also go through the record-scoped rules (:class:`RecordRules`) where they
    are ingested; their findings come back with the file's own.

    Args:
        config: The run's config.
        registry: The parent's registry (used as it is when ``jobs`` is 1).
        validator: The parent's schema validator.
        cache_dir: Cache directory, or None for no cache.
        jobs: Worker processes; 1 runs in this process.
        plugins: How workers rebuild the plugins; None means they cannot (an embedded plugin
            manager), and the run stays serial.
        progress: Called with each file's relative path as it is done.
        scheduler: A Dask scheduler address: the files are ingested on that cluster (``jobs`` is ignored).
    """
    files = [(rel, str(path)) for rel, path in walk_bundle(config.bundle)]
    out = Ingested()
    rules = RecordRules(config, registry)
    if scheduler is not None:
        from evidence_kit._dask import ingest_blocks  # dask is an optional extra

        def add(rel: str, item: FileResult) -> None:
            if progress:
                progress(rel)
            out.add(item)

        hits, misses, damaged = ingest_blocks(files, config, plugins or PluginSettings(), cache_dir, scheduler, add)
        out.stats = IngestStats(hits, misses, damaged)
        return out
    if jobs <= 1 or plugins is None or len(files) < 2:
        cache = FileCache(cache_dir, registry) if cache_dir else None
        for rel, path in files:
            if progress:
                progress(rel)
            out.add(process_file(rel, Path(path), config, registry, validator, cache, rules))
        if cache:
            out.stats = IngestStats(cache.hits, cache.misses, cache.damaged)
        return out
    # The parent is one of the N processes. Every block is queued for the N-1 workers, which take
    # them from the front; meanwhile the parent takes blocks from the back for as long as it can
    # still cancel them. So a slow-starting worker costs nothing, and only the blocks a worker
    # really did cross a process boundary (rebuilding their records here is the price of that).
    # Between its own blocks the parent also decodes what the workers have finished, so little is
    # left to decode once the queue is empty. Blocks are small (64 per process): the pool hands each
    # worker its next block before the current one is done, so up to two blocks a worker holds can no
    # longer be taken back, and the parent waits for them at the end.
    global _forked_from
    jobs = min(jobs, len(files))
    size = max(1, len(files) // (jobs * 64))
    blocks = [files[i : i + size] for i in range(0, len(files), size)]
    _forked_from = (registry, validator)
    spool = spool_dir()
    pool = cf.ProcessPoolExecutor(
        jobs - 1, _mp_context(), initializer=_init_worker, initargs=(config, plugins, cache_dir, Path(spool.name))
    )
    cache = FileCache(cache_dir, registry) if cache_dir else None
    done: dict[int, list[FileResult]] = {}

    def collect(i: int) -> None:
        encoded, (hits, misses, damaged) = futures[i].result()
        if isinstance(encoded, str):  # the path of the block's results in the spool folder
            where = Path(encoded)
            done[i] = unpack(where.read_bytes())
            where.unlink()
        else:
            done[i] = unpack(encoded)
        out.stats.hits += hits
        out.stats.misses += misses
        out.stats.damaged += damaged

    try:
        with pool:
            futures = [pool.submit(_work, block) for block in blocks]
            for i in reversed(range(len(blocks))):
                for j, future in enumerate(futures):
                    if j not in done and future.done() and not future.cancelled():
                        collect(j)
                if i in done or not futures[i].cancel():
                    break
                done[i] = [
                    process_file(rel, Path(path), config, registry, validator, cache, rules) for rel, path in blocks[i]
                ]
            for i, block in enumerate(blocks):
                if i not in done:
                    collect(i)
                for (rel, _), item in zip(block, done.pop(i), strict=True):
                    if progress:
                        progress(rel)
                    out.add(item)
    finally:
        _forked_from = None
        spool.cleanup()
    if cache:
        out.stats.hits += cache.hits
        out.stats.misses += cache.misses
        out.stats.damaged += cache.damaged
    return out
