"""Plugin loading and the per-run registry of record types, sources, rules, profiles and formats.

A fresh plugin manager is built for every run by :func:`get_plugin_manager`; nothing is loaded at
import time. Built-ins are registered by the same call as entry-point plugins.
"""

from __future__ import annotations

import importlib
import importlib.metadata as md
import os
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import pluggy

from evidence_kit import hookspecs
from evidence_kit.contracts import Analysis, BinderProfile, RecordType, ReportFormat, Rule, Source
from evidence_kit.errors import PluginError
from evidence_kit.model import Finding, Location, PluginInfo, Severity

#: Built-in plugins: short name → module. Strings, so the core never imports them directly.
DEFAULT_PLUGINS: dict[str, str] = {
    "record-types": "evidence_kit_builtin.record_types",
    "json": "evidence_kit_builtin.sources.json_records",
    "xml": "evidence_kit_builtin.sources.xml_source",
    "csv": "evidence_kit_builtin.sources.csv_records",
    "pdf": "evidence_kit_builtin.sources.pdf_source",
    "complaints": "evidence_kit_builtin.rules.complaints",
    "part11": "evidence_kit_builtin.rules.part11",
    "chronology": "evidence_kit_builtin.rules.chronology",
    "servicing": "evidence_kit_builtin.rules.servicing",
    "capa": "evidence_kit_builtin.rules.capa",
    "linkage": "evidence_kit_builtin.rules.linkage",
    "labeling": "evidence_kit_builtin.rules.labeling",
    "udi": "evidence_kit_builtin.rules.udi",
    "reporting": "evidence_kit_builtin.rules.reporting",
    "drugs": "evidence_kit_builtin.rules.drugs",
    "records": "evidence_kit_builtin.rules.records",
    "production": "evidence_kit_builtin.rules.production",
    "management": "evidence_kit_builtin.rules.management",
    "fda-qmsr": "evidence_kit_builtin.profiles.fda_qmsr",
    "qmm": "evidence_kit_builtin.profiles.qmm",
    "text": "evidence_kit_builtin.formats.text",
    "json-report": "evidence_kit_builtin.formats.json_report",
    "junit": "evidence_kit_builtin.formats.junit",
    "sarif": "evidence_kit_builtin.formats.sarif",
    "gap": "evidence_kit_builtin.gap.plugin",
    "terminology": "evidence_kit_builtin.rules.terminology",
    "risk": "evidence_kit_builtin.rules.risk",
    "improvement-plan": "evidence_kit_builtin.rules.improvement_plan",
    "html-report": "evidence_kit_builtin.formats.html",
}

ENTRY_POINT_GROUP = "evidence_kit"
HOOK_NAMES = (
    "evidence_kit_record_types",
    "evidence_kit_sources",
    "evidence_kit_rules",
    "evidence_kit_binder_profiles",
    "evidence_kit_report_formats",
    "evidence_kit_analyses",
)


def _builtin_version() -> str:
    try:
        return md.version("evidence-kit")
    except md.PackageNotFoundError:  # a source checkout that was never installed
        return "0+unknown"


def get_plugin_manager(
    *,
    entry_points: bool = True,
    disabled: Iterable[str] = (),
    extra: Iterable[tuple[str, object]] = (),
) -> pluggy.PluginManager:
    """Build a fresh plugin manager: built-ins, then entry-point plugins, then ``extra``.

    Args:
        entry_points: Load third-party plugins from the ``evidence_kit`` entry-point group. The
            environment variable ``EVIDENCE_KIT_PLUGINS`` (comma-separated entry-point names, or
            empty for none) narrows the set.
        disabled: Plugin names to block (built-in or third-party), like pytest's ``-p no:NAME``.
        extra: ``(name, plugin object)`` pairs registered last, for tests and embedding.

    Raises:
        PluginError: A plugin failed to import, or implements a hook that does not exist.
    """
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    blocked = set(disabled)
    for name in blocked:
        pm.set_blocked(name)
    origins: dict[str, tuple[str, str]] = {}
    for name, module_name in DEFAULT_PLUGINS.items():
        if name in blocked:
            continue
        module = importlib.import_module(module_name)
        pm.register(module, name)
        origins[name] = ("built-in", _builtin_version())
    if entry_points:
        _load_entry_points(pm, blocked, origins)
    for name, plugin in extra:
        if name not in blocked:
            pm.register(plugin, name)
            origins[name] = ("extra", getattr(plugin, "__version__", "0"))
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        raise PluginError(
            f"plugin {exc.plugin!r} implements a hook that does not exist: {exc}",
            hint="Hook names start with evidence_kit_; see docs/plugins.md for the list.",
        ) from exc
    pm._evidence_kit_origins = origins  # type: ignore[attr-defined]
    if os.environ.get("EVIDENCE_KIT_TRACE_PLUGINS"):
        pm.trace.root.setwriter(print)
        pm.enable_tracing()
    return pm


def _load_entry_points(pm: pluggy.PluginManager, blocked: set[str], origins: dict[str, tuple[str, str]]) -> None:
    wanted_env = os.environ.get("EVIDENCE_KIT_PLUGINS")
    wanted = None if wanted_env is None else {n.strip() for n in wanted_env.split(",") if n.strip()}
    for ep in sorted(md.entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        if ep.name in blocked or (wanted is not None and ep.name not in wanted):
            continue
        if pm.get_plugin(ep.name) is not None or pm.is_blocked(ep.name):
            continue
        dist = ep.dist.name if ep.dist else "?"
        version = ep.dist.version if ep.dist else "?"
        try:
            plugin = ep.load()
        except Exception as exc:
            raise PluginError(
                f"plugin {ep.name!r} from distribution {dist!r} failed to import "
                f"(entry point {ep.name} = {ep.value}): {type(exc).__name__}: {exc}",
                hint=f"Fix or uninstall {dist}, or run with --disable {ep.name}.",
            ) from exc
        pm.register(plugin, ep.name)
        origins[ep.name] = (f"distribution {dist}", version)


def plugin_inventory(pm: pluggy.PluginManager) -> list[PluginInfo]:
    """List every registered plugin with its version, origin and the hooks it implements."""
    origins: dict[str, tuple[str, str]] = getattr(pm, "_evidence_kit_origins", {})
    out = []
    for name, plugin in pm.list_name_plugin():
        if plugin is None:
            continue
        hooks = tuple(sorted(h.name for h in pm.get_hookcallers(plugin) or ()))
        origin, version = origins.get(name, ("extra", "0"))
        out.append(PluginInfo(name, version, origin, hooks))
    return sorted(out, key=lambda p: (p.origin != "built-in", p.name))


def _crash(plugin: str, hook: str, exc: BaseException) -> Finding:
    tb = "".join(traceback.format_exception(exc, limit=-3)).strip()
    return Finding(
        "engine.plugin-crashed",
        Severity.ERROR,
        f"Plugin {plugin!r} raised {type(exc).__name__} in {hook}: {exc}. Its contributions are missing from this run.",
        Location(file="", path=hook),
        hint=f"Report this to the plugin's author, or run with --disable {plugin}.\n{tb}",
        plugin=plugin,
    )


@dataclass
class Registry:
    """Everything the plugins provide for one run, with the plugin that provided each piece."""

    record_types: dict[str, RecordType] = field(default_factory=dict)
    sources: list[tuple[str, Source]] = field(default_factory=list)
    rules: dict[str, tuple[str, Rule]] = field(default_factory=dict)
    profiles: dict[str, BinderProfile] = field(default_factory=dict)
    formats: dict[str, ReportFormat] = field(default_factory=dict)
    analyses: dict[str, Analysis] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    plugins: tuple[PluginInfo, ...] = ()

    def source(self, name: str) -> Source | None:
        """Return the source registered under ``name``, or None."""
        return next((s for _, s in self.sources if s.name == name), None)


def _collect(pm: pluggy.PluginManager, hook_name: str, reg: Registry) -> list[tuple[str, Any]]:
    """Call each implementation of a registry hook on its own, so a crash is pinned on its plugin.

    Implementations are called in pluggy's order (tryfirst … trylast), which is how sources
    give plugins first refusal over the built-ins.
    """
    caller = getattr(pm.hook, hook_name)
    out: list[tuple[str, Any]] = []
    for impl in reversed(caller.get_hookimpls()):  # pluggy calls the last-registered first
        name = pm.get_name(impl.plugin) or "?"
        try:
            items = list(impl.function() or ())
        except Exception as exc:
            reg.findings.append(_crash(name, hook_name, exc))
            continue
        out.extend((name, item) for item in items)
    return out


def _unique(
    kind: str, items: list[tuple[str, Any]], key: Callable[[Any], str], seen: dict[str, str] | None = None
) -> dict[str, tuple[str, Any]]:
    owners: dict[str, str] = dict(seen or {})
    out: dict[str, tuple[str, Any]] = {}
    for plugin, item in items:
        k = key(item)
        if k in owners:
            raise PluginError(
                f"{kind} {k!r} is registered twice: by plugin {owners[k]!r} and by plugin {plugin!r}.",
                hint=f"Rename one of them, or run with --disable {plugin}.",
            )
        owners[k] = plugin
        out[k] = (plugin, item)
    return out


def build_registry(pm: pluggy.PluginManager) -> Registry:
    """Collect every plugin's contributions, rejecting duplicate names and codes.

    Raises:
        PluginError: Two plugins register the same record type, source, rule code, profile or
            format, or a rule breaks its contract (no citation, bad code).
    """
    reg = Registry(plugins=tuple(plugin_inventory(pm)))
    types = _unique("record type", _collect(pm, "evidence_kit_record_types", reg), lambda t: t.name)
    reg.record_types = {k: v for k, (_, v) in types.items()}
    sources = _collect(pm, "evidence_kit_sources", reg)
    _unique("source", sources, lambda s: s.name)
    reg.sources = sources
    rules = _unique("rule code", _collect(pm, "evidence_kit_rules", reg), lambda r: r.code)
    for code, (plugin, r) in rules.items():
        if "." not in code or not r.cites or not r.title:
            raise PluginError(
                f"rule {code!r} from plugin {plugin!r} breaks the rule contract: it needs a dotted "
                "code (pack.name), a title and at least one citation.",
                hint=f"Fix the rule, or run with --disable {plugin}.",
            )
    reg.rules = rules
    profiles = _unique("binder profile", _collect(pm, "evidence_kit_binder_profiles", reg), lambda p: p.name)
    reg.profiles = {k: v for k, (_, v) in profiles.items()}
    formats = _unique("report format", _collect(pm, "evidence_kit_report_formats", reg), lambda f: f.name)
    reg.formats = {k: v for k, (_, v) in formats.items()}
    analyses = _unique("analysis", _collect(pm, "evidence_kit_analyses", reg), lambda a: a.name)
    reg.analyses = {k: v for k, (_, v) in analyses.items()}
    return reg
