"""In-memory records and rule running for the gap-analysis tests."""

from __future__ import annotations

import datetime as dt
from typing import Any

from evidence_kit.contracts import FunctionRule, RuleContext
from evidence_kit.model import Finding, Location, Record, RecordSet

NOW = dt.datetime(2026, 11, 30, 12, 0, tzinfo=dt.UTC)
SETTINGS: dict[str, Any] = {
    "establishment": {"name": "Acme Infusion Systems"},
    "inspection": {"window_start": "2025-01-01", "window_end": "2026-11-30"},
    "binder": {},
}


def rec(type_: str, data: dict[str, Any], file: str | None = None, attachments: tuple[str, ...] = ()) -> Record:
    rid = str(data["id"])
    return Record(
        type_, rid, data, Location(file or f"exports/{type_}.json", rid, line=1), "0" * 64, "json", attachments
    )


def run_rule(
    r: FunctionRule, records: list[Record], settings: dict[str, Any] | None = None, **options: Any
) -> list[Finding]:
    ctx = RuleContext(r.code, r.severity, r.cites, r.hint, {**r.options, **options}, NOW, settings or SETTINGS, "test")
    return list(r.check(RecordSet.of(records), ctx))


def sop(rid: str, title: str, text: str, status: str = "effective", kind: str = "sop") -> Record:
    return rec(
        "controlled_document",
        {
            "id": rid,
            "doc_number": rid.rsplit("-", 1)[0],
            "rev": "C",
            "title": title,
            "kind": kind,
            "status": status,
            "effective_date": "2025-03-01",
            "scope": text,
        },
        file="exports/documents.json",
    )


def complaint(n: int, received: str, **extra: Any) -> Record:
    data = {
        "id": f"CMP-2026-{n:04d}",
        "device_name": "Infusion pump IP-200",
        "received_date": received,
        "description": "Occlusion alarm did not sound",
        "mdr_decision": {"reportable": False},
        **extra,
    }
    return rec("complaint", data)


def capa(
    n: int, opened: str, closed: str | None, result: str | None = "Effective: no recurrence in 90 days", **extra: Any
) -> Record:
    data: dict[str, Any] = {
        "id": f"CAPA-{n:03d}",
        "kind": "corrective",
        "opened_at": opened,
        "status": "closed" if closed else "open",
        **extra,
    }
    if closed:
        data["closed_at"] = closed
    if result:
        data["effectiveness"] = {"method": "trend review", "result": result, "at": closed}
    return rec("capa", data)
