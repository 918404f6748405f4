"""The ``openfda`` plugin: registered through the ``evidence_kit`` entry-point group."""

from __future__ import annotations

from evidence_kit import Source, hookimpl
from evidence_kit.contracts import FunctionRule
from evidence_kit_openfda.rules import RULES
from evidence_kit_openfda.sources import MaudeFoiSource, OpenFdaJsonSource


@hookimpl(tryfirst=True)
def evidence_kit_sources() -> list[Source]:
    """Register the openFDA JSON and MAUDE FOI sources, first, so they see openFDA files before the JSON source."""
    return [OpenFdaJsonSource(), MaudeFoiSource()]


@hookimpl
def evidence_kit_rules() -> list[FunctionRule]:
    """Register the rules that link public MDR data to the firm's complaints."""
    return list(RULES)
