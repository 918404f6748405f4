"""Request-binder selection: the ``build --select KEY:VALUE`` grammar and the CLI around it."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from evidence_kit._select import parse_selection
from evidence_kit.errors import ConfigError
from evidence_kit.model import Location, Record

TOML = """\
[establishment]
name = "Test Devices Inc."

[inspection]
as_of = "2026-11-30T12:00:00+00:00"

[binder]
bates_prefix = "REQ-"

[[inputs]]
path = "complaints.json"
source = "json"
record_type = "complaint"

[[inputs]]
path = "capas.json"
source = "json"
record_type = "capa"
"""

COMPLAINTS = [
    {
        "id": "CMP-2026-0001",
        "device_name": "LVP-200 Infusion Pump",
        "received_date": "2026-01-14",
        "udi": "(01)00812345000011(17)281231(10)L2511",
        "capa_ids": ["CAPA-1"],
    },
    {
        "id": "CMP-2026-0002",
        "device_name": "Syringe Driver SD-9",
        "received_date": "2026-04-03",
        "lot": "B77",
        "corrective_action_needed": True,
    },
]
CAPAS = [{"id": "CAPA-1", "opened_at": "2026-01-22", "triggers": [{"type": "complaint", "id": "CMP-2026-0001"}]}]


def rec(rtype: str, data: dict[str, Any]) -> Record:
    return Record(rtype, data["id"], data, Location("x.json", data["id"]), "0" * 64, "json")


RECORDS = [rec("complaint", c) for c in COMPLAINTS] + [rec("capa", c) for c in CAPAS]
DATES = {"complaint": "received_date", "capa": "opened_at"}


def chosen(*terms: str) -> list[str]:
    sel = parse_selection(terms)
    return [r.id for r in RECORDS if sel.matches(r, DATES[r.type])]


@pytest.mark.parametrize(
    ("terms", "ids"),
    [
        (("id:CMP-2026-0001",), ["CMP-2026-0001"]),
        (("id:CMP-2026-*",), ["CMP-2026-0001", "CMP-2026-0002"]),
        (("type:capa",), ["CAPA-1"]),
        (("type:complaint", "type:capa"), ["CMP-2026-0001", "CMP-2026-0002", "CAPA-1"]),
        (("device:lvp-200",), ["CMP-2026-0001"]),
        (("device:00812345000011",), ["CMP-2026-0001"]),  # a UDI-DI finds the UDI that carries it
        (("lot:L2511",), ["CMP-2026-0001"]),  # the (10) lot inside the UDI
        (("lot:b77",), ["CMP-2026-0002"]),
        (("from:2026-02-01",), ["CMP-2026-0002"]),
        (("to:2026-01-31",), ["CMP-2026-0001", "CAPA-1"]),
        (("from:2026-01-20", "to:2026-01-31"), ["CAPA-1"]),
        (("type:complaint", "from:2026-01-01", "to:2026-03-31"), ["CMP-2026-0001"]),
        (("ID:CAPA-1",), ["CAPA-1"]),
    ],
)
def test_selection_grammar(terms: tuple[str, ...], ids: list[str]) -> None:
    assert chosen(*terms) == ids


@pytest.mark.parametrize(
    ("term", "message"),
    [
        ("CMP-1", "not KEY:VALUE"),
        ("owner:J. Chen", "not KEY:VALUE"),
        ("id:", "empty value"),
        ("from:2026-13-01", "not a date"),
    ],
)
def test_selection_errors_name_the_term(term: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_selection([term])


def test_from_twice_is_an_error() -> None:
    with pytest.raises(ConfigError, match="given twice"):
        parse_selection(["from:2026-01-01", "from:2026-02-01"])


def test_describe_is_readable() -> None:
    sel = parse_selection(["type:complaint", "type:capa", "from:2026-01-01"])
    assert sel.describe() == "type:complaint OR type:capa AND from:2026-01-01"


@pytest.fixture
def bundle(make_bundle: Callable[..., Path]) -> Path:
    return make_bundle({"complaints.json": COMPLAINTS, "capas.json": CAPAS}, toml=TOML)


def test_cli_request_binder(bundle: Path, tmp_path: Path, cli: Callable[..., tuple[int, str, str]]) -> None:
    out = tmp_path / "req.pdf"
    code, stdout, err = cli("build", bundle, "--select", "device:LVP-200", "-o", out, "-q")
    assert code in (0, 1), err
    assert out.is_file() and "wrote" in stdout
    assert "1 of 3 records (device:LVP-200)" in stdout, stdout
    assert re.search(r"\d+ errors, \d+ warnings on them \(bundle: \d+ errors, \d+ warnings\)", stdout), stdout
    if shutil.which("qpdf") is None:
        pytest.skip("qpdf is not installed (apt-get install qpdf)")
    data = json.loads(subprocess.run(["qpdf", "--json=2", str(out)], capture_output=True, text=True).stdout)
    titles = {o["title"] for top in data["outlines"] for t in top["kids"] for k in t["kids"] for o in [k]}
    assert "CMP-2026-0001" in titles and "CMP-2026-0002" not in titles
    manifest = subprocess.run(
        ["qpdf", "--show-attachment=evidence-kit-manifest.json", str(out)], capture_output=True, text=True
    ).stdout
    assert [r["id"] for r in json.loads(manifest)["records"]] == ["CMP-2026-0001"]


def test_cli_bad_select_is_a_usage_error(
    bundle: Path, tmp_path: Path, cli: Callable[..., tuple[int, str, str]]
) -> None:
    out = tmp_path / "req.pdf"
    code, _, err = cli("build", bundle, "--select", "owner:me", "-o", out, "-q")
    assert code == 2
    assert "owner:me" in err
    assert not out.exists()


def test_validate_keeps_rule_select(bundle: Path, cli: Callable[..., tuple[int, str, str]]) -> None:
    def codes(*args: str) -> set[str]:
        code, out, err = cli("validate", bundle, *args, "--format", "json", "-q")
        assert code in (0, 1), err
        return {f["code"] for f in json.loads(out)["findings"]}

    assert "complaints.capa-missing" in codes()
    assert "complaints.capa-missing" not in codes("--select", "records.")
    assert "complaints.capa-missing" in codes("--select", "complaints.")
