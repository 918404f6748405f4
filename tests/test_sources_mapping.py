from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from evidence_kit.errors import ConfigError
from evidence_kit.mapping import MISSING, FieldMap
from evidence_kit.parsing import json_pointer, parse_date, pointer_parts, resolve_pointer


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-03-05", dt.date(2026, 3, 5)),
        ("20260305", dt.date(2026, 3, 5)),
        ("2026-03-05T14:22:01Z", dt.datetime(2026, 3, 5, 14, 22, 1, tzinfo=dt.UTC)),
        ("2026-03-05 14:22:01+01:00", dt.datetime(2026, 3, 5, 14, 22, 1, tzinfo=dt.timezone(dt.timedelta(hours=1)))),
        ("D:20240305142201+01'00'", dt.datetime(2024, 3, 5, 14, 22, 1, tzinfo=dt.timezone(dt.timedelta(hours=1)))),
        ("D:20240305", dt.datetime(2024, 3, 5)),
    ],
)
def test_parse_date_vendor_shapes(text: str, expected: dt.date) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize("text", ["05/03/2026", "2026-02-30", "20261301", "yesterday", ""])
def test_parse_date_never_guesses(text: str) -> None:
    with pytest.raises(ValueError):
        parse_date(text)


def test_parse_date_with_formats() -> None:
    assert parse_date("05/03/2026", ["%d/%m/%Y"]) == dt.date(2026, 3, 5)
    assert parse_date("05/03/2026 10:00", ["%d/%m/%Y", "%d/%m/%Y %H:%M"]) == dt.datetime(2026, 3, 5, 10)
    with pytest.raises(ValueError, match="matches none of the date formats"):
        parse_date("2026-03-05", ["%d/%m/%Y"])


def test_json_pointer_round_trip() -> None:
    ptr = json_pointer(["a/b", "c~d", 0])
    assert ptr == "/a~1b/c~0d/0"
    assert pointer_parts(ptr) == ["a/b", "c~d", "0"]
    assert resolve_pointer({"a/b": {"c~d": ["x"]}}, ptr) == "x"
    with pytest.raises(KeyError):
        resolve_pointer({"a": []}, "/a/0")


def _apply(table: dict[str, Any], row: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    data, errors = FieldMap(table).apply(lambda sel: row.get(sel, MISSING))
    return data, [f"{fm.key}: {msg}" for fm, msg in errors]


def test_mapping_features() -> None:
    table = {
        "id": "No",
        "signatures.0.printed_name": "Signer",
        "signatures.0.signed_at": {"from": "Signed", "date_format": "%Y-%m-%d %H:%M%z"},
        "/capa_ids": {"from": "CAPAs", "split": ","},
        "count": {"from": "N", "type": "integer"},
        "flag": {"from": "F", "type": "boolean"},
        "status": {"from": "S", "default": "open"},
        "kind": {"const": "corrective"},
        "empty_date": {"from": "E", "date_format": "%d.%m.%Y"},
    }
    row = {"No": "X-1", "Signer": "Ann", "Signed": "2026-01-02 09:30+0100", "CAPAs": "A-1, A-2,", "N": "3", "F": "Y"}
    row["E"] = ""
    data, errors = _apply(table, row)
    assert errors == []
    assert data == {
        "id": "X-1",
        "signatures": [{"printed_name": "Ann", "signed_at": "2026-01-02T09:30:00+01:00"}],
        "capa_ids": ["A-1", "A-2"],
        "count": 3,
        "flag": True,
        "status": "open",
        "kind": "corrective",
    }


def test_mapping_errors_name_the_key_and_leave_the_field_out() -> None:
    data, errors = _apply({"id": "No", "count": {"from": "N", "type": "integer"}}, {"No": "X", "N": "three"})
    assert data == {"id": "X"}
    assert errors == ["count: expected an integer, found 'three'"]


def test_malformed_targets_are_config_errors() -> None:
    with pytest.raises(ConfigError, match=r"mapping key 'a\.\.b'"):
        FieldMap({"a..b": "x"})
    with pytest.raises(ConfigError, match="mapping 'f'"):
        FieldMap({"f": {"from": "x", "map": {"Y": True}, "type": "boolean"}})


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"complainant": "A", "complainant.name": "B"}, "'complainant.name' is inside 'complainant'"),
        ({"a.0": "A", "a.b": "B"}, "disagree on whether /a is a list"),
        ({"a.b": "A", "/a/b": "B"}, "name the same field"),
    ],
)
def test_overlapping_targets_are_config_errors(table: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        FieldMap(table)
