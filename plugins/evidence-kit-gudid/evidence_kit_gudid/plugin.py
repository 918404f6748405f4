"""The ``gudid`` plugin: registered through the ``evidence_kit`` entry-point group."""

from __future__ import annotations

from evidence_kit import Source, hookimpl
from evidence_kit.contracts import FunctionRule
from evidence_kit_gudid.rules import RULES
from evidence_kit_gudid.source import AccessGudidJsonSource, GudidXmlSource


@hookimpl(tryfirst=True)
def evidence_kit_sources() -> list[Source]:
    """Register the GUDID XML and AccessGUDID JSON sources, first, so they see GUDID files before generic sources."""
    return [GudidXmlSource(), AccessGudidJsonSource()]


@hookimpl
def evidence_kit_rules() -> list[FunctionRule]:
    """Register the rules checking every UDI in the bundle against GUDID."""
    return list(RULES)
