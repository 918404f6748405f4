"""Exceptions for misuse of the tool: bad config, broken plugins, unusable bundles.

Defects in the data are never exceptions; they are findings in the report.
"""

from __future__ import annotations

__all__ = ["BundleError", "ConfigError", "EvidenceKitError", "PluginError"]


class EvidenceKitError(Exception):
    """Base class. ``hint`` says what to do about it."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.hint = hint

    def __reduce__(self) -> tuple[type[EvidenceKitError], tuple[str, str | None]]:
        # keep the hint when the error crosses from a --jobs worker to the parent
        return (type(self), (str(self), self.hint))


class ConfigError(EvidenceKitError):
    """The bundle config or a command-line option is wrong (exit code 2)."""


class BundleError(EvidenceKitError):
    """The bundle folder is missing or unusable (exit code 2)."""


class PluginError(EvidenceKitError):
    """A plugin failed to load or broke a contract, e.g. a duplicate rule code (exit code 4)."""
