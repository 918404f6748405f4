"""Record digests, record-level diffs and baselines.

A report carries one :class:`RecordDigest` per record: the SHA-256 of the record's canonical JSON,
a short digest per top-level field, and whether the record was closed or approved. Two reports (or
two bundles, validated on the fly) are compared by ``(type, id)``: records are added, removed or
changed, and a change names its fields. A record that was closed or approved in the older side and
was changed or deleted since is a data-integrity finding, ``records.altered-after-closure``: Part
11 requires that changes never obscure prior information (21 CFR 11.10(e)) and ISO 13485 4.2.5
that changes to a record stay identifiable.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evidence_kit._catalog import CORE_CODES
from evidence_kit.errors import ConfigError
from evidence_kit.model import Baseline, Finding, Location, Record, RecordDigest, Report
from evidence_kit.reports import report_from_json

CLOSED_STATUSES = frozenset({"closed", "complete", "completed", "cancelled", "canceled", "void", "obsolete", "retired"})
APPROVED_STATUSES = frozenset({"approved", "released", "effective", "signed"})
CLOSED_FIELDS = ("closed_date", "closed_at", "closure_date", "completed_at")
APPROVED_FIELDS = ("approved_at", "approval_date", "released_at", "release_date")
APPROVAL_MEANINGS = ("approv", "releas")
ALTERED = "records.altered-after-closure"


def _approved_by_signature(data: Mapping[str, Any]) -> bool:
    sigs = data.get("signatures")
    if not isinstance(sigs, list):
        return False
    for sig in sigs:
        meaning = sig.get("meaning") if isinstance(sig, Mapping) else None
        if isinstance(meaning, str) and sig.get("signed_at") and any(m in meaning.lower() for m in APPROVAL_MEANINGS):
            return True
    return False


_encoder = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=dict)
# The C encoder behind json.dumps, called directly: digests run once per field of every record,
# and json.dumps's per-call set-up cost more than the encoding. Falls back where it is missing.
_make_c_encoder: Any = getattr(json.encoder, "c_make_encoder", None)
_c_encoder: Any = (
    _make_c_encoder(None, dict, json.encoder.encode_basestring, None, ":", ",", True, False, True)
    if _make_c_encoder is not None
    else None
)


def _canonical(value: Any) -> str:
    """Return canonical JSON (sorted keys, no spaces, UTF-8 kept); the C encoder directly when present."""
    if isinstance(value, str):
        return json.encoder.encode_basestring(value)
    if _c_encoder is not None and isinstance(value, (dict, list)):
        return "".join(_c_encoder(value, 0))
    return _encoder.encode(value)


def digest_record(record: Record) -> RecordDigest:
    """Return the record's digest: content hash, per-field hashes and closed/approved markers.

    The content hash equals :meth:`Record.digest`; it is assembled from the per-field pieces so
    each value is serialised once.
    """
    data = record.data
    pieces = [(str(k), _canonical(v)) for k, v in sorted(data.items())]
    whole = "{" + ",".join(f"{_canonical(name)}:{value}" for name, value in pieces) + "}"
    fields = {name: hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:16] for name, value in pieces}
    status = data.get("status")
    status_text = status.lower() if isinstance(status, str) else ""
    closed = status_text in CLOSED_STATUSES or any(data.get(f) for f in CLOSED_FIELDS)
    approved = status_text in APPROVED_STATUSES or any(data.get(f) for f in APPROVED_FIELDS)
    approved = approved or _approved_by_signature(data)
    return RecordDigest(
        record.type,
        record.id,
        record.location.file,
        hashlib.sha256(whole.encode("utf-8", "surrogatepass")).hexdigest(),
        fields,
        status if isinstance(status, str) else None,
        closed,
        approved,
    )


@dataclass(frozen=True)
class RecordChange:
    """One record present on both sides whose content differs."""

    old: RecordDigest
    new: RecordDigest
    fields: tuple[str, ...]


@dataclass(frozen=True)
class RecordDiff:
    """Records added, removed and changed between an older and a newer side, plus integrity findings."""

    added: tuple[RecordDigest, ...]
    removed: tuple[RecordDigest, ...]
    changed: tuple[RecordChange, ...]
    findings: tuple[Finding, ...]


def _label(d: RecordDigest) -> str:
    return f"{d.type}:{d.id}"


def _index(digests: Iterable[RecordDigest]) -> dict[tuple[str, str], RecordDigest]:
    out: dict[tuple[str, str], RecordDigest] = {}
    for d in digests:
        out.setdefault(d.key, d)  # a duplicate id is its own finding; compare the first one
    return out


def changed_fields(old: RecordDigest, new: RecordDigest) -> tuple[str, ...]:
    """Return the JSON Pointers of the top-level fields added, removed or changed, sorted."""
    names = set(old.fields) | set(new.fields)
    return tuple(f"/{n}" for n in sorted(names) if old.fields.get(n) != new.fields.get(n))


def _closure(d: RecordDigest) -> str:
    words = " and ".join(w for w, on in (("closed", d.closed), ("approved", d.approved)) if on)
    return f"{words} (status {d.status!r})" if d.status else words


def _altered(old: RecordDigest, new: RecordDigest | None, fields: Sequence[str], older: str) -> Finding:
    meta = CORE_CODES[ALTERED]
    if new is None:
        what = "it has since been deleted"
        where = Location(old.file, old.id)
    else:
        what = f"its fields {', '.join(fields)} have since changed"
        where = Location(new.file, new.id)
    message = (
        f"{old.type} {old.id} in {old.file} was already {_closure(old)} in {older}, yet {what}. "
        "Expected a closed or approved record to stay unchanged, with any correction made as a documented "
        "amendment that keeps the prior value."
    )
    return Finding(meta.code, meta.severity, message, where, meta.cites, meta.hint)


def diff_records(old: Iterable[RecordDigest], new: Iterable[RecordDigest], older: str = "the baseline") -> RecordDiff:
    """Compare two sides record by record, matching on ``(type, id)``.

    Args:
        old: Digests of the older side.
        new: Digests of the newer side.
        older: How messages name the older side, e.g. ``the baseline report baseline.json``.
    """
    before, after = _index(old), _index(new)
    added = tuple(d for k, d in after.items() if k not in before)
    removed = tuple(d for k, d in before.items() if k not in after)
    changed = tuple(
        RecordChange(d, after[k], changed_fields(d, after[k]))
        for k, d in before.items()
        if k in after and after[k].sha256 != d.sha256
    )
    findings = [_altered(c.old, c.new, c.fields, older) for c in changed if c.old.closed or c.old.approved]
    findings += [_altered(d, None, (), older) for d in removed if d.closed or d.approved]
    return RecordDiff(added, removed, changed, tuple(sorted(findings, key=Finding.sort_key)))


def _still_altered(baseline: Report, current: Sequence[RecordDigest]) -> list[Finding]:
    """Return the baseline's ``records.altered-after-closure`` findings whose record is still as the baseline saw it.

    Such a finding compares the baseline with *its* baseline, so a run against the new baseline would not
    find it again: the edit of a closed record would look fixed when the baseline is rewritten, though
    nothing was remedied. It stays (as still open, i.e. accepted) while the record is unchanged since the
    baseline, or still deleted; a further change is compared afresh.
    """
    altered = [f for f in baseline.findings if f.code == ALTERED]
    if not altered:
        return []

    def by_place(digests: Iterable[RecordDigest]) -> dict[tuple[str, str], str]:
        out: dict[tuple[str, str], str] = {}
        for d in digests:
            out.setdefault((d.file, d.id), d.sha256)
        return out

    then, now = by_place(baseline.records), by_place(current)
    places = [(f, (f.location.file, f.location.record or "")) for f in altered]
    return [f for f, place in places if then.get(place) == now.get(place)]


def _extra_occurrences(findings: Sequence[Finding], baseline: Sequence[Finding]) -> frozenset[Finding]:
    """Return the findings beyond the baseline's count of their fingerprint (the later ones, in report order)."""
    allowed = Counter(f.fingerprint for f in baseline)
    seen: Counter[str] = Counter()
    extra = set()
    for f in findings:
        seen[f.fingerprint] += 1
        if 0 < allowed[f.fingerprint] < seen[f.fingerprint]:
            extra.add(f)
    return frozenset(extra)


def apply_baseline(report: Report, baseline: Report, name: str) -> Report:
    """Return ``report`` compared with ``baseline``: finding statuses, fixed findings, record changes.

    Records changed or deleted after they were closed or approved add ``records.altered-after-closure``
    findings to the report; the baseline's own such findings stay while their record is unchanged since
    (see :func:`_still_altered`), and each fresh one is new (an edit made since the baseline is a new event,
    even where the baseline holds a finding with its fingerprint). A fingerprint counts as many times as it
    occurs: occurrences beyond the baseline's count are new. A baseline without record digests (written by
    an older tool) is compared by findings only, and the comparison says that records were not compared.
    """
    compared = not (baseline.record_count and not baseline.records)  # an older tool's report: findings only
    if compared:
        diff = diff_records(baseline.records, report.records, f"the baseline report {name}")
        carried = _still_altered(baseline, report.records)
    else:
        diff, carried = RecordDiff((), (), (), ()), []
    findings = tuple(sorted(set(report.findings) | set(diff.findings) | set(carried), key=Finding.sort_key))
    before = {f.fingerprint for f in baseline.findings}
    now = {f.fingerprint for f in findings}
    base = Baseline(
        report=name,
        tool_version=baseline.tool_version,
        as_of=baseline.as_of,
        open=frozenset(now & before),
        fixed=tuple(f for f in baseline.findings if f.fingerprint not in now),
        added=tuple(_label(d) for d in diff.added),
        removed=tuple(_label(d) for d in diff.removed),
        changed=tuple((_label(c.new), c.fields) for c in diff.changed),
        records_compared=compared,
        extra=_extra_occurrences(findings, baseline.findings) | frozenset(diff.findings),
    )
    return dataclasses.replace(report, findings=findings, baseline=base)


def render_diff_text(diff: RecordDiff, old_name: str, new_name: str) -> str:
    """Render a record diff for a terminal: counts, then each added, removed and changed record."""
    out = [
        f"record diff {old_name} → {new_name}: {len(diff.added)} added, {len(diff.removed)} removed, "
        f"{len(diff.changed)} changed, {len(diff.findings)} data-integrity findings",
    ]
    out += [f"  + {_label(d)}  ({d.file})" for d in diff.added]
    out += [f"  - {_label(d)}  ({d.file})" for d in diff.removed]
    out += [f"  ~ {_label(c.new)}  ({c.new.file}): {', '.join(c.fields)}" for c in diff.changed]
    if diff.findings:
        out.append("")
        out.append("DATA-INTEGRITY FINDINGS")
        out += [
            f"  {f.severity.value} {f.code} [{'; '.join(f.cites)}] {f.location}: {f.message}" for f in diff.findings
        ]
    return "\n".join(out) + "\n"


def diff_to_dict(diff: RecordDiff, old_name: str, new_name: str) -> dict[str, Any]:
    """Return the diff as plain JSON data (key-sorted when dumped by the caller)."""

    def rec(d: RecordDigest) -> dict[str, Any]:
        return {"type": d.type, "id": d.id, "file": d.file, "sha256": d.sha256}

    return {
        "old": old_name,
        "new": new_name,
        "counts": {"added": len(diff.added), "removed": len(diff.removed), "changed": len(diff.changed)},
        "added": [rec(d) for d in diff.added],
        "removed": [rec(d) for d in diff.removed],
        "changed": [{**rec(c.new), "old_sha256": c.old.sha256, "fields": list(c.fields)} for c in diff.changed],
        "findings": [{**dataclasses.asdict(f), "fingerprint": f.fingerprint} for f in diff.findings],
    }


def load_side(path: Path, **run_kwargs: Any) -> Sequence[RecordDigest]:
    """Return the record digests of a JSON report, or of a bundle folder validated on the fly.

    Raises:
        ConfigError: The report is unreadable, or was written before reports carried record digests.
    """
    if path.is_dir():
        from evidence_kit._api import run

        return run(path, **run_kwargs).report.records
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read report {path}: {exc}") from exc
    report = report_from_json(text)
    if report.record_count and not report.records:
        raise ConfigError(
            f"report {path} (evidence-kit {report.tool_version}) has no record digests, so records cannot be compared.",
            hint="Validate that bundle again with this version (--write-baseline FILE), or diff the bundle folders.",
        )
    return report.records
