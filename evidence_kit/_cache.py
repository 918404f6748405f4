"""The incremental cache: parsed and schema-checked results of one input file, reused while nothing changed.

What is cached is the per-file unit of ingest (:func:`evidence_kit._ingest.ingest_file` plus the
record digests): the file's outcome, its records, its ingest and schema findings; and, in a second
entry, the findings of the record-scoped rules on those records
(:class:`evidence_kit._engine.RecordRules`), keyed on the file's key and the rules' key (codes,
options, settings and a digest of the rule packages' code and data); findings of rules that read
``now`` are reused only at the same ``as_of``. Cross-record (set-scoped) rules are never cached;
they always run over the full record set.

**Key.** SHA-256 over: the cache format and tool version, the file's bundle-relative path and
SHA-256, the name and version of the source plugin that reads it and a SHA-256 of its package's code
and data (as for rules: editing a source without a version bump is a miss), the ``$id`` and content
hash of every registered record-type schema, the file's ``[[inputs]]`` entry (path, source, record
type, options), and what the reading depends on outside the file (:meth:`FileCache.references`):

* the SHA-256 of every file an option names: any string in the options (at any depth) that is a
  relative path to a regular file inside the bundle, such as the XML source's ``xsd``;
* the SHA-256 of every file the source's optional ``referenced_files(ctx)`` returns (the XML
  source: the XSD, also from the built-in ``schemas/``, and the local files it imports or includes);
* the source's optional ``cache_token(ctx)``, a string standing for the environment the reading
  depends on (the PDF source: a salted SHA-256 of the password it would use, from ``password_env``,
  ``password`` or ``EVIDENCE_KIT_PDF_PASSWORDS``; the password itself is in no key and no entry).

Any change to one of them is a miss. Exclusions that depend on the run rather than the file
(:data:`evidence_kit._ingest.RUN_DEPENDENT`: time or memory budget, a crashed reader or source) are
never stored, so the next run reads the file again.

**Storage.** One file per entry, ``<dir>/v<CACHE_FORMAT>/<key[:2]>/<key>.json`` (record-rule entries under
``<dir>/v<CACHE_FORMAT>/rules/``): a first line holding the
SHA-256 of the rest, then the entry as one line of JSON, then the record digests' report lines as they
are (see :meth:`FileCache._write`). Entries are written to a temporary file and moved into
place with ``os.replace`` (mode 0600: entries hold the records), so a crash never leaves a torn entry
under the final name; an entry that
is damaged anyway (a power loss before the data reached the disk, a disk error, a hand edit) fails
its checksum, is ignored and is rebuilt. JSON, not pickle: a cache directory someone else can write
to must not be able to run code. Records therefore come back with JSON types (a tuple a source
produced comes back as a list).

**Where.** ``--cache-dir``, else ``$EVIDENCE_KIT_CACHE_DIR``, else ``$XDG_CACHE_HOME/evidence-kit``,
else ``~/.cache/evidence-kit``. Not inside the bundle: every file under the bundle is an input.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, TypeVar

import orjson

from evidence_kit import __version__
from evidence_kit._config import CONFIG_NAME, Config, InputSpec
from evidence_kit._diff import digest_record
from evidence_kit._engine import RecordRules, RuleResults, _package_digest
from evidence_kit._ingest import HEAD_BYTES, RUN_DEPENDENT, _choose_source, _match, _spec_for, ingest_file
from evidence_kit._io import sha256_file, sha256_head_size, write_bytes_atomic
from evidence_kit._plugins import Registry
from evidence_kit._schemas import SchemaValidator
from evidence_kit.contracts import Source, SourceContext
from evidence_kit.model import (
    Finding,
    InputOutcome,
    Location,
    Record,
    Severity,
    canonical_json,
)

#: 5: records read from a PDF carry it as attachment; 4: digests as report lines; 3: orjson entries, record-rule
#: entries, records carry their page text
CACHE_FORMAT = "5"
#: orjson options for plain JSON data only: a date-time or a dataclass raises instead of turning into a string or
#: an object, so records never come back from the cache or a worker with another value than a serial run reads
PLAIN_JSON = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
T = TypeVar("T")


@dataclass
class FileResult:
    """What ingest made of one file: its outcome, records, findings, record digests and record-rule findings.

    The digests are kept as their report lines (:meth:`RecordDigest.to_line`), aligned with the records.
    """

    outcome: InputOutcome
    records: list[Record]
    findings: list[Finding]
    digest_lines: list[str]
    rule_findings: list[Finding] = field(default_factory=list)


def default_cache_dir() -> Path:
    """Return ``$EVIDENCE_KIT_CACHE_DIR``, else ``$XDG_CACHE_HOME/evidence-kit``, else ``~/.cache/evidence-kit``."""
    if os.environ.get("EVIDENCE_KIT_CACHE_DIR"):
        return Path(os.environ["EVIDENCE_KIT_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "evidence-kit"


# --- plain-data codec, shared by the cache (as JSON) and the worker pool (as pickled lists) ---


def _loc(loc: Location) -> list[Any]:
    return [loc.file, loc.record, loc.field, loc.line, loc.page, loc.path]


def _enc_findings(findings: list[Finding]) -> list[list[Any]]:
    return [[f.code, f.severity.value, f.message, _loc(f.location), list(f.cites), f.hint, f.plugin] for f in findings]


def _dec_findings(data: list[list[Any]]) -> list[Finding]:
    return [
        Finding(code, Severity(sev), msg, Location(*loc), tuple(cites), hint, plugin)
        for code, sev, msg, loc, cites, hint, plugin in data
    ]


def encode(result: FileResult) -> dict[str, Any]:
    """Return ``result`` as plain lists and dicts (JSON- and pickle-friendly), as compact as is plain.

    Record digests are their report lines, aligned with the records: a rerun copies them into the
    report without building an object per record.
    """
    o = result.outcome
    return {
        "o": [o.file, o.sha256, o.size, o.source, list(o.records), o.bound, o.excluded_by, o.reason],
        "r": [
            [r.type, r.id, dict(r.data), _loc(r.location), r.sha256, r.source, list(r.attachments), list(r.text)]
            for r in result.records
        ],
        "f": _enc_findings(result.findings),
        "rf": _enc_findings(result.rule_findings),
        "d": result.digest_lines,
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
    lines = data["d"]
    if len(lines) != len(records):
        raise ValueError("the record digests do not match the records")
    return FileResult(outcome, records, _dec_findings(data["f"]), lines, _dec_findings(data["rf"]))


def pack(results: list[dict[str, Any]]) -> bytes | list[dict[str, Any]]:
    """Return encoded file results as JSON bytes, or as they are when they hold more than plain JSON.

    A plugin's record may hold a date-time or a string JSON cannot carry (a lone surrogate); pickle
    then takes the lists as they are, so the record arrives exactly as the worker read it.
    """
    try:
        return orjson.dumps(results, option=PLAIN_JSON)
    except TypeError:  # orjson.JSONEncodeError is a TypeError
        return results


def unpack(packed: bytes | list[dict[str, Any]]) -> list[FileResult]:
    """Rebuild the file results :func:`pack` made."""
    return [decode(data) for data in (orjson.loads(packed) if isinstance(packed, bytes) else packed)]


def encode_rules(results: RuleResults) -> dict[str, Any]:
    """Return record-rule results as plain data (the rules entry of the cache)."""
    return {
        "k": results.key,
        "n": results.now,
        "s": _enc_findings(results.steady),
        "t": {code: _enc_findings(found) for code, found in results.timed.items()},
    }


def decode_rules(data: dict[str, Any]) -> RuleResults:
    """Rebuild record-rule results from :func:`encode_rules`'s output."""
    timed = {code: _dec_findings(found) for code, found in data["t"].items()}
    return RuleResults(data["k"], data["n"], _dec_findings(data["s"]), timed)


def compute(rel: str, path: Path, config: Config, registry: Registry, validator: SchemaValidator) -> FileResult:
    """Ingest one file without the cache and digest its records."""
    outcome, records, findings = ingest_file(rel, path, config, registry, validator)
    return FileResult(outcome, records, findings, [digest_record(r).to_line() for r in records])


@dataclass
class FileCache:
    """A directory of cached per-file results, valid for one registry (sources and schemas)."""

    root: Path
    registry: Registry
    hits: int = 0
    misses: int = 0
    damaged: int = 0
    _schemas: str = field(init=False, default="")
    _named: dict[int, tuple[InputSpec, list[Any]]] = field(init=False, default_factory=dict)
    _digests: dict[Path, str] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        schemas = sorted(
            (name, rt.schema_id, canonical_json([rt.schema, *rt.resources]))
            for name, rt in self.registry.record_types.items()
        )
        self._schemas = hashlib.sha256(canonical_json(schemas).encode()).hexdigest()

    def key(self, rel: str, sha256: str, source: tuple[str, str], config: Config, references: Any = None) -> str:
        """Return the cache key of one file (see the module docstring for what goes into it).

        Args:
            rel: The file's bundle-relative path.
            sha256: The file's SHA-256.
            source: The reading source's name and identity (:func:`source_identity`).
            config: The bundle config (the file's ``[[inputs]]`` entry).
            references: What the reading depends on outside the file (:meth:`references`).
        """
        spec = _spec_for(rel, config)
        spec_data = None if spec is None else [spec.path, spec.source, spec.record_type, dict(spec.options)]
        material = [CACHE_FORMAT, __version__, rel, sha256, list(source), self._schemas, spec_data, references]
        return hashlib.sha256(canonical_json(material).encode()).hexdigest()

    def references(self, rel: str, sha256: str, source: Source, spec: InputSpec | None, bundle: Path) -> list[Any]:
        """Return what reading ``rel`` depends on besides its bytes and options, as key material.

        The SHA-256 of each file the options name and of each file the source's ``referenced_files``
        returns (a file that is missing counts as such), and the source's ``cache_token``. Raises
        whatever those source methods raise (the caller then does not cache the file).
        """
        named: list[Any] = []
        if spec is not None and spec.options:
            named = self._option_files(spec, bundle)
        extra: list[Any] = []
        wants_files = getattr(source, "referenced_files", None)
        wants_token = getattr(source, "cache_token", None)
        if wants_files is not None or wants_token is not None:
            options = dict(spec.options) if spec is not None else {}
            ctx = SourceContext(bundle, rel, sha256, source.name, spec.record_type if spec else None, options)
            if wants_files is not None:
                extra.append(sorted(self._file_digest(Path(p), bundle) for p in wants_files(ctx)))
            if wants_token is not None:
                extra.append(str(wants_token(ctx)))
        return [named, extra]

    def _option_files(self, spec: InputSpec, bundle: Path) -> list[Any]:
        """Return ``[option value, SHA-256]`` for each option string naming a file in the bundle (once per entry)."""
        memo = self._named.get(id(spec))
        if memo is not None and memo[0] is spec:
            return memo[1]
        root = bundle.resolve()
        found: list[Any] = []
        for value in sorted(set(_strings(spec.options))):
            if not value or value.startswith(("/", "\\")) or "\0" in value or len(value) > 1024:
                continue
            try:
                target = (root / value).resolve()
                if target.is_relative_to(root) and target.is_file():
                    found.append([value, self._digest_of(target)])
            except (OSError, ValueError):
                continue
        self._named[id(spec)] = (spec, found)
        return found

    def _file_digest(self, path: Path, bundle: Path) -> list[str]:
        """Return ``[name, SHA-256]`` (``"missing"`` when it is not a readable file) of a referenced file.

        The name is the bundle-relative path, or the file name for a file outside the bundle (a
        built-in XSD), so moving the bundle or the installation keeps the key.
        """
        target = path if path.is_absolute() else bundle / path
        try:
            target = target.resolve()
            name = target.relative_to(bundle.resolve()).as_posix()
        except ValueError:
            name = target.name
        except OSError:
            name = path.name
        try:
            return [name, self._digest_of(target)]
        except OSError:
            return [name, "missing"]

    def _digest_of(self, target: Path) -> str:
        """Return the SHA-256 of a resolved file path, computed once per cache object (one run)."""
        digest = self._digests.get(target)
        if digest is None:
            digest = self._digests[target] = sha256_file(target)
        return digest

    def _path(self, key: str, kind: str = "") -> Path:
        return self.root / f"v{CACHE_FORMAT}" / kind / key[:2] / f"{key}.json"

    def _read(self, key: str, decoder: Callable[[dict[str, Any], bytes], T], kind: str = "") -> T | None:
        """Return the decoded entry, or None when it is missing or damaged (a damaged entry counts)."""
        try:
            raw = self._path(key, kind).read_bytes()
        except OSError:
            return None
        start = raw.find(b"\n") + 1
        end = raw.find(b"\n", start)
        try:
            if (
                start == 0
                or end < 0
                or hashlib.sha256(memoryview(raw)[start:]).hexdigest().encode() != raw[: start - 1]
            ):
                raise ValueError("checksum mismatch")
            return decoder(orjson.loads(memoryview(raw)[start:end]), raw[end + 1 :])
        except (ValueError, KeyError, TypeError, IndexError, AttributeError):  # orjson's errors subclass these
            self.damaged += 1
            return None

    def _write(self, key: str, data: dict[str, Any], kind: str = "", lines: Sequence[str] = ()) -> None:
        """Write an entry atomically; data that is not plain JSON (or text UTF-8 cannot hold) is simply not cached.

        An entry is three parts, one after the other: the SHA-256 of what follows, a newline, ``data``
        as compact JSON (which never holds a raw newline), a newline, and ``lines`` joined by newlines
        as they are: the record digests' report lines, which would otherwise be escaped as JSON strings
        and unescaped again on every read.
        """
        try:
            body = orjson.dumps(data, option=PLAIN_JSON) + b"\n" + "\n".join(lines).encode("utf-8")
        except (TypeError, UnicodeEncodeError):  # not plain JSON data (orjson.JSONEncodeError is a TypeError)
            return
        entry = hashlib.sha256(body).hexdigest().encode() + b"\n" + body
        with contextlib.suppress(OSError):  # a read-only or full cache directory only costs speed
            write_bytes_atomic(self._path(key, kind), entry, fsync=False, private=True)

    def load(self, key: str) -> FileResult | None:
        """Return the cached result, or None when it is missing or damaged."""
        result = self._read(key, _decode_entry)
        if result is None:
            self.misses += 1
        else:
            self.hits += 1
        return result

    def store(self, key: str, result: FileResult) -> None:
        """Write an entry atomically (its record-rule findings are stored apart, by :meth:`store_rules`)."""
        data = encode(dataclasses.replace(result, rule_findings=[]))
        self._write(key, data, lines=data.pop("d"))

    @staticmethod
    def rules_key(file_key: str, rules: RecordRules) -> str:
        """Return the key of a file's record-rule entry."""
        return hashlib.sha256(f"rules\0{file_key}\0{rules.key}".encode()).hexdigest()

    def load_rules(self, key: str) -> RuleResults | None:
        """Return a file's cached record-rule results, or None."""
        return self._read(key, lambda data, _: decode_rules(data), "rules")

    def store_rules(self, key: str, results: RuleResults) -> None:
        """Write a file's record-rule results atomically."""
        self._write(key, encode_rules(results), "rules")


def _decode_entry(data: dict[str, Any], lines: bytes) -> FileResult:
    """Rebuild a cached FileResult: the JSON part, and the record digests' lines that follow it."""
    data["d"] = lines.decode("utf-8").split("\n") if lines else []
    return decode(data)


def _cacheable(rel: str, path: Path, config: Config) -> bool:
    if rel == CONFIG_NAME or path.is_symlink() or not path.is_file():
        return False
    return not any(_match(rel, pattern) for pattern, _ in config.exclude)


def process_file(
    rel: str,
    path: Path,
    config: Config,
    registry: Registry,
    validator: SchemaValidator,
    cache: FileCache | None,
    rules: RecordRules | None = None,
) -> FileResult:
    """Ingest one file through the cache, then apply the record-scoped ``rules`` to its records.

    This is the unit the serial loop, the worker pool and the Dask workers all run.
    """
    result, key = _ingest_cached(rel, path, config, registry, validator, cache)
    if rules is not None and rules.rules:
        if cache is None or key is None:
            found = rules.run(rel, result.records)
        else:
            rkey = cache.rules_key(key, rules)
            cached = cache.load_rules(rkey)
            found = rules.refresh(rel, result.records, cached)
            if found is not cached:
                cache.store_rules(rkey, found)
        result.rule_findings = found.findings()
    return result


def _ingest_cached(
    rel: str, path: Path, config: Config, registry: Registry, validator: SchemaValidator, cache: FileCache | None
) -> tuple[FileResult, str | None]:
    """Return the file's ingest result and its cache key (None when it is not cached)."""
    if cache is None or not _cacheable(rel, path, config):
        return compute(rel, path, config, registry, validator), None
    try:
        sha, head, _ = sha256_head_size(path, HEAD_BYTES)
    except OSError:
        return compute(rel, path, config, registry, validator), None
    spec = _spec_for(rel, config)
    source = _choose_source(rel, head, spec, registry)
    if source is None:
        return compute(rel, path, config, registry, validator), None
    try:
        references = cache.references(rel, sha, source, spec, config.bundle)
    except Exception:  # a source's referenced_files or cache_token crashed: read the file, keep nothing
        return compute(rel, path, config, registry, validator), None
    key = cache.key(rel, sha, source_identity(source), config, references)
    hit = cache.load(key)
    if hit is not None:
        return hit, key
    result = compute(rel, path, config, registry, validator)
    outcome = result.outcome
    if outcome.sha256 == sha and outcome.source == source.name and outcome.excluded_by not in RUN_DEPENDENT:
        cache.store(key, result)
        return result, key
    return result, None


def source_identity(source: Source) -> tuple[str, str]:
    """Return a source's name and ``"<version>+<SHA-256 of its package's code and data>"``.

    The digest is the one record-scoped rules use (:func:`evidence_kit._engine._package_digest`),
    computed once per process, so editing a source's code invalidates its entries without a
    version bump.
    """
    try:
        code = _package_digest(type(source).__module__)
    except (ImportError, ValueError):  # a source defined in __main__ or a module without a spec
        code = ""
    return source.name, f"{getattr(source, 'version', '')}+{code}"


def _strings(value: Any) -> list[str]:
    """Return every string in a nested structure of dicts and lists (dict keys left out)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict | MappingProxyType):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list | tuple):
        return [s for v in value for s in _strings(v)]
    return []
