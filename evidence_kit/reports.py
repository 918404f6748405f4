"""Canonical JSON for reports: write, read back, and check the schema version (public API)."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from evidence_kit.errors import ConfigError
from evidence_kit.model import (
    REPORT_SCHEMA_VERSION,
    Finding,
    InputOutcome,
    Location,
    PluginInfo,
    Report,
    Severity,
)


def report_to_dict(report: Report) -> dict[str, Any]:
    """Return the report as plain JSON data, with per-severity counts and finding fingerprints."""
    data = dataclasses.asdict(report)
    data["counts"] = report.counts()
    for out, f in zip(data["findings"], report.findings, strict=True):
        out["fingerprint"] = f.fingerprint
    return data


def report_to_json(report: Report) -> str:
    """Serialise the report as indented, key-sorted JSON (byte-stable for equal reports)."""
    return json.dumps(report_to_dict(report), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def report_from_json(text: str) -> Report:
    """Read a report written by :func:`report_to_json`.

    Raises:
        ConfigError: The text is not a report, or was written in a schema version this tool
            cannot read.
    """
    try:
        data = json.loads(text)
        version = str(data.get("schema_version"))
    except (ValueError, AttributeError) as exc:
        raise ConfigError(f"not an evidence-kit JSON report: {exc}") from exc
    if version != REPORT_SCHEMA_VERSION:
        raise ConfigError(
            f"report schema version {version!r} is not readable by this tool "
            f"(it reads version {REPORT_SCHEMA_VERSION!r})."
        )
    try:
        findings = tuple(
            Finding(
                f["code"],
                Severity(f["severity"]),
                f["message"],
                Location(**f["location"]),
                tuple(f["cites"]),
                f["hint"],
                f["plugin"],
            )
            for f in data["findings"]
        )
        inputs = tuple(InputOutcome(**{**i, "records": tuple(i["records"])}) for i in data["inputs"])
        plugins = tuple(PluginInfo(**{**p, "hooks": tuple(p["hooks"])}) for p in data["plugins"])
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
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigError(f"report is damaged or incomplete: {exc}") from exc
