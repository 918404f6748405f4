"""What the incremental cache key covers beyond the file (audit 5-8, D2-D4) and what it never keeps."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pikepdf
import pytest

from evidence_kit import _cache, _guard
from evidence_kit._api import run
from evidence_kit._cache import FileCache
from evidence_kit._config import InputSpec
from evidence_kit._plugins import build_registry, get_plugin_manager
from evidence_kit.contracts import SourceContext
from evidence_kit.reports import report_to_json

from .conftest import MINIMAL_TOML
from .nightly_helpers import TOML as NIGHTLY_TOML
from .nightly_helpers import capa, complaint, files


def _same_as_uncached(bundle: Path, cache: Path, **kw: Any) -> Any:
    """Run with the cache and check the report is byte-identical to a run without it."""
    cached = run(bundle, cache_dir=cache, **kw)
    assert report_to_json(cached.report) == report_to_json(run(bundle, **kw).report)
    return cached


def _pdf(password: str | None = None) -> bytes:
    pdf = pikepdf.new()
    pdf.add_blank_page()
    out = io.BytesIO()
    if password is None:
        pdf.save(out)
    else:
        pdf.save(out, encryption=pikepdf.Encryption(user=password, owner="owner-secret"))
    return out.getvalue()


# --- D2: outcomes that depend on the run, not the file, are never cached ---


def test_time_budget_exclusion_is_not_cached(make_bundle, tmp_path, monkeypatch):
    bundle, cache = make_bundle({"docs/SOP-1.pdf": _pdf()}), tmp_path / "cache"
    monkeypatch.setattr(_guard, "TIME_BUDGET", 0.0)  # a loaded machine: the reader overruns its budget
    slow = run(bundle, cache_dir=cache)
    (pdf,) = [o for o in slow.report.inputs if o.file == "docs/SOP-1.pdf"]
    assert pdf.excluded_by == "ingest.budget-exceeded"
    monkeypatch.undo()
    again = _same_as_uncached(bundle, cache)
    (pdf,) = [o for o in again.report.inputs if o.file == "docs/SOP-1.pdf"]
    assert pdf.bound, "the next run reads the file again"
    assert again.cache is not None and again.cache.misses == 1


def test_source_crash_is_not_cached(make_bundle, tmp_path, monkeypatch):
    bundle = make_bundle(files([complaint(1)], [capa(1)]), toml=NIGHTLY_TOML)
    cache = tmp_path / "cache"
    registry = build_registry(get_plugin_manager(entry_points=False))
    source_type = type(registry.source("json"))

    def crash(self, path, ctx):
        raise OSError("Stale file handle")  # of the moment: an NFS hiccup

    monkeypatch.setattr(source_type, "read", crash)
    first = run(bundle, cache_dir=cache)
    assert [o.excluded_by for o in first.report.inputs if o.file == "capas.jsonl"] == ["ingest.source-crashed"]
    monkeypatch.undo()
    again = _same_as_uncached(bundle, cache)
    assert [o.bound for o in again.report.inputs if o.file == "capas.jsonl"] == [True]


# --- D3: files the options refer to are part of the key ---

XSD_MAIN = """<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
  <xs:include schemaLocation="types/capa.xsd"/>
  <xs:element name="r"><xs:complexType><xs:sequence>
    <xs:element ref="capa" maxOccurs="unbounded"/>
  </xs:sequence></xs:complexType></xs:element>
</xs:schema>
"""
XSD_CAPA = """<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
  <xs:element name="capa"><xs:complexType><xs:sequence>
    <xs:element name="id" type="xs:string"/>
  </xs:sequence><xs:attribute name="status" type="xs:string" use="optional"/></xs:complexType></xs:element>
</xs:schema>
"""
XML_TOML = (
    MINIMAL_TOML
    + """
[[inputs]]
path = "exports/capas.xml"
source = "xml"
record_type = "capa"
[inputs.options]
records = "/r/capa"
xsd = "xsd/main.xsd"
"""
)


def _xsd_errors(result: Any) -> int:
    return sum(f.code == "ingest.xsd-invalid" for f in result.report.findings)


def test_changing_the_xsd_or_a_file_it_includes_invalidates_the_entry(make_bundle, tmp_path):
    files = {
        "exports/capas.xml": "<r><capa><id>CAPA-1</id></capa><capa><id>CAPA-2</id></capa></r>",
        "xsd/main.xsd": XSD_MAIN,
        "xsd/types/capa.xsd": XSD_CAPA,
    }
    bundle, cache = make_bundle(files, toml=XML_TOML), tmp_path / "cache"
    assert _xsd_errors(_same_as_uncached(bundle, cache)) == 0
    included = bundle / "xsd" / "types" / "capa.xsd"
    included.write_text(XSD_CAPA.replace('use="optional"', 'use="required"'), encoding="utf-8")
    assert _xsd_errors(_same_as_uncached(bundle, cache)) == 2, "the included XSD's new required attribute"
    main = bundle / "xsd" / "main.xsd"
    required = '</xs:sequence><xs:attribute name="v" use="required"/></xs:complexType></xs:element>'
    main.write_text(XSD_MAIN.replace("</xs:sequence></xs:complexType></xs:element>", required), encoding="utf-8")
    assert _xsd_errors(_same_as_uncached(bundle, cache)) == 3, "the XSD itself"
    warm = _same_as_uncached(bundle, cache)
    assert warm.cache is not None and warm.cache.misses == 0, "unchanged XSDs: the entry is reused"


def test_any_option_naming_a_bundle_file_is_hashed_into_the_key(make_bundle, tmp_path):
    bundle = make_bundle({"maps/catalogue.csv": "a,b\n", "data/x.csv": "id\n1\n"})
    registry = build_registry(get_plugin_manager(entry_points=False))
    source = registry.source("csv")
    spec = InputSpec("data/*.csv", "csv", None, {"lookup": {"file": "maps/catalogue.csv"}, "records": "/*/*"})

    def key() -> str:
        cache = FileCache(tmp_path / "c", registry)  # one object per run, so per-run digests start afresh
        return json.dumps(cache.references("data/x.csv", "0" * 64, source, spec, bundle))

    before = key()
    assert "maps/catalogue.csv" in before
    (bundle / "maps" / "catalogue.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    assert key() != before
    outside = InputSpec("data/*.csv", "csv", None, {"file": "../../etc/passwd", "abs": "/etc/passwd"})
    assert FileCache(tmp_path / "c", registry).references("data/x.csv", "0" * 64, source, outside, bundle) == [
        [],
        [],
    ], "only files inside the bundle are named by options"


# --- D4: the PDF password in the key, never in the cache ---

PDF_TOML = MINIMAL_TOML + '\n[[inputs]]\npath = "sops/*.pdf"\nsource = "pdf"\noptions = { password_env = "SOP_PW" }\n'


def _pdf_outcome(result: Any, rel: str) -> Any:
    return next(o for o in result.report.inputs if o.file == rel)


def test_supplying_the_pdf_password_works_on_the_next_cached_run(make_bundle, tmp_path, monkeypatch):
    bundle, cache = make_bundle({"pdfs/SOP-X.pdf": _pdf("pw123")}), tmp_path / "cache"
    monkeypatch.delenv("EVIDENCE_KIT_PDF_PASSWORDS", raising=False)
    first = _same_as_uncached(bundle, cache)
    assert "encrypted: password required" in (_pdf_outcome(first, "pdfs/SOP-X.pdf").reason or "")
    monkeypatch.setenv("EVIDENCE_KIT_PDF_PASSWORDS", json.dumps({"pdfs/SOP-X.pdf": "pw123"}))
    assert _pdf_outcome(_same_as_uncached(bundle, cache), "pdfs/SOP-X.pdf").bound, "the hint, followed"
    monkeypatch.setenv("EVIDENCE_KIT_PDF_PASSWORDS", json.dumps({"pdfs/SOP-X.pdf": "n0t-it"}))
    assert "wrong password" in (_pdf_outcome(_same_as_uncached(bundle, cache), "pdfs/SOP-X.pdf").reason or "")
    monkeypatch.setenv("EVIDENCE_KIT_PDF_PASSWORDS", json.dumps({"pdfs/SOP-X.pdf": "pw123"}))
    warm = _same_as_uncached(bundle, cache)
    assert warm.cache is not None and warm.cache.misses == 0, "the same password again: the entry is reused"
    stored = b"".join(p.read_bytes() + p.name.encode() for p in cache.rglob("*") if p.is_file())
    assert b"pw123" not in stored and b"n0t-it" not in stored


def test_password_env_option_is_followed_on_the_next_cached_run(make_bundle, tmp_path, monkeypatch):
    bundle, cache = make_bundle({"sops/SOP-Y.pdf": _pdf("openpassword")}, toml=PDF_TOML), tmp_path / "cache"
    monkeypatch.delenv("SOP_PW", raising=False)
    assert not _pdf_outcome(_same_as_uncached(bundle, cache), "sops/SOP-Y.pdf").bound
    monkeypatch.setenv("SOP_PW", "openpassword")
    assert _pdf_outcome(_same_as_uncached(bundle, cache), "sops/SOP-Y.pdf").bound


def test_password_token_is_salted_and_holds_no_password():
    from evidence_kit_builtin.sources.pdf_source import PdfDocumentSource

    source = PdfDocumentSource()
    ctx = SourceContext(Path("/b"), "a.pdf", "1" * 64, "pdf", None, {"password": "hunter2"})
    token = source.cache_token(ctx)
    assert len(token) == 64 and "hunter2" not in token
    assert token != source.cache_token(SourceContext(Path("/b"), "a.pdf", "2" * 64, "pdf", None, ctx.options))
    assert source.cache_token(SourceContext(Path("/b"), "a.pdf", "1" * 64, "pdf")) == ""


# --- a source's code is part of the key, like a rule's ---


def test_editing_a_source_without_a_version_bump_is_a_miss(make_bundle, tmp_path, monkeypatch):
    bundle = make_bundle({"capas.jsonl": json.dumps({"id": "CAPA-1"})})
    cache = tmp_path / "cache"
    run(bundle, cache_dir=cache)
    warm = run(bundle, cache_dir=cache)
    assert warm.cache is not None and (warm.cache.hits, warm.cache.misses) == (1, 0)
    real = _cache._package_digest
    monkeypatch.setattr(_cache, "_package_digest", lambda module: "edited" + real(module))
    edited = run(bundle, cache_dir=cache)
    assert edited.cache is not None and (edited.cache.hits, edited.cache.misses) == (0, 1)


def test_source_identity_holds_the_version_and_a_code_digest():
    registry = build_registry(get_plugin_manager(entry_points=False))
    name, identity = _cache.source_identity(registry.source("xml"))
    version, digest = identity.split("+")
    assert name == "xml" and version and len(digest) == 64


@pytest.mark.parametrize("module", ["__main__", "no_such_module_here"])
def test_source_identity_of_a_source_without_a_package(module):
    source = type("Odd", (), {"name": "odd", "version": "1", "__module__": module})()
    assert _cache.source_identity(source)[1].startswith("1+")
