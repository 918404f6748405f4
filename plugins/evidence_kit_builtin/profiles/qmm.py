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
    "training": "engagement",
    "nonconformance": "apqs",
    "controlled_document": "general",
    "internal_audit": "commitment",
    "document": "general",
}


@hookimpl
def evidence_kit_binder_profiles() -> list[MappedProfile]:
    """Register the CDER QMM assessment profile."""
    return [MappedProfile("qmm", "CDER Quality Management Maturity assessment", SECTIONS, TYPE_MAP, "general")]
