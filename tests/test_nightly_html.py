"""--format html: a self-contained readiness report, checked in real headless Chromium.

Chromium (Debian package ``chromium``) loads the file, the filter script runs with the filters
given in the URL fragment (the same code path the drop-downs use), and ``--dump-dom`` returns the
DOM after the script ran. A screenshot is saved under tmp/artifacts (or $EVIDENCE_KIT_TEST_ARTIFACTS).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import quote

import pytest
from lxml import html as lxml_html

from evidence_kit.cli import ExitCode

from .conftest import ROOT
from .nightly_helpers import TOML, capa, complaint, files, write

CHROMIUM = next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome") if shutil.which(n)), None)
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None,
    reason="headless Chromium not installed (Debian: apt-get install chromium); HTML DOM tests skipped",
)
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,1000",
]
MEASUREMENT = "5 Measurement, Analysis and Improvement"
NO_RECORD = "Bundle and plugins (no record)"


@pytest.fixture
def report_html(cli, make_bundle, tmp_path) -> Path:
    """A report with errors, warnings and an info, a baseline, a fixed finding and a new one."""
    bundle = make_bundle(
        {
            **files([complaint(1, capa_ids=["CAPA-9"]), complaint(2), complaint(3)], [capa(2), capa(3)]),
            "notes.txt": "not a record",  # ingest.no-source: a file-level warning without a record
        },
        toml=TOML,
    )
    base = tmp_path / "base.json"
    cli("validate", bundle, "-q", "--write-baseline", base)
    # CMP-3 now links a missing CAPA and has a bad date (new errors); CAPA-3 is no longer linked back (new warning)
    write(bundle, "complaints/c001.json", [complaint(3, capa_ids=["CAPA-8"], received_date="2026-13-01")])
    out = tmp_path / "report.html"
    code, _, _ = cli("validate", bundle, "-q", "--baseline", base, "--format", "html", "-o", out)
    assert code == ExitCode.FINDINGS
    json_out = tmp_path / "report.json"
    cli("validate", bundle, "-q", "--baseline", base, "--format", "json", "-o", json_out)
    out.with_suffix(".expected.json").write_text(json_out.read_text())
    return out


def _expected(report: Path) -> dict:
    return json.loads(report.with_suffix(".expected.json").read_text())


def test_html_is_self_contained(report_html):
    text = report_html.read_text()
    assert text.startswith("<!DOCTYPE html>")
    assert not re.search(r"""\b(src|href)\s*=|url\(|@import|https?://""", text), "the page must fetch nothing"
    assert "<style>" in text and "<script>" in text


def test_rule_codes_break_only_after_dots_and_hyphens(report_html):
    text = report_html.read_text()
    cells = re.findall(r'<td class="rule"><code>(.*?)</code></td>', text)
    assert cells and any("<wbr>" in c for c in cells)
    for cell in cells:
        assert re.fullmatch(r"(?:[^<]*[.-]<wbr>)*[^<]*", cell), cell  # a break opportunity only after '.' or '-'
    rule_css = re.search(r"td\.rule code\{([^}]*)\}", text)
    assert rule_css and "anywhere" not in rule_css.group(1) and "break-all" not in rule_css.group(1)


def _chromium(args: list[str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    profile = tmp_path / f"profile-{len(list(tmp_path.glob('profile-*')))}"
    profile.mkdir()
    assert CHROMIUM is not None
    return subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args], capture_output=True, text=True, timeout=120
    )


def _dom(report: Path, tmp_path: Path, fragment: str = "") -> lxml_html.HtmlElement:
    done = _chromium(["--dump-dom", report.as_uri() + fragment], tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    return lxml_html.fromstring(done.stdout)


def _visible(dom: lxml_html.HtmlElement) -> list[lxml_html.HtmlElement]:
    return [r for r in dom.xpath('//table[@id="findings"]/tbody/tr') if r.get("hidden") is None]


@needs_chromium
def test_dom_counts_and_summary(report_html, tmp_path):
    expected = _expected(report_html)
    dom = _dom(report_html, tmp_path)
    rows = dom.xpath('//table[@id="findings"]/tbody/tr')
    assert len(rows) == len(expected["findings"]) == len(_visible(dom))
    rank = {"error": 3, "warning": 2, "info": 1}
    assert [r.get("data-severity") for r in rows] == sorted(
        (f["severity"] for f in expected["findings"]), key=lambda s: -rank[s]
    ), "errors first, then warnings, then info"
    by_fp = {f["fingerprint"]: f for f in expected["findings"]}
    assert dom.get_element_by_id("shown-count").text_content() == str(len(rows))
    tiles = {t.get("data-severity"): int(t.find_class("count")[0].text) for t in dom.xpath("//div[@data-severity]")}
    assert tiles == expected["counts"]
    base = {t.get("data-baseline"): int(t.find_class("count")[0].text) for t in dom.xpath("//div[@data-baseline]")}
    assert base == expected["baseline"]["counts"]
    areas = {r.get("data-area") for r in dom.xpath('//table[@id="areas"]/tbody/tr')}
    assert areas == {MEASUREMENT, NO_RECORD}
    # every finding shows its record and its file
    for row in rows:
        f = by_fp[row.get("data-fingerprint")]
        assert row.find_class("record")[0].text_content() == (f["location"]["record"] or "")
        assert f["location"]["file"] in row.find_class("file")[0].text_content()
    changed = dom.get_element_by_id("record-changes").text_content()
    assert "complaint:CMP-3" in changed and "/capa_ids" in changed and "/received_date" in changed
    assert dom.get_element_by_id("fixed-count").text_content() == str(len(expected["baseline"]["fixed"]))


@needs_chromium
@pytest.mark.parametrize(
    ("key", "value"),
    [("severity", "warning"), ("rule", "schema.invalid"), ("area", NO_RECORD), ("status", "new")],
)
def test_filters_hide_the_other_rows(report_html, tmp_path, key, value):
    expected = _expected(report_html)
    field = {"severity": "severity", "rule": "code"}.get(key)
    if key == "area":
        want = [f for f in expected["findings"] if f["location"]["record"] is None]
    elif key == "status":
        want = [f for f in expected["findings"] if f["baseline"] == value]
    else:
        want = [f for f in expected["findings"] if f[field] == value]
    assert want, "the fixture must exercise the filter"
    dom = _dom(report_html, tmp_path, f"#{key}={quote(value, safe='')}")
    shown = _visible(dom)
    assert sorted(r.get("data-fingerprint") for r in shown) == sorted(f["fingerprint"] for f in want)
    assert all(r.get(f"data-{key}") == value for r in shown)
    assert dom.get_element_by_id("shown-count").text_content() == str(len(want))


@needs_chromium
def test_combined_filters_and_screenshot(report_html, tmp_path):
    expected = _expected(report_html)
    fragment = f"#severity=error&area={quote(MEASUREMENT, safe='')}&status=new"
    want = [
        f
        for f in expected["findings"]
        if f["severity"] == "error" and f["location"]["record"] and f["baseline"] == "new"
    ]
    dom = _dom(report_html, tmp_path, fragment)
    assert sorted(r.get("data-fingerprint") for r in _visible(dom)) == sorted(f["fingerprint"] for f in want)
    artifacts = Path(os.environ.get("EVIDENCE_KIT_TEST_ARTIFACTS", ROOT / "tmp" / "artifacts"))
    artifacts.mkdir(parents=True, exist_ok=True)
    shot = artifacts / "html-report-filtered.png"
    shot.unlink(missing_ok=True)
    done = _chromium([f"--screenshot={shot}", report_html.as_uri() + fragment], tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000
