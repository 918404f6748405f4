"""Copies of public FDA data (``external_source`` set) are not held to the firm's record-keeping rules."""

from __future__ import annotations

import pytest

from .rules_baseline import baseline, records, run_rule


def _with(rid: str, **fields: object) -> dict:
    data = baseline()
    data[rid][1].update(fields)
    return data


@pytest.mark.parametrize(
    ("code", "rid", "fields"),
    [
        ("records.expected-life-missing", "DM-LVP200", {"expected_life_years": None}),
        ("reporting.mdr-report-incomplete", "MDR-2026-0004", {"report_type": None, "ack": None}),
    ],
)
def test_firm_records_flagged_public_copies_not(code, rid, fields):
    own = run_rule(code, records(_with(rid, **fields)))
    assert own and {f.location.record for f in own} == {rid}
    public = run_rule(code, records(_with(rid, external_source="FDA GUDID", **fields)))
    assert public == []


def test_public_report_numbers_are_not_a_firm_sequence():
    data = baseline()
    body = dict(data["MDR-2026-0004"][1])
    for n in (1, 7):  # MDR-2026-0001 … MDR-2026-0007 would skip numbers
        data[f"MDR-2026-000{n}"] = ("mdr_report", {**body, "id": f"MDR-2026-000{n}"})
    assert run_rule("records.id-sequence-gap", records(data))
    for rid, (rtype, b) in list(data.items()):
        if rtype == "mdr_report":
            data[rid] = (rtype, {**b, "external_source": "openFDA device MDR"})
    assert run_rule("records.id-sequence-gap", records(data)) == []


def test_case_label_udi_resolves_through_a_package_di():
    from evidence_kit_builtin.udi_format import gtin_check_digit

    body = "1081234500001"  # a case-level GTIN-14 (indicator digit 1) containing the device
    case_gtin = body + str(gtin_check_digit(body))
    data = baseline()
    data["LI-L2511"][1]["udi"] = f"(01){case_gtin}(17)281231(10)L2511"
    assert [f.location.record for f in run_rule("udi.di-not-in-master", records(data))] == ["LI-L2511"]
    data["DM-LVP200"][1]["package_dis"] = [{"di": case_gtin, "contains": "00812345000016", "quantity": "10"}]
    assert run_rule("udi.di-not-in-master", records(data)) == []


def test_sequence_gap_names_the_missing_id_with_its_padding():
    data = baseline()
    body = dict(data["MDR-2026-0004"][1])
    for n in (1, 3):  # MDR-2026-0002 is missing
        data[f"MDR-2026-000{n}"] = ("mdr_report", {**body, "id": f"MDR-2026-000{n}"})
    messages = [f.message for f in run_rule("records.id-sequence-gap", records(data))]
    assert any(m.endswith("skips MDR-2026-0002.") for m in messages), messages
