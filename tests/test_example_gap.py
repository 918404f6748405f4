"""The example bundles exercise the gap analysis, the terminology pass and the QMM self-assessment (issue 11)."""

from __future__ import annotations

from collections import Counter

import pikepdf
import pytest

from evidence_kit._api import analyse, run
from evidence_kit.cli import ExitCode

from .conftest import ROOT


@pytest.fixture(scope="module")
def device_gap() -> dict:
    return analyse(ROOT / "example_bundle", ["gap"])[1]["gap"]


@pytest.fixture(scope="module")
def qmm_run():
    return analyse(ROOT / "example_bundle_qmm", ["qmm-readiness"])


def test_device_gap_report_shows_every_verdict(device_gap):
    verdicts = Counter(r["verdict"] for r in device_gap["requirements"])
    assert set(verdicts) == {"covered", "procedure only", "records only", "missing"}, verdicts
    assert verdicts["covered"] >= 10 and verdicts["missing"] >= 10 and verdicts["records only"] >= 10, verdicts


def test_device_gap_reads_the_seeded_procedures(device_gap):
    by_id = {r["id"]: r for r in device_gap["requirements"]}
    assert by_id["QMSR-820.10(a)"]["procedures"][0]["id"].startswith("QM-001")
    assert by_id["ISO-5.3"]["verdict"] == "covered"
    assert by_id["ISO-4.2.3"]["verdict"] == "covered"
    assert by_id["ISO-7.1"]["verdict"] == "covered"
    assert by_id["ISO-7.6"]["verdict"] == "procedure only"
    capa = by_id["ISO-8.5.2"]
    assert capa["verdict"] == "records only"
    assert [(x["id"], x["found"]) for x in capa["legacy_procedures"]] == [
        ("SOP-QA-015_rev-F_corrective-and-preventive-action", "21 CFR 820.100")
    ]


def test_historical_reference_is_not_flagged():
    """SOP-QA-012 rev D says "formerly kept under 21 CFR 820.198": the negative control of the terminology pass."""
    report = run(ROOT / "example_bundle").report
    terms = [f for f in report.findings if f.code.startswith("terminology.")]
    assert terms, "the seeded terminology defects must be found"
    assert not [f for f in terms if "SOP-QA-012" in f.location.file]


def test_qmm_readiness_has_evidence_in_every_practice_area(qmm_run):
    data = qmm_run[1]["qmm-readiness"]
    assert all(a["records"] > 0 and a["latest"] for a in data["practice_areas"]), data["practice_areas"]
    indicators = {k: v for a in data["practice_areas"] for k, v in a["indicators"].items()}
    assert indicators["continuity_plans_reviewed_12_months"]["stale"] == ["LPK-BCP-02"]
    assert indicators["management_review_resource_decisions"]["numerator"] == 2
    assert indicators["training_effectiveness_rate"]["denominator"] > 0
    (plan,) = data["improvement_plans"]
    assert [c["status"] for c in plan["checkpoints"]] == ["reported", "overdue"]


def test_qmm_profile_routes_practice_area_documents_by_kind(qmm_run):
    result = qmm_run[0]
    profile = result.registry.profiles["qmm"]

    def documents(extra: dict[str, str]) -> dict[str, list[str]]:
        out = {}
        for section in profile.sections(result.report, result.records, extra):
            out[section.key] = [r.id for c in section.children for r in c.records if r.type == "document"]
        return out

    routed = documents({})
    assert routed["continuity"] == ["business-continuity-plan-2026"]
    assert routed["technical"] == ["continued-process-verification-2025"]
    assert "quality-culture-survey-2026" in routed["engagement"]
    assert not any(d.startswith(("business", "continued")) for d in routed["general"])
    # the bundle's [binder.sections] mapping of the type itself wins over the kinds
    assert sum(len(v) for k, v in documents({"document": "general"}).items() if k != "general") == 0


def test_qmm_binder_opens_with_readiness_pages(cli, tmp_path):
    out = tmp_path / "qmm.pdf"
    code, stdout, _ = cli("build", ROOT / "example_bundle_qmm", "-q", "-o", out)
    assert code in (ExitCode.OK, ExitCode.FINDINGS), stdout
    with pikepdf.open(out) as pdf, pdf.open_outline() as outline:
        titles = [item.title for item in outline.root]
    readiness = next(i for i, t in enumerate(titles) if "readiness" in t.lower())
    assert readiness < next(i for i, t in enumerate(titles) if t.startswith("1 "))


def test_gap_tables_wrap_long_procedure_ids_inside_their_column(device_gap, tmp_path):
    """Long ids without spaces (MDF-LVP-200_medical-device-file-index) once ran over the Rec. and Latest columns."""
    import itertools
    import re
    import shutil
    import subprocess

    from evidence_kit_builtin.gap.pages import render_gap_pdf

    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext is not installed")
    pdf = tmp_path / "gap.pdf"
    pdf.write_bytes(render_gap_pdf(device_gap))
    xhtml = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    lines: dict[tuple[int, float], list[tuple[float, float, str]]] = {}
    for page, body in enumerate(re.findall(r"<page [^>]*>(.*?)</page>", xhtml, re.S)):
        for x0, y0, x1, word in re.findall(
            r'xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="[\d.]+">([^<]*)<', body
        ):
            lines.setdefault((page, round(float(y0))), []).append((float(x0), float(x1), word))
    long_ids = 0
    for words in lines.values():
        words.sort()
        for (_, x1, w), (nx0, _, nw) in itertools.pairwise(words):
            assert x1 <= nx0 + 0.5, f"{w!r} runs over {nw!r}"
        long_ids += any(w.startswith("MDF-LVP-200_") for _, _, w in words)
    assert long_ids, "the long procedure id is not in the table"


def test_qmm_binder_logs_hold_the_drug_records(tmp_path):
    """The QMM binder's logs show drug complaints and deviations (211.198, 211.192), and no label-inspection log."""
    import shutil
    import subprocess

    from evidence_kit._api import build_binder

    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext is not installed")
    out = tmp_path / "qmm.pdf"
    build_binder(ROOT / "example_bundle_qmm", out)
    with pikepdf.open(out) as pdf, pdf.open_outline() as outline:
        logs = next(item for item in outline.root if item.title == "Logs")
        titles = [item.title for item in logs.children]
    assert titles == ["Complaint log", "CAPA log", "Deviation and investigation log (211.192)"]
    pages = subprocess.run(["pdftotext", "-layout", str(out), "-"], capture_output=True, text=True).stdout.split("\f")
    text = "\f".join(pages)
    assert "Label inspection log" not in text and "No complaint records" not in text
    complaints = next(p for p in pages if p.strip().startswith("Complaint log"))
    assert complaints.count("DC-20") == 8
    assert "ADE / MDR" in complaints and "Field" in complaints
    row = next(line for line in complaints.splitlines() if "DC-2026-005" in line)  # the reportable one
    assert "MT2525002" in row and "Yes" in row
    deviations = next(p for p in pages if p.strip().startswith("Deviation and investigation log"))
    assert deviations.count("DEV-20") >= 4
    row = next(line for line in deviations.splitlines() if "DEV-2025-001" in line)
    assert "BR-MT5025001" in row and "CAPA-2025-001" in row and "Priya Raman" in row
