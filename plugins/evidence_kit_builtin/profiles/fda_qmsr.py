"""The ``fda-qmsr`` binder profile: Compliance Program 7382.850's areas, then the other requirements.

The record-type → section map is data; a bundle adds to it under ``[binder.sections]``.
"""

from __future__ import annotations

from evidence_kit import MappedProfile, hookimpl

SECTIONS = (
    ("management", "1 Management Oversight"),
    ("design", "2 Design and Development"),
    ("production", "3 Production and Service Provision"),
    ("change", "4 Change Control"),
    ("measurement", "5 Measurement, Analysis and Improvement"),
    ("purchasing", "6 Outsourcing and Purchasing"),
    ("mdr", "7 Medical Device Reporting (Part 803)"),
    ("corrections", "8 Corrections and Removals (Part 806)"),
    ("tracking", "9 Medical Device Tracking (Part 821)"),
    ("udi", "10 Unique Device Identification (Part 830)"),
    ("general", "11 General"),
)

TYPE_MAP = {
    "management_review": "management",
    "internal_audit": "management",
    "training": "management",
    "controlled_document": "management",
    "risk_management_file": "management",
    "design_change": "change",
    "design_review": "design",
    "device_record": "production",
    "label_inspection": "production",
    "labeling_release": "production",
    "servicing": "production",
    "complaint": "measurement",
    "capa": "measurement",
    "nonconformance": "measurement",
    "supplier": "purchasing",
    "mdr_report": "mdr",
    "correction_removal": "corrections",
    "tracking": "tracking",
    "device_master": "udi",
    "document": "general",
}


@hookimpl
def evidence_kit_binder_profiles() -> list[MappedProfile]:
    """Register the FDA QMSR inspection profile."""
    return [MappedProfile("fda-qmsr", "FDA QMSR inspection (CP 7382.850)", SECTIONS, TYPE_MAP, "general")]
