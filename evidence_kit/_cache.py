"""The incremental cache: parsed and schema-checked results of one input file, reused while nothing changed.

What is cached is the per-file unit of ingest (:func:`evidence_kit._ingest.ingest_file` plus the
record digests): the file's outcome, its records, its ingest and schema findings. Cross-record
rules are never cached; they always run over the full record set.

**Key.** SHA-256 over: the cache format and tool version, the file's bundle-relative path and
SHA-256, the name and version of the source plugin that reads it, the ``$id`` and content hash of
every registered record-type schema, and the file's ``[[inputs]]`` entry (path, source, record
type, options). Any change to one of them is a miss.

**Storage.** One file per entry, ``<dir>/v<format>/<key[:2]>/<key>.json``: a first line holding the
SHA-256 of the body, then the body as JSON. Entries are written to a temporary file and moved into
place with ``os.replace``, so a crash never leaves a torn entry under the final name; an entry that
is damaged anyway (a power loss before the data reached the disk, a disk error, a hand edit) fails
its checksum, is ignored and is rebuilt. JSON, not pickle: a cache directory someone else can write
to must not be able to run code. Records therefore come back with JSON types (a tuple a source
produced comes back as a list).

**Where.** ``--cache-dir``, else ``$EVIDENCE_KIT_CACHE_DIR``, else ``$XDG_CACHE_HOME/evidence-kit``,
else ``~/.cache/evidence-kit``. Not inside the bundle: every file under the bundle is an input.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from evidence_kit import __version__
from evidence_kit._config import CONFIG_NAME, Config
from evidence_kit._diff import digest_record
from evidence_kit._ingest import HEAD_BYTES, _choose_source, _match, _spec_for, ingest_file
from evidence_kit._io import sha256_file, write_bytes_atomic
from evidence_kit._plugins import Registry
from evidence_kit._schemas import SchemaValidator
from evidence_kit.model import (
    Finding,
    InputOutcome,
    Location,
    Record,
    RecordDigest,
    Severity,
    canonical_json,
)

CACHE_FORMAT = "2"  #: 2: records carry their page text


@dataclass
class FileResult:
    """What ingest made of one file: its outcome, records, findings and record digests."""

    outcome: InputOutcome
    records: list[Record]
    findings: list[Finding]
    digests: list[RecordDigest]


def default_cache_dir() -> Path:
    """Return ``$EVIDENCE_KIT_CACHE_DIR``, else ``$XDG_CACHE_HOME/evidence-kit``, else ``~/.cache/evidence-kit``."""
    if os.environ.get("EVIDENCE_KIT_CACHE_DIR"):
        return Path(os.environ["EVIDENCE_KIT_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "evidence-kit"


# --- plain-data codec, shared by the cache (as JSON) and the worker pool (as pickled lists) ---


def _loc(loc: Location) -> list[Any]:
    return [loc.file, loc.record, loc.field, loc.line, loc.page, loc.path]


def encode(result: FileResult) -> dict[str, Any]:
    """Return ``result`` as plain lists and dicts (JSON- and pickle-friendly), as compact as is plain.

    Record digests are aligned with the records: only the content hash, the per-field hashes
    (concatenated, in sorted field order) and the markers are kept; type, id and file are the
    record's own.
    """
    o = result.outcome
    return {
        "o": [o.file, o.sha256, o.size, o.source, list(o.records), o.bound, o.excluded_by, o.reason],
        "r": [
            [r.type, r.id, dict(r.data), _loc(r.location), r.sha256, r.source, list(r.attachments), list(r.text)]
            for r in result.records
        ],
        "f": [
            [f.code, f.severity.value, f.message, _loc(f.location), list(f.cites), f.hint, f.plugin]
            for f in result.findings
        ],
        "d": [
            [d.sha256, "".join(d.fields[k] for k in sorted(d.fields)), d.status, d.closed, d.approved]
            for d in result.digests
        ],
    }


def decode(data: dict[str, Any]) -> FileResult:
    """Rebuild a FileResult from :func:`encode`'s output."""
    o = data["o"]
    outcome = InputOutcome(o[0], o[1], o[2], o[3], tuple(o[4]), o[5], o[6], o[7])
    # the decoded dicts are fresh and owned here, so they are wrapped read-only without a copy
    records = [
        Record(t, i, MappingProxyType(d), Location(*loc), sha, src, tuple(att), tuple(text))
        for t, i, d, loc, sha, src, att, text in data["r"]
    ]
    findings = [
        Finding(code, Severity(sev), msg, Location(*loc), tuple(cites), hint, plugin)
        for code, sev, msg, loc, cites, hint, plugin in data["f"]
    ]
    digests = []
    for r, (sha, hexes, status, closed, approved) in zip(records, data["d"], strict=True):
        names = sorted(r.data)
        if len(hexes) != 16 * len(names):
            raise ValueError(f"digest of {r.id} does not match its fields")
        fields = {n: hexes[16 * i : 16 * i + 16] for i, n in enumerate(names)}
        digests.append(RecordDigest(r.type, r.id, r.location.file, sha, fields, status, closed, approved))
    return FileResult(outcome, records, findings, digests)


def compute(rel: str, path: Path, config: Config, registry: Registry, validator: SchemaValidator) -> FileResult:
    """Ingest one file without the cache and digest its records."""
    outcome, records, findings = ingest_file(rel, path, config, registry, validator)
    return FileResult(outcome, records, findings, [digest_record(r) for r in records])


@dataclass
class FileCache:
    """A directory of cached per-file results, valid for one registry (sources and schemas)."""

    root: Path
    registry: Registry
    hits: int = 0
    misses: int = 0
    damaged: int = 0
    _schemas: str = field(init=False, default="")

    def __post_init__(self) -> None:
        schemas = sorted(
            (name, rt.schema_id, canonical_json([rt.schema, *rt.resources]))
            for name, rt in self.registry.record_types.items()
        )
        self._schemas = hashlib.sha256(canonical_json(schemas).encode()).hexdigest()

    def key(self, rel: str, sha256: str, source: tuple[str, str], config: Config) -> str:
        """Return the cache key of one file (see the module docstring for what goes into it)."""
        spec = _spec_for(rel, config)
        spec_data = None if spec is None else [spec.path, spec.source, spec.record_type, dict(spec.options)]
        material = [CACHE_FORMAT, __version__, rel, sha256, list(source), self._schemas, spec_data]
        return hashlib.sha256(canonical_json(material).encode()).hexdigest()

    def _path(self, key: str) -> Path:
        return self.root / f"v{CACHE_FORMAT}" / key[:2] / f"{key}.json"

    def load(self, key: str) -> FileResult | None:
        """Return the cached result, or None when it is missing or damaged (a damaged entry counts)."""
        path = self._path(key)
        try:
            raw = path.read_bytes()
        except OSError:
            self.misses += 1
            return None
        check, _, body = raw.partition(b"\n")
        try:
            if hashlib.sha256(body).hexdigest().encode() != check:
                raise ValueError("checksum mismatch")
            result = decode(json.loads(body))
        except (ValueError, KeyError, TypeError, IndexError):
            self.damaged += 1
            self.misses += 1
            return None
        self.hits += 1
        return result

    def store(self, key: str, result: FileResult) -> None:
        """Write an entry atomically; results that are not plain JSON data are simply not cached."""
        try:
            body = json.dumps(encode(result), ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()
        except (TypeError, ValueError):
            return
        data = hashlib.sha256(body).hexdigest().encode() + b"\n" + body
        with contextlib.suppress(OSError):  # a read-only or full cache directory only costs speed
            write_bytes_atomic(self._path(key), data, fsync=False)


def _cacheable(rel: str, path: Path, config: Config) -> bool:
    if rel == CONFIG_NAME or path.is_symlink() or not path.is_file():
        return False
    return not any(_match(rel, pattern) for pattern, _ in config.exclude)


def process_file(
    rel: str, path: Path, config: Config, registry: Registry, validator: SchemaValidator, cache: FileCache | None
) -> FileResult:
    """Ingest one file through the cache: the unit the serial loop and the worker pool both run."""
    if cache is None or not _cacheable(rel, path, config):
        return compute(rel, path, config, registry, validator)
    try:
        sha = sha256_file(path)
        with open(path, "rb") as fh:
            head = fh.read(HEAD_BYTES)
    except OSError:
        return compute(rel, path, config, registry, validator)
    source = _choose_source(rel, head, _spec_for(rel, config), registry)
    if source is None:
        return compute(rel, path, config, registry, validator)
    key = cache.key(rel, sha, (source.name, str(getattr(source, "version", ""))), config)
    hit = cache.load(key)
    if hit is not None:
        return hit
    result = compute(rel, path, config, registry, validator)
    if result.outcome.sha256 == sha and result.outcome.source == source.name:
        cache.store(key, result)
    return result
