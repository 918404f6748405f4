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
        "docs/rules.md is stale: run `EVIDENCE_KIT_PLUGINS= evidence-kit rules --format markdown > docs/rules.md`"
    )


def test_every_citation_is_in_the_catalogue() -> None:
    from evidence_kit_builtin.rules import catalogue

    text = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    for code, rule in catalogue().items():
        assert f"`{code}`" in text
        for cite in rule.cites:
            assert cite in text, (code, cite)


def test_docs_rule_options_md_is_current() -> None:
    from evidence_kit_builtin.rules import options_markdown

    assert options_markdown() == (ROOT / "docs" / "rule-options.md").read_text(encoding="utf-8"), (
        "docs/rule-options.md is stale: regenerate it with the command at its top"
    )


def test_toml_options_reach_the_rule(make_bundle: Any) -> None:
    import json

    from evidence_kit._api import run

    from .rules_baseline import BASELINE

    complaint = {**BASELINE["CMP-2026-0001"][1], "description": "Alarm silent."}
    toml = """\
[establishment]
name = "T"
fei = "3012345678"

[inspection]
profile = "fda-qmsr"
as_of = "2026-11-30T12:00:00+00:00"

[[inputs]]
path = "c.jsonl"
source = "json"
record_type = "complaint"
"""
    strict = make_bundle({"c.jsonl": json.dumps(complaint) + "\n"}, toml=toml, name="strict")
    loose = make_bundle(
        {"c.jsonl": json.dumps(complaint) + "\n"},
        toml=toml + '\n[rules."complaints.description-missing"]\nmin_chars = 5\n',
        name="loose",
    )
    codes = lambda b: {f.code for f in run(b).report.findings}  # noqa: E731
    assert "complaints.description-missing" in codes(strict)
    assert "complaints.description-missing" not in codes(loose)
