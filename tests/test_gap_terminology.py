"""Terminology and citation hygiene: retired QSR sections and terms in records and PDF procedures."""

from __future__ import annotations

import io
from typing import Any

import pytest
from evidence_kit_builtin.rules.terminology import retired_citation, retired_term
from gap_helpers import rec, run_rule, sop
from reportlab.pdfgen.canvas import Canvas


@pytest.mark.parametrize(
    ("text", "found", "suggests"),
    [
        ("Complaints are handled per 21 CFR 820.198.", "21 CFR 820.198", "ISO 13485:2016 8.2.2"),
        ("Design controls (§820.30(g)) apply.", "§820.30(g)", "ISO 13485:2016 7.3"),
        ("Records are kept per 820.180 for two years.", "820.180", "ISO 13485:2016 4.2.5"),
        ("CAPA per 21 CFR Part 820.100 (QSR).", "21 CFR Part 820.100", "ISO 13485:2016 8.5.2"),
        ("Installation per 820.170.", "820.170", "ISO 13485:2016 7.5.3"),
    ],
)
def test_retired_citation_found_with_replacement(text: str, found: str, suggests: str) -> None:
    (f,) = run_rule(retired_citation, [sop("SOP-QA-012-C", "Complaints", text)])
    assert f.location.field == "/scope" and f.location.record == "SOP-QA-012-C"
    assert f"\u201c{found}\u201d" in f.message and suggests in f.message
    assert suggests in (f.hint or "")
    assert text.split()[0] in f.message  # the text found is quoted


@pytest.mark.parametrize(
    "text",
    [
        "Complaint files per 21 CFR 820.35(a) and labeling per 820.45(b).",
        "Definitions per 21 CFR 820.3; scope 820.1; QMS per 820.10(b)(3).",
        "Formerly 21 CFR 820.198; now ISO 13485:2016 8.2.2.",
        "Crosswalk: old QSR 820.30 maps to ISO 13485:2016 7.3.",
        "Lot 1820.30 was released.",
        "Part 820.251 does not exist.",
    ],
)
def test_current_or_historical_citations_are_not_flagged(text: str) -> None:
    assert run_rule(retired_citation, [sop("SOP-QA-012-C", "Complaints", text)]) == []


def test_retired_terms_without_the_new_ones() -> None:
    r = sop(
        "SOP-DC-001-D",
        "Design controls",
        "The DHF holds design outputs. Each DHF is reviewed by management with executive responsibility.",
    )
    found = run_rule(retired_term, [r])
    assert len(found) == 2
    dhf = next(f for f in found if "DHF" in f.message)
    assert "(2 uses)" in dhf.message and "design and development file" in dhf.message
    assert "ISO 13485:2016 7.3.10" in dhf.message and dhf.location.field == "/scope"
    assert any("top management" in f.message for f in found)


def test_retired_term_alongside_new_term_is_accepted() -> None:
    r = sop("SOP-DC-001-E", "Design controls", "The design and development file (formerly the DHF) holds outputs.")
    assert run_rule(retired_term, [r]) == []
    r2 = sop("SOP-PR-001-E", "Production", "The DHR, i.e. the production record, is reviewed before release.")
    assert run_rule(retired_term, [r2]) == []


def test_user_terms_extend_the_list() -> None:
    r = rec("capa", {"id": "CAPA-9", "problem": "Quality System Inspection Technique audit found gaps"})
    extra = [
        {
            "old": "quality system inspection technique",
            "abbrev": "QSIT",
            "new": "CP 7382.850",
            "cite": "FDA CP 7382.850",
        }
    ]
    assert run_rule(retired_term, [r]) == []
    (f,) = run_rule(retired_term, [r], extra_terms=extra)
    assert f.location.field == "/problem" and "CP 7382.850" in f.message


def _pdf(pages: list[str]) -> bytes:
    buf = io.BytesIO()
    c = Canvas(buf, invariant=1)
    for text in pages:
        c.drawString(72, 720, text)
        c.showPage()
    c.save()
    return buf.getvalue()


def test_pdf_procedure_page_is_located(make_bundle: Any, cli: Any) -> None:
    pdf = _pdf(
        [
            "SOP-QA-012 Complaint handling, revision C",
            "Complaints are evaluated per 21 CFR 820.198(a). The DMR lists the specifications.",
        ]
    )
    bundle = make_bundle({"sops/SOP-QA-012.pdf": pdf})
    code, out, _ = cli("validate", bundle, "--select", "terminology", "--format", "json")
    import json

    findings = json.loads(out)["findings"]
    cit = next(f for f in findings if f["code"] == "terminology.retired-citation")
    assert cit["location"]["file"] == "sops/SOP-QA-012.pdf" and cit["location"]["page"] == 2
    assert "21 CFR 820.198(a)" in cit["message"] and "ISO 13485:2016 8.2.2" in cit["message"]
    term = next(f for f in findings if f["code"] == "terminology.retired-term")
    assert term["location"]["page"] == 2 and "medical device file" in term["message"]
    assert code == 0  # warnings only


def test_transition_notes_are_historical() -> None:
    note = "QMSR transition: cites 21 CFR 820.35(a) and ISO 13485:2016 8.2.2 instead of 820.198."
    assert run_rule(retired_citation, [sop("SOP-QA-012-D", "Complaints", note)]) == []


def test_identifiers_keep_their_legacy_names() -> None:
    r = rec("device_record", {"id": "DHR-A24-1001", "lot": "A24", "capa_ids": ["DHF-7"], "note": "see DHR-A24-1000"})
    assert run_rule(retired_term, [r]) == []
    r2 = rec("device_record", {"id": "PR-1", "note": "Reviewed the DHR before release."})
    (f,) = run_rule(retired_term, [r2])
    assert f.location.field == "/note"
