"""Generate docs/plugins.md from the hookspec, contract and test-kit docstrings: ``python -m evidence_kit._docs``.

The docstrings are the reference; a test fails when the committed file is out of date.
"""

from __future__ import annotations

import inspect
import sys
from pathlib import Path

from evidence_kit import contracts, hookspecs, testing
from evidence_kit._plugins import HOOK_NAMES

INTRO = """\
# Writing an evidence-kit plugin

Generated from the docstrings in `evidence_kit/hookspecs.py`, `evidence_kit/contracts.py` and
`evidence_kit/testing.py` by `python -m evidence_kit._docs`; a test fails when this file is out of
date. Do not edit by hand.

A plugin is a module (or object) with functions marked `@evidence_kit.hookimpl`. Built-in plugins
and third-party plugins use the same hooks. A third-party plugin is found through the
`evidence_kit` entry-point group in its distribution's `pyproject.toml`:

```toml
[project.entry-points.evidence_kit]
acme = "evidence_kit_acme.plugin"
```

Rules of the road:

- Import only the public API: `evidence_kit`, `evidence_kit.contracts`, `evidence_kit.model`,
  `evidence_kit.hookspecs`, `evidence_kit.errors`, `evidence_kit.reports` and the other modules
  whose names do not start with an underscore.
- Every hook is a registry: it is called once per run and returns objects. Per-record work happens
  inside those objects (`Source.read`, `Rule.check`).
- Do not give hook implementations default argument values: pluggy never fills them.
- Bad data is a `Finding`, never an exception. An exception that escapes a plugin becomes an
  `engine.plugin-crashed`, `engine.rule-crashed` or `ingest.source-crashed` finding naming the
  plugin, and the run goes on. A plugin that fails to import stops the run (exit code 4).
- `evidence-kit plugins` lists what is installed; `--disable NAME` blocks a plugin.
- A source's `detect()` claims only the files it recognises (by name or content); register it
  `@hookimpl(tryfirst=True)` so it is asked before the built-in sources, which are `trylast`.

## Start from the template

`plugins/template/` in the repository is a complete distribution to copy: `pyproject.toml` with the
entry point, a source, a rule and tests written with `evidence_kit.testing`. The evidence-kit test
suite installs it and runs its tests, so it stays working. Then:

```sh
pip install -e './my-plugin[test]'    # your copy, renamed
evidence-kit plugins                  # your plugin, its version and distribution
pytest my-plugin/tests
```

`plugins/evidence-kit-openfda/` and `plugins/evidence-kit-gudid/` are two real plugins built the
same way (public FDA data sources and rules), and `tests/example_plugin/` is the smallest one.

## Hooks
"""


def plugins_markdown() -> str:
    """Return the Markdown of docs/plugins.md."""
    out = [INTRO]
    for name in HOOK_NAMES:
        fn = getattr(hookspecs, name)
        sig = inspect.signature(fn)
        out.append(f"### `{name}{sig}`\n")
        out.append(_doc(fn) + "\n")
    out.append("## Contracts\n")
    for obj in (
        contracts.RecordType,
        contracts.Source,
        contracts.SourceContext,
        contracts.Rule,
        contracts.rule,
        contracts.RuleContext,
        contracts.BinderProfile,
        contracts.MappedProfile,
        contracts.BinderLog,
        contracts.LogColumn,
        contracts.Section,
        contracts.ReportFormat,
    ):
        out.append(f"### `{obj.__name__}`\n")
        out.append(_doc(obj) + "\n")
    out.append("## Testing a plugin: `evidence_kit.testing`\n")
    out.append(_doc(testing) + "\n")
    for name in testing.__all__:
        out.append(_kit_entry(name, getattr(testing, name)))
    return "\n".join(out)


#: Docs for the kit's constants, which carry no docstring of their own.
_CONSTANTS = {
    "DEFAULT_NOW": "The time `run_rule` judges dates against unless told otherwise: 2026-11-30 12:00 UTC.",
    "MINIMAL_TOML": (
        "The smallest valid `evidence-kit.toml`: an establishment, the `fda-qmsr` profile, a fixed `as_of`."
    ),
}


def _kit_entry(name: str, obj: object) -> str:
    wrapped = getattr(obj, "__wrapped__", None)
    if wrapped is not None:  # a pytest fixture
        return f"### `{name}` (fixture)\n\n{_doc(wrapped)}\n"
    if inspect.isfunction(obj):
        return f"### `{name}{inspect.signature(obj)}`\n\n{_doc(obj)}\n"
    if inspect.isclass(obj):
        return f"### `{name}`\n\n{_doc(obj)}\n"
    return f"### `{name}`\n\n{_CONSTANTS[name]}\n"


def _doc(obj: object) -> str:
    text = inspect.getdoc(obj) or ""
    lines, in_code = [], False
    for line in text.splitlines():
        if line.strip().startswith(".. code-block::"):
            lines.append("```python")
            in_code = True
            continue
        if in_code and line and not line.startswith(" "):
            lines.append("```")
            in_code = False
        if line.strip().startswith(">>>") or line.strip().startswith("..."):
            line = line.replace(">>> ", "").replace("... ", "")
        lines.append(line[8:] if in_code and line.startswith("        ") else line)
    if in_code:
        lines.append("```")
    return "\n".join(lines)


def main() -> int:
    """Write docs/plugins.md beside the package (or to the path given)."""
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[1] / "docs" / "plugins.md"
    target.write_text(plugins_markdown(), encoding="utf-8")
    print(target)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
