from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from evidence_kit._api import run
from evidence_kit.errors import ConfigError
from evidence_kit.parsing import XmlRefused, parse_xml
from evidence_kit.reports import report_to_dict

from .conftest import source_errors

CASES = Path(__file__).parent / "cases"

TOML = """\
[establishment]
name = "Test Devices Inc."

[inspection]
as_of = "2026-11-30T12:00:00+00:00"
"""


def test_worked_example_xml_eqms_export_end_to_end() -> None:
    result = run(CASES / "xml_eqms")
    assert not source_errors(result), source_errors(result)
    c = result.records.get("CMP-2026-0101", "complaint")
    assert c is not None
    assert c.data["received_date"] == "2026-10-02"
    assert c.data["complainant"] == {"name": "St. Mary Hospital, Biomed", "phone": "+1 555 0100"}
    assert c.data["mdr_decision"]["reportable"] is True
    assert c.data["capa_ids"] == ["CAPA-2026-014", "CAPA-2026-015"]
    assert c.location.line == 3 and c.location.path == "/qx:ComplaintExport/qx:Complaint[1]"
    assert result.records.get("CMP-2026-0102", "complaint").data["investigated"] is False  # type: ignore[union-attr]


def _xml_case(tmp_path: Path, xml: str) -> Path:
    bundle = tmp_path / "b"
    shutil.copytree(CASES / "xml_eqms", bundle)
    (bundle / "exports" / "complaint_export.xml").write_text(xml, encoding="utf-8")
    return bundle


def test_xsd_violation_and_mapping_error_are_findings_not_exceptions(tmp_path: Path) -> None:
    xml = (CASES / "xml_eqms" / "exports" / "complaint_export.xml").read_text(encoding="utf-8")
    xml = xml.replace("<qx:Received>11-Oct-2026</qx:Received>", "<qx:Received>2026-10-11</qx:Received>")
    result = run(_xml_case(tmp_path, xml))
    codes = [(f.code, f.location.line) for f in result.report.findings if f.code.startswith("ingest.")]
    assert ("ingest.xsd-invalid", 26) in codes
    mapping = next(f for f in result.report.findings if f.code == "ingest.mapping-error")
    assert mapping.location.record == "CMP-2026-0102" and mapping.location.field == "/received_date"
    assert "mapping 'received_date'" in mapping.message and "'2026-10-11'" in mapping.message
    assert "%d-%b-%Y" in mapping.message
    assert mapping.location.path == "/qx:ComplaintExport/qx:Complaint[2]/qx:Received"
    assert result.records.get("CMP-2026-0102") is not None  # the record is still read


def test_missing_xsd_is_reported_and_never_fetched(make_bundle) -> None:
    toml = TOML + '[[inputs]]\npath = "a.xml"\nrecord_type = "capa"\n[inputs.options]\nxsd = "http.xsd"\n'
    result = run(make_bundle({"a.xml": "<r><capa><id>CAPA-1</id></capa></r>"}, toml=toml))
    assert [f.code for f in result.report.findings if f.code.startswith("ingest.")] == ["ingest.xsd-invalid"]
    assert result.records.get("CAPA-1") is not None


def test_default_selection_turns_children_into_dicts(make_bundle) -> None:
    plan = "<action_plan>a</action_plan><action_plan>b</action_plan>"
    xml = f'<export><capa status="open"><id>CAPA-7</id>{plan}</capa></export>'
    toml = TOML + '[[inputs]]\npath = "a.xml"\nrecord_type = "capa"\n'
    result = run(make_bundle({"a.xml": xml}, toml=toml))
    rec = result.records.get("CAPA-7")
    assert rec is not None and dict(rec.data) == {"status": "open", "id": "CAPA-7", "action_plan": ["a", "b"]}


def test_bad_option_is_a_config_error_naming_the_key(make_bundle) -> None:
    toml = TOML + '[[inputs]]\npath = "a.xml"\nsource = "xml"\n[inputs.options]\nrecord = "/x"\n'
    with pytest.raises(ConfigError, match=r"unknown option 'options.record'"):
        run(make_bundle({"a.xml": "<r/>"}, toml=toml))


EXPECTED_REFUSED = {
    "defusedxml_cyclic_entities.xml",
    "defusedxml_external_file_entity.xml",
    "defusedxml_external_http_entity.xml",
    "defusedxml_quadratic.xml",
    "defusedxml_xmlbomb.xml",
    "defusedxml_xmlbomb2_single_entity.xml",  # pinned: one harmless entity is still refused
    "libxml2_broken_doctype.xml",
    "libxml2_external_public_entity.xml",
    "libxml2_lol_classic_billion_laughs.xml",
    "libxml2_lol_in_attribute.xml",
    "libxml2_lol_param_parameter_laughs.xml",
    "libxml2_quadratic_default_attrs.xml",
    "patt_billion_laughs_4levels.xml",
    "patt_xinclude_etc_passwd.xml",
    "patt_xxe_etc_passwd.xml",
    "patt_xxe_param_entity_data_uri.xml",
    "patt_xxe_php_filter_wrapper.xml",
    "patt_xxe_ssrf_internal_http.xml",
    "libxml2_lol_eg/lol_eg.xml",
    "libxml2_rec_ext/rec_ext_ent.xml",
}


def test_corpus_xml_refused_or_read_never_crashes_never_leaks(corpus: Path, tmp_path: Path) -> None:
    bundle = tmp_path / "b"
    shutil.copytree(corpus / "xml", bundle)
    inputs = "".join(f'[[inputs]]\npath = "{g}"\nrecord_type = "capa"\n' for g in ("*.xml", "*/*.xml", "*/*/*.xml"))
    (bundle / "evidence-kit.toml").write_text(TOML + inputs)
    result = run(bundle)
    assert not [f for f in result.report.findings if f.code == "ingest.source-crashed"]
    outcomes = {o.file: o for o in result.report.inputs if o.file.endswith(".xml")}
    for name, o in outcomes.items():
        assert o.records or (o.excluded_by and o.reason), name
    for name in EXPECTED_REFUSED:
        if name in outcomes:
            assert outcomes[name].excluded_by == "ingest.xml-refused", (name, outcomes[name].reason)
    for name, o in outcomes.items():
        if "xinclude" in name:
            assert o.excluded_by == "ingest.xml-refused" and "XInclude refused" in (o.reason or ""), name
    malformed = ["libxml2_empty_0_bytes.xml", "libxml2_unclosed_element.xml", "libxml2_duplicate_attribute.xml"]
    for name in malformed:
        assert outcomes[name].excluded_by == "ingest.malformed", name
    assert "empty file" in (outcomes["libxml2_empty_0_bytes.xml"].reason or "")
    assert "line 2" in (outcomes["libxml2_unclosed_element.xml"].reason or "")
    assert outcomes["defusedxml_simple_control.xml"].excluded_by in (None, "ingest.no-records")
    text = json.dumps(report_to_dict(result.report))
    passwd = Path("/etc/passwd").read_text(encoding="utf-8", errors="replace").splitlines()[0]
    assert passwd not in text and "root:x:0" not in text


def test_parse_xml_refuses_bombs_quickly_and_xxe_without_leaking() -> None:
    bomb = b'<!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><l>&b;</l>'
    with pytest.raises(XmlRefused, match="DTD/entity declarations not allowed"):
        parse_xml(bomb)
    xxe = b'<?xml version="1.0"?>\n<!DOCTYPE d [\n<!ENTITY x SYSTEM "file:///etc/passwd">]>\n<d>&x;</d>'
    with pytest.raises(XmlRefused) as info:
        parse_xml(xxe)
    assert "root:" not in str(info.value)
    with pytest.raises(XmlRefused, match="XInclude refused"):
        parse_xml(b'<r xmlns:xi="http://www.w3.org/2001/XInclude"><xi:include href="/etc/passwd" parse="text"/></r>')
    assert parse_xml(b'<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0//EN" "x.dtd"><html/>').getroot().tag == "html"
