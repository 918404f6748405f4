"""Run the selected rules over the record set under containment, and assemble the report."""

from __future__ import annotations

import traceback
from collections.abc import Iterable, Sequence

from evidence_kit._catalog import CORE_CODES
from evidence_kit._config import Config
from evidence_kit._plugins import Registry
from evidence_kit.contracts import RuleContext
from evidence_kit.model import Finding, InputOutcome, Location, RecordSet, Report, Severity


def code_selected(code: str, select: Sequence[str], ignore: Sequence[str]) -> bool:
    """Return True when ``code`` passes ``--select``/``--ignore`` (prefixes, as in ruff)."""

    def hit(pattern: str) -> bool:
        p = pattern.rstrip(".")
        return code == p or code.startswith(p + ".")

    if select and not any(hit(p) for p in select):
        return False
    return not any(hit(p) for p in ignore)


def duplicate_ids(records: RecordSet) -> list[Finding]:
    """Return one ``records.duplicate-id`` finding per record whose id another record also uses."""
    meta = CORE_CODES["records.duplicate-id"]
    out = []
    seen: set[str] = set()
    for rec in records:
        twins = records.all_with_id(rec.id)
        if len(twins) < 2 or rec.id in seen:
            continue
        seen.add(rec.id)
        places = ", ".join(str(t.location) for t in twins)
        for t in twins:
            loc = t.location
            out.append(
                Finding(
                    meta.code,
                    meta.severity,
                    f"Record id {rec.id} is used by {len(twins)} records ({places}); ids must be unique.",
                    Location(loc.file, t.id, "/id", loc.line, loc.page, loc.path),
                    meta.cites,
                    meta.hint,
                )
            )
    return out


def run_rules(records: RecordSet, config: Config, registry: Registry) -> list[Finding]:
    """Run every selected rule; a rule that raises becomes an ``engine.rule-crashed`` finding."""
    findings: list[Finding] = []
    settings = config.settings()
    for code, (plugin, rule) in sorted(registry.rules.items()):
        if not code_selected(code, config.select, config.ignore):
            continue
        options = {**rule.options, **config.rules.get(code, {})}
        ctx = RuleContext(code, rule.severity, rule.cites, rule.hint, options, config.as_of, settings, plugin)
        try:
            findings.extend(rule.check(records, ctx))
        except Exception as exc:
            tb = "".join(traceback.format_exception(exc, limit=-3)).strip()
            findings.append(
                Finding(
                    "engine.rule-crashed",
                    Severity.ERROR,
                    f"Rule {code} from plugin {plugin!r} crashed: {type(exc).__name__}: {exc}. "
                    "Its findings are missing from this report.",
                    Location("", path=code),
                    CORE_CODES["engine.rule-crashed"].cites,
                    tb,
                    plugin,
                )
            )
    return findings


def assemble_report(
    config: Config,
    registry: Registry,
    outcomes: Iterable[InputOutcome],
    findings: Iterable[Finding],
    record_count: int,
    tool_version: str,
) -> Report:
    """Filter findings by select/ignore, sort everything deterministically and build the Report."""
    kept = [
        f
        for f in findings
        if f.code.split(".")[0] in ("ingest", "schema", "engine") or code_selected(f.code, (), config.ignore)
    ]
    return Report(
        tool_version=tool_version,
        bundle=config.bundle.name,
        profile=config.profile,
        as_of=config.as_of.isoformat(),
        plugins=registry.plugins,
        inputs=tuple(sorted(outcomes, key=lambda o: o.file)),
        findings=tuple(sorted(set(kept), key=Finding.sort_key)),
        record_count=record_count,
    )
