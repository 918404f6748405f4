"""The ``fda-qmsr`` binder profile: Compliance Program 7382.850's areas, then the other requirements.

The record-type → section map is data; a bundle adds to it under ``[binder.sections]``.
"""

from __future__ import annotations

from evidence_kit import DEVICE_LOGS, MappedProfile, hookimpl

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


TYPE_TITLES = {
    "capa": "CAPA",
    "mdr_report": "MDR reports",
    "correction_removal": "Corrections and removals",
    "device_master": "Device master (UDI / GUDID)",
}

_QSIT_ROWS = (
    ("QSIT subsystem", "Binder sections", "Typical records"),
    (
        "Management Controls",
        "1 Management Oversight",
        "Quality policy and manual, management reviews, internal audits, organization, training",
    ),
    ("Design Controls", "2 Design and Development; 4 Change Control", "Design plans, reviews, V&V, transfer, changes"),
    (
        "Corrective and Preventive Actions (CAPA)",
        "5 Measurement, Analysis and Improvement",
        "Complaint log and files, CAPA log, nonconformance log, trend analyses",
    ),
    ("- satellite: Medical Device Reporting", "7 Medical Device Reporting (Part 803)", "MDR event files, decisions"),
    (
        "- satellite: Corrections and Removals",
        "8 Corrections and Removals (Part 806)",
        "806 reports and records of unreported corrections (806.20)",
    ),
    ("- satellite: Medical Device Tracking", "9 Medical Device Tracking (Part 821)", "Tracking records"),
    (
        "Production and Process Controls",
        "3 Production and Service Provision; 6 Outsourcing and Purchasing",
        "Device records, label inspection and release (820.45), process validation, servicing, suppliers",
    ),
    ("- satellite: Sterilization", "3 Production and Service Provision", "Sterilization validation and load records"),
    (
        "(none: new in CP 7382.850)",
        "10 Unique Device Identification (Part 830); 11 General",
        "UDI/GUDID records; registration and listing, clearances, prior 483s",
    ),
)

#: Appendix A: the withdrawn QSIT subsystems (regulatory.md §9.1) mapped onto this binder's sections (§9.4).
#: Lines starting with "|" are table rows (the first is the header).
QSIT_CROSSWALK = "\n".join(
    (
        "FDA inspected device makers under QSIT until 1 Feb 2026 and under Compliance Program 7382.850 from 2 Feb "
        "2026. This binder follows the CP's six QMS areas and four other applicable requirements; the table shows "
        "where each QSIT subsystem's evidence is found, for readers who still think in QSIT terms.",
        *("| " + " | ".join(row) for row in _QSIT_ROWS),
        "",
        "QSIT Level 2 (baseline) started and ended with Management Controls; CP 7382.850 has no fixed order and no "
        "sampling tables, so the investigator may ask for any section first.",
    )
)


@hookimpl
def evidence_kit_binder_profiles() -> list[MappedProfile]:
    """Register the FDA QMSR inspection profile."""
    return [
        MappedProfile(
            "fda-qmsr",
            "FDA QMSR inspection (CP 7382.850)",
            SECTIONS,
            TYPE_MAP,
            "general",
            TYPE_TITLES,
            (("Appendix A: QSIT crosswalk", QSIT_CROSSWALK),),
            DEVICE_LOGS,  # complaint, CAPA, nonconformance and label-inspection logs
        )
    ]
