"""The example bundles' reports match the committed golden file, and DEFECTS.md matches both.

The golden file (tests/example_bundle.golden.json) holds every finding of ``evidence-kit validate`` on
example_bundle and example_bundle_qmm as (code, file, record, field). It changes only through
``python -m evidence_kit.examples --update-golden``, never by running the tests.
"""

from __future__ import annotations

import json
from pathlib import Path

import pikepdf
import pytest

from evidence_kit._catalog import CORE_CODES
from evidence_kit._plugins import build_registry, get_plugin_manager
from evidence_kit.cli import ExitCode
from evidence_kit.examples import DEFAULT_SEED, PROFILES, findings_of, generate, parse_defects

from .conftest import ROOT

GOLDEN = Path(__file__).with_name("example_bundle.golden.json")
FOLDERS = [folder for folder, _ in PROFILES.values()]
#: Findings that are not defects: files the bundle config excludes with a stated reason.
NOT_DEFECTS = {"ingest.excluded"}


def _golden(folder: str) -> set[tuple[str, ...]]:
    return {tuple(k) for k in json.loads(GOLDEN.read_text(encoding="utf-8"))[folder]}


def _defects(folder: str) -> set[tuple[str, ...]]:
    rows = parse_defects((ROOT / folder / "DEFECTS.md").read_text(encoding="utf-8"))
    return {(d.code, d.file, d.record, d.field or "") for d in rows}


@pytest.mark.parametrize("folder", FOLDERS)
def test_report_matches_golden(folder):
    found = set(findings_of(ROOT / folder))
    golden = _golden(folder)
    missing, unexpected = sorted(golden - found), sorted(found - golden)
    assert not missing and not unexpected, (
        f"{folder}: the report differs from {GOLDEN.name}.\n"
        f"Expected but not found: {missing}\nFound but not expected: {unexpected}\n"
        "If the change is intended, run `python -m evidence_kit.examples --update-golden` and review the diff."
    )


@pytest.mark.parametrize("folder", FOLDERS)
def test_defects_md_and_golden_agree(folder):
    registered = set(build_registry(get_plugin_manager(entry_points=False)).rules) | set(CORE_CODES)
    defects, golden = _defects(folder), _golden(folder)
    assert len(defects) >= 10, f"{folder}/DEFECTS.md lists only {len(defects)} defects"
    pending = sorted(d for d in defects if d[0] not in registered)
    not_found = sorted(d for d in defects - golden if d[0] in registered)
    assert not not_found, f"{folder}/DEFECTS.md rows missing from {GOLDEN.name}: {not_found}"
    unaccounted = sorted(k for k in golden - defects if k[0] not in NOT_DEFECTS)
    assert not unaccounted, f"{GOLDEN.name} has {folder} findings that DEFECTS.md does not list: {unaccounted}"
    if pending:
        codes = sorted({d[0] for d in pending})
        pytest.skip(f"{len(pending)} DEFECTS.md rows name rule codes no installed plugin registers yet: {codes}")


def test_at_least_25_defects_across_packs():
    rows = _defects("example_bundle") | _defects("example_bundle_qmm")
    packs = {code.split(".")[0] for code, *_ in rows}
    assert len(rows) >= 25
    assert {"complaints", "part11", "chronology", "labeling", "udi", "reporting", "drugs"} <= packs


# The foundation binder appends pages with pages.append(), which warns about the intake forms' AcroForm
# widgets; the binder branch's page-object assembly does not. The binder itself is outside this test.
_FORMS_WARNING = "ignore:.*form widget annotation:UserWarning"


def test_qmm_bundle_builds_through_the_qmm_profile(cli, tmp_path):
    out = tmp_path / "qmm.pdf"
    code, stdout, _ = cli("build", ROOT / "example_bundle_qmm", "-q", "-o", out)
    assert code in (ExitCode.OK, ExitCode.FINDINGS), stdout
    assert ": 0 records" not in stdout
    with pikepdf.open(out) as pdf, pdf.open_outline() as outline:
        titles = [item.title for item in outline.root]
    for area in ("Management Commitment to Quality", "Business Continuity", "Advanced Pharmaceutical Quality System",
                 "Technical Excellence", "Employee Engagement and Empowerment"):  # fmt: skip
        assert any(area in t for t in titles), (area, titles)


@pytest.mark.filterwarnings(_FORMS_WARNING)
def test_device_bundle_builds_through_the_fda_profile(cli, tmp_path):
    out = tmp_path / "fda.pdf"
    code, stdout, _ = cli("build", ROOT / "example_bundle", "-q", "-o", out)
    assert code == ExitCode.FINDINGS, stdout
    with pikepdf.open(out) as pdf, pdf.open_outline() as outline:
        titles = [item.title for item in outline.root]
    assert any("Production and Service Provision" in t for t in titles), titles
    assert any("Medical Device Reporting" in t for t in titles), titles


@pytest.mark.parametrize(("size", "seed"), [(2, DEFAULT_SEED), (1, 5)])
@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_scaled_or_reseeded_bundle_reports_exactly_its_defects(tmp_path, profile, size, seed):
    """Scaled (as benchmarks do) or reseeded, the report still equals the generated DEFECTS.md."""
    generate(tmp_path, size=size, seed=seed, profiles=[profile])
    root = tmp_path / PROFILES[profile][0]
    rows = {(d.code, d.file, d.record, d.field or "") for d in parse_defects((root / "DEFECTS.md").read_text())}
    found = {k for k in findings_of(root) if k[0] not in NOT_DEFECTS}
    assert rows == found, (sorted(rows - found), sorted(found - rows))
