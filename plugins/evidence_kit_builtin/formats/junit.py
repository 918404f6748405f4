"""JUnit XML report: one test suite per rule, one test case per rule and record, for CI dashboards.

Errors and warnings become ``<failure>`` elements (``type`` is the severity); info findings pass with the
finding in ``<system-out>``. An ``inputs`` suite has one case per input file (failing on its ``ingest.*``
findings), so a run without findings still shows what was checked.

With a baseline (``--baseline``) only new findings fail: a case whose findings were all in the baseline
already is ``<skipped>`` (still open, not new) and lists them in ``<system-out>``, so a CI dashboard
turns red exactly when the exit code does.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import defaultdict

from evidence_kit import Finding, Report, Severity, hookimpl
from evidence_kit_builtin.rules import catalogue


def _detail(f: Finding) -> str:
    lines = [f"{f.location}: {f.message}"]
    if f.cites:
        lines.append(f"Cites: {'; '.join(f.cites)}")
    if f.hint:
        lines.append(f"Fix: {f.hint}")
    return "\n".join(lines)


def _case(
    suite: ET.Element, classname: str, name: str, findings: list[Finding], file: str | None, report: Report
) -> int:
    """Add a test case; return 1 when it fails."""
    attrs = {"classname": classname, "name": name, "time": "0"}
    if file:
        attrs["file"] = file
    case = ET.SubElement(suite, "testcase", attrs)
    serious = [f for f in findings if f.severity is not Severity.INFO]
    failing = [f for f in serious if report.baseline_status(f) != "open"]
    still_open = [f for f in serious if report.baseline_status(f) == "open"]
    for f in failing:
        failure = ET.SubElement(case, "failure", {"type": f.severity.value, "message": f.message})
        failure.text = _detail(f)
    if still_open and not failing and report.baseline is not None:
        message = f"{len(still_open)} finding(s) already open in the baseline {report.baseline.report}; none new"
        ET.SubElement(case, "skipped", {"message": message})
    out = [f"still open since the baseline: {_detail(f)}" for f in still_open]
    out += [_detail(f) for f in findings if f.severity is Severity.INFO]
    if out:
        ET.SubElement(case, "system-out").text = "\n".join(out)
    return 1 if failing else 0


class JUnitFormat:
    """JUnit XML for CI test dashboards (Jenkins, GitLab, Azure DevOps, GitHub test reporters)."""

    name = "junit"
    media_type = "application/xml"
    suffix = ".xml"

    def render(self, report: Report) -> str:
        """Render the report as a ``<testsuites>`` document."""
        root = ET.Element("testsuites", {"name": f"evidence-kit {report.bundle}"})
        titles = {code: r.title for code, r in catalogue().items()}
        by_file: dict[str, list[Finding]] = defaultdict(list)
        by_rule: dict[str, dict[str, list[Finding]]] = defaultdict(lambda: defaultdict(list))
        for f in report.findings:
            by_rule[f.code][f.location.record or f.location.file or "(run)"].append(f)
            if f.code.startswith("ingest."):
                by_file[f.location.file].append(f)
        total = failures = 0
        inputs = ET.SubElement(root, "testsuite", {"name": "inputs"})
        suite_fail = 0
        for outcome in report.inputs:
            suite_fail += _case(inputs, "inputs", outcome.file, by_file.get(outcome.file, []), outcome.file, report)
        inputs.set("tests", str(len(report.inputs)))
        inputs.set("failures", str(suite_fail))
        total, failures = len(report.inputs), suite_fail
        for code in sorted(by_rule):
            suite = ET.SubElement(root, "testsuite", {"name": code})
            if code in titles:
                ET.SubElement(ET.SubElement(suite, "properties"), "property", {"name": "title", "value": titles[code]})
            suite_fail = 0
            for record, found in sorted(by_rule[code].items()):
                suite_fail += _case(suite, code, record, found, found[0].location.file or None, report)
            suite.set("tests", str(len(by_rule[code])))
            suite.set("failures", str(suite_fail))
            total += len(by_rule[code])
            failures += suite_fail
        root.set("tests", str(total))
        root.set("failures", str(failures))
        ET.indent(root)
        return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


@hookimpl
def evidence_kit_report_formats() -> list[JUnitFormat]:
    """Register the JUnit XML report format."""
    return [JUnitFormat()]
