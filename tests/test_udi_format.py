"""The UDI parser: GS1 check digit, dates and century rule, HIBCC mod-43, ISBT 128, and the shared test vectors."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from evidence_kit_builtin.udi_format import (
    HIBC_CHARSET,
    gs1_century,
    gs1_date,
    gtin_check_digit,
    hibc_check,
    parse_udi,
)
from hypothesis import given, settings
from hypothesis import strategies as st

TODAY = dt.date(2026, 11, 30)


def test_fda_example_gtin_and_dates() -> None:
    p = parse_udi("(01)51022222233336(11)141231(17)150707(10)A213B1(21)1234", TODAY)
    assert (p.agency, p.di, p.lot, p.serial) == ("GS1", "51022222233336", "A213B1", "1234")
    assert p.manufactured == dt.date(2014, 12, 31) and p.expiry == dt.date(2015, 7, 7)
    assert p.problems == []
    assert gtin_check_digit("5102222223333") == 6


def test_day_00_is_end_of_month_and_century_rule() -> None:
    assert gs1_date("260400", TODAY) == dt.date(2026, 4, 30)
    assert gs1_date("240200", TODAY) == dt.date(2024, 2, 29)
    assert gs1_century(99, TODAY) == 1999  # d = 73 >= 51: previous century
    assert gs1_century(76, TODAY) == 2076  # d = 50: current century
    assert gs1_century(77, TODAY) == 1977
    assert gs1_century(75, dt.date(2080, 1, 1)) == 2075
    assert gs1_century(20, dt.date(2080, 1, 1)) == 2120  # d = -60 <= -50: next century
    with pytest.raises(ValueError, match="does not exist"):
        gs1_date("260230", TODAY)
    with pytest.raises(ValueError, match="month"):
        gs1_date("261301", TODAY)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("(01)51022222233337(17)150707", "check"),
        ("(01)51022222233336(17)150732", "date"),
        ("(01)51022222233336(11)160101(17)150101", "order"),
        ("(01)51022222233336(10)A(10)B", "conflict"),
        ("(17)150101", "missing-di"),
        ("(01)51022222233336(09)X", "syntax"),
        ("0151022222233336171513", "date"),
        ("+A99912345/$$52001510X3/16D20111212/S77DEFG45/", "check"),
        ("+A123BJC5D6E7#1G", "charset"),
        ("=/A9999XYZ100T0944=>014400", "date"),
        ("X-123", "syntax"),
    ],
)
def test_problem_kinds(text: str, kind: str) -> None:
    assert kind in {p.kind for p in parse_udi(text, TODAY).problems}


def test_hibcc_mod43_and_secondary() -> None:
    text = "+X999123ABC0/$$05191234AB/S5678EDFG/16D20151001"
    assert hibc_check(text) == "A"
    p = parse_udi(text + "A", TODAY)
    assert p.problems == []
    assert (p.elements["lic"], p.elements["pcn"], p.elements["uom"]) == ("X999", "123ABC", "0")
    assert p.lot == "1234AB" and p.serial == "5678EDFG"
    assert p.expiry == dt.date(2019, 5, 31) and p.manufactured == dt.date(2015, 10, 1)


def test_iccbba() -> None:
    p = parse_udi("=/A9999XYZ100T0944=,000025=A99971312345600=>014032=}013032&,1000000000000XYZ123", TODAY)
    assert p.problems == []
    assert p.di == "A9999XYZ100T0944" and p.expiry == dt.date(2014, 2, 1) and p.manufactured == dt.date(2013, 2, 1)


# --- the shared corpus of third-party test vectors -------------------------------------------------------------

GS1_KINDS = {"GS1", "GS1-128", "GS1-128 HRI/element string", "GUDID device identifier (GS1)"}


def _vectors(corpus: Path) -> list[dict[str, Any]]:
    path = corpus / "real" / "udi" / "udi_test_vectors.json"
    if not path.is_file():
        pytest.skip(f"{path} is absent")
    data: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))["vectors"]
    return data


def _ymd(value: dict[str, Any] | None) -> list[int] | None:
    return list(value["date"][:3]) if value else None


def test_hibc_vectors(corpus: Path) -> None:
    checked = 0
    for v in _vectors(corpus):
        if v["kind"] != "HIBC":
            continue
        p = parse_udi(v["input"], TODAY)
        if v["expect"] != "ok":
            assert p.problems, v["input"]
            continue
        e = v["expected"]
        assert p.problems == [], (v["input"], p.problems)
        assert p.elements["lic"] == e["LabelerIdentificationCode"], v["input"]
        assert p.elements["pcn"] == e["ProductCode"]["code"], v["input"]
        assert p.elements["uom"] == str(e["UnitOfMeasure"]), v["input"]
        assert (p.lot, p.serial, p.quantity) == (e.get("BatchNumber"), e.get("SerialNumber"), e.get("Quantity"))
        expiry = e.get("ExpirationDate")
        got = [p.expiry.year, p.expiry.month, p.expiry.day] if p.expiry else None
        if expiry and expiry["format"] == "MMyy":
            # The source dates MMYY expiries to the 1st; a month-only expiry runs to the month's end here.
            assert got and got[:2] == expiry["date"][:2], v["input"]
        else:
            assert got == _ymd(expiry), v["input"]
        made = e.get("ProductionDate")
        assert ([p.manufactured.year, p.manufactured.month, p.manufactured.day] if p.manufactured else None) == _ymd(
            made
        )
        checked += 1
    assert checked >= 25


def test_gs1_vectors(corpus: Path) -> None:
    checked = 0
    for v in _vectors(corpus):
        if v["kind"] not in GS1_KINDS or v.get("separator"):
            continue  # python-stdnum's own "|" separator syntax is not a GS1 form
        if "gs1_message_error" in (v.get("oracle_biip") or {}).get("errors", {}) and v["expect"] != "error":
            continue  # non-UDI AIs that the source parser accepts leniently and GS1's AI table rejects
        p = parse_udi(v["input"], TODAY)
        problems = [x for x in p.problems if x.kind != "missing-di"]
        if v["expect"] == "error":
            assert problems, v["input"]
            continue
        assert problems == [], (v["input"], problems)
        e = v.get("expected") if isinstance(v.get("expected"), dict) else {}
        if e.get("BatchNumber"):
            assert p.lot == e["BatchNumber"], v["input"]
        if e.get("SerialNumber"):
            assert p.serial == e["SerialNumber"], v["input"]
        expiry = e.get("ExpirationDate")
        if expiry and expiry["raw"] != "991200":  # the source ignores the GS1 century rule (1999, not 2099)
            assert p.expiry and [p.expiry.year, p.expiry.month, p.expiry.day] == expiry["date"][:3], v["input"]
        checked += 1
    assert checked >= 100


def test_check_digit_vectors(corpus: Path) -> None:
    cases = [v for v in _vectors(corpus) if v["kind"] == "GS1 check digit (mod-10)"]
    assert cases
    for v in cases:
        assert gtin_check_digit(v["input"]) == v["expected"]["check_digit"], v["input"]


def test_gudid_dis_all_pass(corpus: Path) -> None:
    dis = [v["input"] for v in _vectors(corpus) if v["kind"] == "GUDID device identifier (GS1)"]
    assert len(dis) >= 50
    assert [d for d in dis if parse_udi(d, TODAY).problems] == []


# --- properties ---------------------------------------------------------------------------------------------------


@given(st.text(alphabet="0123456789", min_size=13, max_size=13), st.integers(1, 9))
def test_gtin_check_digit_round_trip(data: str, delta: int) -> None:
    good = data + str(gtin_check_digit(data))
    assert parse_udi(f"(01){good}", TODAY).problems == []
    bad = data + str((int(good[-1]) + delta) % 10)
    assert [p.kind for p in parse_udi(f"(01){bad}", TODAY).problems] == ["check"]


@given(st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=6, max_size=20))
def test_hibc_check_round_trip(body: str) -> None:
    primary = "+" + "A" + body[:3] + body[3:-1] + "1"
    text = primary + hibc_check(primary)
    assert "check" not in {p.kind for p in parse_udi(text, TODAY).problems}
    assert set(text) <= set(HIBC_CHARSET)


@settings(max_examples=300)
@given(st.text(max_size=80))
def test_parser_never_raises(text: str) -> None:
    parse_udi(text, TODAY)


@settings(max_examples=300)
@given(st.text(alphabet="()0123456789+$/=>,}&ABCDEFXYZ\x1d ]dC", max_size=60))
def test_parser_never_raises_on_udi_like_text(text: str) -> None:
    parse_udi(text, TODAY)
