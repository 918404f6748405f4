"""Record-scoped rules: run per input file, cached with it, rerun only when the file, the rules or ``now`` change."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from evidence_kit import Finding, RecordSet, RuleContext, hookimpl, rule
from evidence_kit._api import run
from evidence_kit._engine import duplicate_ids, rule_scope, run_rules
from evidence_kit._plugins import get_plugin_manager
from evidence_kit.contracts import Rule

from .nightly_helpers import TOML, capa, complaint, files, write

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = [ROOT / "example_bundle", ROOT / "example_bundle_qmm"]


def _check(rule_: Rule, records: RecordSet, run_: Any, code: str, plugin: str) -> list[Finding]:
    options = {**rule_.options, **run_.config.rules.get(code, {})}
    ctx = RuleContext(
        code, rule_.severity, rule_.cites, rule_.hint, options, run_.config.as_of, run_.config.settings(), plugin
    )
    return list(rule_.check(records, ctx))


@pytest.fixture(scope="module")
def example_runs() -> list[Any]:
    return [run(b) for b in EXAMPLES]


def test_record_scoped_rules_see_one_record_at_a_time(example_runs):
    """Each built-in record-scoped rule finds on every record alone exactly what it finds on the whole set.

    The records of both example bundles are pooled, so a rule that pairs records (by id, lot, signer,
    date order...) finds something different on the pool than on single records and fails here.
    """
    pooled = RecordSet.of(itertools.chain.from_iterable(r.records for r in example_runs))
    reference = example_runs[0]
    scoped = [(code, p, r) for code, (p, r) in sorted(reference.registry.rules.items()) if rule_scope(r) == "record"]
    assert len(scoped) > 80, "the built-in packs mark their per-record rules"
    wrong = []
    for code, plugin, rule_ in scoped:
        whole = sorted(set(_check(rule_, pooled, reference, code, plugin)), key=Finding.sort_key)
        alone = sorted(
            {f for rec in pooled for f in _check(rule_, RecordSet.of([rec]), reference, code, plugin)},
            key=Finding.sort_key,
        )
        if whole != alone:
            wrong.append(code)
    assert wrong == [], f"these rules depend on other records; make them scope='set': {wrong}"


@pytest.mark.parametrize("index", [0, 1], ids=["example_bundle", "example_bundle_qmm"])
def test_per_file_run_equals_every_rule_over_the_whole_set(example_runs, index):
    """The report's rule findings are those of running every rule over the full record set."""
    result = example_runs[index]
    expected = {
        *run_rules(result.records, result.config, result.registry),
        *duplicate_ids(result.records),
    }
    got = {f for f in result.report.findings if f.code.split(".")[0] not in ("ingest", "schema", "engine")}
    assert {f.fingerprint for f in got} == {f.fingerprint for f in expected}
    assert len(got) > 10


CALLS: list[str] = []


@rule(
    "acme.late-complaint",
    title="Complaint received after the run time",
    cites=("ISO 13485:2016 4.2.5",),
    hint="Check the date.",
    record_types={"complaint"},
    scope="record",
)
def late_complaint(records: RecordSet, ctx: RuleContext) -> Iterator[Finding]:
    """Reads ``now``: its findings are cached for one ``as_of`` only."""
    CALLS.append("late")
    for c in records.of_type("complaint"):
        if str(c.data.get("received_date", "")) > ctx.now.date().isoformat():
            yield ctx.finding(c, field="/received_date", message=f"{c.id} received after {ctx.now.date()}.")


@rule(
    "acme.short-lot",
    title="Lot number shorter than the minimum",
    cites=("ISO 13485:2016 7.5.8",),
    hint="Record the full lot number.",
    record_types={"complaint"},
    scope="record",
    options={"min": 3},
)
def short_lot(records: RecordSet, ctx: RuleContext) -> Iterator[Finding]:
    """Does not read ``now``: its findings are kept while the file and the rules stay the same."""
    CALLS.append("lot")
    for c in records.of_type("complaint"):
        if len(str(c.data.get("lot", "LOT-1"))) < int(ctx.options["min"]):
            yield ctx.finding(c, field="/lot", message=f"{c.id}: lot {c.data.get('lot')!r} is too short.")


@rule(
    "acme.crashes",
    title="A rule with a bug",
    cites=("ISO 13485:2016 4.2.5",),
    hint="-",
    record_types={"capa"},
    scope="record",
)
def crashes(records: RecordSet, ctx: RuleContext) -> Iterator[Finding]:
    """Raises on any CAPA."""
    for c in records.of_type("capa"):
        raise RuntimeError(f"cannot read {c.id}")
    yield from ()


class _Acme:
    @hookimpl
    def evidence_kit_rules(self) -> list[Rule]:
        return [late_complaint, short_lot, crashes]


ACME_TOML = TOML.replace(
    'select = ["complaints.capa-dangling", "complaints.capa-one-way", "complaints.capa-missing"]',
    'select = ["complaints.capa-dangling", "acme"]',
)


def _acme_pm() -> Any:
    pm = get_plugin_manager(entry_points=False)
    pm.register(_Acme(), name="acme")
    return pm


def _acme_bundle(make_bundle: Any) -> Path:
    complaints = [complaint(n, lot="L1" if n == 2 else "LOT-9") for n in range(1, 7)]
    complaints[4] = complaint(5, received_date="2026-12-05")
    return make_bundle(files(complaints, [capa(n) for n in range(1, 7)]), toml=ACME_TOML)


def _codes(result: Any) -> list[tuple[str, str | None]]:
    return sorted((f.code, f.location.record) for f in result.report.findings if f.code.startswith(("acme", "engine")))


def test_rules_run_per_file_and_are_cached_with_it(make_bundle, tmp_path):
    bundle, cache = _acme_bundle(make_bundle), tmp_path / "cache"
    CALLS.clear()
    cold = run(bundle, pm=_acme_pm(), cache_dir=cache)
    assert sorted(CALLS) == ["late"] * 3 + ["lot"] * 3, "once per complaint file, never on the CAPA file"
    assert ("acme.short-lot", "CMP-2") in _codes(cold)
    assert ("acme.late-complaint", "CMP-5") in _codes(cold)
    crash = [f for f in cold.report.findings if f.code == "engine.rule-crashed"]
    assert len(crash) == 1 and crash[0].location.file == "capas.jsonl" and "capas.jsonl" in crash[0].message

    CALLS.clear()
    warm = run(bundle, pm=_acme_pm(), cache_dir=cache)
    assert CALLS == [], "nothing changed: every record-rule finding comes from the cache"
    assert warm.report == cold.report

    write(bundle, "complaints/c001.json", [complaint(3, lot="L"), complaint(4, lot="LOT-4")])
    CALLS.clear()
    changed = run(bundle, pm=_acme_pm(), cache_dir=cache)
    assert sorted(CALLS) == ["late", "lot"], "only the changed file is rule-checked again"
    assert ("acme.short-lot", "CMP-3") in _codes(changed)
    assert changed.report == run(bundle, pm=_acme_pm()).report


def test_moving_now_reruns_only_the_rules_that_read_it(make_bundle, tmp_path):
    bundle, cache = _acme_bundle(make_bundle), tmp_path / "cache"
    run(bundle, pm=_acme_pm(), cache_dir=cache)
    CALLS.clear()
    later = run(bundle, pm=_acme_pm(), cache_dir=cache, overrides={"as_of": "2026-12-31T00:00:00+00:00"})
    assert sorted(CALLS) == ["late"] * 3, "the lot rule never read now, so its findings are kept"
    assert ("acme.late-complaint", "CMP-5") not in _codes(later)
    assert ("acme.short-lot", "CMP-2") in _codes(later)
    assert later.report == run(bundle, pm=_acme_pm(), overrides={"as_of": "2026-12-31T00:00:00+00:00"}).report


def test_changed_rule_options_invalidate_cached_findings(make_bundle, tmp_path):
    bundle, cache = _acme_bundle(make_bundle), tmp_path / "cache"
    run(bundle, pm=_acme_pm(), cache_dir=cache)
    toml = (bundle / "evidence-kit.toml").read_text() + '\n[rules."acme.short-lot"]\nmin = 6\n'
    (bundle / "evidence-kit.toml").write_text(toml)
    CALLS.clear()
    stricter = run(bundle, pm=_acme_pm(), cache_dir=cache)
    assert sorted(CALLS) == ["late"] * 3 + ["lot"] * 3
    assert [r for c, r in _codes(stricter) if c == "acme.short-lot"] == [f"CMP-{n}" for n in range(1, 7)]


def test_scope_must_be_known():
    with pytest.raises(ValueError, match="scope must be one of"):
        rule("acme.x", title="x", cites=("x",), hint="x", record_types={"capa"}, scope="file")
