"""The ``qmm`` binder profile: CDER Quality Management Maturity's five practice areas."""

from __future__ import annotations

from evidence_kit import MappedProfile, hookimpl

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


@hookimpl
def evidence_kit_binder_profiles() -> list[MappedProfile]:
    """Register the CDER QMM assessment profile."""
    return [
        MappedProfile(
            "qmm",
            "CDER Quality Management Maturity assessment",
            SECTIONS,
            TYPE_MAP,
            "general",
            {"capa": "CAPA"},
            (("Appendix: QMM practice areas and evidence", EVIDENCE_MAP),),
        )
    ]
