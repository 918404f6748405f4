"""The coverage map: procedures, records in the window, verdicts, findings, and the gap command."""

from __future__ import annotations

import json
from typing import Any

import pytest
from evidence_kit_builtin.gap.coverage import gap_analysis, render_text
from gap_helpers import NOW, SETTINGS, capa, complaint, rec, sop

from evidence_kit.model import Finding, Location, RecordSet, Report, Severity


def _report(findings: tuple[Finding, ...] = ()) -> Report:
    return Report("0", "acme", "fda-qmsr", NOW.isoformat(), (), (), findings, 0)


def _records() -> list[Any]:
    return [
        sop(
            "SOP-QA-012-C",
            "Complaint handling",
            "Implements 21 CFR 820.35(a), ISO 13485:2016 8.2.2 and MDR decisions under 21 CFR Part 803.",
        ),
        sop("SOP-PR-030-B", "Labeling inspection", "Labeling is examined per 21 CFR 820.45(a) before release."),
        sop("SOP-QA-020-A", "CAPA", "Corrective action per 21 CFR 820.100 (QSR)."),
        sop("SOP-QA-099-A", "Old document control", "ISO 13485:2016 4.2.4", status="superseded"),
        complaint(1, "2026-01-14"),
        complaint(2, "2026-02-03"),
        complaint(3, "2026-05-21"),
        complaint(4, "2023-04-02"),  # before the window: does not count
        capa(1, "2026-01-20", "2026-03-02"),
        capa(2, "2026-02-10", "2026-06-30"),
        rec("device_record", {"id": "DR-L2601", "lot": "L2601", "manufacture_date": "2026-01-05"}),
    ]


def _rows(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["id"]: r for r in result["requirements"]}


def test_verdicts_cover_the_four_cases() -> None:
    result = gap_analysis(RecordSet.of(_records()), _report(), SETTINGS, NOW)
    rows = _rows(result)
    assert rows["QMSR-820.35(a)"]["verdict"] == "covered"
    assert rows["QMSR-820.35(a)"]["records"] == 3  # the 2023 complaint is outside the window
    assert rows["QMSR-820.35(a)"]["procedures"][0]["id"] == "SOP-QA-012-C"
    assert rows["QMSR-820.10(b)(3)"]["verdict"] == "covered"
    assert rows["QMSR-820.45(a)"]["verdict"] == "procedure only"
    assert rows["ISO-8.5.2"]["verdict"] == "records only"
    assert rows["ISO-8.5.2"]["legacy_procedures"][0] == {
        "id": "SOP-QA-020-A",
        "file": "exports/documents.json",
        "found": "21 CFR 820.100",
        "where": "field /scope",
    }
    assert rows["QMSR-820.35(c)"]["verdict"] == "missing"  # a device record without a UDI does not count
    assert rows["ISO-4.2.4"]["verdict"] == "records only"  # the superseded SOP covers nothing
    assert result["summary"]["covered"] >= 3 and result["summary"]["missing"] > 10
    assert result["window"] == {"start": "2025-01-01", "end": "2026-11-30"}


def test_missing_fda_item_is_an_error_and_partial_a_warning() -> None:
    result = gap_analysis(RecordSet.of(_records()), _report(), SETTINGS, NOW)
    by_req = {f["requirement"]: f for f in result["findings"]}
    assert by_req["QMSR-820.35(c)"]["severity"] == "error"
    assert by_req["QMSR-820.35(c)"]["code"] == "gap.requirement-missing"
    assert "21 CFR 820.35(c)" in by_req["QMSR-820.35(c)"]["message"]
    assert by_req["QMSR-820.45(a)"] == {
        "code": "gap.requirement-thin",
        "severity": "warning",
        "requirement": "QMSR-820.45(a)",
        "cites": ["21 CFR 820.45(a)"],
        "message": by_req["QMSR-820.45(a)"]["message"],
    }
    assert "procedure only: SOP-PR-030-B" in by_req["QMSR-820.45(a)"]["message"]
    assert "SOP-QA-020-A cites the retired 21 CFR 820.100" in by_req["ISO-8.5.2"]["message"]
    assert by_req["ISO-5.6"]["severity"] == "warning"  # ISO items missing: warning
    assert by_req["QMSR-820.35(d)"]["severity"] == "info"  # marking is optional
    assert "QMSR-820.35(a)" not in by_req
    assert result["counts"]["error"] == sum(1 for f in result["findings"] if f["severity"] == "error")


def test_thin_when_fewer_records_than_expected() -> None:
    records = [r for r in _records() if r.id not in ("CMP-2026-0002", "CMP-2026-0003")]
    rows = _rows(gap_analysis(RecordSet.of(records), _report(), SETTINGS, NOW))
    assert rows["QMSR-820.35(a)"]["verdict"] == "covered" and rows["QMSR-820.35(a)"]["thin"]


def test_charts_and_findings_by_area() -> None:
    f = Finding("complaints.capa-missing", Severity.ERROR, "m", Location("a.json"), ("ISO 13485:2016 8.2.2(f)",))
    g = Finding("x.y", Severity.WARNING, "m", Location("a.json"), ("21 CFR 11.50",))
    records = [*_records(), complaint(5, "2026-01-30", failure_mode="occlusion alarm silent")]
    charts = gap_analysis(RecordSet.of(records), _report((f, g)), SETTINGS, NOW)["charts"]
    assert charts["complaints_by_month"]["2026-01"] == {"unspecified": 1, "occlusion alarm silent": 1}
    assert [c["days"] for c in charts["capa_cycle_days"]] == [41, 140]
    assert charts["findings_by_area"] == {"Measurement, Analysis and Improvement": 1, "Other": 1}


def test_text_rendering_groups_by_area() -> None:
    text = render_text(gap_analysis(RecordSet.of(_records()), _report(), SETTINGS, NOW))
    assert "Measurement, Analysis and Improvement\n" in text
    assert "SOP-QA-020-A cites retired 21 CFR 820.100" in text
    assert "QMSR-820.45(a)       procedure only" in text


TOML = """\
[establishment]
name = "Acme Infusion Systems"

[inspection]
profile = "fda-qmsr"
as_of = "2026-11-30T12:00:00+00:00"
window_start = "2025-01-01"
window_end = "2026-11-30"
"""


def _bundle(make_bundle: Any) -> Any:
    return make_bundle(
        {
            "exports/complaints.json": [
                {**r.data, "record_type": "complaint"} for r in _records() if r.type == "complaint"
            ]
        },
        toml=TOML,
    )


def test_gap_command_text_json_and_exit_code(make_bundle: Any, cli: Any, tmp_path: Any) -> None:
    bundle = _bundle(make_bundle)
    code, out, _ = cli("gap", bundle)
    assert code == 1  # FDA-specific items are missing
    assert "QMSR-820.35(a)       records only" in out
    out_file = tmp_path / "gap.json"
    code, out, _ = cli("gap", bundle, "--format", "json", "-o", out_file)
    data = json.loads(out_file.read_text(encoding="utf-8"))
    assert code == 1 and out == ""
    assert set(data) == {"gap"} and data["gap"]["counts"]["error"] >= 5
    code, _, err = cli("gap", bundle, "--analysis", "nope")
    assert code == 2 and "unknown analysis" in err


def test_gap_command_runs_qmm_readiness_for_the_qmm_profile(make_bundle: Any, cli: Any) -> None:
    bundle = make_bundle(
        {"exports/capa.json": [{**capa(1, "2026-01-20", "2026-03-02").data, "record_type": "capa"}]},
        toml=TOML.replace('"fda-qmsr"', '"qmm"'),
    )
    code, out, _ = cli("gap", bundle)
    assert code == 0
    assert "QMM self-assessment" in out and "CAPA effectiveness rate: 1/1 (100%)" in out


def test_config_accepts_foia_flag_and_settings_carry_bundle(make_bundle: Any) -> None:
    from evidence_kit._config import load_config

    bundle = make_bundle({}, toml=TOML + "foia_confidential = true\n\n[binder]\nfoia_confidential = true\n")
    settings = load_config(bundle).settings()
    assert settings["inspection"]["foia_confidential"] is True and settings["binder"]["foia_confidential"] is True
    assert settings["bundle"] == str(bundle.resolve())


def test_analyses_are_registered_by_the_hook(pm: Any) -> None:
    from evidence_kit._plugins import build_registry

    analyses = build_registry(pm).analyses
    assert {"gap", "qmm-readiness"} <= set(analyses)
    assert analyses["gap"].profiles == frozenset({"fda-qmsr"})
    assert {"risk_management_file", "improvement_plan", "business_continuity_plan"} <= set(
        build_registry(pm).record_types
    )


def test_analysis_pages_for_the_binder(make_bundle: Any) -> None:
    from evidence_kit._api import analysis_pages, run

    ((name, title, pdf),) = analysis_pages(run(_bundle(make_bundle)))
    assert (name, title) == ("gap", "QMSR gap analysis") and pdf.startswith(b"%PDF-")


def test_master_data_counts_whatever_its_date() -> None:
    dm = rec("device_master", {"id": "DM-LVP200", "di": "00812345100204", "gudid_published": "2021-06-14"})
    rows = _rows(gap_analysis(RecordSet.of([*_records(), dm]), _report(), SETTINGS, NOW))
    assert rows["QMSR-820.10(b)(1)"]["verdict"] == "records only" and rows["QMSR-820.10(b)(1)"]["records"] == 1


def test_document_kind_from_kind_title_or_file_name() -> None:
    from evidence_kit_builtin.gap.evidence import document_kind, kind_matches

    pdf = rec(
        "document",
        {"id": "bcp", "file": "qmm/2-bc/business-continuity-plan-2026.pdf", "pages": 3},
        file="qmm/2-bc/business-continuity-plan-2026.pdf",
    )
    assert document_kind(pdf) == "business-continuity-plan-2026"
    assert kind_matches(document_kind(pdf), ("business-continuity-plan",))
    assert not kind_matches("business-continuity-planning", ("business-continuity-plan",))
    assert kind_matches("quality-manual", ("quality-manual",))
    mdf = rec("document", {"id": "mdf", "file": "x.pdf", "pages": 1, "title": "Medical Device File index LVP-200"})
    rows = _rows(gap_analysis(RecordSet.of([*_records(), mdf]), _report(), SETTINGS, NOW))
    assert rows["ISO-4.2.3"]["verdict"] == "records only" and rows["ISO-4.2.3"]["record_ids"] == ["mdf"]


def test_config_foia_property(make_bundle: Any) -> None:
    from evidence_kit._config import load_config

    assert not load_config(make_bundle({}, toml=TOML, name="plain")).foia_confidential
    assert load_config(make_bundle({}, toml=TOML + "foia_confidential = true\n", name="foia")).foia_confidential


def test_json_output_meets_its_schema(make_bundle: Any, cli: Any, tmp_path: Any) -> None:
    import jsonschema
    from evidence_kit_builtin._schemas import load_schema

    schema = load_schema("gap_report")
    jsonschema.Draft202012Validator.check_schema(schema)
    checker = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    out = tmp_path / "g.json"
    bundle = _bundle(make_bundle)
    cli("gap", bundle, "--format", "json", "-o", out)
    checker.validate(json.loads(out.read_text(encoding="utf-8")))
    cli("gap", bundle, "--analysis", "qmm-readiness", "--analysis", "gap", "--format", "json", "-o", out)
    data = json.loads(out.read_text(encoding="utf-8"))
    assert list(data) == ["qmm-readiness", "gap"]
    checker.validate(data)


@pytest.mark.parametrize(
    "text",
    [
        "Complaints per ISO 13485:2016 8.2.2 and 21 CFR 820.35(a).",
        "clause 8.2.20, not 8.2.2; lot 1820.30.",
        "Risk per ISO\u00a014971:2019; \u00e98.2.2\u00e9 and \u0663820.35",
        "no numbers at all",
        "",
    ],
)
def test_numerals_prefilter_is_exact(text: str) -> None:
    from evidence_kit_builtin.gap.catalogue import clause_literal
    from evidence_kit_builtin.gap.evidence import numerals

    assert clause_literal("ISO 14971") == "14971" and clause_literal("ICH Q10") is None
    for lit in ("8.2.2", "820.35", "820.3", "14971", "2.20", "30", "1820.30.", ".", "13485"):
        assert (lit in numerals(text)) == (lit in text), lit
