"""The ``qmm`` binder profile: CDER Quality Management Maturity's five practice areas."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from evidence_kit import BinderLog, LogColumn, MappedProfile, Record, RecordSet, Report, hookimpl
from evidence_kit.contracts import CAPA_LOG, Section
from evidence_kit_builtin.gap.catalogue import load_catalogue
from evidence_kit_builtin.gap.evidence import document_kind, kind_matches

SECTIONS = (
    ("commitment", "1 Management Commitment to Quality"),
    ("continuity", "2 Business Continuity"),
    ("apqs", "3 Advanced Pharmaceutical Quality System"),
    ("technical", "4 Technical Excellence"),
    ("engagement", "5 Employee Engagement and Empowerment"),
    ("general", "6 Other evidence"),
)

TYPE_MAP = {
    "management_review": "commitment",
    "improvement_plan": "commitment",
    "risk_management_file": "apqs",
    "business_continuity_plan": "continuity",
    "capa": "apqs",
    "drug_deviation": "apqs",
    "drug_batch_record": "apqs",
    "drug_complaint": "apqs",
    "complaint": "apqs",
    "annual_product_review": "apqs",
    "process_monitoring": "technical",
    "nonconformance": "apqs",
    "design_change": "apqs",
    "internal_audit": "commitment",
    "training": "engagement",
    "controlled_document": "general",
    "document": "general",
}


#: The logs a drug QMS is asked for: complaints (21 CFR 211.198) with the ADE / Field Alert decisions and the
#: linked 211.192 investigation, CAPA, and deviations with their investigations (211.192). Device records of
#: the same kind (``complaint``, ``nonconformance``) join them; no label-inspection log (21 CFR 820.45).
LOGS = (
    BinderLog(
        "complaint",
        "Complaint log",
        ("drug_complaint", "complaint"),
        (
            LogColumn("Complaint", 80, show="id"),
            LogColumn("Received", 55, ("received_date", "date")),
            LogColumn("Product", 110, ("drug_name", "strength", "device_name"), "join"),
            LogColumn("Lot", 60, ("lot",)),
            LogColumn(
                "ADE / MDR reportable",
                55,
                ("ade_reportability_decision.reportable", "mdr_decision.reportable"),
                "yes_no",
            ),
            LogColumn("Field alert", 40, ("far_required",), "yes_no"),
            LogColumn("Investigation / CAPA", 70, ("deviation_id", "capa_ids"), "ids"),
        ),
    ),
    CAPA_LOG,
    BinderLog(
        "deviation",
        "Deviation and investigation log (211.192)",
        ("drug_deviation", "nonconformance"),
        (
            LogColumn("Deviation", 85, show="id"),
            LogColumn("Opened", 55, ("opened_at", "detected_at")),
            LogColumn("Batches", 95, ("batch_ids", "lot"), "ids"),
            LogColumn("QCU approval", 65, ("qcu_approval.by",)),
            LogColumn("Closed", 55, ("closed_at",)),
            LogColumn("Linked CAPA", 110, ("capa_ids",), "ids"),
        ),
    ),
)

_ROWS = (
    ("Practice area", "Evidence in this binder"),
    (
        "1 Management Commitment to Quality",
        "Management reviews with decisions and resource commitments, quality objectives and KPIs",
    ),
    ("2 Business Continuity", "Business continuity plans, supply-chain risk assessments, capacity planning"),
    (
        "3 Advanced Pharmaceutical Quality System",
        "CAPA and its effectiveness, deviations and investigations (211.192), complaints (211.198), batch records, "
        "annual product reviews (211.180(e)), change management",
    ),
    ("4 Technical Excellence", "Process monitoring, continued process verification, data-integrity program records"),
    ("5 Employee Engagement and Empowerment", "Training and competency records, quality-culture evidence"),
)

#: Appendix: what evidence each practice area draws on (regulatory.md §10.2, indicative).
#: Lines starting with "|" are table rows (the first is the header).
EVIDENCE_MAP = "\n".join(
    (
        "A QMM assessment is not an inspection: it is interview-based and backed by documents. Each practice area "
        "is scored 1 to 5. The table lists the evidence this binder groups under each area.",
        *("| " + " | ".join(row) for row in _ROWS),
    )
)


def kind_map() -> dict[str, str]:
    """Return document kind -> section key: each practice area's document kinds from the QMM catalogue.

    The catalogue's areas are the section keys (commitment, continuity, apqs, technical, engagement);
    annual product reviews (21 CFR 211.180(e)) go with the advanced PQS.
    """
    out = {kind: req.area for req in load_catalogue("qmm").requirements for kind in req.document_kinds}
    out.setdefault("annual-product-review", "apqs")
    return out


@dataclass(frozen=True)
class QmmProfile(MappedProfile):
    """The QMM layout: records by type, and PDF documents by kind into their practice area's section.

    A ``document`` whose kind (its ``kind`` field, else its title and file name) names a practice-area
    document kind (``business-continuity-plan``, ``continued-process-verification`` …) goes into that
    area's section, unless the bundle's ``[binder.sections]`` maps ``document`` itself.
    """

    kinds: Mapping[str, str] = field(default_factory=dict)

    def section_key(self, record: Record, mapping: Mapping[str, str]) -> str:
        """Return the practice-area section of a practice-area document, else the section of its type."""
        if record.type == "document":
            kind = document_kind(record)
            for wanted, key in self.kinds.items():
                if kind_matches(kind, (wanted,)):
                    return key
        return super().section_key(record, mapping)

    def sections(self, report: Report, records: RecordSet, extra_map: Mapping[str, str]) -> Sequence[Section]:
        """Group ``records`` into the sections; a ``[binder.sections]`` entry for ``document`` turns kinds off."""
        if "document" in extra_map:
            return MappedProfile.sections(dataclasses.replace(self, kinds={}), report, records, extra_map)
        return super().sections(report, records, extra_map)


@hookimpl
def evidence_kit_binder_profiles() -> list[MappedProfile]:
    """Register the CDER QMM assessment profile."""
    return [
        QmmProfile(
            "qmm",
            "CDER Quality Management Maturity assessment",
            SECTIONS,
            TYPE_MAP,
            "general",
            {"capa": "CAPA"},
            (("Appendix: QMM practice areas and evidence", EVIDENCE_MAP),),
            logs=LOGS,
            kinds=kind_map(),
        )
    ]
