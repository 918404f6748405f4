"""The report's finding order is total, so reports are byte-reproducible (audit 5-8, D8)."""

from __future__ import annotations

import itertools

from evidence_kit._api import run
from evidence_kit.model import Finding, Location, Severity

from .test_sources_pdf import TOML, _form_pdf


def _dup(path: str | None, **kw: object) -> Finding:
    loc = Location("forms/CMP-9.pdf", "CMP-9", "/id", None, None, path)
    return Finding("records.duplicate-id", Severity.ERROR, "Record id CMP-9 is used by 2 records.", loc, **kw)  # type: ignore[arg-type]


def test_findings_that_differ_only_in_location_path_never_tie():
    a, b = _dup("AcroForm"), _dup(None)
    assert a != b and a.sort_key() != b.sort_key()
    assert sorted([a, b], key=Finding.sort_key) == sorted([b, a], key=Finding.sort_key) == [b, a]


def test_sort_order_is_total_over_every_field():
    variants = [
        _dup(None),
        _dup(""),
        _dup("AcroForm"),
        _dup(None, cites=("21 CFR 820.35",)),
        _dup(None, hint="Renumber one of them."),
        _dup(None, hint=""),
        _dup(None, plugin="builtin"),
        Finding("records.duplicate-id", Severity.WARNING, _dup(None).message, _dup(None).location),
        Finding("x.y", Severity.ERROR, "m", Location("f", None, None, None, None)),
        Finding("x.y", Severity.ERROR, "m", Location("f", "", "", 0, 0)),
    ]
    assert len({f.sort_key() for f in variants}) == len(variants), "no two distinct findings tie"
    expected = sorted(variants, key=Finding.sort_key)
    for perm in itertools.islice(itertools.permutations(variants), 0, None, 97):
        assert sorted(perm, key=Finding.sort_key) == expected


def test_fingerprint_leaves_the_position_out():
    """Existing fingerprints stay as they were: path, like line and page, is a position, not an identity."""
    assert _dup("AcroForm").fingerprint == _dup(None).fingerprint == _dup("/0").fingerprint
    assert _dup(None).fingerprint == "16f3afe74040e51a"  # the audit's value for this finding, before and after


def test_form_named_after_its_complaint_is_one_record(make_bundle):
    """The audit's repro: forms/CMP-9.pdf made a complaint and a document record, both with id CMP-9, and two
    duplicate-id findings that tied in the sort. A PDF's document record no longer counts against a record read
    from the same PDF, so there is no duplicate to order (the total order itself is tested above)."""
    pdf = _form_pdf({"ComplaintNo": "CMP-9", "Received": "03/11/2026"}, checked=True)
    toml = TOML + '\n[[inputs]]\npath = "forms/*.pdf"\nrecord_type = "complaint"\n[inputs.options.mapping]\n'
    toml += 'id = "ComplaintNo"\nreceived_date = { from = "Received", date_format = "%m/%d/%Y" }\n'
    report = run(make_bundle({"forms/CMP-9.pdf": pdf}, toml=toml)).report
    assert [f for f in report.findings if f.code == "records.duplicate-id"] == []
