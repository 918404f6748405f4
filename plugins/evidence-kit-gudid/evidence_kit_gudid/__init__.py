"""evidence-kit plugin for FDA GUDID device-identification XML and the UDI-against-GUDID rules."""

from __future__ import annotations

import importlib.metadata as _md

try:
    __version__ = _md.version("evidence-kit-gudid")
except _md.PackageNotFoundError:  # a source checkout that was never installed
    __version__ = "0+unknown"

__all__ = ["__version__"]
