"""Complaint ↔ CAPA linkage (21 CFR 820.35(a)(6); ISO 13485:2016 8.2.2(f), 8.5.2(a))."""

from __future__ import annotations

from collections.abc import Iterator

from evidence_kit import Finding, RecordSet, RuleContext, Severity, hookimpl, rule
from evidence_kit.contracts import FunctionRule

_LINK_CITES = ("21 CFR 820.35(a)(6)", "ISO 13485:2016 8.2.2(f)", "ISO 13485:2016 8.5.2(a)")


@rule(
    "complaints.capa-missing",
    title="Complaint needing corrective action links no CAPA",
    cites=_LINK_CITES,
    hint="Open a CAPA for the complaint and record its id in capa_ids, or record why no CAPA is needed "
    "in no_capa_rationale.",
    record_types={"complaint"},
)
def capa_missing(records: RecordSet, ctx: RuleContext) -> Iterator[Finding]:
    """A complaint whose corrective action was deemed needed must name at least one CAPA."""
    for c in records.of_type("complaint"):
        if (
            c.data.get("corrective_action_needed") is True
            and not c.data.get("capa_ids")
            and not c.data.get("no_capa_rationale")
        ):
            yield ctx.finding(
                c,
                field="/capa_ids",
                message=(
                    f"Complaint {c.id} ({c.location.file}) says corrective action is needed but links no CAPA "
                    "in capa_ids and gives no no_capa_rationale."
                ),
            )


@rule(
    "complaints.capa-dangling",
    title="Complaint links a CAPA that is not in the bundle",
    cites=_LINK_CITES,
    hint="Correct the CAPA id, or add the CAPA's export to the bundle.",
    record_types={"complaint", "capa"},
)
def capa_dangling(records: RecordSet, ctx: RuleContext) -> Iterator[Finding]:
    """Every CAPA id a complaint names must resolve to a CAPA record."""
    for c in records.of_type("complaint"):
        for i, ref in enumerate(c.data.get("capa_ids") or ()):
            if records.get(str(ref), "capa") is None:
                yield ctx.finding(
                    c,
                    field=f"/capa_ids/{i}",
                    message=(
                        f"Complaint {c.id} ({c.location.file}) links CAPA {ref}, "
                        "but no CAPA with that id is in the bundle."
                    ),
                )


@rule(
    "complaints.capa-one-way",
    title="Complaint and CAPA link only one way",
    cites=_LINK_CITES,
    hint="Add the complaint to the CAPA's triggers (or the CAPA to the complaint's capa_ids) so both records "
    "show the link.",
    record_types={"complaint", "capa"},
    severity=Severity.WARNING,
)
def capa_one_way(records: RecordSet, ctx: RuleContext) -> Iterator[Finding]:
    """A complaint → CAPA link must be mirrored by the CAPA's trigger list, and the other way round."""
    for c in records.of_type("complaint"):
        for i, ref in enumerate(c.data.get("capa_ids") or ()):
            capa = records.get(str(ref), "capa")
            if capa is None:
                continue
            triggers = {(t.get("type"), t.get("id")) for t in capa.data.get("triggers") or () if hasattr(t, "get")}
            if ("complaint", c.id) not in triggers:
                yield ctx.finding(
                    c,
                    field=f"/capa_ids/{i}",
                    message=(
                        f"Complaint {c.id} links CAPA {capa.id}, but CAPA {capa.id} ({capa.location.file}) does not "
                        "list the complaint among its triggers."
                    ),
                )
    for capa in records.of_type("capa"):
        for i, t in enumerate(capa.data.get("triggers") or ()):
            if not hasattr(t, "get") or t.get("type") != "complaint":
                continue
            complaint = records.get(str(t.get("id")), "complaint")
            if complaint is None:
                yield ctx.finding(
                    capa,
                    field=f"/triggers/{i}/id",
                    message=(
                        f"CAPA {capa.id} ({capa.location.file}) names complaint {t.get('id')} as a trigger, but no "
                        "complaint with that id is in the bundle."
                    ),
                )
            elif capa.id not in (complaint.data.get("capa_ids") or ()):
                yield ctx.finding(
                    capa,
                    field=f"/triggers/{i}/id",
                    message=(
                        f"CAPA {capa.id} names complaint {complaint.id} as a trigger, but complaint {complaint.id} "
                        f"({complaint.location.file}) does not list the CAPA in capa_ids."
                    ),
                )


@hookimpl
def evidence_kit_rules() -> list[FunctionRule]:
    """Register the complaint ↔ CAPA linkage rules."""
    return [capa_missing, capa_dangling, capa_one_way]
