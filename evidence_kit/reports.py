"""Canonical JSON for reports: write, read back, and check the schema version (public API).

Report JSON schema version 1 gained two optional parts in evidence-kit 0.1 (nightly validation):
``records`` (one digest per record, for record-level diffs) and ``baseline`` (the comparison with
an earlier report, plus a ``baseline`` status on each finding). Both are optional, so every
version-1 report, with or without them, stays readable; reports of any other schema version are
refused with a message that says what to do.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from contextvars import ContextVar
from typing import Any

import orjson

from evidence_kit.errors import ConfigError
from evidence_kit.model import (
    REPORT_SCHEMA_VERSION,
    Baseline,
    Finding,
    InputOutcome,
    Location,
    PluginInfo,
    RecordDigest,
    RecordDigests,
    Report,
    Severity,
    json_loads,
)

#: Report schema versions this tool reads.
READABLE_VERSIONS = ("1",)


def _fields(obj: Any) -> dict[str, Any]:
    """Return a slotted dataclass's fields as a shallow dict (``dataclasses.asdict`` deep-copies: slow)."""
    return {name: getattr(obj, name) for name in obj.__slots__}


def _finding_dict(f: Finding) -> dict[str, Any]:
    out = _fields(f)
    out["location"] = _fields(f.location)
    out["fingerprint"] = f.fingerprint
    return out


def report_to_dict(report: Report, *, records: bool = True) -> dict[str, Any]:
    """Return the report as plain JSON data, with per-severity counts and finding fingerprints.

    ``records=False`` leaves the record digests out (an empty list).
    """
    data = _fields(report)
    data.pop("baseline")
    data["plugins"] = [_fields(p) for p in report.plugins]
    data["inputs"] = [_fields(i) for i in report.inputs]
    data["findings"] = [_finding_dict(f) for f in report.findings]
    data["records"] = [d.to_dict() for d in report.records] if records else []
    data["counts"] = report.counts()
    if report.baseline is not None:
        for out, f in zip(data["findings"], report.findings, strict=True):
            out["baseline"] = report.baseline_status(f)
    base = report.baseline
    if base is not None:
        new = sum(1 for f in report.findings if report.baseline_status(f) == "new")
        data["baseline"] = {
            "report": base.report,
            "tool_version": base.tool_version,
            "as_of": base.as_of,
            "counts": {"new": new, "open": len(report.findings) - new, "fixed": len(base.fixed)},
            "fixed": [_finding_dict(f) for f in base.fixed],
            "records": {
                "compared": base.records_compared,
                "added": list(base.added),
                "removed": list(base.removed),
                "changed": [{"record": key, "fields": list(fields)} for key, fields in base.changed],
            },
        }
    return data


#: The bundle folder as a POSIX path relative to the working directory, while the CLI renders a report
#: (None when the bundle lies outside it, or outside the CLI). Formats that name files for tools rooted
#: at the working directory (SARIF for code scanning: paths relative to the repository root) read it.
BUNDLE_ROOT: ContextVar[str | None] = ContextVar("evidence_kit_bundle_root", default=None)


_RECORDS_MARK = "\u0000records\u0000"


def report_to_json(report: Report) -> str:
    """Serialise the report as indented, key-sorted JSON (byte-stable for equal reports).

    The ``records`` list is written one compact record per line: with tens of thousands of
    records, indenting each digest would multiply the size and the time to write it.
    """
    data = report_to_dict(report, records=False)
    data["records"] = _RECORDS_MARK
    try:  # orjson writes what json.dumps(indent=2, sort_keys=True) writes, ~20x faster
        text = orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS).decode()
    except orjson.JSONEncodeError:  # text it refuses (a lone surrogate, a huge integer): the stdlib decides
        text = json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False)
    head, _, tail = text.partition(json.dumps(_RECORDS_MARK))
    records = report.records
    lines = records.lines if isinstance(records, RecordDigests) else [d.to_line() for d in records]
    block = "".join(("[\n    ", ",\n    ".join(lines), "\n  ]")) if lines else "[]"
    return "".join((head, block, tail, "\n"))


def _check_version(data: Mapping[str, Any]) -> str:
    version = str(data.get("schema_version"))
    if version in READABLE_VERSIONS:
        return version
    tool = data.get("tool_version", "an unknown version")
    readable = ", ".join(repr(v) for v in READABLE_VERSIONS)
    if version.isdigit() and int(version) > int(REPORT_SCHEMA_VERSION):
        raise ConfigError(
            f"this report was written by evidence-kit {tool} in report schema version {version!r}, "
            f"newer than this tool understands (it reads schema version {readable}).",
            hint="Upgrade evidence-kit, or rewrite the baseline with this version: "
            "evidence-kit validate BUNDLE --write-baseline FILE.",
        )
    raise ConfigError(
        f"report schema version {version!r} (written by evidence-kit {tool}) is not readable by this tool "
        f"(it reads schema version {readable}).",
        hint="Rewrite the report with this version: evidence-kit validate BUNDLE --write-baseline FILE.",
    )


def _finding(f: Mapping[str, Any]) -> Finding:
    return Finding(
        f["code"],
        Severity(f["severity"]),
        f["message"],
        Location(**f["location"]),
        tuple(f["cites"]),
        f["hint"],
        f["plugin"],
    )


def _baseline(data: Mapping[str, Any], findings: list[Mapping[str, Any]]) -> Baseline | None:
    base = data.get("baseline")
    if base is None:
        return None
    recs = base["records"]
    still_open = frozenset(f["fingerprint"] for f in findings if f.get("baseline") == "open")
    return Baseline(
        base["report"],
        base["tool_version"],
        base["as_of"],
        still_open,
        tuple(_finding(f) for f in base["fixed"]),
        tuple(recs["added"]),
        tuple(recs["removed"]),
        tuple((c["record"], tuple(c["fields"])) for c in recs["changed"]),
        recs.get("compared", True),
        frozenset(_finding(f) for f in findings if f.get("baseline") == "new" and f["fingerprint"] in still_open),
    )


def report_from_json(text: str) -> Report:
    """Read a report written by :func:`report_to_json`.

    Reports of schema version 1 written before record digests existed load with no ``records``.

    Raises:
        ConfigError: The text is not a report, or was written in a schema version this tool
            cannot read; the message names both versions and what to do.
    """
    try:
        data = json_loads(text)  # orjson: ~3x faster on a report with tens of thousands of record digests
        if not isinstance(data, dict) or "findings" not in data:
            raise ValueError("the JSON holds no evidence-kit report (no findings list)")
    except ValueError as exc:
        raise ConfigError(f"not an evidence-kit JSON report: {exc}") from exc
    version = _check_version(data)
    try:
        findings = tuple(_finding(f) for f in data["findings"])
        inputs = tuple(InputOutcome(**{**i, "records": tuple(i["records"])}) for i in data["inputs"])
        plugins = tuple(PluginInfo(**{**p, "hooks": tuple(p["hooks"])}) for p in data["plugins"])
        records = tuple(RecordDigest(**r) for r in data.get("records", ()))
        return Report(
            data["tool_version"],
            data["bundle"],
            data["profile"],
            data["as_of"],
            plugins,
            inputs,
            findings,
            data["record_count"],
            version,
            records,
            _baseline(data, data["findings"]),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigError(f"report is damaged or incomplete: {exc}") from exc
