"""Placeholder replaced below."""

from __future__ import annotations

from evidence_kit.examples._kit import Bundle


def build(seed: int, size: int) -> Bundle:
    """Return the drug bundle."""
    return Bundle("example_bundle_qmm")
