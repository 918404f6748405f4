"""JSON report: versioned, key-sorted, valid against ``schemas/report.schema.json``."""

from __future__ import annotations

from evidence_kit import Report, hookimpl
from evidence_kit.reports import report_to_json


class JsonFormat:
    """Machine-readable report for CI and other tools."""

    name = "json"
    media_type = "application/json"
    suffix = ".json"

    def render(self, report: Report) -> str:
        """Render the report as canonical JSON."""
        return report_to_json(report)


@hookimpl
def evidence_kit_report_formats() -> list[JsonFormat]:
    """Register the JSON report format."""
    return [JsonFormat()]
