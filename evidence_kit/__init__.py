"""evidence-kit: validate exported quality records and build an FDA-ready evidence binder.

The public surface for library users and plugin authors. Modules whose names start with an
underscore are private.
"""

from __future__ import annotations

import importlib.metadata as _md
from typing import Any

try:
    __version__ = _md.version("evidence-kit")
except _md.PackageNotFoundError:  # pragma: no cover - source checkout never installed
    __version__ = "0+unknown"

from evidence_kit.contracts import (
    DEVICE_LOGS,
    Analysis,
    BinderLog,
    BinderProfile,
    LogColumn,
    MappedProfile,
    RecordType,
    ReportFormat,
    Rule,
    RuleContext,
    Section,
    Source,
    SourceContext,
    rule,
)
from evidence_kit.errors import BundleError, ConfigError, EvidenceKitError, PluginError
from evidence_kit.hookspecs import hookimpl
from evidence_kit.model import (
    Finding,
    InputOutcome,
    Location,
    PluginInfo,
    Record,
    RecordSet,
    Report,
    Severity,
)


def validate(bundle: str, **kwargs: object) -> Report:
    """Validate the bundle folder and return its Report; see :func:`evidence_kit._api.run`."""
    from evidence_kit._api import validate as _validate

    return _validate(bundle, **kwargs)


def build_binder(bundle: str, output: str, **kwargs: Any) -> Report:
    """Validate the bundle and write its evidence binder PDF to ``output``; returns the Report.

    ``select=["type:complaint", ...]`` makes a request binder; see :func:`evidence_kit._api.build_binder`.
    """
    from evidence_kit._api import build_binder as _build

    return _build(bundle, output, **kwargs).report


__all__ = [
    "DEVICE_LOGS",
    "Analysis",
    "BinderLog",
    "BinderProfile",
    "BundleError",
    "ConfigError",
    "EvidenceKitError",
    "Finding",
    "InputOutcome",
    "Location",
    "LogColumn",
    "MappedProfile",
    "PluginError",
    "PluginInfo",
    "Record",
    "RecordSet",
    "RecordType",
    "Report",
    "ReportFormat",
    "Rule",
    "RuleContext",
    "Section",
    "Severity",
    "Source",
    "SourceContext",
    "__version__",
    "build_binder",
    "hookimpl",
    "rule",
    "validate",
]
