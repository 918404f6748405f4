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
