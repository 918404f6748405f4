"""Generate docs/plugins.md from the hookspec and contract docstrings: ``python -m evidence_kit._docs``.

The docstrings are the reference; a test fails when the committed file is out of date.
"""

from __future__ import annotations

import inspect
import sys
from pathlib import Path

from evidence_kit import contracts, hookspecs
from evidence_kit._plugins import HOOK_NAMES

INTRO = """\
# Writing an evidence-kit plugin

Generated from the docstrings in `evidence_kit/hookspecs.py` and `evidence_kit/contracts.py` by
`python -m evidence_kit._docs`; a test fails when this file is out of date. Do not edit by hand.

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
- `tests/example_plugin/` in the repository is a complete third-party distribution to copy.

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
        contracts.Section,
        contracts.ReportFormat,
    ):
        out.append(f"### `{obj.__name__}`\n")
        out.append(_doc(obj) + "\n")
    return "\n".join(out)


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
