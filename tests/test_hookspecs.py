"""Docs are code: every hook is documented with an example, implemented by a built-in, and in docs/plugins.md."""

from __future__ import annotations

import inspect

from evidence_kit import hookspecs
from evidence_kit._docs import plugins_markdown
from evidence_kit._plugins import HOOK_NAMES, plugin_inventory

from .conftest import ROOT


def test_hook_names_match_hookspec_module():
    declared = {n for n, f in vars(hookspecs).items() if n.startswith("evidence_kit_") and callable(f)}
    assert declared == set(HOOK_NAMES)


def test_every_hook_documented_with_example():
    for name in HOOK_NAMES:
        doc = inspect.getdoc(getattr(hookspecs, name)) or ""
        assert "Example:" in doc and "@hookimpl" in doc, name
        assert len(doc.splitlines()[0]) > 20, name


def test_every_hook_has_a_builtin_implementation(pm):
    implemented = {h for p in plugin_inventory(pm) for h in p.hooks}
    assert set(HOOK_NAMES) <= implemented


def test_docs_plugins_md_is_current():
    committed = (ROOT / "docs" / "plugins.md").read_text(encoding="utf-8")
    assert committed == plugins_markdown(), "run: python -m evidence_kit._docs"
    for name in HOOK_NAMES:
        assert f"### `{name}(" in committed
