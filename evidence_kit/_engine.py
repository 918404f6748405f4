"""Run the selected rules under containment, and assemble the report.

Rules come in two scopes (:class:`evidence_kit.contracts.Rule`). Set-scoped rules run once over the
whole record set (:func:`run_rules`). Record-scoped rules run per input file
(:class:`RecordRules`), in the worker that ingested it, and their findings are cached with the file:
on a rerun only the files that changed are rule-checked again. A record-scoped rule that read
``now`` while checking a file is rerun for that file whenever ``now`` (``as_of``) moves; one that
did not read it gives the same findings at any time, so its findings are kept.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import importlib.util
import inspect
import traceback
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evidence_kit._catalog import CORE_CODES
from evidence_kit._config import Config
from evidence_kit._plugins import Registry
from evidence_kit.contracts import Rule, RuleContext
from evidence_kit.model import Finding, InputOutcome, Location, Record, RecordSet, Report, Severity, canonical_json


def code_selected(code: str, select: Sequence[str], ignore: Sequence[str]) -> bool:
    """Return True when ``code`` passes ``--select``/``--ignore`` (prefixes, as in ruff)."""

    def hit(pattern: str) -> bool:
        p = pattern.rstrip(".")
        return code == p or code.startswith(p + ".")

    if select and not any(hit(p) for p in select):
        return False
    return not any(hit(p) for p in ignore)


def duplicate_ids(records: RecordSet) -> list[Finding]:
    """Return one ``records.duplicate-id`` finding per record whose id another record also uses.

    The ``document`` record of a PDF does not count against a record read from that same PDF (a form
    ``CMP-9.pdf`` whose fields make complaint CMP-9): both describe one file, and the binder binds them as one.
    """
    meta = CORE_CODES["records.duplicate-id"]
    out = []
    seen: set[str] = set()
    for rec in records:
        same_id = records.all_with_id(rec.id)
        if len(same_id) < 2 or rec.id in seen:
            continue
        twins = [
            t
            for t in same_id
            if not (
                t.type == "document"
                and any(o.type != "document" and o.location.file == t.location.file for o in same_id)
            )
        ]
        if len(twins) < 2:
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


def rule_scope(rule: Rule) -> str:
    """Return ``"record"`` for a record-scoped rule, else ``"set"`` (also for rules that do not say)."""
    return "record" if getattr(rule, "scope", "set") == "record" else "set"


def _selected(config: Config, registry: Registry, scope: str | None) -> list[tuple[str, str, Rule, dict[str, Any]]]:
    """Return ``(code, plugin, rule, options)`` of the selected rules of ``scope`` (None: all), by code."""
    return [
        (code, plugin, rule, {**rule.options, **config.rules.get(code, {})})
        for code, (plugin, rule) in sorted(registry.rules.items())
        if code_selected(code, config.select, config.ignore) and (scope is None or rule_scope(rule) == scope)
    ]


def _check(rule: Rule, records: RecordSet, ctx: RuleContext, where: str = "") -> list[Finding]:
    """Run one rule; an exception becomes an ``engine.rule-crashed`` finding (``where``: the file it ran on)."""
    try:
        return list(rule.check(records, ctx))
    except Exception as exc:
        tb = "".join(traceback.format_exception(exc, limit=-3)).strip()
        on = f" on the records of {where}" if where else ""
        return [
            Finding(
                "engine.rule-crashed",
                Severity.ERROR,
                f"Rule {ctx.code} from plugin {ctx.plugin!r} crashed{on}: {type(exc).__name__}: {exc}. "
                "Its findings are missing from this report.",
                Location(where, path=ctx.code),
                CORE_CODES["engine.rule-crashed"].cites,
                tb,
                ctx.plugin,
            )
        ]


def run_rules(records: RecordSet, config: Config, registry: Registry, scope: str | None = None) -> list[Finding]:
    """Run every selected rule of ``scope`` (None: every rule) over ``records``.

    A rule that raises becomes an ``engine.rule-crashed`` finding.
    """
    findings: list[Finding] = []
    settings = config.settings()
    for code, plugin, rule, options in _selected(config, registry, scope):
        ctx = RuleContext(code, rule.severity, rule.cites, rule.hint, options, config.as_of, settings, plugin)
        findings.extend(_check(rule, records, ctx))
    return findings


class _ClockWatch(RuleContext):
    """A RuleContext that notes whether the rule read ``now`` (then its findings may change with time)."""

    def __getattribute__(self, name: str) -> Any:
        if name == "now":
            object.__setattr__(self, "read_now", True)
        return super().__getattribute__(name)


@dataclass
class RuleResults:
    """The findings of the record-scoped rules on one input file's records.

    Attributes:
        key: :attr:`RecordRules.key` of the run that made them.
        now: The ``as_of`` they were judged at (ISO 8601).
        steady: Findings of the rules that did not read ``now``: valid at any time.
        timed: ``{code: findings}`` of the rules that read ``now``: valid at ``now`` only.
    """

    key: str
    now: str
    steady: list[Finding] = field(default_factory=list)
    timed: dict[str, list[Finding]] = field(default_factory=dict)

    def findings(self) -> list[Finding]:
        """Return every finding, steady and timed."""
        return [*self.steady, *(f for code in sorted(self.timed) for f in self.timed[code])]


@functools.cache
def _package_digest(module_name: str) -> str:
    """Return a SHA-256 over the ``.py`` and ``.json`` files of the top-level package of ``module_name``.

    It goes into :attr:`RecordRules.key`, so editing a rule (or its data) invalidates cached findings
    even when the plugin's version number stays the same.
    """
    top = module_name.split(".")[0]
    spec = importlib.util.find_spec(top)
    h = hashlib.sha256(top.encode())
    if spec is None or spec.origin is None:
        return h.hexdigest()
    root = Path(spec.origin).parent
    files = [root / Path(spec.origin).name] if spec.submodule_search_locations is None else sorted(root.rglob("*"))
    for path in files:
        if path.suffix in (".py", ".json") and path.is_file():
            h.update(f"\0{path.relative_to(root).as_posix()}\0".encode())
            h.update(path.read_bytes())
    return h.hexdigest()


def _rule_module(rule: Rule) -> str:
    target = getattr(rule, "function", None) or type(rule)
    module = inspect.getmodule(target)
    return module.__name__ if module is not None else ""


class RecordRules:
    """The selected record-scoped rules of a run, applied to one input file's records at a time."""

    def __init__(self, config: Config, registry: Registry) -> None:
        """Select the record-scoped rules and compute :attr:`key`, the digest their findings depend on."""
        self.rules = _selected(config, registry, "record")
        self.settings = config.settings()
        self.as_of = config.as_of
        self.now = config.as_of.isoformat()
        material = [
            [
                code,
                plugin,
                rule.severity.value,
                list(rule.cites),
                rule.hint,
                options,
                sorted(rule.record_types),
                _package_digest(_rule_module(rule)),
            ]
            for code, plugin, rule, options in self.rules
        ]
        text = canonical_json([material, self.settings])
        self.key = hashlib.sha256(text.encode()).hexdigest()

    def run(self, rel: str, records: Sequence[Record], only: Collection[str] | None = None) -> RuleResults:
        """Run the rules (those in ``only``, when given) on ``records``, the records of input file ``rel``."""
        out = RuleResults(self.key, self.now)
        if not records:
            return out
        present = {r.type for r in records}
        subset = RecordSet.of(records)
        for code, plugin, rule, options in self.rules:
            if only is not None and code not in only:
                continue
            types = rule.record_types
            if types and "*" not in types and types.isdisjoint(present):
                continue
            ctx = _ClockWatch(code, rule.severity, rule.cites, rule.hint, options, self.as_of, self.settings, plugin)
            found = _check(rule, subset, ctx, rel)
            if getattr(ctx, "read_now", False):
                out.timed[code] = found
            else:
                out.steady.extend(found)
        return out

    def refresh(self, rel: str, records: Sequence[Record], cached: RuleResults | None) -> RuleResults:
        """Return ``cached`` updated: all rules rerun when the key differs, timed ones when ``now`` does."""
        if cached is None or cached.key != self.key:
            return self.run(rel, records)
        if cached.now == self.now:
            return cached
        again = self.run(rel, records, only=set(cached.timed))
        return dataclasses.replace(cached, now=self.now, timed=again.timed, steady=[*cached.steady, *again.steady])


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
