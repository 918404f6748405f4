"""HTML readiness report: one self-contained file a quality lead opens in a browser.

No network fetches: the CSS and the filter script are inline, there are no images, fonts or links
to other sites. The page holds a summary by severity and by inspection area (the sections of the
report's binder profile), every finding with its record and file, filters by severity, rule, area
and baseline status (the URL fragment keeps them, e.g. ``report.html#severity=error&area=…``), and
what changed since the baseline when the run had one.
"""

from __future__ import annotations

import html
from collections import Counter
from collections.abc import Iterable, Mapping

from evidence_kit import Finding, Report, Severity, hookimpl
from evidence_kit_builtin.profiles import fda_qmsr, qmm

#: binder profile → (sections in order, record type → section key, fallback key)
PROFILES: dict[str, tuple[tuple[tuple[str, str], ...], Mapping[str, str], str]] = {
    "fda-qmsr": (fda_qmsr.SECTIONS, fda_qmsr.TYPE_MAP, "general"),
    "qmm": (qmm.SECTIONS, qmm.TYPE_MAP, "general"),
}
NO_RECORD = "Bundle and plugins (no record)"

CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1d2430;background:#f6f7f9}
header{background:#1d2c4d;color:#fff;padding:16px 24px}header h1{margin:0 0 4px;font-size:20px}
header p{margin:0;opacity:.85}main{padding:16px 24px;max-width:1400px}
section{background:#fff;border:1px solid #dde1e7;border-radius:6px;padding:12px 16px;margin:0 0 16px}
h2{font-size:16px;margin:0 0 8px}table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:5px 8px;border-bottom:1px solid #e8ebef;vertical-align:top}
th{background:#f0f2f5;font-weight:600}.n{text-align:right;font-variant-numeric:tabular-nums}
.sev{display:inline-block;border-radius:3px;padding:0 6px;font-size:12px;font-weight:600;color:#fff}
.sev-error{background:#b42318}.sev-warning{background:#b54708}.sev-info{background:#175cd3}
.st{font-size:12px;font-weight:600}.st-new{color:#b42318}.st-open{color:#667085}
.tiles{display:flex;gap:12px;flex-wrap:wrap}
.tile{border:1px solid #dde1e7;border-radius:6px;padding:8px 14px;min-width:110px}
.tile b{display:block;font-size:22px}.filters{display:flex;gap:12px;flex-wrap:wrap;align-items:end;margin-bottom:8px}
.filters label{display:flex;flex-direction:column;font-size:12px;color:#475467}
select{font:inherit;padding:3px}code{font-size:12px;word-break:break-all}.msg{max-width:640px}
td.rule code{word-break:normal;overflow-wrap:normal}
.muted{color:#667085}ul.changes{margin:4px 0;padding-left:20px}
"""

SCRIPT = """
(function () {
  var keys = ["severity", "rule", "area", "status"];
  var rows = Array.prototype.slice.call(document.querySelectorAll("#findings tbody tr"));
  function current() {
    var f = {};
    keys.forEach(function (k) { var el = document.getElementById("filter-" + k); f[k] = el ? el.value : ""; });
    return f;
  }
  function apply() {
    var f = current(), shown = 0;
    rows.forEach(function (row) {
      var ok = keys.every(function (k) { return !f[k] || row.getAttribute("data-" + k) === f[k]; });
      row.hidden = !ok;
      if (ok) { shown += 1; }
    });
    document.getElementById("shown-count").textContent = String(shown);
    var parts = keys.filter(function (k) { return f[k]; }).map(function (k) {
      return k + "=" + encodeURIComponent(f[k]);
    });
    if (history.replaceState) { history.replaceState(null, "", parts.length ? "#" + parts.join("&") : "#"); }
  }
  function fromHash() {
    location.hash.replace(/^#/, "").split("&").forEach(function (pair) {
      var i = pair.indexOf("=");
      if (i < 1) { return; }
      var el = document.getElementById("filter-" + pair.slice(0, i));
      if (el) { el.value = decodeURIComponent(pair.slice(i + 1)); }
    });
  }
  keys.forEach(function (k) {
    var el = document.getElementById("filter-" + k);
    if (el) { el.addEventListener("change", apply); }
  });
  document.getElementById("filter-reset").addEventListener("click", function () {
    keys.forEach(function (k) { var el = document.getElementById("filter-" + k); if (el) { el.value = ""; } });
    apply();
  });
  fromHash();
  apply();
})();
"""


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _rule(code: str) -> str:
    """Return a rule code, escaped, that a narrow cell breaks only after its dots and hyphens (never mid-word)."""
    return _e(code).replace(".", ".<wbr>").replace("-", "-<wbr>")


class _Areas:
    """Maps findings to inspection areas through the profile's record-type → section map."""

    def __init__(self, report: Report) -> None:
        sections, type_map, fallback = PROFILES.get(report.profile, ((), {}, ""))
        self.titles = dict(sections)
        self.order = [title for _, title in sections]
        self.type_map = type_map
        self.fallback = fallback
        self.types = {(d.file, d.id): d.type for d in report.records}
        self.file_types: dict[str, str] = {}
        for d in report.records:
            self.file_types.setdefault(d.file, d.type)

    def of_type(self, rtype: str) -> str:
        if not self.titles:
            return rtype.replace("_", " ").capitalize()
        key = self.type_map.get(rtype, self.fallback)
        return self.titles.get(key, self.titles.get(self.fallback, key))

    def of(self, finding: Finding) -> str:
        loc = finding.location
        rtype = self.types.get((loc.file, loc.record or "")) or self.file_types.get(loc.file)
        return self.of_type(rtype) if rtype else NO_RECORD

    def sort_key(self, area: str) -> tuple[int, str]:
        return (self.order.index(area) if area in self.order else len(self.order), area)


def _options(name: str, label: str, values: Iterable[str]) -> str:
    opts = "".join(f'<option value="{_e(v)}">{_e(v)}</option>' for v in values)
    return f'<label>{label}<select id="filter-{name}"><option value="">all</option>{opts}</select></label>'


def _where(f: Finding) -> str:
    loc = f.location
    parts = [loc.file or "(bundle)"]
    if loc.line is not None:
        parts[0] += f":{loc.line}"
    if loc.page is not None:
        parts[0] += f" p.{loc.page}"
    return "".join(f"<code>{_e(p)}</code>" for p in parts) + (f"<br><code>{_e(loc.path)}</code>" if loc.path else "")


class HtmlFormat:
    """Self-contained HTML readiness report with filters (severity, rule, area, baseline status)."""

    name = "html"
    media_type = "text/html"
    suffix = ".html"

    def render(self, report: Report) -> str:
        """Render the whole page."""
        areas = _Areas(report)
        area_of = {id(f): areas.of(f) for f in report.findings}
        counts = report.counts()
        by_area: dict[str, Counter[str]] = {}
        for f in report.findings:
            by_area.setdefault(area_of[id(f)], Counter())[f.severity.value] += 1
        area_names = sorted(by_area, key=areas.sort_key)
        rules = sorted({f.code for f in report.findings})
        base = report.baseline

        out = [
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>Readiness report · {_e(report.bundle)}</title>",
            f"<style>{CSS}</style></head><body>",
            f"<header><h1>Inspection readiness · {_e(report.bundle)}</h1>",
            f"<p>profile {_e(report.profile)} · as of {_e(report.as_of)} · evidence-kit {_e(report.tool_version)} · "
            f"{report.record_count} records from {len(report.inputs)} files</p></header><main>",
            '<section id="summary"><h2>Summary</h2><div class="tiles">',
        ]
        for sev in Severity:
            out.append(
                f'<div class="tile" data-severity="{sev.value}"><b class="count">{counts[sev.value]}</b>'
                f'<span class="sev sev-{sev.value}">{sev.value}</span></div>'
            )
        if base is not None:
            new = sum(1 for f in report.findings if report.baseline_status(f) == "new")
            for label, n, key in (
                ("new since baseline", new, "new"),
                ("still open", len(report.findings) - new, "open"),
                ("fixed", len(base.fixed), "fixed"),
            ):
                out.append(f'<div class="tile" data-baseline="{key}"><b class="count">{n}</b>{label}</div>')
        out.append("</div>")
        out.append('<h2 style="margin-top:12px">By inspection area</h2>')
        out.append('<table id="areas"><thead><tr><th>Area</th>')
        out += [f'<th class="n">{s.value}</th>' for s in Severity]
        out.append('<th class="n">total</th></tr></thead><tbody>')
        for area in area_names:
            c = by_area[area]
            out.append(f'<tr data-area="{_e(area)}"><td>{_e(area)}</td>')
            out += [f'<td class="n">{c[s.value]}</td>' for s in Severity]
            out.append(f'<td class="n">{sum(c.values())}</td></tr>')
        out.append("</tbody></table></section>")

        if base is not None:
            out.append(self._baseline(report))

        out.append('<section id="findings-section"><h2>Findings</h2><div class="filters">')
        out.append(_options("severity", "Severity", [s.value for s in Severity if counts[s.value]]))
        out.append(_options("rule", "Rule", rules))
        out.append(_options("area", "Inspection area", area_names))
        if base is not None:
            out.append(_options("status", "Since baseline", ["new", "open"]))
        out.append(
            '<button type="button" id="filter-reset">Show all</button>'
            f'<span class="muted">showing <b id="shown-count">{len(report.findings)}</b> of '
            f"{len(report.findings)}</span></div>"
        )
        out.append(
            '<table id="findings"><thead><tr><th>Severity</th><th>Rule</th><th>Area</th><th>Record</th>'
            f"<th>File</th><th>Field</th><th>Finding</th><th>Cites</th>{'<th>Status</th>' if base else ''}"
            "</tr></thead><tbody>"
        )
        # errors first, then warnings, then info; report order (file, record, field) within each
        for f in sorted(report.findings, key=lambda f: -f.severity.rank):
            status = report.baseline_status(f) or ""
            loc = f.location
            hint = f'<br><span class="muted">Fix: {_e(f.hint.splitlines()[0])}</span>' if f.hint else ""
            out.append(
                f'<tr data-severity="{f.severity.value}" data-rule="{_e(f.code)}" data-area="{_e(area_of[id(f)])}" '
                f'data-status="{status}" data-fingerprint="{f.fingerprint}">'
                f'<td><span class="sev sev-{f.severity.value}">{f.severity.value}</span></td>'
                f'<td class="rule"><code>{_rule(f.code)}</code></td><td>{_e(area_of[id(f)])}</td>'
                f'<td class="record">{_e(loc.record or "")}</td><td class="file">{_where(f)}</td>'
                f'<td><code>{_e(loc.field or "")}</code></td><td class="msg">{_e(f.message)}{hint}</td>'
                f"<td>{_e('; '.join(f.cites))}</td>"
                + (f'<td><span class="st st-{status}">{status}</span></td>' if base else "")
                + "</tr>"
            )
        out.append("</tbody></table></section>")

        excluded = [o for o in report.inputs if not o.bound]
        out.append(f'<section id="excluded"><h2>Files not in the binder ({len(excluded)} of {len(report.inputs)})</h2>')
        if excluded:
            out.append("<table><thead><tr><th>File</th><th>Why</th></tr></thead><tbody>")
            out += [
                f"<tr><td><code>{_e(o.file)}</code></td><td><code>{_e(o.excluded_by)}</code> {_e(o.reason)}</td></tr>"
                for o in excluded
            ]
            out.append("</tbody></table>")
        out.append("</section>")
        out.append(f"</main><script>{SCRIPT}</script></body></html>")
        return "\n".join(out) + "\n"

    def _baseline(self, report: Report) -> str:
        base = report.baseline
        assert base is not None
        out = [
            f'<section id="baseline"><h2>Changes since the baseline {_e(base.report)}</h2>',
            f'<p class="muted">baseline as of {_e(base.as_of)}, evidence-kit {_e(base.tool_version)}</p>',
            f'<h3>Fixed findings (<span id="fixed-count">{len(base.fixed)}</span>)</h3>',
        ]
        if base.fixed:
            out.append('<ul class="changes" id="fixed">')
            out += [
                f"<li><code>{_e(f.code)}</code> {_e(f.location.record or f.location.file)}: {_e(f.message)}</li>"
                for f in base.fixed
            ]
            out.append("</ul>")
        if not base.records_compared:
            out.append(
                '<h3 id="records-not-compared">Records not compared: the baseline has no record digests '
                "(an older evidence-kit wrote it). Rewrite it with --write-baseline.</h3></section>"
            )
            return "".join(out)
        out.append(
            f'<h3>Records: <span id="added-count">{len(base.added)}</span> added, '
            f'<span id="removed-count">{len(base.removed)}</span> removed, '
            f'<span id="changed-count">{len(base.changed)}</span> changed</h3><ul class="changes" id="record-changes">'
        )
        out += [f'<li class="added">added <code>{_e(r)}</code></li>' for r in base.added]
        out += [f'<li class="removed">removed <code>{_e(r)}</code></li>' for r in base.removed]
        out += [
            f'<li class="changed">changed <code>{_e(r)}</code>: {_e(", ".join(fields))}</li>'
            for r, fields in base.changed
        ]
        out.append("</ul></section>")
        return "".join(out)


@hookimpl
def evidence_kit_report_formats() -> list[HtmlFormat]:
    """Register the HTML readiness report format."""
    return [HtmlFormat()]
