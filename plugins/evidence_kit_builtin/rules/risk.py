"""Integrated risk management: ISO 14971 thinking carried through the QMS (ISO 13485:2016 7.1).

The pack applies once the bundle holds a ``risk_management_file`` record; without one, the gap
analysis reports ISO 13485 7.1 as missing instead. Complaints, nonconformances and CAPAs link the
risk file with ``risk_ids`` (hazard, hazardous-situation or risk-control ids), or say none applies
with ``risk_none = {none: true, reason}``. Complaints name ``failure_mode`` and ``harm``; CAPAs
carry a ``risk_evaluation``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from evidence_kit import Finding, RecordSet, RuleContext, Severity, hookimpl, rule
from evidence_kit.contracts import FunctionRule

LINKED = ("complaint", "nonconformance", "capa")


def _items(value: Any) -> list[Mapping[str, Any]]:
    return [v for v in value if isinstance(v, Mapping)] if isinstance(value, (list, tuple)) else []


def _strings(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, (list, tuple)) else []


def risk_ids(value: Any) -> list[tuple[str, str]]:
    """Return ``(JSON Pointer, id)`` for each risk id a record names (a list, or one id as a string)."""
    if isinstance(value, str):
        return [("/risk_ids", value)]
    if isinstance(value, (list, tuple)):
        return [(f"/risk_ids/{i}", str(v)) for i, v in enumerate(value) if isinstance(v, (str, int))]
    return []


def risk_index(records: RecordSet) -> dict[str, set[str]]:
    """Return the ids, failure modes and harms (normalised) across every risk management file."""
    ids: set[str] = set()
    modes: set[str] = set()
    harms: set[str] = set()
    for f in records.of_type("risk_management_file"):
        ids.add(f.id)
        for h in _items(f.data.get("hazards")):
            ids.add(str(h.get("id")))
            modes.update(norm(m) for m in _strings(h.get("failure_modes")))
            modes.add(norm(str(h.get("description", ""))))
            for s in _items(h.get("hazardous_situations")):
                ids.add(str(s.get("id")))
                harms.update(norm(x) for x in _strings(s.get("harms")))
        for c in _items(f.data.get("risk_controls")):
            ids.add(str(c.get("id")))
    return {"ids": ids, "modes": modes - {""}, "harms": harms - {""}}


def norm(text: str) -> str:
    """Lower-case, collapse spaces and drop punctuation, so "Occlusion alarm – late" matches "occlusion alarm late"."""
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())


_CITES_LINK = (
    "ISO 13485:2016 7.1",
    "ISO 13485:2016 8.2.2",
    "ISO 13485:2016 8.3",
    "ISO 13485:2016 8.5.2",
    "ISO 14971:2019 10",
)


@rule(
    "risk.reference-missing",
    title="Complaint, nonconformance or CAPA neither links the risk file nor says none applies",
    cites=_CITES_LINK,
    hint="Add risk_ids naming the hazard, hazardous situation or risk control, or risk_none = {none: true, "
    "reason: …} when no risk in the file is concerned.",
    record_types={*LINKED, "risk_management_file"},
    severity=Severity.WARNING,
)
def reference_missing(records: RecordSet, ctx: RuleContext) -> Iterator[Finding]:
    """Each complaint, nonconformance and CAPA carries risk_ids or an explicit risk_none (when a risk file exists)."""
    if not records.of_type("risk_management_file"):
        return
    for r in records.of_type(*LINKED):
        none = r.data.get("risk_none")
        if risk_ids(r.data.get("risk_ids")) or (isinstance(none, Mapping) and none.get("none") and none.get("reason")):
            continue
        yield ctx.finding(
            r,
            field="/risk_ids",
            message=(
                f"{r.type} {r.id} ({r.location.file}) links no hazard or risk id of the risk management file in "
                "risk_ids and has no risk_none statement with a reason; expected one of the two."
            ),
        )


@rule(
    "risk.reference-dangling",
    title="Record links a hazard or risk id that is not in any risk management file",
    cites=_CITES_LINK,
    hint="Correct the id, or add the hazard or control to the risk management file (and bundle its export).",
    record_types={*LINKED, "risk_management_file"},
)
def reference_dangling(records: RecordSet, ctx: RuleContext) -> Iterator[Finding]:
    """Every risk id a record names resolves to a hazard, hazardous situation or control in a risk file."""
    if not records.of_type("risk_management_file"):
        return
    known = records.derived(risk_index)["ids"]
    for r in records.of_type(*LINKED):
        for pointer, ref in risk_ids(r.data.get("risk_ids")):
            if ref not in known:
                yield ctx.finding(
                    r,
                    field=pointer,
                    message=(
                        f"{r.type} {r.id} ({r.location.file}) links risk id {ref}, but no hazard, hazardous situation "
                        "or risk control with that id is in the bundle's risk management files."
                    ),
                )


@rule(
    "risk.new-hazard",
    title="New hazard not in the risk file: a complaint's failure mode or harm is absent from it",
    cites=("ISO 14971:2019 10.4", "ISO 13485:2016 7.1", "ISO 13485:2016 8.2.1"),
    hint="Review the risk management file with this post-production information: add the failure mode or harm "
    "with its risk evaluation, or record why it is already covered.",
    record_types={"complaint", "risk_management_file"},
    severity=Severity.WARNING,
)
def new_hazard(records: RecordSet, ctx: RuleContext) -> Iterator[Finding]:
    """A complaint's failure_mode or harm that no risk file lists is a new hazard to evaluate."""
    if not records.of_type("risk_management_file"):
        return
    index = records.derived(risk_index)
    for c in records.of_type("complaint"):
        for key, known in (("failure_mode", index["modes"]), ("harm", index["harms"])):
            value = c.data.get(key)
            if not isinstance(value, str) or not value.strip() or norm(value) in {"none", "no harm", "unknown"}:
                continue
            if norm(value) not in known:
                yield ctx.finding(
                    c,
                    field=f"/{key}",
                    message=(
                        f"New hazard not in the risk file: complaint {c.id} ({c.location.file}) reports "
                        f"{key.replace('_', ' ')} \u201c{value}\u201d, which no risk management file lists."
                    ),
                )


@rule(
    "risk.capa-evaluation-missing",
    title="CAPA has no risk evaluation",
    cites=("ISO 13485:2016 8.5.2(e)", "ISO 13485:2016 7.1", "ISO 14971:2019 10"),
    hint="Record in risk_evaluation whether the problem and the action change any estimated risk, and whether "
    "the risk management file was updated.",
    record_types={"capa", "risk_management_file"},
    severity=Severity.WARNING,
)
def capa_evaluation_missing(records: RecordSet, ctx: RuleContext) -> Iterator[Finding]:
    """Each CAPA (not cancelled) records its risk evaluation (when a risk file exists)."""
    if not records.of_type("risk_management_file"):
        return
    for capa in records.of_type("capa"):
        if capa.data.get("status") == "cancelled" or capa.data.get("risk_evaluation"):
            continue
        yield ctx.finding(
            capa,
            field="/risk_evaluation",
            message=(
                f"CAPA {capa.id} ({capa.location.file}) has no risk_evaluation; expected the evaluation of its effect "
                "on the risks in the risk management file."
            ),
        )


@rule(
    "risk.control-unverified",
    title="Risk control has no linked verification",
    cites=("ISO 14971:2019 7.2", "ISO 13485:2016 7.1"),
    hint="Record verification {method, result, at, ref} for the control, with ref naming the verification record "
    "in the bundle.",
    record_types={"risk_management_file"},
    severity=Severity.WARNING,
)
def control_unverified(records: RecordSet, ctx: RuleContext) -> Iterator[Finding]:
    """Every risk control has a verification with a result and a ref that resolves to a bundled record."""
    for f in records.of_type("risk_management_file"):
        for i, c in enumerate(_items(f.data.get("risk_controls"))):
            v = c.get("verification")
            ref = v.get("ref") if isinstance(v, Mapping) else None
            if not isinstance(v, Mapping) or not v.get("result"):
                problem = "has no verification result"
            elif not isinstance(ref, Mapping) or records.get(str(ref.get("id")), ref.get("type")) is None:
                shown = f"{ref.get('type')} {ref.get('id')}" if isinstance(ref, Mapping) else "nothing"
                problem = f"links its verification to {shown}, which is not in the bundle"
            else:
                continue
            yield ctx.finding(
                f,
                field=f"/risk_controls/{i}/verification",
                message=(
                    f"Risk management file {f.id} ({f.location.file}): risk control {c.get('id')} {problem}; "
                    "expected a verification with a result linked to a bundled record."
                ),
            )


@hookimpl
def evidence_kit_rules() -> list[FunctionRule]:
    """Register the integrated risk management rules."""
    return [reference_missing, reference_dangling, new_hazard, capa_evaluation_missing, control_unverified]
