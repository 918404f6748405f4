"""Property test: random canonical records (schema-shaped, not schema-valid) never crash any rule."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from evidence_kit._api import prepare
from evidence_kit._engine import run_rules
from evidence_kit.model import Location, Record, RecordSet

from .conftest import MINIMAL_TOML

scalar = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
    st.sampled_from(["2026-01-02", "2026-02-30", "20260102", "", "open", "closed", "CMP-1", "CAPA-1", "yes"]),
    st.dates(dt.date(1990, 1, 1), dt.date(2035, 1, 1)).map(dt.date.isoformat),
)
value = st.recursive(
    scalar,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)),
    max_leaves=8,
)


def _registry_and_config(tmp_path_factory: Any) -> Any:
    bundle = tmp_path_factory.mktemp("rules-fuzz")
    (bundle / "evidence-kit.toml").write_text(MINIMAL_TOML)
    return prepare(bundle)


@st.composite
def records(draw: Any, types: dict[str, Any]) -> list[Record]:
    out = []
    for i in range(draw(st.integers(1, 6))):
        name = draw(st.sampled_from(sorted(types)))
        props = sorted((types[name].schema.get("properties") or {}).keys())
        fields = draw(st.lists(st.sampled_from(props), unique=True, max_size=min(len(props), 10))) if props else []
        data = {f: draw(value) for f in fields}
        rid = draw(st.sampled_from([f"R-{i}", "CMP-1", "CAPA-1", ""]))
        data[types[name].id_field] = rid
        out.append(Record(name, rid, data, Location(f"fuzz/{i}.json"), "0" * 64, "fuzz"))
    return out


def test_random_records_never_crash_a_rule(tmp_path_factory: Any) -> None:
    config, registry = _registry_and_config(tmp_path_factory)
    types = dict(registry.record_types)

    @settings(max_examples=60, deadline=None)
    @given(recs=records(types))
    def check(recs: list[Record]) -> None:
        findings = run_rules(RecordSet.of(recs), config, registry)
        crashed = [f.message for f in findings if f.code == "engine.rule-crashed"]
        assert not crashed, crashed

    check()
