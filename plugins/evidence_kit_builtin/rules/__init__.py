"""Built-in rule packs, one plugin module each; :func:`catalogue` gives report formats their metadata."""

from __future__ import annotations

import importlib
from functools import cache

from evidence_kit.contracts import FunctionRule

PACKS = (
    "capa",
    "chronology",
    "complaints",
    "drugs",
    "labeling",
    "linkage",
    "management",
    "part11",
    "production",
    "records",
    "reporting",
    "servicing",
    "udi",
)


@cache
def catalogue() -> dict[str, FunctionRule]:
    """Return every built-in rule by code (title, severity, citations and hint for SARIF and JUnit)."""
    out: dict[str, FunctionRule] = {}
    for pack in PACKS:
        module = importlib.import_module(f"evidence_kit_builtin.rules.{pack}")
        out.update({r.code: r for r in module.evidence_kit_rules()})
    return out
