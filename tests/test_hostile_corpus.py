"""Hostile input: every corpus file ends bound or excluded with a specific reason, within the budget.

SLOW-ISH (about 15-20 s): ``test_whole_corpus_*`` ingests and binds every file of ../shared/corpus
(pdf/, xml/, json/, real/, recursively) once, in a copy under tmp_path (no corpus file enters the repo).
The summary of outcomes by reason is printed (``pytest -s``).
"""

from __future__ import annotations

import collections
import hashlib
import json
import shutil
import socket
import time
from pathlib import Path

import pikepdf
import pytest

from evidence_kit import _guard
from evidence_kit._api import Run, build_binder
from evidence_kit._guard import BudgetExceeded, guarded


def _hashes(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.is_symlink()
    }


@pytest.fixture(scope="module")
def corpus_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Run, Path, dict[str, str]]:
    from .conftest import CORPUS

    if not CORPUS.is_dir():
        pytest.skip(f"shared corpus not found at {CORPUS}; these tests need ../shared/corpus beside the repo")
    bundle = tmp_path_factory.mktemp("hostile") / "bundle"
    shutil.copytree(CORPUS, bundle, symlinks=True)
    before = _hashes(bundle)
    out = bundle.parent / "binder.pdf"

    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"network access attempted: {args}")

    with pytest.MonkeyPatch.context() as mp:  # the XXE / remote-DTD / schemaLocation files must fetch nothing
        for name in ("socket", "create_connection", "getaddrinfo"):
            mp.setattr(socket, name, no_network)
        run = build_binder(bundle, out)
    return bundle, run, out, before


def _outcomes(run: Run) -> dict[str, tuple[bool, str | None, str]]:
    return {o.file: (o.bound, o.excluded_by, o.reason or "") for o in run.report.inputs}


def test_whole_corpus_every_file_accounted_for_without_crash(
    corpus_run: tuple[Path, Run, Path, dict[str, str]],
) -> None:
    bundle, run, out, before = corpus_run
    outcomes = _outcomes(run)
    assert set(outcomes) == set(before)  # zero files unaccounted for
    codes = {f.code for f in run.report.findings}
    assert "ingest.source-crashed" not in codes and "engine.rule-crashed" not in codes
    messages = " ".join(f.message for f in run.report.findings)
    assert "network access attempted" not in messages and "root:x:0:0" not in messages
    for file, (bound, code, reason) in outcomes.items():
        assert bound or (code and reason), file  # excluded always with a code and a reason
    repaired = {f.location.file for f in run.report.findings if f.code == "ingest.repaired"}
    tally = collections.Counter(
        "repaired" if b and f in repaired else "included" if b else f"excluded {c}" for f, (b, c, _) in outcomes.items()
    )
    print("\ncorpus outcomes:", dict(sorted(tally.items())))
    with pikepdf.open(out) as pdf:
        manifest = json.loads(pdf.attachments["evidence-kit-manifest.json"].get_file().read_bytes())
    assert {i["file"] for i in manifest["inputs"]} == set(before)
    assert _hashes(bundle) == before  # inputs are read, never modified


@pytest.mark.parametrize(
    ("file", "code", "reason"),
    [
        ("pdf/pypdf_r2-user-password.pdf", "ingest.encrypted", "encrypted: password required"),
        ("pdf/pdfjs_saslprep-r6.pdf", "ingest.encrypted", "encrypted: password required"),
        ("pdf/pyhanko_minimal-pubkey-aes256.pdf", "ingest.encrypted", "unsupported security handler"),
        ("pdf/pyhanko_minimal-aes256-malformed-perms.pdf", "ingest.encrypted", "malformed encryption dictionary"),
        ("pdf/qpdf_bad1.pdf", "ingest.malformed", "not a PDF: no %PDF- header"),
        ("pdf/qpdf_pages-loop.pdf", "ingest.malformed", "Loop detected in /Pages"),
        ("pdf/qpdf_deep-pages.pdf", "ingest.malformed", "too deeply nested"),
        ("xml/libxml2_lol_classic_billion_laughs.xml", "ingest.xml-refused", ""),
        ("xml/patt_xxe_etc_passwd.xml", "ingest.xml-refused", ""),
        ("json/jsontestsuite_n_structure_100000_opening_arrays.json", "ingest.malformed", "nesting deeper than 64"),
        ("json/jsontestsuite_n_number_NaN.json", "ingest.malformed", "NaN is not valid JSON"),
    ],
)
def test_whole_corpus_specific_reasons(
    corpus_run: tuple[Path, Run, Path, dict[str, str]], file: str, code: str, reason: str
) -> None:
    bound, got, why = _outcomes(corpus_run[1])[file]
    assert not bound and got == code and reason in why, (file, got, why)
    assert "_io.BytesIO" not in why


def test_whole_corpus_repairs_and_active_content_are_named(corpus_run: tuple[Path, Run, Path, dict[str, str]]) -> None:
    _, run, out, _ = corpus_run
    by_file = collections.defaultdict(set)
    for f in run.report.findings:
        by_file[f.location.file].add(f.code)
    outcomes = _outcomes(run)
    for file in ("pdf/pdfjs_bug1606566_missing_header.pdf", "pdf/qpdf_bad-direct-root.pdf"):
        assert outcomes[file][0] and "ingest.repaired" in by_file[file], file
    repair = next(f for f in run.report.findings if f.code == "ingest.repaired")
    assert "repaired" in repair.message and "SHA-256" in repair.message
    for file in ("pdf/pdfjs_doc_actions_js.pdf", "pdf/pdfjs_issue6106_js_print.pdf", "pdf/pdfjs_xfa_issue14315.pdf"):
        assert "binder.active-content" in by_file[file], file
    assert "binder.active-content" not in by_file["pdf/samplefiles_google-doc.pdf"]
    with pikepdf.open(out) as pdf:
        assert "pdf_pdfjs_doc_actions_js.pdf" in pdf.attachments  # the original bytes, unchanged (flat name)
        assert "/OpenAction" not in pdf.Root and "/JavaScript" not in pdf.Root.get("/Names", {})
        assert "/XFA" not in pdf.Root.get("/AcroForm", {})
        for page in pdf.pages:
            assert "/AA" not in page.obj
            for annot in page.obj.get("/Annots", []):
                assert "/AA" not in annot
                action = annot.get("/A")
                if isinstance(action, pikepdf.Dictionary):
                    assert action.get("/S") not in (pikepdf.Name.JavaScript, pikepdf.Name.Launch)


def _one_pdf_bundle(tmp_path: Path, source: Path, toml: str = "") -> Path:
    bundle = tmp_path / "b"
    (bundle / "pdf").mkdir(parents=True)
    shutil.copy(source, bundle / "pdf" / source.name)
    if toml:
        (bundle / "evidence-kit.toml").write_text(toml)
    return bundle


def test_password_from_environment_map_opens_and_wrong_one_is_distinct(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from evidence_kit import validate

    bundle = _one_pdf_bundle(tmp_path, corpus / "pdf" / "pypdf_r2-user-password.pdf")
    file = "pdf/pypdf_r2-user-password.pdf"
    monkeypatch.setenv("EVIDENCE_KIT_PDF_PASSWORDS", json.dumps({file: "asdfzxcv"}))
    report = validate(bundle)
    (o,) = report.inputs
    assert o.bound
    assert any("opened with the password supplied" in f.message for f in report.findings)
    monkeypatch.setenv("EVIDENCE_KIT_PDF_PASSWORDS", json.dumps({file: "guess"}))
    (o,) = validate(bundle).inputs
    assert not o.bound and o.excluded_by == "ingest.encrypted" and "wrong password" in (o.reason or "")


def test_password_from_inputs_option_naming_an_environment_variable(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from evidence_kit import validate

    toml = '[[inputs]]\npath = "pdf/*.pdf"\nsource = "pdf"\noptions = { password_env = "SOP_PDF_PW" }\n'
    bundle = _one_pdf_bundle(tmp_path, corpus / "pdf" / "samplefiles_libreoffice-writer-password.pdf", toml)
    monkeypatch.setenv("SOP_PDF_PW", "openpassword")
    assert all(o.bound for o in validate(bundle).inputs if o.file.endswith(".pdf"))


def test_empty_user_password_opens_with_a_warning(corpus: Path, tmp_path: Path) -> None:
    from evidence_kit import validate

    report = validate(_one_pdf_bundle(tmp_path, corpus / "pdf" / "pypdf_r3-empty-password.pdf"))
    assert report.inputs[0].bound
    assert any("encrypted (opened with an empty password)" in f.message for f in report.findings)


def test_guard_stops_overrunning_work_on_time_and_memory() -> None:
    start = time.monotonic()
    with pytest.raises(BudgetExceeded, match=r"exceeded the time budget \(0.5 s\)"):
        guarded(lambda: time.sleep(30), timeout=0.5, what="slow.pdf")
    assert time.monotonic() - start < 5
    with pytest.raises(BudgetExceeded, match="exceeded the memory budget"):
        guarded(lambda: bytearray(1 << 30), memory=64 * 1024 * 1024)
    with pytest.raises(ValueError, match="boom"):
        guarded(lambda: (_ for _ in ()).throw(ValueError("boom")))
    assert guarded(lambda: 6 * 7) == 42


def test_source_overrunning_the_budget_is_excluded_and_the_run_goes_on(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from evidence_kit_builtin.sources import pdf_source

    from evidence_kit import validate

    def slow(self: object, path: Path, ctx: object) -> object:
        time.sleep(30)
        yield from ()

    monkeypatch.setattr(pdf_source.PdfDocumentSource, "read", slow)
    monkeypatch.setattr(_guard, "TIME_BUDGET", 0.5)
    bundle = _one_pdf_bundle(tmp_path, corpus / "pdf" / "samplefiles_google-doc.pdf")
    (bundle / "note.json").write_text('{"record_type": "document", "id": "DOC-1"}')
    report = validate(bundle)
    pdf = next(o for o in report.inputs if o.file.endswith(".pdf"))
    assert pdf.excluded_by == "ingest.budget-exceeded" and "exceeded the time budget (0.5 s)" in (pdf.reason or "")
    assert len(report.inputs) == 2


def test_long_lived_worker_survives_overruns_and_restarts() -> None:
    worker = _guard.Worker(lambda n, nap: (time.sleep(nap), len(bytearray(n)))[1], memory=64 * 1024 * 1024)
    try:
        assert worker.call(10, 0) == 10
        first = worker.pid
        assert worker.call(20, 0) == 20 and worker.pid == first  # one process for many calls
        with pytest.raises(BudgetExceeded, match=r"a.pdf: exceeded the time budget \(0.3 s\)"):
            worker.call(1, 30, timeout=0.3, what="a.pdf")
        with pytest.raises(BudgetExceeded, match="exceeded the memory budget"):
            worker.call(1 << 30, 0)
        assert worker.call(30, 0) == 30 and worker.pid != first  # a fresh child took over
    finally:
        worker.close()


def test_whole_corpus_binder_verifies_against_its_bundle(corpus_run: tuple[Path, Run, Path, dict[str, str]]) -> None:
    from evidence_kit._binder import verify_binder

    bundle, _, out, _ = corpus_run
    facts, problems = verify_binder(out, bundle)
    assert not problems, problems[:5]
    assert any("pyhanko_sigcov_tail-uncovered.pdf" in f and "does NOT cover the entire file" in f for f in facts)
    assert not any("signer trusted" in f for f in facts)
