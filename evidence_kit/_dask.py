"""The ingest stage on a Dask cluster (``evidence-kit validate --executor dask --scheduler ADDRESS``).

Ingest is per file: each file is read, parsed and schema-checked on its own, so blocks of files go
to the cluster as ``dask.distributed`` futures and come back as the same plain data the process
pool returns (:func:`evidence_kit._cache.encode`), record-scoped rule findings included. Cross-record
rules, the report and the binder then run here,
on the canonical record set, in bundle order, so the report is byte-for-byte a local run's.

Workers need the same evidence-kit and plugin distributions installed as the client, and must see
the bundle at the same path (a shared file system). Like the process pool, a worker never receives
plugin objects: it builds its own registry once per process from the plugin settings. A cache
folder, when given, is read and written by the workers, so it must be on the shared file system too.
Install with ``pip install 'evidence-kit[dask]'``.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from evidence_kit._cache import FileCache, encode, pack, process_file, unpack
from evidence_kit._config import Config
from evidence_kit._engine import RecordRules
from evidence_kit._plugins import Registry, build_registry, get_plugin_manager
from evidence_kit._schemas import SchemaValidator
from evidence_kit.errors import ConfigError

# Per worker process: one registry and validator per plugin settings (threads of a worker share them).
_states: dict[Any, tuple[Registry, SchemaValidator]] = {}
_lock = threading.Lock()


def _block(
    config: Config, plugins: Any, cache_dir: Path | None, block: list[tuple[str, str]]
) -> tuple[bytes | list[dict[str, Any]], tuple[int, int, int]]:
    """Ingest one block of files on a worker; return the packed results (:func:`pack`) and the cache counters."""
    with _lock:
        state = _states.get(plugins)
        if state is None:
            pm = get_plugin_manager(entry_points=plugins.entry_points, disabled=plugins.disabled)
            registry = build_registry(pm)
            state = _states[plugins] = (registry, SchemaValidator(registry.record_types))
    registry, validator = state
    rules = RecordRules(config, registry)  # per block: it depends on the run's config
    cache = FileCache(cache_dir, registry) if cache_dir else None
    results = [encode(process_file(rel, Path(path), config, registry, validator, cache, rules)) for rel, path in block]
    return pack(results), ((cache.hits, cache.misses, cache.damaged) if cache else (0, 0, 0))


def ingest_blocks(
    files: list[tuple[str, str]],
    config: Config,
    plugins: Any,
    cache_dir: Path | None,
    scheduler: str,
    add: Callable[[str, Any], None],
) -> tuple[int, int, int]:
    """Ingest ``files`` on the Dask scheduler at ``scheduler``; call ``add(rel, FileResult)`` in bundle order.

    Returns:
        The summed cache counters (hits, misses, damaged).

    Raises:
        ConfigError: dask.distributed is not installed, or the scheduler cannot be reached.
    """
    try:
        distributed: Any = importlib.import_module("distributed")  # optional extra; untyped either way
    except ImportError as exc:
        raise ConfigError(
            "--executor dask needs dask.distributed, which is not installed.",
            hint="pip install 'evidence-kit[dask]'",
        ) from exc
    try:
        client = distributed.Client(scheduler, timeout="30s", set_as_default=False)
    except OSError as exc:
        raise ConfigError(
            f"cannot reach the Dask scheduler at {scheduler}: {exc}.",
            hint="Pass the scheduler's address, e.g. tcp://10.0.0.5:8786.",
        ) from exc
    stats = [0, 0, 0]
    with client:
        threads = max(1, sum(client.nthreads().values()))
        size = max(1, len(files) // (threads * 8))
        blocks = [files[i : i + size] for i in range(0, len(files), size)]
        futures = [client.submit(_block, config, plugins, cache_dir, b, pure=False) for b in blocks]
        for block, future in zip(blocks, futures, strict=True):
            encoded, counters = future.result()
            for i, n in enumerate(counters):
                stats[i] += n
            for (rel, _), item in zip(block, unpack(encoded), strict=True):
                add(rel, item)
    return stats[0], stats[1], stats[2]
