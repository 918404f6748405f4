r"""The plugin author's test kit: build bundles, load only your plugin, run rules, flatten findings.

Use it from a plugin's test suite with one line in ``conftest.py``::

    pytest_plugins = ["evidence_kit.testing"]

That gives the fixtures :func:`make_bundle` and :func:`plugin_manager`; the helpers below are plain
functions you can call from any test. Nothing here loads at import time, and there is no
``pytest11`` entry point, so the kit never slips into unrelated test suites.

Example:
    .. code-block:: python

        from evidence_kit.testing import flatten, make_record, run_bundle, run_rule
        from evidence_kit_acme import plugin

        def test_owner_rule():
            capa = make_record("capa", "CAPA-1", {"id": "CAPA-1", "title": "Seal leak"})
            findings = run_rule(plugin.capa_owner, [capa])
            assert flatten(findings) == [("acme.capa-owner", "test.json", "CAPA-1", "/owner")]

        def test_source_reads_export(make_bundle):
            bundle = make_bundle({"export.acme": "CAPA-7;Seal leak;J. Doe\n"})
            report = run_bundle(bundle, ("acme", plugin))
            assert report.record_count == 1
"""

from __future__ import annotations

import ast
import datetime as dt
import json
import textwrap
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pluggy
import pytest

from evidence_kit._api import run
from evidence_kit._plugins import get_plugin_manager
from evidence_kit.contracts import Rule, RuleContext
from evidence_kit.model import Finding, Location, Record, RecordSet, Report, Severity

__all__ = [
    "DEFAULT_NOW",
    "MINIMAL_TOML",
    "BoundaryViolation",
    "flatten",
    "make_bundle",
    "make_plugin_manager",
    "make_record",
    "plugin_manager",
    "private_imports",
    "run_bundle",
    "run_rule",
    "write_bundle",
]

#: The "now" :func:`run_rule` and :data:`MINIMAL_TOML` judge dates against, so tests never depend on the clock.
DEFAULT_NOW = dt.datetime(2026, 11, 30, 12, 0, tzinfo=dt.UTC)

#: The smallest valid bundle config: an establishment, the ``fda-qmsr`` profile and a fixed ``as_of``.
MINIMAL_TOML = """\
[establishment]
name = "Test Devices Inc."
fei = "1234567"

[inspection]
profile = "fda-qmsr"
as_of = "2026-11-30T12:00:00+00:00"
"""

Plugin = tuple[str, object]


def write_bundle(root: Path, files: Mapping[str, Any], toml: str = MINIMAL_TOML) -> Path:
    """Write a bundle folder at ``root`` and return it.

    Args:
        root: The folder to create (it must not exist yet).
        files: Bundle-relative path → content. ``str`` and ``bytes`` are written as they are; a
            ``Path`` is copied; anything else is written as JSON.
        toml: The ``evidence-kit.toml`` text (dedented); :data:`MINIMAL_TOML` by default.
    """
    root.mkdir(parents=True)
    (root / "evidence-kit.toml").write_text(textwrap.dedent(toml), encoding="utf-8")
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        elif isinstance(content, str):
            path.write_text(content, encoding="utf-8")
        elif isinstance(content, Path):
            path.write_bytes(content.read_bytes())
        else:
            path.write_text(json.dumps(content, indent=1), encoding="utf-8")
    return root


def make_plugin_manager(*plugins: Plugin, disabled: Iterable[str] = ()) -> pluggy.PluginManager:
    """Return a plugin manager holding the built-ins plus exactly ``plugins``, no installed entry points.

    Args:
        plugins: ``(name, plugin)`` pairs, a plugin being a module or an object with hook implementations.
        disabled: Names of built-in plugins to block, e.g. ``"json"`` to see whether your source
            still claims a file without the built-in JSON source behind it.

    Raises:
        PluginError: A plugin implements a hook that does not exist (a misspelt ``evidence_kit_*`` name).
    """
    return get_plugin_manager(entry_points=False, disabled=disabled, extra=plugins)


def run_bundle(
    bundle: Path | str,
    *plugins: Plugin,
    pm: pluggy.PluginManager | None = None,
    as_of: str | None = None,
    select: Iterable[str] = (),
    ignore: Iterable[str] = (),
) -> Report:
    """Validate ``bundle`` with the built-ins plus ``plugins`` (or the given ``pm``) and return the Report.

    Args:
        bundle: The bundle folder.
        plugins: ``(name, plugin)`` pairs added to the built-ins.
        pm: A ready plugin manager instead of ``plugins``.
        as_of: An ISO date-time overriding the bundle's ``as_of``.
        select: Rule-code prefixes to run (all when empty).
        ignore: Rule-code prefixes to skip.
    """
    overrides = {"as_of": as_of, "select": tuple(select), "ignore": tuple(ignore)}
    return run(bundle, pm=pm or make_plugin_manager(*plugins), overrides=overrides).report


def make_record(
    type: str,
    id: str,
    data: Mapping[str, Any] | None = None,
    *,
    file: str = "test.json",
    line: int | None = None,
    path: str | None = None,
    source: str = "test",
    **fields: Any,
) -> Record:
    """Build an in-memory Record for :func:`run_rule`.

    The data is ``data`` updated with ``fields``; ``id`` is added when the data has none, so
    ``make_record("capa", "CAPA-1", owner="J. Doe")`` is a complete call.

    Args:
        type: Record type name, e.g. ``complaint``.
        id: Record id.
        data: Canonical record content.
        file: Bundle-relative file the record pretends to come from.
        line: Line in that file.
        path: JSON Pointer, XPath or column inside that file.
        source: Name of the source that pretends to have read it.
        fields: More top-level fields.
    """
    content = {"id": id, **(data or {}), **fields}
    return Record(type, id, content, Location(file, record=id, line=line, path=path), "0" * 64, source)


def run_rule(
    rule: Rule,
    records: Iterable[Record] | RecordSet,
    *,
    options: Mapping[str, Any] | None = None,
    now: dt.datetime | None = None,
    settings: Mapping[str, Any] | None = None,
    plugin: str = "test",
) -> list[Finding]:
    """Run one rule over in-memory records, the way the engine does, and return its findings.

    A rule marked ``scope="record"`` is also run on each record alone; if that finds anything
    different, the rule looks at other records and the call fails with an AssertionError saying so.

    Args:
        rule: The rule (usually made with ``@evidence_kit.rule``).
        records: The records the rule sees, as an iterable or a RecordSet.
        options: Overrides of the rule's default options.
        now: The evaluation time; :data:`DEFAULT_NOW` by default. Must be timezone-aware.
        settings: The bundle's ``establishment`` / ``inspection`` settings the rule may read.
        plugin: The plugin name the findings are attributed to.

    Raises:
        ValueError: ``now`` has no time zone.
    """
    when = now or DEFAULT_NOW
    if when.tzinfo is None:
        raise ValueError("run_rule: now must be timezone-aware, e.g. datetime(2026, 1, 1, tzinfo=UTC)")
    record_set = records if isinstance(records, RecordSet) else RecordSet.of(records)
    ctx = RuleContext(
        rule.code,
        rule.severity,
        rule.cites,
        rule.hint,
        {**rule.options, **(options or {})},
        when,
        dict(settings or {}),
        plugin,
    )
    found = list(rule.check(record_set, ctx))
    if getattr(rule, "scope", "set") == "record" and len(record_set) > 1:
        alone = {f for r in record_set for f in rule.check(RecordSet.of([r]), ctx)}
        if alone != set(found):
            diff = sorted(alone.symmetric_difference(found), key=Finding.sort_key)[0]
            raise AssertionError(
                f"rule {rule.code} is scope='record', but what it finds on the whole record set differs from what "
                f"it finds on each record alone (e.g. {diff.location.record}: {diff.message}); a rule that looks at "
                "other records must be scope='set'."
            )
    return found


def flatten(
    findings: Report | Iterable[Finding], *attrs: str, severity: Severity | str | None = None
) -> list[tuple[Any, ...]]:
    """Return one tuple per finding, sorted, of the named attributes (frictionless ``flatten``).

    Names are looked up on the finding first, then on its location. The default attributes are
    ``("code", "file", "record", "field")``: codes and places, never the prose.

    Args:
        findings: A Report or any iterable of findings.
        attrs: Attribute names, e.g. ``"code", "line"``.
        severity: Keep only findings of this severity.
    """
    names = attrs or ("code", "file", "record", "field")
    items = findings.findings if isinstance(findings, Report) else findings
    rows = []
    for f in items:
        if severity is not None and f.severity != Severity(severity):
            continue
        rows.append(tuple(getattr(f, a) if hasattr(f, a) else getattr(f.location, a) for a in names))
    return sorted(rows, key=lambda row: tuple("" if v is None else str(v) for v in row))


@dataclass(frozen=True)
class BoundaryViolation:
    """An import of a private ``evidence_kit._*`` module by a plugin."""

    file: str
    line: int
    module: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: imports private module {self.module}"


def _private(module: str) -> bool:
    parts = module.split(".")
    if len(parts) < 2 or parts[0] != "evidence_kit":
        return False
    name = parts[1]
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))  # __version__ is public


def private_imports(package: Path) -> list[BoundaryViolation]:
    """Return every import of a private core module (``evidence_kit._*``) under ``package``.

    Plugins may use only the public API (``evidence_kit``, ``evidence_kit.contracts``, ``.model``,
    ``.hookspecs``, ``.errors``, ``.reports``, ``.testing`` …). This finds ``import evidence_kit._x``,
    ``from evidence_kit._x import y``, ``from evidence_kit import _x`` and
    ``importlib.import_module("evidence_kit._x")`` in every ``.py`` file, tests included.

    Args:
        package: A package folder or a single ``.py`` file.
    """
    files = [package] if package.is_file() else sorted(package.rglob("*.py"))
    out = []
    for file in files:
        tree = ast.parse(file.read_text(encoding="utf-8"), str(file))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
            elif (
                isinstance(node, ast.Call)
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
                and (getattr(node.func, "attr", None) or getattr(node.func, "id", None))
                in ("import_module", "__import__")
            ):
                names = [node.args[0].value]
            for name in names:
                if _private(name):
                    out.append(BoundaryViolation(str(file), getattr(node, "lineno", 0), name))
                    break
    return out


@pytest.fixture
def make_bundle(tmp_path: Path) -> Callable[..., Path]:
    """Fixture: a factory that writes a bundle under ``tmp_path`` and returns its folder.

    Call it as ``make_bundle(files, toml=MINIMAL_TOML, name="bundle")``; see :func:`write_bundle`.
    """

    def make(files: Mapping[str, Any], toml: str = MINIMAL_TOML, name: str = "bundle") -> Path:
        return write_bundle(tmp_path / name, files, toml)

    return make


@pytest.fixture
def plugin_manager() -> Callable[..., pluggy.PluginManager]:
    """Fixture: :func:`make_plugin_manager`, for ``plugin_manager(("acme", plugin_module))``."""
    return make_plugin_manager
