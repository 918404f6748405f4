"""The ``qmm`` binder profile: CDER Quality Management Maturity's five practice areas."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from evidence_kit import MappedProfile, Record, RecordSet, Report, hookimpl
from evidence_kit.contracts import Section
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
    "training": "engagement",
    "nonconformance": "apqs",
    "controlled_document": "general",
    "internal_audit": "commitment",
    "document": "general",
}


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
            "qmm", "CDER Quality Management Maturity assessment", SECTIONS, TYPE_MAP, "general", kinds=kind_map()
        )
    ]
