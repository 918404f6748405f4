"""SARIF 2.1.0 report, so code-scanning UIs point at the export file and line of each finding.

Each result's physical location is the export file and its line. Run from a folder that holds the bundle
(a repository root in CI), the path is relative to that folder (``uriBaseId`` ``%SRCROOT%``, e.g.
``qms-bundle/exports/capas.jsonl``), which is how GitHub code scanning maps alerts to repository files;
otherwise it is bundle-relative (``uriBaseId`` ``BUNDLE``);
the logical location is the record and the JSON Pointer of the field. Rules carry their title, fix hint and
citations (from the built-in catalogue; other plugins' rules carry their hint and citations).

With a baseline (``--baseline``) every result carries SARIF's ``baselineState``: ``new`` or ``unchanged``,
and the baseline's findings that are gone are listed as ``absent`` results (fixed since).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from evidence_kit import Finding, Report, Severity, hookimpl
from evidence_kit.reports import BUNDLE_ROOT
from evidence_kit_builtin.rules import catalogue

SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def _rule(code: str, first: Finding) -> dict[str, Any]:
    known = catalogue().get(code)
    title = known.title if known else code
    hint = (known.hint if known else first.hint) or ""
    cites = list(known.cites if known else first.cites)
    severity = known.severity if known else first.severity
    return {
        "id": code,
        "name": code,
        "shortDescription": {"text": title},
        "help": {"text": f"{hint} Cites: {'; '.join(cites)}." if cites else hint or title},
        "defaultConfiguration": {"level": _LEVEL[severity]},
        "properties": {"citations": cites, "tags": cites},
    }


def _artifact(file: str, root: str | None) -> dict[str, str]:
    """Return the SARIF artifactLocation of a bundle file: working-directory-relative when the root is known."""
    if root is None:
        return {"uri": quote(file), "uriBaseId": "BUNDLE"}
    return {"uri": quote(file if root == "." else f"{root}/{file}"), "uriBaseId": "%SRCROOT%"}


def _result(f: Finding, index: int, state: str | None, root: str | None) -> dict[str, Any]:
    loc = f.location
    result: dict[str, Any] = {
        "ruleId": f.code,
        "ruleIndex": index,
        "level": _LEVEL[f.severity],
        "message": {"text": f.message},
        "partialFingerprints": {"evidenceKit/v1": f.fingerprint},
        "properties": {"citations": list(f.cites), "plugin": f.plugin},
    }
    if state is not None:
        result["baselineState"] = state
    location: dict[str, Any] = {}
    if loc.file:
        physical: dict[str, Any] = {"artifactLocation": _artifact(loc.file, root)}
        if loc.line:
            physical["region"] = {"startLine": loc.line}
        location["physicalLocation"] = physical
    if loc.record:
        name = loc.record + (loc.field or "")
        location["logicalLocations"] = [{"name": loc.record, "fullyQualifiedName": name, "kind": "object"}]
    if location:
        result["locations"] = [location]
    for key in ("field", "page", "path"):
        value = getattr(loc, key)
        if value is not None:
            result["properties"][key] = value
    if f.hint:
        result["properties"]["hint"] = f.hint
    return result


class SarifFormat:
    """SARIF 2.1.0 for GitHub code scanning and other SARIF viewers."""

    name = "sarif"
    media_type = "application/sarif+json"
    suffix = ".sarif"

    def render(self, report: Report) -> str:
        """Render the report as one SARIF run."""
        fixed = report.baseline.fixed if report.baseline is not None else ()
        everything = [*report.findings, *fixed]
        codes = sorted({f.code for f in everything})
        first: dict[str, Finding] = {}
        for f in everything:
            first.setdefault(f.code, f)
        index = {c: i for i, c in enumerate(codes)}
        states = {"new": "new", "open": "unchanged", None: None}
        root = BUNDLE_ROOT.get()
        results = [_result(f, index[f.code], states[report.baseline_status(f)], root) for f in report.findings]
        results += [_result(f, index[f.code], "absent", root) for f in fixed]
        bases: dict[str, Any] = {"BUNDLE": {"description": {"text": f"the bundle folder {report.bundle}"}}}
        if root is not None:
            bases = {
                "%SRCROOT%": {"description": {"text": "the folder evidence-kit ran in (the repository root in CI)"}},
                "BUNDLE": {"uri": quote(f"{root}/"), "uriBaseId": "%SRCROOT%"},
            }
        run: dict[str, Any] = {
            "tool": {
                "driver": {
                    "name": "evidence-kit",
                    "version": report.tool_version,
                    "informationUri": "https://evidence-kit.dev",
                    "rules": [_rule(c, first[c]) for c in codes],
                }
            },
            "originalUriBaseIds": bases,
            "artifacts": [
                {"location": _artifact(o.file, root), "hashes": {"sha-256": o.sha256}}
                for o in report.inputs
                if o.sha256
            ],
            "results": results,
            "properties": {"bundle": report.bundle, "profile": report.profile, "asOf": report.as_of},
        }
        if report.baseline is not None:
            run["properties"]["baseline"] = {"report": report.baseline.report, "asOf": report.baseline.as_of}
        doc = {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}
        return json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


@hookimpl
def evidence_kit_report_formats() -> list[SarifFormat]:
    """Register the SARIF report format."""
    return [SarifFormat()]
