"""Where the built-in JSON Schemas live: inside the wheel, or the repository's ``schemas/``."""

from __future__ import annotations

import json
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any


@cache
def schema_dir() -> Path:
    """Return the folder holding the built-in schemas.

    In an installed wheel they are packaged as ``evidence_kit_builtin/schemas``; in a source
    checkout they are the repository's top-level ``schemas/`` folder.
    """
    packaged = Path(str(files("evidence_kit_builtin"))) / "schemas"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "schemas"


@cache
def load_schema(name: str) -> dict[str, Any]:
    """Return the parsed schema ``schemas/<name>.schema.json``."""
    data: dict[str, Any] = json.loads((schema_dir() / f"{name}.schema.json").read_text(encoding="utf-8"))
    return data
