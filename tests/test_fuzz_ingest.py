"""Property tests: mutated inputs never crash ingest and never drop a file from the accounting."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evidence_kit._api import run
from evidence_kit._plugins import get_plugin_manager

from .conftest import EXAMPLE, MINIMAL_TOML

SEED_JSON = json.dumps(
    [
        {
            "id": "CMP-1",
            "record_type": "complaint",
            "device_name": "Pump",
            "received_date": "2026-01-02",
            "capa_ids": ["CAPA-1"],
            "complainant": {"name": "A", "phone": "1"},
        },
        {
            "id": "CAPA-1",
            "record_type": "capa",
            "opened_at": "2026-01-03",
            "triggers": [{"type": "complaint", "id": "CMP-1"}],
        },
    ]
).encode()
PM = get_plugin_manager(entry_points=False)
SEED_PDF = next(EXAMPLE.rglob("*.pdf")).read_bytes()

mutation = st.one_of(
    st.tuples(st.just("flip"), st.integers(0, 10_000), st.integers(1, 255)),
    st.tuples(st.just("truncate"), st.integers(0, 10_000), st.just(0)),
    st.tuples(st.just("duplicate"), st.integers(0, 10_000), st.integers(1, 200)),
)


def mutate(data: bytes, ops: list[tuple[str, int, int]]) -> bytes:
    buf = bytearray(data)
    for kind, pos, arg in ops:
        if not buf:
            break
        pos %= len(buf)
        if kind == "flip":
            buf[pos] ^= arg
        elif kind == "truncate":
            del buf[pos:]
        else:
            buf[pos:pos] = buf[pos : pos + arg]
    return bytes(buf)


def _check(bundle: Path) -> None:
    report = run(bundle, pm=PM).report
    on_disk = sorted(p.relative_to(bundle).as_posix() for p in bundle.rglob("*") if p.is_file())
    assert [o.file for o in report.inputs] == on_disk
    for o in report.inputs:
        assert o.bound or (o.excluded_by and o.reason)
    assert not any(f.code in ("ingest.source-crashed", "engine.rule-crashed") for f in report.findings)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(json_ops=st.lists(mutation, max_size=4), pdf_ops=st.lists(mutation, max_size=3))
def test_mutated_json_and_pdf_never_crash(tmp_path_factory, json_ops, pdf_ops):
    bundle = tmp_path_factory.mktemp("fuzz")
    (bundle / "evidence-kit.toml").write_text(MINIMAL_TOML)
    (bundle / "records.json").write_bytes(mutate(SEED_JSON, json_ops))
    (bundle / "records.jsonl").write_bytes(mutate(SEED_JSON.replace(b"}, {", b"}\n{")[1:-1], json_ops))
    (bundle / "doc.pdf").write_bytes(mutate(SEED_PDF, pdf_ops))
    _check(bundle)
    shutil.rmtree(bundle)


XML_REL = "exports/qualitrex/label_inspections.xml"
SEED_XML = (EXAMPLE / XML_REL).read_bytes()[:20_000]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(xml_ops=st.lists(mutation, max_size=4))
def test_mutated_xml_never_crashes(tmp_path_factory, xml_ops):
    bundle = tmp_path_factory.mktemp("fuzzxml")
    toml = (EXAMPLE / "evidence-kit.toml").read_text()
    start = toml.index('[[inputs]]\npath = "exports/qualitrex/label_inspections.xml"')
    end = toml.index("[[inputs]]", start + 10)
    (bundle / "evidence-kit.toml").write_text(MINIMAL_TOML + "\n" + toml[start:end])
    target = bundle / XML_REL
    target.parent.mkdir(parents=True)
    xsd = "exports/qualitrex/qualitrex-export-2.xsd"
    shutil.copy(EXAMPLE / xsd, bundle / xsd)
    target.write_bytes(mutate(SEED_XML, xml_ops))
    (bundle / "loose.xml").write_bytes(mutate(b'<?xml version="1.0"?><records><r id="1"/></records>', xml_ops))
    _check(bundle)
    shutil.rmtree(bundle)
