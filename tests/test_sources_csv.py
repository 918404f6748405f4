from __future__ import annotations

from pathlib import Path

import pytest

from evidence_kit._api import run
from evidence_kit.errors import ConfigError

from .conftest import source_errors

CASES = Path(__file__).parent / "cases"

TOML = """\
[establishment]
name = "Test Devices Inc."

[inspection]
as_of = "2026-11-30T12:00:00+00:00"

[[inputs]]
path = "c.csv"
record_type = "complaint"
"""


def test_worked_example_csv_complaint_report_end_to_end() -> None:
    result = run(CASES / "csv_complaints")
    assert not source_errors(result), source_errors(result)
    c = result.records.get("C-1001", "complaint")
    assert c is not None
    assert c.data["complainant"] == {"name": "Dr. Renée Dubois", "address": "12 Rue de la Paix, Lyon"}
    assert c.data["received_date"] == "2026-10-14"
    assert c.data["capa_ids"] == ["CAPA-2026-021", "CAPA-2026-022"]
    assert c.data["mdr_decision"] == {"reportable": False, "decision_date": "2026-10-15"}
    assert c.location.line == 2 and c.location.path == "row 2"
    c2 = result.records.get("C-1002", "complaint")
    assert c2 is not None and "capa_ids" not in c2.data and "address" not in c2.data["complainant"]
    assert c2.data["description"] == 'Tubing set leaked at the luer; "minor" wetting, no harm.'


def test_bad_rows_are_findings_and_reading_goes_on(make_bundle) -> None:
    csv = b"id,received_date\nC-1,2026-01-01\nC-2,2026-01-02,extra\nC-\xff3,2026-01-03\nC-4,2026-01-04\n"
    result = run(make_bundle({"c.csv": csv}, toml=TOML))
    assert [r.id for r in result.records] == ["C-1", "C-4"]
    assert [r.location.line for r in result.records] == [2, 5]
    bad = sorted((f.location.line, f.message) for f in result.report.findings if f.code == "ingest.malformed")
    assert bad[0][0] == 3 and "3 cells but the header names 2" in bad[0][1]
    assert bad[1][0] == 4 and "byte offset 55" in bad[1][1]


def test_unknown_column_and_bad_value_name_the_mapping_key(make_bundle) -> None:
    toml = (
        TOML
        + """
[inputs.options]
delimiter = "\\t"
[inputs.options.mapping]
id = "No"
received_date = { from = "Rcvd", date_format = ["%m/%d/%Y", "%Y%m%d"] }
"complainant.name" = "Reporter Name"
"""
    )
    result = run(make_bundle({"c.csv": "No\tRcvd\nC-1\t12/31/2025\nC-2\t31/12/2025\n"}, toml=toml))
    assert result.records.get("C-1").data == {"id": "C-1", "received_date": "2025-12-31"}  # type: ignore[union-attr]
    errors = {f.location.field: f for f in result.report.findings if f.code == "ingest.mapping-error"}
    assert "column 'Reporter Name'" in errors["/complainant/name"].message
    assert "mapping 'complainant.name'" in errors["/complainant/name"].message
    date = errors["/received_date"]
    assert date.location.record == "C-2" and date.location.line == 3 and date.location.path == "column 'Rcvd'"
    assert "c.csv:3" in date.message and "mapping 'received_date'" in date.message


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ('delimiter = ";;"', "options.delimiter"),
        ("header = 1", "options.header"),
        ('mapping = { id = { from = "a", const = "b" } }', "options.mapping.id' needs exactly one of"),
        ('mapping = { id = { form = "a" } }', "options.mapping.id"),
        ('mapping = { "a..b" = "x" }', "mapping key 'a..b'"),
    ],
)
def test_bad_options_are_config_errors_naming_the_key(make_bundle, options: str, message: str) -> None:
    toml = TOML.replace('record_type = "complaint"', 'record_type = "complaint"\nsource = "csv"')
    with pytest.raises(ConfigError, match=message.replace(".", r"\.").replace("'", "'")):
        run(make_bundle({"c.csv": "id\nC-1\n"}, toml=toml + f"[inputs.options]\n{options}\n"))
