"""CDER QMM self-assessment: per practice area the evidence present, its recency, and indicators.

The indicators are computed from records and reported as evidence (numerator, denominator, the
records behind them). There is deliberately no score: FDA's 1-5 rubric is applied by FDA assessors
in an interview, and its level descriptors are not public.
"""

from __future__ import annotations

import datetime as dt
import re
import statistics
from collections.abc import Callable, Mapping
from typing import Any

from evidence_kit import RecordSet, Report, Severity
from evidence_kit_builtin.gap.catalogue import load_catalogue
from evidence_kit_builtin.gap.coverage import covering_procedures, evidence_ids, finding_json, gap_finding
from evidence_kit_builtin.gap.evidence import (
    Window,
    as_date,
    candidates,
    capa_cycle_days,
    complaints_by_month,
    filled,
    foia_confidential,
    mappings,
    record_date,
    window,
)
from evidence_kit_builtin.rules.improvement_plan import checkpoints

_NOT_EFFECTIVE = re.compile(r"\b(not effective|ineffective|fail(ed)?|not met|unsuccessful|reopen(ed)?)\b", re.I)
_RESOURCE = re.compile(
    r"\b(resource|headcount|budget|hire|hiring|staff|fte|invest|capital|fund|purchase|equipment)", re.I
)


def _ratio(num: int, den: int) -> dict[str, Any]:
    return {"numerator": num, "denominator": den, "rate": round(num / den, 3) if den else None}


def capa_effectiveness(records: RecordSet, win: Window) -> dict[str, Any]:
    """Closed CAPAs in the window whose effectiveness check passed / closed CAPAs in the window."""
    closed = [c for c in records.of_type("capa") if c.data.get("status") == "closed" and win.holds(c)]
    ok = [
        c.id
        for c in closed
        if isinstance(c.data.get("effectiveness"), Mapping)
        and filled(c.data["effectiveness"].get("result"))
        and not _NOT_EFFECTIVE.search(str(c.data["effectiveness"]["result"]))
    ]
    return {**_ratio(len(ok), len(closed)), "records": ok}


def capa_cycle_time(records: RecordSet, win: Window) -> dict[str, Any]:
    """Median and maximum days from opening to closure of CAPAs closed in the window."""
    days = [c["days"] for c in capa_cycle_days(records, win)]
    return {
        "count": len(days),
        "median_days": statistics.median(days) if days else None,
        "max_days": max(days) if days else None,
    }


def _deviation_key(data: Mapping[str, Any]) -> str:
    for k in ("category", "root_cause"):
        if filled(data.get(k)):
            return " ".join(str(data[k]).lower().split())
    return " ".join(re.sub(r"[^\w\s]", " ", str(data.get("description", ""))).lower().split()[:6])


def repeat_deviations(records: RecordSet, win: Window) -> dict[str, Any]:
    """Deviation categories (or root causes) that recur in the window, with their deviation ids."""
    groups: dict[str, list[str]] = {}
    for d in records.of_type("drug_deviation", "nonconformance"):
        if win.holds(d):
            key = _deviation_key(d.data)
            if key:
                groups.setdefault(key, []).append(d.id)
    repeats = {k: v for k, v in sorted(groups.items()) if len(v) > 1}
    total = sum(len(v) for v in groups.values())
    return {"repeat_groups": len(repeats), "deviations": total, "groups": repeats}


def training_effectiveness(records: RecordSet, win: Window) -> dict[str, Any]:
    """Training records in the window with an effectiveness evaluation (method and result) / all of them."""
    recs = [t for t in records.of_type("training") if win.holds(t)]
    ok = [
        t.id
        for t in recs
        if isinstance(t.data.get("effectiveness"), Mapping)
        and filled(t.data["effectiveness"].get("method"))
        and filled(t.data["effectiveness"].get("result"))
    ]
    return {**_ratio(len(ok), len(recs)), "records": ok[:20]}


def review_resource_decisions(records: RecordSet, win: Window) -> dict[str, Any]:
    """Management reviews in the window that record at least one decision committing resources, with owner."""
    reviews = [m for m in records.of_type("management_review") if win.holds(m)]
    ok = []
    for m in reviews:
        outs = mappings(m.data.get("outputs"))
        if any(
            (_RESOURCE.search(str(o.get("decision", ""))) or filled(o.get("resources"))) and o.get("owner")
            for o in outs
        ):
            ok.append(m.id)
    return {**_ratio(len(ok), len(reviews)), "records": ok}


def continuity_reviewed(records: RecordSet, now: dt.datetime) -> dict[str, Any]:
    """Business-continuity plans reviewed within the 12 months before the run date / all plans."""
    plans = records.of_type("business_continuity_plan")
    cutoff = now.date() - dt.timedelta(days=365)
    ok = [p.id for p in plans if (d := as_date(p.data.get("last_reviewed"))) is not None and d >= cutoff]
    stale = [p.id for p in plans if p.id not in ok]
    return {**_ratio(len(ok), len(plans)), "records": ok, "stale": stale}


def audit_trail_review(records: RecordSet, win: Window) -> dict[str, Any]:
    """Drug batch records in the window with an audit-trail review recorded / all of them."""
    recs = [b for b in records.of_type("drug_batch_record") if win.holds(b)]
    ok = [b.id for b in recs if filled(b.data.get("audit_trail_review"))]
    return {**_ratio(len(ok), len(recs)), "records": ok[:20]}


Indicator = Callable[[RecordSet, Window, dt.datetime], dict[str, Any]]

INDICATORS: dict[str, tuple[str, Indicator]] = {
    "capa_effectiveness_rate": ("CAPA effectiveness rate", lambda rs, w, n: capa_effectiveness(rs, w)),
    "capa_cycle_time_days": ("CAPA cycle time (days)", lambda rs, w, n: capa_cycle_time(rs, w)),
    "repeat_deviations": ("Repeat deviations", lambda rs, w, n: repeat_deviations(rs, w)),
    "training_effectiveness_rate": (
        "Training with effectiveness evaluation",
        lambda rs, w, n: training_effectiveness(rs, w),
    ),
    "management_review_resource_decisions": (
        "Management reviews with resource decisions",
        lambda rs, w, n: review_resource_decisions(rs, w),
    ),
    "continuity_plans_reviewed_12_months": (
        "Continuity plans reviewed in 12 months",
        lambda rs, w, n: continuity_reviewed(rs, n),
    ),
    "audit_trail_review_coverage": (
        "Batch records with audit-trail review",
        lambda rs, w, n: audit_trail_review(rs, w),
    ),
}


def indicator_summary(ind: Mapping[str, Any]) -> str:
    """Return an indicator as a short phrase: "7/9 (0.778)", "median 41 d over 9", "2 repeat groups"."""
    if "rate" in ind:
        return f"{ind['numerator']}/{ind['denominator']}" + (f" ({ind['rate']:.0%})" if ind["rate"] is not None else "")
    if "median_days" in ind:
        return (
            f"median {ind['median_days']} d, max {ind['max_days']} d over {ind['count']}"
            if ind["count"]
            else "none closed"
        )
    return f"{ind['repeat_groups']} repeat group(s) in {ind['deviations']} deviation(s)"


def qmm_readiness(records: RecordSet, report: Report, settings: Mapping[str, Any], now: dt.datetime) -> dict[str, Any]:
    """Return the QMM self-assessment as JSON-able data: areas, indicators, improvement plans."""
    cat = load_catalogue("qmm")
    win = window(settings, now)
    docs = candidates(records)
    areas, findings = [], []
    for req in cat.requirements:
        ids = evidence_ids(req, records, docs, win)
        dates = [d for i in ids if (r := records.get(i)) is not None and (d := record_date(r)) is not None]
        latest = max(dates) if dates else None
        by_type: dict[str, int] = {}
        for i in ids:
            r = records.get(i)
            if r is not None:
                by_type[r.type] = by_type.get(r.type, 0) + 1
        indicators = {k: {"title": INDICATORS[k][0], **INDICATORS[k][1](records, win, now)} for k in req.indicators}
        areas.append(
            {
                "id": req.id,
                "area": req.area,
                "title": req.title,
                "citation": req.citation,
                "procedures": covering_procedures(req, docs),
                "evidence": by_type,
                "records": len(ids),
                "latest": latest.isoformat() if latest else None,
                "age_days": (now.date() - latest).days if latest else None,
                "indicators": indicators,
            }
        )
        if not ids:
            f = gap_finding(
                req,
                Severity.WARNING,
                f"{req.id} ({req.title}): no evidence in the record window {win.start}..{win.end}; expected "
                f"{'/'.join(req.record_types + req.document_kinds)}.",
                "gap.requirement-missing",
            )
            findings.append(finding_json(f))
    plans = [
        {
            "id": p.id,
            "file": p.location.file,
            "assessment_date": p.data.get("assessment_date"),
            "opportunity": dict(opp) if isinstance(opp := p.data.get("opportunity"), Mapping) else {},
            "actions": [dict(a) for a in mappings(p.data.get("actions"))],
            "checkpoints": checkpoints(p.data, now.date()),
        }
        for p in records.of_type("improvement_plan")
    ]
    counts = {s.value: sum(1 for f in findings if f["severity"] == s.value) for s in Severity}
    return {
        "analysis": "qmm-readiness",
        "catalogue": {"name": cat.name, "version": cat.version, "title": cat.title, "sources": list(cat.sources)},
        "bundle": report.bundle,
        "as_of": now.isoformat(),
        "window": {"start": win.start.isoformat(), "end": win.end.isoformat()},
        "note": "Indicators are evidence computed from the bundle's records, not an FDA QMM score.",
        "practice_areas": areas,
        "improvement_plans": plans,
        "counts": counts,
        "findings": findings,
        "charts": {
            "complaints_by_month": complaints_by_month(records, win),
            "capa_cycle_days": capa_cycle_days(records, win),
        },
        "foia_confidential": foia_confidential(settings),
    }


def render_text(result: Mapping[str, Any]) -> str:
    """Return the QMM self-assessment as plain text."""
    w = result["window"]
    out = [f"QMM self-assessment — {result['bundle']} — record window {w['start']}..{w['end']}", result["note"], ""]
    for a in result["practice_areas"]:
        recency = f"latest {a['latest']} ({a['age_days']} d ago)" if a["latest"] else "no dated evidence"
        ev = ", ".join(f"{k} {v}" for k, v in sorted(a["evidence"].items())) or "none"
        out.append(f"{a['id']} {a['title']}: {a['records']} record(s) [{ev}]; {recency}")
        for ind in a["indicators"].values():
            out.append(f"    {ind['title']}: {indicator_summary(ind)}")
    out.append("")
    for p in result["improvement_plans"]:
        opp = p["opportunity"]
        out.append(f"Improvement plan {p['id']}: {opp.get('practice_area', '?')} — {opp.get('description', '')}")
        for cp in p["checkpoints"]:
            out.append(f"    {cp['month']}-month checkpoint due {cp['due']}: {cp['status']}")
        for act in p["actions"]:
            out.append(
                f"    action {act.get('id')}: {act.get('description', '')} — "
                f"{act.get('owner', 'no owner')}, due {act.get('due_date', '?')}"
            )
    if result["findings"]:
        out.append("")
        out += [f"{f['severity']:<8} {f['code']:<24} {f['message']}" for f in result["findings"]]
    return "\n".join(out) + "\n"
