"""Terminology and citation hygiene: retired QSR sections and terms in records and PDF procedures."""

from __future__ import annotations

import dataclasses
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


def test_pdf_text_comes_from_the_record_not_the_file() -> None:
    # the rules never open a PDF: the text is what the PDF source put on the document record
    doc = rec("document", {"id": "SOP-9", "file": "sops/SOP-9.pdf", "pages": 2}, file="sops/SOP-9.pdf")
    doc = dataclasses.replace(doc, text=("Cover page", "Records are kept per 21 CFR 820.180."))
    (f,) = run_rule(retired_citation, [doc])
    assert (f.location.file, f.location.page) == ("sops/SOP-9.pdf", 2) and "820.180" in f.message
    # a record that attaches the PDF does not report it again: the PDF's own record does (rules judge
    # each record alone, so they can run per file and be cached)
    reg = dataclasses.replace(sop("SOP-9-C", "Records", "Record control."), attachments=("sops/SOP-9.pdf",))
    (f,) = run_rule(retired_citation, [reg, doc])
    assert f.location.record == "SOP-9" and f.location.page == 2
    assert run_rule(retired_citation, [dataclasses.replace(doc, text=())]) == []


def test_cached_rerun_keeps_the_page_text_without_extracting_again(make_bundle: Any, tmp_path: Any) -> None:
    from evidence_kit._api import run

    pdf = _pdf(["SOP-QA-012 Complaint handling", "Complaints are evaluated per 21 CFR 820.198(a)."])
    bundle = make_bundle({"sops/SOP-QA-012.pdf": pdf})
    cache = tmp_path / "cache"
    cold = run(bundle, cache_dir=cache)
    doc = cold.records.get("SOP-QA-012", "document")
    assert doc is not None and len(doc.text) == 2 and "820.198(a)" in doc.text[1]
    warm = run(bundle, cache_dir=cache)
    assert warm.cache is not None and warm.cache.misses == 0  # no file was read again, so no PDF re-extracted
    assert warm.records.get("SOP-QA-012", "document") == doc  # text included: the cache keeps it
    codes = [(f.code, f.location.page) for f in warm.report.findings if f.code.startswith("terminology.")]
    assert codes == [(f.code, f.location.page) for f in cold.report.findings if f.code.startswith("terminology.")]
    assert ("terminology.retired-citation", 2) in codes
