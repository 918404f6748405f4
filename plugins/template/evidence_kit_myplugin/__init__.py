"""An evidence-kit plugin made from the template: rename ``myplugin`` to your own name."""

from __future__ import annotations

__version__ = "0.1.0"
