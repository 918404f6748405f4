"""Ingest: walk the bundle, hash each file, pick a source, read it under containment.

Every regular file under the bundle ends in exactly one InputOutcome: read into records (and so
bound into the binder), or excluded with a finding code and a reason. Nothing is skipped silently.
"""

from __future__ import annotations

import fnmatch
import os
import threading
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from evidence_kit import _guard
from evidence_kit._catalog import CORE_CODES
from evidence_kit._config import CONFIG_NAME, Config, InputSpec
from evidence_kit._io import gc_paused, sha256_file, sha256_head_size
from evidence_kit._plugins import Registry
from evidence_kit._schemas import SchemaValidator
from evidence_kit.contracts import Source, SourceContext
from evidence_kit.mapping import validate_options
from evidence_kit.model import Finding, InputOutcome, Location, Record, canonical_json

HEAD_BYTES = 4096
#: Exclusions that tell about the run rather than the file: the time or memory budget ran out (a loaded
#: machine, a smaller ``MEMORY_BUDGET``), the reading process died, or the source raised (a plugin bug or
#: an ``OSError`` or ``MemoryError`` of the moment). The incremental cache never keeps them, so the next
#: run reads the file again.
RUN_DEPENDENT = frozenset({"ingest.budget-exceeded", "ingest.source-crashed"})


@dataclass
class IngestResult:
    """Records, per-file outcomes and ingest/schema findings of one bundle."""

    records: list[Record] = field(default_factory=list)
    outcomes: list[InputOutcome] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)


def _core(code: str, file: str, message: str, **loc: object) -> Finding:
    meta = CORE_CODES[code]
    return Finding(code, meta.severity, message, Location(file, **loc), meta.cites, meta.hint)  # type: ignore[arg-type]


def walk_bundle(bundle: Path) -> Iterator[tuple[str, Path]]:
    """Yield ``(relative POSIX path, absolute path)`` for every file under ``bundle``, sorted.

    Symbolic links are yielded as they are (not followed while walking), so the caller can decide
    whether their target stays inside the bundle.
    """
    for root, dirs, files in os.walk(bundle, followlinks=False):
        dirs.sort()
        for d in list(dirs):
            full = Path(root) / d
            if full.is_symlink():  # a linked folder is accounted for as one entry
                dirs.remove(d)
                files.append(d)
        for name in sorted(files):
            full = Path(root) / name
            yield full.relative_to(bundle).as_posix(), full


def _match(rel: str, pattern: str) -> bool:
    return fnmatch.fnmatchcase(rel, pattern) or PurePosixPath(rel).match(pattern)


def _spec_for(rel: str, config: Config) -> InputSpec | None:
    return next((s for s in config.inputs if _match(rel, s.path)), None)


def _choose_source(rel: str, head: bytes, spec: InputSpec | None, registry: Registry) -> Source | None:
    if spec is not None and spec.source:
        return registry.source(spec.source)
    for _, src in registry.sources:
        try:
            if src.detect(PurePosixPath(rel), head):
                return src
        except Exception:  # a detect() that crashes simply does not claim the file
            continue
    return None


_checked: set[tuple[str, str, str]] = set()


def check_source_options(source: Source, spec: InputSpec, config_file: Path) -> None:
    """Check an ``[[inputs]]`` entry's options against the source's ``options_schema``, once.

    Sources without an ``options_schema`` attribute accept any options.

    Raises:
        ConfigError: An option is unknown or bad; the message names the key and the entry.
    """
    schema = getattr(source, "options_schema", None)
    if schema is None:
        return
    key = (spec.path, source.name, canonical_json(spec.options))
    if key in _checked:
        return
    validate_options(schema, spec.options, f"{config_file}: [[inputs]] path={spec.path!r} (source {source.name!r})")
    _checked.add(key)


def ingest_file(
    rel: str, path: Path, config: Config, registry: Registry, validator: SchemaValidator
) -> tuple[InputOutcome, list[Record], list[Finding]]:
    """Read one file and return its outcome, its records and the findings raised on the way."""
    bundle = config.bundle
    if path.is_symlink():
        target = path.resolve()
        if not target.is_relative_to(bundle):
            msg = f"{rel} is a symbolic link to {target}, outside the bundle; it was not read."
            f = _core("ingest.outside-bundle", rel, msg)
            return InputOutcome(rel, "", 0, None, excluded_by=f.code, reason=msg), [], [f]
    if rel == CONFIG_NAME:
        return InputOutcome(rel, sha256_file(path), path.stat().st_size, "config", bound=True), [], []
    for pattern, reason in config.exclude:
        if _match(rel, pattern):
            msg = f"{rel} is excluded by the bundle config: {reason}"
            f = _core("ingest.excluded", rel, msg)
            size = path.stat().st_size
            return InputOutcome(rel, sha256_file(path), size, None, excluded_by=f.code, reason=reason), [], [f]
    try:
        if not path.is_file():
            raise OSError("not a regular file")
        sha, head, size = sha256_head_size(path, HEAD_BYTES)
    except OSError as exc:
        msg = f"{rel} cannot be read: {exc.strerror or exc}."
        f = _core("ingest.unreadable", rel, msg)
        return InputOutcome(rel, "", 0, None, excluded_by=f.code, reason=msg), [], [f]

    spec = _spec_for(rel, config)
    source = _choose_source(rel, head, spec, registry)
    if source is None:
        msg = f"{rel}: no source plugin reads this kind of file, so it is not in the binder."
        f = _core("ingest.no-source", rel, msg)
        return InputOutcome(rel, sha, size, None, excluded_by=f.code, reason=msg), [], [f]

    if spec is not None:
        check_source_options(source, spec, config.bundle / CONFIG_NAME)
    ctx = SourceContext(
        bundle, rel, sha, source.name, spec.record_type if spec else None, dict(spec.options) if spec else {}
    )
    records: list[Record] = []
    findings: list[Finding] = []
    try:
        if getattr(source, "isolate", False) and hasattr(os, "fork"):  # budgeted child process
            items = _worker_for(source).call(path, ctx, timeout=_guard.TIME_BUDGET, what=rel)
        else:
            items = _read_all(source, path, ctx)
        for item in items:
            if isinstance(item, Record):
                records.append(item)
            else:
                findings.append(item)
    except _guard.BudgetExceeded as exc:
        msg = f"{exc}. The file is excluded from this run."
        f = _core("ingest.budget-exceeded", rel, msg)
        return InputOutcome(rel, sha, size, source.name, excluded_by=f.code, reason=str(exc)), [], [f]
    except Exception as exc:
        tb = "".join(traceback.format_exception(exc, limit=-3)).strip()
        msg = (
            f"Source plugin {source.name!r} crashed reading {rel}: {type(exc).__name__}: {exc}. "
            "The file is excluded from this run."
        )
        f = Finding(
            "ingest.source-crashed",
            CORE_CODES["ingest.source-crashed"].severity,
            msg,
            Location(rel),
            CORE_CODES["ingest.source-crashed"].cites,
            tb,
            source.name,
        )
        return InputOutcome(rel, sha, size, source.name, excluded_by=f.code, reason=msg), [], [*findings, f]

    with gc_paused():
        return _keep_valid(rel, sha, size, source, records, findings, registry, validator)


_workers = threading.local()  # one reader process per thread: a Dask worker runs several threads at once


def _worker_for(source: Source) -> _guard.Worker:
    """Return the guarded reader process for ``source`` (one per source object; forked on first use)."""
    current: tuple[Source, _guard.Worker] | None = getattr(_workers, "current", None)
    if current is None or current[0] is not source or current[1].memory != _guard.MEMORY_BUDGET:
        if current is not None:
            current[1].close()
        worker = _guard.Worker(lambda path, ctx: _read_all(source, path, ctx), memory=_guard.MEMORY_BUDGET)
        current = _workers.current = (source, worker)
    return current[1]


def _read_all(source: Source, path: Path, ctx: SourceContext) -> list[Record | Finding]:
    with gc_paused():
        return list(source.read(path, ctx))


def _keep_valid(
    rel: str,
    sha: str,
    size: int,
    source: Source,
    records: list[Record],
    findings: list[Finding],
    registry: Registry,
    validator: SchemaValidator,
) -> tuple[InputOutcome, list[Record], list[Finding]]:
    """Schema-check the records of one file and decide its outcome."""
    kept: list[Record] = []
    for rec in records:
        if rec.type not in registry.record_types:
            findings.append(
                _core(
                    "ingest.unknown-record-type",
                    rel,
                    f"{rel}: record {rec.id} has type {rec.type!r}, which no plugin registers.",
                    record=rec.id,
                    line=rec.location.line,
                )
            )
            continue
        findings.extend(validator.validate(rec))
        kept.append(rec)
    ids = tuple(r.id for r in kept)
    if kept:
        return InputOutcome(rel, sha, size, source.name, ids, bound=True), kept, findings
    blocking = next((f for f in findings if f.severity.value == "error"), None)
    if blocking is None:
        blocking = _core("ingest.no-records", rel, f"{rel}: the {source.name} source found no records in it.")
        findings.append(blocking)
    return (
        InputOutcome(rel, sha, size, source.name, (), excluded_by=blocking.code, reason=blocking.message),
        [],
        findings,
    )


def ingest_bundle(
    config: Config,
    registry: Registry,
    validator: SchemaValidator,
    progress: Callable[[str], None] | None = None,
) -> IngestResult:
    """Ingest every file under the bundle, in path order."""
    result = IngestResult()
    for rel, path in walk_bundle(config.bundle):
        if progress:
            progress(rel)
        outcome, records, findings = ingest_file(rel, path, config, registry, validator)
        result.outcomes.append(outcome)
        result.records.extend(records)
        result.findings.extend(findings)
    return result
