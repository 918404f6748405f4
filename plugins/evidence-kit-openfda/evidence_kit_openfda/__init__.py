"""evidence-kit plugin for openFDA device adverse events, recalls and enforcement reports, and MAUDE FOI files."""

from __future__ import annotations

import importlib.metadata as _md

try:
    __version__ = _md.version("evidence-kit-openfda")
except _md.PackageNotFoundError:  # a source checkout that was never installed
    __version__ = "0+unknown"

__all__ = ["__version__"]
