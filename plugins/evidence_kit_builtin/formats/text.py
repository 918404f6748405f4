"""Plain-text report: grouped by severity, then rule, each finding with its file location."""

from __future__ import annotations

from itertools import groupby

from evidence_kit import Report, Severity, hookimpl


class TextFormat:
    """Human-readable report for terminals and logs."""

    name = "text"
    media_type = "text/plain"
    suffix = ".txt"

    def render(self, report: Report) -> str:
        """Render findings by severity and code, then the per-file outcomes that were excluded."""
        counts = report.counts()
        out = [
            f"evidence-kit {report.tool_version} · bundle {report.bundle} · profile {report.profile} · "
            f"as of {report.as_of}",
            f"{report.record_count} records from {len(report.inputs)} files: {counts['error']} errors, "
            f"{counts['warning']} warnings, {counts['info']} info",
            "",
        ]
        base = report.baseline
        if base is not None:
            new = sum(1 for f in report.findings if report.baseline_status(f) == "new")
            records = (
                f"records {len(base.added)} added, {len(base.removed)} removed, {len(base.changed)} changed"
                if base.records_compared
                else "records not compared (the baseline has no record digests: rewrite it with --write-baseline)"
            )
            out[-1:] = [
                f"since baseline {base.report} (as of {base.as_of}): {new} new, {len(report.findings) - new} "
                f"still open, {len(base.fixed)} fixed; {records}",
                *(f"  fixed: {f.code} {f.location}" for f in base.fixed),
                "",
            ]
        for sev in Severity:
            found = sorted((f for f in report.findings if f.severity is sev), key=lambda f: f.code)
            if not found:
                continue
            out.append(f"{sev.value.upper()}S ({len(found)})")
            for code, group in groupby(found, key=lambda f: f.code):
                items = list(group)
                out.append(f"  {code} ({len(items)}) [{'; '.join(items[0].cites)}]")
                out += [
                    f"    {'[new] ' if report.baseline_status(f) == 'new' else ''}{f.location}: {f.message}"
                    for f in items
                ]
            out.append("")
        excluded = [o for o in report.inputs if not o.bound]
        out.append(f"FILES NOT BOUND ({len(excluded)} of {len(report.inputs)})")
        out += [f"  {o.file}: {o.excluded_by}: {o.reason}" for o in excluded]
        return "\n".join(out) + "\n"


@hookimpl
def evidence_kit_report_formats() -> list[TextFormat]:
    """Register the text report format."""
    return [TextFormat()]
