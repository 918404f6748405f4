"""Small bundles shared by the nightly tests (baselines, diff, cache, workers, HTML)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .conftest import MINIMAL_TOML

TOML = (
    MINIMAL_TOML
    + """
[validate]
# the nightly tests exercise baselines, diffs, the cache and workers, not the rule packs: a few
# cross-record rules are enough (schema and ingest findings are always reported)
select = ["complaints.capa-dangling", "complaints.capa-one-way", "complaints.capa-missing"]

[[inputs]]
path = "complaints/*.json"
record_type = "complaint"

[[inputs]]
path = "capas.jsonl"
record_type = "capa"
"""
)


def complaint(n: int, **extra: Any) -> dict[str, Any]:
    return {
        "id": f"CMP-{n}",
        "device_name": "Infusion pump",
        "received_date": "2026-01-02",
        "corrective_action_needed": True,
        "capa_ids": [f"CAPA-{n}"],
        "status": "open",
        **extra,
    }


def capa(n: int, **extra: Any) -> dict[str, Any]:
    return {
        "id": f"CAPA-{n}",
        "opened_at": "2026-01-05",
        "triggers": [{"type": "complaint", "id": f"CMP-{n}"}],
        **extra,
    }


def files(complaints: list[dict[str, Any]], capas: list[dict[str, Any]], per_file: int = 2) -> dict[str, Any]:
    """Complaints spread over several JSON files (per_file each), CAPAs in one JSON Lines file."""
    out: dict[str, Any] = {}
    for i in range(0, len(complaints), per_file):
        out[f"complaints/c{i // per_file:03d}.json"] = complaints[i : i + per_file]
    out["capas.jsonl"] = "".join(json.dumps(c) + "\n" for c in capas)
    return out


def write(bundle: Path, rel: str, content: Any) -> None:
    p = bundle / rel
    p.write_text(content if isinstance(content, str) else json.dumps(content), encoding="utf-8")
