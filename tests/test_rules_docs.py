"""docs/rules.md is generated from the catalogue and must be current."""

from __future__ import annotations

from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def test_docs_rules_md_is_current(cli: Any, monkeypatch: Any) -> None:
    monkeypatch.setenv("EVIDENCE_KIT_PLUGINS", "")  # built-ins only, whatever else is installed
    code, out, _err = cli("rules", "--format", "markdown")
    assert code == 0
    assert out == (ROOT / "docs" / "rules.md").read_text(encoding="utf-8"), (
        "docs/rules.md is stale: run `evidence-kit rules --format markdown > docs/rules.md`"
    )


def test_every_citation_is_in_the_catalogue() -> None:
    from evidence_kit_builtin.rules import catalogue

    text = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    for code, rule in catalogue().items():
        assert f"`{code}`" in text
        for cite in rule.cites:
            assert cite in text, (code, cite)
