"""The QMSR gap analysis: each catalogue requirement, its covering procedure, its records, a verdict.

A procedure covers a requirement when a controlled document in force (or a bundled PDF) cites one
of the requirement's clause strings in its metadata or text. Records show the requirement is
practised when records of its evidence types (or documents of its evidence kinds) fall in the
record window. Verdicts: ``covered``, ``procedure only``, ``records only``, ``missing``. A missing
item gets the catalogue's severity (FDA additions: error); a partial or thin one is a warning.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from evidence_kit import Finding, Location, RecordSet, Report, Severity
from evidence_kit_builtin.gap.catalogue import Catalogue, Requirement, clause_literal, load_catalogue
from evidence_kit_builtin.gap.evidence import (
    Candidate,
    Window,
    candidates,
    capa_cycle_days,
    complaints_by_month,
    foia_confidential,
    kind_matches,
    meets,
    record_date,
    window,
)

COVERED, PROCEDURE_ONLY, RECORDS_ONLY, MISSING = "covered", "procedure only", "records only", "missing"
VERDICTS = (COVERED, PROCEDURE_ONLY, RECORDS_ONLY, MISSING)
PROCEDURE_TYPES = ("controlled_document", "document")


def covering_procedures(req: Requirement, docs: list[Candidate]) -> list[dict[str, Any]]:
    """Return the documents in force whose text or metadata cites one of the requirement's clause strings."""
    # per requirement, not per document: the literals and patterns (the loop below runs requirements x documents)
    checks = [(s, clause_literal(s), pat) for s, pat in zip(req.clause_strings, req.patterns, strict=True)]
    out = []
    for c in docs:
        for s, lit, pat in checks:
            if lit is not None and lit not in c.numerals:
                continue
            m = pat.search(c.text)
            if m:
                out.append(
                    {
                        "type": c.record.type,
                        "id": c.record.id,
                        "file": c.record.location.file,
                        "cites": s,
                        "found": " ".join(m.group(0).split()),
                    }
                )
                break
    return out


def _legacy(req: Requirement, docs: list[Candidate]) -> list[dict[str, str]]:
    """Documents that would cover the requirement but cite the retired QSR section instead."""
    out = []
    for c in docs:
        for found, suggestion, where in c.legacy:
            if any(p.search(suggestion) for p in req.patterns):
                out.append({"id": c.record.id, "file": c.record.location.file, "found": found, "where": where})
                break
    return out


def evidence_ids(req: Requirement, records: RecordSet, docs: list[Candidate], win: Window) -> list[str]:
    """Return the ids of the window's records (and documents of the listed kinds) that evidence the requirement."""
    types = req.record_types
    pool = (
        [r for r in records if r.type not in PROCEDURE_TYPES]
        if "*" in types
        else list(records.of_type(*types))
        if types
        else []
    )
    ids = [r.id for r in pool if win.holds(r) and meets(r, req.requires)]
    ids += [c.record.id for c in docs if c.kind and kind_matches(c.kind, req.document_kinds)]
    return list(dict.fromkeys(ids))


def _wanted(req: Requirement) -> str:
    types = ["any record" if t == "*" else t for t in req.record_types] + list(req.document_kinds)
    cond = ", ".join(f"{k}={'set' if v is True else v}" for k, v in req.requires)
    return "/".join(types or ["records"]) + (f" ({cond})" if cond else "")


def _verdict(has_proc: bool, n: int) -> str:
    if has_proc:
        return COVERED if n else PROCEDURE_ONLY
    return RECORDS_ONLY if n else MISSING


def gap_finding(req: Requirement, severity: Severity, message: str, code: str) -> Finding:
    """Return a gap finding located at the requirement (it has no file of its own)."""
    return Finding(
        code,
        severity,
        message,
        Location("", path=f"requirement:{req.id}"),
        (req.citation,),
        "Write or update the procedure so it cites the clause, and bundle the records that show it is practised.",
        "gap",
    )


def assess(req: Requirement, records: RecordSet, docs: list[Candidate], win: Window) -> dict[str, Any]:
    """Return one requirement's coverage row, with its finding (if any) under ``finding``."""
    procs = covering_procedures(req, docs)
    legacy = _legacy(req, docs) if not procs else []
    ids = evidence_ids(req, records, docs, win)
    verdict = _verdict(bool(procs), len(ids))
    thin = verdict == COVERED and len(ids) < req.min_records
    where = f"{req.id} ({req.citation}, {req.title})"
    finding: Finding | None = None
    if verdict == MISSING:
        sev = Severity(req.missing_severity)
        extra = f" {len(legacy)} procedure(s) cite the retired QSR section instead." if legacy else ""
        finding = gap_finding(
            req,
            sev,
            f"{where}: missing. Expected a procedure citing {' or '.join(req.clause_strings)} and "
            f"{_wanted(req)} in the record window "
            f"{win.start}..{win.end}; found neither.{extra}",
            "gap.requirement-missing",
        )
    elif verdict != COVERED or thin:
        sev = Severity.INFO if req.missing_severity == "info" else Severity.WARNING
        if verdict == PROCEDURE_ONLY:
            kinds = _wanted(req)
            detail = (
                f"procedure only: {procs[0]['id']} cites it, but no {kinds} record in the window {win.start}..{win.end}"
            )
        elif verdict == RECORDS_ONLY:
            old = f" ({legacy[0]['id']} cites the retired {legacy[0]['found']})" if legacy else ""
            cited = " or ".join(req.clause_strings)
            detail = f"records only: {len(ids)} record(s), but no procedure in force cites {cited}{old}"
        else:
            detail = (
                f"thin: {len(ids)} record(s) in the window {win.start}..{win.end}, expected at least {req.min_records}"
            )
        finding = gap_finding(req, sev, f"{where}: {detail}.", "gap.requirement-thin")
    dates = [d for i in ids if (r := records.get(i)) is not None and (d := record_date(r)) is not None]
    return {
        "id": req.id,
        "title": req.title,
        "citation": req.citation,
        "area": req.area,
        "fda_specific": req.fda_specific,
        "applicability": req.applicability,
        "verdict": verdict,
        "thin": thin,
        "procedures": procs,
        "legacy_procedures": legacy,
        "records": len(ids),
        "record_ids": ids[:20],
        "min_records": req.min_records,
        "latest": max(dates).isoformat() if dates else None,
        "finding": finding,
    }


def findings_by_area(report: Report, cat: Catalogue) -> dict[str, int]:
    """Count the validation findings per catalogue area by matching their citations; the rest is "Other"."""
    out: dict[str, int] = {}
    area_of: dict[tuple[str, ...], str] = {}  # many findings share their rule's citations
    for f in report.findings:
        if f.cites not in area_of:
            cites = " ".join(f.cites)
            req = next((r for r in cat.requirements if any(p.search(cites) for p in r.patterns)), None)
            area_of[f.cites] = cat.area_title(req.area) if req else "Other"
        key = area_of[f.cites]
        out[key] = out.get(key, 0) + 1
    return dict(sorted(out.items(), key=lambda kv: (-kv[1], kv[0])))


def finding_json(f: Finding) -> dict[str, Any]:
    """Return a gap finding as JSON data."""
    return {
        "code": f.code,
        "severity": f.severity.value,
        "message": f.message,
        "requirement": (f.location.path or "").removeprefix("requirement:"),
        "cites": list(f.cites),
    }


def gap_analysis(
    records: RecordSet, report: Report, settings: Mapping[str, Any], now: dt.datetime, catalogue: str = "qmsr"
) -> dict[str, Any]:
    """Return the gap analysis of ``records`` against the catalogue as JSON-able data."""
    cat = load_catalogue(catalogue)
    win = window(settings, now)
    docs = candidates(records)
    rows = [assess(r, records, docs, win) for r in cat.requirements]
    found = [row.pop("finding") for row in rows]
    findings = [finding_json(f) for f in found if f is not None]
    counts = {s.value: sum(1 for f in findings if f["severity"] == s.value) for s in Severity}
    return {
        "analysis": "gap",
        "catalogue": {"name": cat.name, "version": cat.version, "title": cat.title, "sources": list(cat.sources)},
        "areas": [{"id": a, "title": t, "citation": c} for a, t, c in cat.areas],
        "bundle": report.bundle,
        "as_of": now.isoformat(),
        "window": {"start": win.start.isoformat(), "end": win.end.isoformat()},
        "summary": {v: sum(1 for r in rows if r["verdict"] == v) for v in VERDICTS},
        "counts": counts,
        "requirements": rows,
        "findings": findings,
        "charts": {
            "complaints_by_month": complaints_by_month(records, win),
            "capa_cycle_days": capa_cycle_days(records, win),
            "findings_by_area": findings_by_area(report, cat),
        },
        "foia_confidential": foia_confidential(settings),
    }


def render_text(result: Mapping[str, Any]) -> str:
    """Return the gap analysis as a plain-text table grouped by area."""
    s, c, w, cat = result["summary"], result["counts"], result["window"], result["catalogue"]
    out = [
        f"QMSR gap analysis — {result['bundle']} — catalogue {cat['name']} {cat['version']}",
        f"record window {w['start']}..{w['end']}; "
        + ", ".join(f"{v}: {s[v]}" for v in VERDICTS)
        + f"; {c['error']} errors, {c['warning']} warnings",
        "",
    ]
    titles = {a["id"]: a["title"] for a in result["areas"]}
    for area in titles:
        rows = [r for r in result["requirements"] if r["area"] == area]
        if not rows:
            continue
        out.append(titles[area])
        for r in rows:
            proc = r["procedures"][0]["id"] if r["procedures"] else "-"
            mark = " (thin)" if r["thin"] else ""
            fda = " FDA" if r["fda_specific"] else ""
            out.append(
                f"  {r['id']:<20} {r['verdict'] + mark:<22} proc {proc:<18} records {r['records']:>3}{fda} {r['title']}"
            )
            for leg in r["legacy_procedures"]:
                out.append(f"  {'':<20} {leg['id']} cites retired {leg['found']} ({leg['where']})")
        out.append("")
    if result["findings"]:
        out.append("Findings")
        out += [f"  {f['severity']:<8} {f['code']:<24} {f['message']}" for f in result["findings"]]
    return "\n".join(out) + "\n"
