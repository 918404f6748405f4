"""The requirement catalogues: schema-valid, complete, and every item cites its source clause."""

from __future__ import annotations

import json
import re

import jsonschema
import pytest
from evidence_kit_builtin._schemas import load_schema
from evidence_kit_builtin.gap.catalogue import DATA, clause_pattern, load_catalogue


@pytest.mark.parametrize("name", ["qmsr", "qmm"])
def test_catalogue_meets_its_schema(name: str) -> None:
    schema = load_schema("requirement_catalogue")
    jsonschema.Draft202012Validator.check_schema(schema)
    raw = json.loads((DATA / f"{name}.catalogue.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(schema).validate(raw)
    assert raw["version"]


def test_schema_rejects_an_item_without_citation() -> None:
    raw = json.loads((DATA / "qmm.catalogue.json").read_text(encoding="utf-8"))
    del raw["requirements"][0]["citation"]
    with pytest.raises(jsonschema.ValidationError, match="citation"):
        jsonschema.Draft202012Validator(load_schema("requirement_catalogue")).validate(raw)


@pytest.mark.parametrize("name", ["qmsr", "qmm"])
def test_every_item_cites_its_source_clause(name: str) -> None:
    cat = load_catalogue(name)
    for req in cat.requirements:
        assert re.match(
            r"^(21 CFR \d+\.\d+(\([a-z0-9]+\))*|ISO 13485:2016 \d+(\.\d+)*|FDA CDER QMM .+ \d: .+)$", req.citation
        ), req
        assert req.area in {a for a, _, _ in cat.areas}, req.id
        # the item's own clause strings find its citation, so a procedure citing the source clause covers it
        assert any(p.search(req.citation) for p in req.patterns) or name == "qmm", req.id
        assert req.record_types or req.document_kinds, req.id
    for _, _, citation in cat.areas:
        assert citation


def test_qmsr_catalogue_has_the_fda_additions_and_six_cp_areas() -> None:
    cat = load_catalogue("qmsr")
    ids = {r.id for r in cat.requirements}
    wanted = {f"QMSR-820.10({p})" for p in ("a", "c", "d")} | {f"QMSR-820.10(b)({n})" for n in range(1, 5)}
    wanted |= {f"QMSR-820.35({p})" for p in "abcd"} | {f"QMSR-820.45({p})" for p in "abc"}
    assert wanted <= ids
    assert [t for _, t, _ in cat.areas] == [
        "Management Oversight",
        "Design and Development",
        "Production and Service Provision",
        "Change Control",
        "Measurement, Analysis and Improvement",
        "Outsourcing and Purchasing",
    ]
    assert all(any(r.area == a for r in cat.requirements) for a, _, _ in cat.areas)
    by_id = {r.id: r for r in cat.requirements}
    for critical in ("QMSR-820.35(a)", "QMSR-820.45(a)", "QMSR-820.35(c)", "QMSR-820.10(b)(3)"):
        assert by_id[critical].fda_specific and by_id[critical].missing_severity == "error"
    assert not any(r.fda_specific for r in cat.requirements if r.id.startswith("ISO-"))


def test_qmm_catalogue_has_the_five_practice_areas() -> None:
    cat = load_catalogue("qmm")
    assert [r.title for r in cat.requirements] == [
        "Management Commitment to Quality",
        "Business Continuity",
        "Advanced Pharmaceutical Quality System",
        "Technical Excellence",
        "Employee Engagement and Empowerment",
    ]
    assert all(r.indicators for r in cat.requirements)


@pytest.mark.parametrize(
    ("cite", "text", "hit"),
    [
        ("ISO 13485:2016 8.2.2", "per ISO 13485:2016 §8.2.2 and", True),
        ("ISO 13485:2016 8.2.2", "ISO 13485 clause 8.2.2(d) requires", True),
        ("ISO 13485:2016 8.2", "ISO 13485:2016 8.2.2", True),
        ("ISO 13485:2016 8.2.2", "ISO 13485:2016 8.2", False),
        ("ISO 13485:2016 7.3.1", "ISO 13485:2016 7.3.10", False),
        ("ISO 13485:2016 8.2.2", "section 8.2.2 of this SOP", False),
        ("21 CFR 820.35(a)", "records per 21 CFR § 820.35 (a)(3)", True),
        ("21 CFR 820.35(a)", "21 CFR 820.35(b)", False),
        ("21 CFR 820.10", "1820.10", False),
        ("21 CFR 803", "reports under 21 CFR Part 803.50", True),
        ("21 CFR 803", "ticket 803", False),
        ("ISO 14971", "risk per ISO 14971:2019", True),
    ],
)
def test_clause_pattern(cite: str, text: str, hit: bool) -> None:
    assert bool(clause_pattern(cite).search(text)) is hit


def test_bare_section_covers_only_a_bare_citation() -> None:
    assert clause_pattern("21 CFR 820.45").search("labeling controls per 21 CFR 820.45.")
    assert not clause_pattern("21 CFR 820.45").search("examined per 21 CFR 820.45(a)")
    assert not clause_pattern("21 CFR 820.10").search("MDR per 21 CFR 820.10(b)(3)")
