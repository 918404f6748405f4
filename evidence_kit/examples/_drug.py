"""The drug-site bundle: Larkspur Pharmaceuticals, Inc., a fictional oral-solid-dose site facing a QMM assessment.

Per block: about 12 batch records with quality-unit approval (MES JSON), 21 CFR 211.192 deviations and
investigations (JSON Lines), 211.198 drug complaints (JSON), CAPAs, management reviews, an internal
data-integrity audit, training (LMS CSV), SOP revisions, and one PDF of evidence for each of the five
CDER QMM practice areas (quality policy, business continuity plan, annual product reviews,
continued process verification, quality-culture survey).
"""

from __future__ import annotations

import datetime as dt
import random
import string
from dataclasses import dataclass, field
from typing import Any

from evidence_kit.examples import _pdf
from evidence_kit.examples._kit import (
    Bundle,
    Person,
    add_workdays,
    days,
    local_time,
    rand_day,
    template,
    weekday_on_or_after,
)

COMPANY = "Larkspur Pharmaceuticals, Inc."
FEI = "3009876543"
AS_OF = dt.date(2026, 11, 30)

F_BATCH = "exports/mes/batch_records.json"
F_DEV = "exports/qms/deviations.jsonl"
F_CMP = "exports/qms/drug_complaints.json"
F_CAPA = "exports/qms/capas.jsonl"
F_MR = "exports/qms/management_reviews.json"
F_IA = "exports/qms/internal_audits.json"
F_DOCS = "exports/qms/document_register.json"
F_TRAIN = "exports/lms/training_records.csv"
F_BCP = "exports/qms/business_continuity_plans.json"
F_IP = "exports/qms/improvement_plans.json"

RAMAN = Person("Priya Raman", "praman", "Head of Quality Unit")
BELL = Person("Marcus Bell", "mbell", "QA Specialist")
HADDAD = Person("Omar Haddad", "ohaddad", "QC Manager")
WHITAKER = Person("Dana Whitaker", "dwhitaker", "Production Manager")
LIU = Person("Grace Liu", "gliu", "Site Head")
ORTEGA = Person("Tomas Ortega", "tortega", "Supply Chain Director")
AUDITOR = Person("Ines Kowalczyk", "ikowalczyk", "Corporate Quality Auditor")

PRODUCTS = [
    ("Metoprolol Tartrate Tablets USP", "25 mg", "MT25"),
    ("Metoprolol Tartrate Tablets USP", "50 mg", "MT50"),
    ("Lisinopril Tablets USP", "10 mg", "LS10"),
]

# (doc_number, rev, title, effective, body)
DOCS = [
    ("SOP-QU-001", "D", "Batch Record Review and Release", dt.date(2024, 6, 3),
     "The quality unit reviews and approves every production and control record, including packaging and "
     "labeling, before a batch is released or distributed (21 CFR 211.192). Audit trails of critical data are "
     "reviewed before approval."),
    ("SOP-QU-014", "C", "Drug Product Complaints", dt.date(2024, 2, 12),
     "Every written or oral complaint is recorded in the complaint file and reviewed by the quality unit, which "
     "decides whether a 211.192 investigation is needed and whether the event is a serious and unexpected "
     "adverse drug experience or needs a Field Alert Report (21 CFR 211.198)."),
    ("SOP-QU-020", "E", "Deviations and Investigations", dt.date(2024, 9, 9),
     "Unexplained discrepancies and specification failures are investigated whether or not the batch was "
     "distributed; the investigation extends to other batches and products that may be associated and records "
     "conclusions and follow-up (21 CFR 211.192)."),
    ("SOP-QU-031", "B", "Annual Product Review", dt.date(2023, 11, 6),
     "Each product's quality standards are evaluated at least annually (21 CFR 211.180(e))."),
]  # fmt: skip


@dataclass
class _Story:
    rng: random.Random
    bundle: Bundle
    seq: dict[str, int] = field(default_factory=dict)

    def next(self, key: str) -> int:
        self.seq[key] = self.seq.get(key, 0) + 1
        return self.seq[key]


def build(seed: int, size: int) -> Bundle:
    """Return the Larkspur bundle for ``seed`` with ``size`` blocks of records."""
    story = _Story(random.Random(seed + 1), Bundle("example_bundle_qmm"))
    out: dict[str, list[dict[str, Any]]] = {k: [] for k in ("batches", "devs", "cmps", "capas", "mrs", "ias")}
    for block in range(size):
        _block(story, block, out)
    b = story.bundle
    b.add_json(F_BATCH, out["batches"])
    b.add_jsonl(F_DEV, out["devs"])
    b.add_json(F_CMP, out["cmps"])
    b.add_jsonl(F_CAPA, out["capas"])
    b.add_json(F_MR, out["mrs"])
    b.add_json(F_IA, out["ias"])
    _documents(story)
    _training(story)
    _practice_area_evidence(story, out["batches"])
    _continuity_and_improvement(story)
    b.add("evidence-kit.toml", string.Template(template("qmm-evidence-kit.toml")).substitute())
    b.add("README.md", template("qmm-README.md"))
    return b


def _block(story: _Story, block: int, out: dict[str, list[dict[str, Any]]]) -> None:
    rng = story.rng
    batches: list[dict[str, Any]] = []
    for i in range(12):
        name, strength, code = PRODUCTS[i % 3]
        made = weekday_on_or_after(dt.date(2025, 1, 13) + days(i * 47 + rng.randint(0, 9)))
        lot = f"{code}{made:%y}{story.next('lot-' + code):03d}"
        approved = add_workdays(made, rng.randint(8, 12))
        released = approved
        expiry_month = dt.date(made.year + 3, made.month, 1)
        expiry = dt.date(expiry_month.year + (expiry_month.month == 12), expiry_month.month % 12 + 1, 1) - days(1)
        batches.append(
            {
                "id": f"BR-{lot}",
                "product_name": name,
                "strength": strength,
                "lot": lot,
                "manufacture_date": made.isoformat(),
                "expiry_date": expiry.isoformat(),
                "yield_percent": round(rng.uniform(97.2, 99.8), 1),
                "yield_limits": {"min": 95.0, "max": 101.0},
                "discrepancy": False,
                "deviation_ids": [],
                "audit_trail_review": {
                    "by": BELL.name,
                    "at": local_time(approved, 9, rng.randint(0, 59), zone="eastern"),
                },
                "qcu_approval": {"by": RAMAN.name, "at": local_time(approved, 14, rng.randint(0, 59), zone="eastern")},
                "release_at": local_time(released, 16, rng.randint(0, 59), zone="eastern"),
                "distributed_at": local_time(add_workdays(released, rng.randint(1, 3)), 8, 0, zone="eastern"),
                "procedures": [{"doc_number": "SOP-QU-001", "rev": "D"}],
                "signatures": [],
            }
        )
    for bt in batches:
        bt["signatures"] = [
            {
                "printed_name": RAMAN.name,
                "signer_id": RAMAN.user_id,
                "signed_at": bt["qcu_approval"]["at"],
                "meaning": "approved",
                "signature_id": f"LPK-SIG-{story.next('sig'):06d}",
            }
        ]
    devs = _deviations(story, batches)
    cmps = _complaints(story, batches, devs)
    capas = _capas(story, devs)
    mrs = _management_reviews(story)
    ias = _audits(story, capas)
    _seed(story, batches, devs, cmps)
    out["batches"] += batches
    out["devs"] += devs
    out["cmps"] += cmps
    out["capas"] += capas
    out["mrs"] += mrs
    out["ias"] += ias


def _deviations(story: _Story, batches: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rng = story.rng
    specs = [
        (1, "Tablet hardness below the in-process limit on the compression start-up samples.", "Press tooling "
         "set-up; hardness within limits after adjustment", True),
        (4, "Dissolution result 78% (Q = 80%) at stage S1 on stability pull; passed at S2.", "Analyst error in "
         "medium de-aeration confirmed; no product impact", False),
        (6, "Blister sealing temperature alarm for 6 minutes during packaging.", "Heater thermocouple failure; "
         "seal integrity tested on affected cartons", True),
        (9, "Granulation endpoint exceeded target by 40 s.", "Operator training gap on the new granulator HMI",
         False),
    ]  # fmt: skip
    devs = []
    for index, text, conclusion, capa in specs:
        bt = batches[index]
        opened = add_workdays(dt.date.fromisoformat(bt["manufacture_date"]), 1)
        did = f"DEV-{opened.year}-{story.next('dev-' + str(opened.year)):03d}"
        closed = add_workdays(opened, rng.randint(6, 9))
        devs.append(
            {
                "id": did,
                "batch_ids": [bt["id"]],
                "opened_at": opened.isoformat(),
                "description": text,
                "other_batches_assessed": [b["id"] for b in batches if b["product_name"] == bt["product_name"]][:3],
                "conclusion": conclusion + ".",
                "followup": "Corrective action per linked CAPA; trend reviewed in the annual product review."
                if capa
                else "Retraining documented; no further action.",
                "qcu_approval": {"by": RAMAN.name, "at": local_time(closed, 11, 0, zone="eastern")},
                "closed_at": closed.isoformat(),
                "_capa": capa,
            }
        )
        bt["discrepancy"] = True
        bt["deviation_ids"] = [did]
        approved = add_workdays(closed, 1)  # the batch is approved only after the investigation closes
        bt["audit_trail_review"]["at"] = local_time(approved, 9, 5, zone="eastern")
        bt["qcu_approval"]["at"] = local_time(approved, 14, 5, zone="eastern")
        bt["release_at"] = local_time(approved, 16, 30, zone="eastern")
        bt["distributed_at"] = local_time(add_workdays(approved, 2), 8, 0, zone="eastern")
        bt["signatures"][0]["signed_at"] = bt["qcu_approval"]["at"]
    return devs


def _complaints(story: _Story, batches: list[dict[str, Any]], devs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rng = story.rng
    natures = [
        ("Patient reports tablets in a new bottle look chipped.", False, False),
        ("Pharmacist found a broken tablet in a sealed bottle.", True, False),
        ("Patient reports an unusual odour on opening the bottle.", True, False),
        ("Caregiver reports a tablet of a different shape and debossing in a sealed bottle.", True, True),
        ("Patient reports dizziness after switching to this generic.", False, False),
        ("Patient hospitalised with severe hepatic injury; reporter suspects the product.", False, False),
        ("Pharmacy reports a bottle count of 29 against a label claim of 30.", True, False),
        ("Patient reports difficulty swallowing the 50 mg tablet.", False, False),
    ]
    out = []
    for i, (nature, spec, far) in enumerate(natures):
        bt = batches[(i * 5 + 2) % len(batches)]
        floor = dt.date.fromisoformat(bt["distributed_at"][:10]) + days(20)
        received = rand_day(rng, max(floor, dt.date(2025, 4, 1)), dt.date(2026, 10, 30))
        cid = f"DC-{received.year}-{story.next('dc-' + str(received.year)):03d}"
        qcu_at = add_workdays(received, rng.randint(1, 3))
        reportable = "hepatic" in nature
        c: dict[str, Any] = {
            "id": cid,
            "received_date": received.isoformat(),
            "drug_name": bt["product_name"],
            "strength": bt["strength"],
            "lot": bt["lot"],
            "expiry_date": bt["expiry_date"],
            "complainant_name": rng.choice(
                [
                    "Patient (via call centre)",
                    "Hollis Pharmacy, Durham NC",
                    "Carolina Home Care",
                    "Wake Family Pharmacy",
                ]
            ),
            "nature": nature,
            "spec_failure_possible": spec,
            "qcu_review": {"by": RAMAN.name, "at": local_time(qcu_at, 10, 0, zone="eastern")},
            "ade_reportability_decision": {
                "reportable": reportable,
                "decided_by": BELL.name,
                "at": local_time(qcu_at, 15, 0, zone="eastern"),
                "rationale": "Serious and unexpected (hepatic failure is not in the labeling): 15-day alert report."
                if reportable
                else "Not a serious and unexpected adverse drug experience.",
            },
            "far_required": far,
            "investigated": spec,
            "reply": {"date": add_workdays(received, 12).isoformat(), "text": "Letter with the investigation outcome."},
        }
        if reportable:
            c["ade_report_submitted_at"] = (received + days(rng.randint(8, 13))).isoformat()
        if far:
            c["far_submitted_at"] = add_workdays(received, 2).isoformat()
        if spec:
            c["findings"] = "Retained samples and batch record reviewed; see the linked investigation."
            c["followup"] = "Trended; no further action beyond the linked deviation."
            dev = next((d for d in devs if bt["id"] in d["batch_ids"]), None)
            if dev is not None:
                c["deviation_id"] = dev["id"]
        else:
            c["no_investigation_reason"] = "No possible failure to meet specifications; medical review only."
            c["decided_by"] = RAMAN.name
        out.append(c)
    out.sort(key=lambda c: c["received_date"])
    return out


def _capas(story: _Story, devs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rng = story.rng
    capas = []
    for d in devs:
        if not d.pop("_capa"):
            continue
        opened = add_workdays(dt.date.fromisoformat(d["opened_at"]), rng.randint(3, 8))
        root = add_workdays(opened, 5)
        impl = add_workdays(root, 15)
        eff = impl + days(60)
        closed = add_workdays(eff, 2)
        cid = f"CAPA-{opened.year}-{story.next('capa-' + str(opened.year)):03d}"
        d["capa_ids"] = [cid]
        capas.append(
            {
                "id": cid,
                "kind": "corrective",
                "title": d["description"][:60],
                "opened_at": opened.isoformat(),
                "triggers": [{"type": "drug_deviation", "id": d["id"]}],
                "problem": d["description"],
                "root_cause": d["conclusion"],
                "root_cause_at": root.isoformat(),
                "need_evaluation": "Recurrence would affect batch quality; action needed.",
                "action_plan": ["Correct the equipment or procedure", "Verify on the next three batches"],
                "plan_approved_at": add_workdays(root, 2).isoformat(),
                "implemented_at": impl.isoformat(),
                "implementation_evidence": "Change control and batch data filed with the CAPA.",
                "no_adverse_effect_verification": "Validation review: no effect on the validated state.",
                "effectiveness": {
                    "method": "Deviation trend",
                    "criteria": "No recurrence in 60 days",
                    "result": "Met",
                    "at": eff.isoformat(),
                    "by": RAMAN.name,
                },
                "status": "closed",
                "closed_at": closed.isoformat(),
                "owner": BELL.name,
            }
        )
    return capas


# Resources committed by the 2025 management reviews (H1: True, H2: False); the 2026 review names none.
RESOURCES = {
    True: "Supplier qualification budget USD 180,000 and 0.5 FTE QA auditor for 2025-H2",
    False: "Capital request CR-2025-14 (USD 420,000) for the blister-line camera; validation by engineering",
}


def _management_reviews(story: _Story) -> list[dict[str, Any]]:
    inputs = ["feedback", "complaint_handling", "regulatory_reporting", "audits", "process_monitoring",
              "product_monitoring", "corrective_action", "preventive_action", "prior_review_followup",
              "qms_changes", "improvement_recommendations", "regulatory_changes"]  # fmt: skip
    out = []
    for day, decision in (
        (dt.date(2025, 6, 12), "Approve a second API supplier for metoprolol tartrate (business continuity)"),
        (dt.date(2025, 12, 11), "Fund an automated visual inspection camera for the blister line"),
        (dt.date(2026, 6, 11), "Launch a speak-up programme with anonymous reporting for operators"),
    ):
        n = story.next("mr")
        out.append(
            {
                "id": f"LPK-MR-{day.year}-{'H1' if day.month < 7 else 'H2'}{'' if n <= 3 else f'-{n}'}",
                "review_date": day.isoformat(),
                "planned_interval_months": 6,
                "inputs": inputs,
                "outputs": [
                    {
                        "decision": decision,
                        "owner": LIU.name,
                        "due_date": (day + days(150)).isoformat(),
                        **({"resources": RESOURCES[day.month < 7 and day.year == 2025]} if day.year == 2025 else {}),
                    },
                    {
                        "decision": "Quality KPIs: right-first-time and deviation cycle time reported monthly",
                        "owner": RAMAN.name,
                        "due_date": (day + days(30)).isoformat(),
                    },
                ],
                "attendees": [LIU.person(), RAMAN.person(), HADDAD.person(), WHITAKER.person(), ORTEGA.person()],
            }
        )
    return out


def _audits(story: _Story, capas: list[dict[str, Any]]) -> list[dict[str, Any]]:
    day = dt.date(2026, 4, 13)
    aid = f"LPK-IA-2026-{story.next('ia'):02d}"
    return [
        {
            "id": aid,
            "scope": "Data integrity of laboratory and MES records",
            "criteria": "21 CFR 211; 21 CFR 11; FDA Data Integrity Q&A (2018)",
            "processes_audited": ["QC laboratory", "MES batch records", "Audit-trail review"],
            "audit_date": day.isoformat(),
            "auditors": [AUDITOR.person()],
            "auditee_owners": [HADDAD.person(), WHITAKER.person()],
            "findings": [
                {
                    "id": f"{aid}-F1",
                    "description": "Shared analyst login on one dissolution bath PC.",
                    "classification": "major",
                    "correction": "Individual accounts created the same day; shared account disabled.",
                    "due_date": (day + days(30)).isoformat(),
                }
            ],
            "conclusions": "Data governance is effective; one major finding corrected on the spot.",
            "report_date": add_workdays(day, 4).isoformat(),
        }
    ]


def _seed(story: _Story, batches: list[dict[str, Any]], devs: list[dict[str, Any]], cmps: list[dict[str, Any]]) -> None:
    b = story.bundle
    clean = [bt for bt in batches if not bt["deviation_ids"]]
    bt = clean[0]
    approved = dt.date.fromisoformat(bt["qcu_approval"]["at"][:10])
    bt["release_at"] = local_time(approved - days(1), 16, 0, zone="eastern")
    bt["distributed_at"] = local_time(add_workdays(approved, 1), 8, 0, zone="eastern")
    b.defect("drugs.qcu-approval-after-release", F_BATCH, bt["id"], "/qcu_approval/at",
             "batch released the day before the quality unit approved its record",
             "211.192: the quality unit must review and approve production records before release; releasing "
             "first is among the most cited drug CGMP violations.")  # fmt: skip
    bt = clean[1]
    del bt["qcu_approval"]["by"]
    b.defect("drugs.qcu-approval-missing", F_BATCH, bt["id"], "/qcu_approval/by",
             "batch distributed; the quality-unit approval names no approver",
             "An anonymous approval cannot show the quality unit (211.22) made the release decision.")  # fmt: skip
    bt = clean[2]
    bt["discrepancy"] = True
    b.defect("drugs.discrepancy-not-investigated", F_BATCH, bt["id"], "/deviation_ids",
             "batch record flags a discrepancy, but no deviation is linked",
             "211.192: any unexplained discrepancy must be thoroughly investigated whether or not the batch was "
             "distributed.")  # fmt: skip
    bt = clean[3]
    bt["yield_percent"] = 92.4
    b.defect("drugs.discrepancy-not-investigated", F_BATCH, bt["id"], "/deviation_ids",
             "yield 92.4% is below the 95% limit and nothing was investigated",
             "211.192 names yield outside limits as a discrepancy to investigate.")  # fmt: skip
    d = devs[1]
    del d["other_batches_assessed"]
    b.defect("drugs.investigation-incomplete", F_DEV, d["id"], "/other_batches_assessed",
             "investigation does not say which other batches were assessed, nor why none",
             "211.192: the investigation extends to other batches that may be associated; FDA 483s routinely cite "
             "investigations limited to one batch.")  # fmt: skip
    d = devs[3]
    del d["followup"]
    b.defect("drugs.investigation-incomplete", F_DEV, d["id"], "/followup",
             "investigation closed with no follow-up recorded",
             "211.192 requires a written record with conclusions and follow-up.")  # fmt: skip
    plain = [x for x in cmps if not x["far_required"] and not x.get("ade_report_submitted_at")]
    c = plain[0]
    del c["qcu_review"]
    for key in ("by", "at"):
        b.defect("drugs.complaint-qcu-review-missing", F_CMP, c["id"], f"/qcu_review/{key}",
                 "complaint never reviewed by the quality unit",
                 "211.198(a): the quality control unit reviews complaints and decides on investigation.")  # fmt: skip
    c = plain[1]
    del c["ade_reportability_decision"]
    b.defect("drugs.complaint-ade-decision-missing", F_CMP, c["id"], "/ade_reportability_decision/reportable",
             "no serious-and-unexpected ADE decision",
             "211.198(a) requires review for reportability under 310.305/314.80; a missing decision can hide a "
             "15-day report.")  # fmt: skip
    c = next(x for x in plain[2:] if not x["investigated"])
    del c["decided_by"]
    b.defect("drugs.complaint-investigation-record", F_CMP, c["id"], "/decided_by",
             "not investigated; the record does not say who decided",
             "211.198(b)(3): when not investigated, the record gives the reason and the name of the person who "
             "decided.")  # fmt: skip
    c = next(x for x in plain[2:] if x["investigated"])
    del c["strength"]
    c["lot"] = ""
    for key in ("strength", "lot"):
        b.defect("drugs.complaint-element-missing", F_CMP, c["id"], f"/{key}",
                 f"{key} left blank with no unknown reason",
                 "211.198(b): the complaint record holds the name, strength and lot where known; without the lot "
                 "the complaint cannot be tied to a batch.")  # fmt: skip
    c = next(x for x in cmps if x["far_required"])
    c["far_submitted_at"] = add_workdays(dt.date.fromisoformat(c["received_date"]), 6).isoformat()
    b.defect("drugs.far-late", F_CMP, c["id"], "/far_submitted_at",
             "Field Alert Report for a possible mix-up sent 6 working days after receipt",
             "314.81(b)(1): a Field Alert Report is due within 3 working days; mix-ups are the classic FAR "
             "case.")  # fmt: skip
    c = next(x for x in cmps if x.get("ade_report_submitted_at"))
    c["ade_report_submitted_at"] = (dt.date.fromisoformat(c["received_date"]) + days(24)).isoformat()
    b.defect("drugs.ade-report-late", F_CMP, c["id"], "/ade_report_submitted_at",
             "15-day alert report submitted 24 days after receipt",
             "314.80(c)(1)/310.305: serious and unexpected ADEs are reported within 15 calendar days.")  # fmt: skip


def _documents(story: _Story) -> None:
    b = story.bundle
    register = []
    for number, rev, title, start, body in DOCS:
        approved = weekday_on_or_after(start - days(10))
        signed_at = local_time(approved, 15, 0, zone="eastern")
        entry: dict[str, Any] = {
            "id": f"{number}-{rev}",
            "doc_number": number,
            "rev": rev,
            "title": title,
            "kind": "sop",
            "status": "effective",
            "effective_date": start.isoformat(),
            "approval": {
                "printed_name": RAMAN.name,
                "signer_id": RAMAN.user_id,
                "signed_at": signed_at,
                "meaning": "approved",
                "signature_id": f"LPK-SIG-{story.next('sig'):06d}",
            },
        }
        register.append(entry)
        b.add(
            f"sops/{number}_rev-{rev}_{title.lower().replace(' ', '-')}.pdf",
            _pdf.sop_pdf(
                COMPANY, number, rev, title, start.isoformat(),
                [("Purpose", f"Defines {title.lower()} at the Raleigh site."), ("Procedure", body)],
                [(RAMAN.name, "approved", signed_at)],
            ),
        )  # fmt: skip
    b.add_json(F_DOCS, register)


def _training(story: _Story) -> None:
    rows = []
    n = 0
    for number, rev, _title, start, _body in DOCS:
        for person in (RAMAN, BELL, HADDAD, WHITAKER):
            n += 1
            when = weekday_on_or_after(start - days(7 + n % 3))
            rows.append([f"LPK-TR-{n:04d}", person.name, person.user_id, number, rev, when.isoformat(),
                         "Classroom + observed practice", "Pass"])  # fmt: skip
    # annual GMP refreshers on the revisions in force (21 CFR 211.25(a)), inside the record window
    for year, month in ((2025, 3), (2026, 3)):
        for number, rev, _title, _start, _body in DOCS:
            for person in (RAMAN, BELL, HADDAD, WHITAKER):
                n += 1
                when = weekday_on_or_after(dt.date(year, month, 2 + n % 20))
                rows.append([f"LPK-TR-{n:04d}", person.name, person.user_id, number, rev, when.isoformat(),
                             "Annual refresher quiz", f"{80 + n % 20}% - pass"])  # fmt: skip
    story.bundle.add_csv(
        F_TRAIN, ["RecordNo", "Name", "UserID", "SOP", "Revision", "CompletedOn", "EffectivenessCheck", "Result"], rows
    )


def _practice_area_evidence(story: _Story, batches: list[dict[str, Any]]) -> None:
    b = story.bundle
    author = f"{COMPANY} Quality"
    docs = {
        "qmm/1-management-commitment/quality-policy-and-objectives-2026.pdf": (
            "Quality Policy and Measurable Quality Objectives 2026",
            [
                "Policy: every batch is made right first time, and quality decisions override schedule and cost.",
                "Objectives 2026: right-first-time batch records >= 95%; deviation cycle time <= 30 days; "
                "complaint rate < 2 per million units; 100% audit-trail review before approval.",
                "Resources committed by the Site Head in management review LPK-MR-2025-H2: visual inspection "
                "camera, two QA reviewers.",
                "Example where quality overrode schedule: lot MT5025 held 9 days for an investigation although the "
                "customer order was late.",
            ],
        ),
        "qmm/2-business-continuity/business-continuity-plan-2026.pdf": (
            "Business Continuity Plan 2026 (reviewed 2026-03-16)",
            [
                "Supply-chain risk assessment of every API and excipient; metoprolol tartrate API dual-sourced "
                "since 2025-11; lisinopril API single-sourced with 9 months of safety stock.",
                "Capacity plan: second compression press qualified; 20% headroom on the blister line.",
                "Disruption exercise 2026-02-24: loss of the primary API supplier; recovery in 6 weeks.",
            ],
        ),
        "qmm/3-advanced-pqs/APR-2025_metoprolol-tartrate-tablets.pdf": (
            "Annual Product Review 2025: Metoprolol Tartrate Tablets USP 25 mg and 50 mg",
            [
                "Review period 2025-01-01 to 2025-12-31 (21 CFR 211.180(e); SOP-QU-031 rev B).",
                "Batches: " + ", ".join(x["lot"] for x in batches if x["product_name"].startswith("Metoprolol")) + ".",
                "Yield, assay and dissolution trends stable (Cpk >= 1.33); two deviations and their CAPAs reviewed; "
                "complaints trended; no recalls or field alerts for this product.",
                "Conclusion: process in a state of control; no change to specifications.",
            ],
        ),
        "qmm/3-advanced-pqs/APR-2025_lisinopril-tablets.pdf": (
            "Annual Product Review 2025: Lisinopril Tablets USP 10 mg",
            [
                "Review period 2025-01-01 to 2025-12-31 (21 CFR 211.180(e); SOP-QU-031 rev B).",
                "Batches: " + ", ".join(x["lot"] for x in batches if x["product_name"].startswith("Lisinopril")) + ".",
                "One blister sealing deviation with CAPA; stability on trend; one Field Alert Report reviewed.",
                "Conclusion: process in a state of control.",
            ],
        ),
        "qmm/4-technical-excellence/continued-process-verification-2025.pdf": (
            "Continued Process Verification Report 2025",
            [
                "Critical process parameters and quality attributes charted for all 2025 batches with control "
                "limits; compression force and tablet hardness Cpk 1.6.",
                "Data governance: MES audit trails reviewed before batch approval; laboratory data in a validated "
                "chromatography data system.",
                "Technology transfer of the 50 mg strength to press 2 completed with a comparability protocol.",
            ],
        ),
        "qmm/5-employee-engagement/quality-culture-survey-2026.pdf": (
            "Quality Culture Survey 2026: Results and Actions",
            [
                "Response rate 87% (142 of 163 staff). 91% agree they can stop the line for a quality concern "
                "without fear.",
                "Actions: speak-up programme launched 2026-07; monthly quality recognition; operators on every "
                "deviation investigation team.",
            ],
        ),
    }
    issued = {  # the date each document was issued (its PDF creation date)
        "quality-policy": "2026-01-12", "business-continuity": "2026-03-16", "APR-2025_metoprolol": "2026-02-27",
        "APR-2025_lisinopril": "2026-03-06", "continued-process": "2026-02-13", "quality-culture": "2026-07-20",
    }  # fmt: skip
    for rel, (title, paras) in docs.items():
        created = next(v for k, v in issued.items() if k in rel)
        b.add(rel, _pdf.text_pdf(COMPANY, title, "Raleigh, NC site", paras, author, created=created))


def _continuity_and_improvement(story: _Story) -> None:
    """Business-continuity plans (one overdue for review) and the QMM improvement plan (6-month report overdue)."""
    b = story.bundle
    b.add_json(F_BCP, [
        {"id": "LPK-BCP-01", "title": "API and excipient supply continuity",
         "scope": "All APIs and excipients of the three marketed strengths; dual sourcing and safety stock",
         "owner": ORTEGA.name, "last_reviewed": "2026-03-16", "next_review_due": "2027-03-16",
         "exercised_at": "2026-02-24"},
        {"id": "LPK-BCP-02", "title": "Utilities, MES and laboratory data systems outage recovery",
         "scope": "Purified water, HVAC, MES and the chromatography data system at the Raleigh site",
         "owner": WHITAKER.name, "last_reviewed": "2025-09-08", "next_review_due": "2026-09-08",
         "exercised_at": "2024-10-15"},
    ])  # fmt: skip
    plan: dict[str, Any] = {
        "id": "LPK-IP-2026-01",
        "site": "Raleigh, NC oral solid dose",
        "assessment_date": "2026-05-20",
        "owner": RAMAN.name,
        "opportunity": {
            "practice_area": "technical",
            "description": "Move compression from end-of-batch testing to real-time process monitoring (PAT)",
        },
        "actions": [
            {
                "id": "IP-A1",
                "description": "Install NIR tablet-hardness monitoring on press 2",
                "owner": WHITAKER.name,
                "due_date": "2026-08-31",
                "status": "done",
                "completed_at": "2026-08-21",
            },
            {
                "id": "IP-A2",
                "description": "Validate the PAT model and alarm limits",
                "owner": HADDAD.name,
                "due_date": "2026-11-15",
                "status": "in-progress",
            },
            {
                "id": "IP-A3",
                "description": "Train operators and QA reviewers on real-time release review",
                "owner": RAMAN.name,
                "due_date": "2027-01-29",
                "status": "planned",
            },
        ],
        "checkpoints": [
            {
                "month": 3,
                "reported_at": "2026-08-18",
                "summary": "NIR probe installed on press 2; model calibration batches MT5026 and MT5027 run.",
            },
        ],
    }
    b.add_json(F_IP, [plan])
    b.defect("improvement-plan.checkpoint-overdue", F_IP, plan["id"], "/checkpoints",
             "6-month progress report was due 2026-11-20 and none is recorded",
             "CDER's QMM programme expects progress on the chosen improvement opportunity 3 and 6 months after "
             "the assessment; a missed report reads as an improvement plan that stalled.")  # fmt: skip
