"""The device bundle: Meridian Infusion Systems, Inc., a fictional Class II infusion-pump maker, one site.

The data story (per block; ``size`` repeats the block with new ids, so a benchmark gets the same
realistic mix at any scale):

* three products with GS1 DIs (a large-volume pump, two administration sets) and one DI typed in
  with a wrong check digit;
* about 20 administration-set lots, each with a device history record (MES, JSON Lines), a label
  inspection and a labeling release (the "Qualitrex" eQMS XML export) and a lot release certificate;
* about 60 complaints (native eQMS JSON, plus two intake forms filled in as PDF AcroForms), some
  MDR-reportable with their MDR reports; about 15 CAPAs (JSON Lines) triggered by complaints,
  nonconformances and internal-audit findings;
* servicing (field-service CSV), training (LMS CSV), management reviews (JSON, and one set of minutes
  as a PDF with the record attached as JSON), SOP revisions (register JSON + PDFs), a scanned label proof.

Every seeded defect is made in the data *and* recorded with :meth:`Bundle.defect`; DEFECTS.md is
written from those records.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import random
import string
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from evidence_kit.examples import _pdf
from evidence_kit.examples._kit import (
    Bundle,
    Person,
    add_workdays,
    days,
    gs1_udi,
    gtin14,
    local_time,
    rand_day,
    template,
    weekday_on_or_after,
    wrong_check,
)
from evidence_kit.model import canonical_json

COMPANY = "Meridian Infusion Systems, Inc."
FEI = "3012345678"
AS_OF = dt.date(2026, 11, 30)
WINDOW_START = dt.date(2024, 12, 1)

F_COMPLAINTS = "exports/eqms/complaints.json"
F_CAPAS = "exports/eqms/capas.jsonl"
F_NCS = "exports/eqms/nonconformances.jsonl"
F_AUDITS = "exports/eqms/internal_audits.json"
F_MDR = "exports/eqms/mdr_reports.json"
F_CR = "exports/eqms/corrections_removals.json"
F_DCR = "exports/eqms/design_changes.json"
F_MR = "exports/eqms/management_reviews.json"
F_DOCS = "exports/eqms/document_register.json"
F_MASTER = "exports/udi/device_master.json"
F_DHR = "exports/mes/device_history_records.jsonl"
F_LI = "exports/qualitrex/label_inspections.xml"
F_LR = "exports/qualitrex/labeling_releases.xml"
F_XSD = "exports/qualitrex/qualitrex-export-2.xsd"
F_SERVICE = "exports/fieldservice/service_orders.csv"
F_TRAINING = "exports/lms/training_records.csv"
QX_NS = "urn:qualitrex:export:2"

ALVAREZ = Person("Rosa Alvarez", "ralvarez", "Complaint Handling Specialist")
CHEN = Person("Jun Chen", "jchen", "CAPA Manager")
OKAFOR = Person("Margaret Okafor", "mokafor", "QA Manager")
LINDQVIST = Person("Sven Lindqvist", "slindqvist", "Labeling Specialist")
PATEL = Person("Devika Patel", "dpatel", "QC Inspector")
NOVAK = Person("Katarina Novak", "knovak", "QC Inspector")
BRENNAN = Person("Thomas Brennan", "tbrennan", "Regulatory Affairs Manager")
HAUGEN = Person("Anders Haugen", "ahaugen", "Field Service Engineer")
MOREAU = Person("Luc Moreau", "lmoreau", "Field Service Engineer")
WHITFIELD = Person("Elaine Whitfield", "ewhitfield", "VP Quality and Regulatory")
GRUBER = Person("Paul Gruber", "pgruber", "Production Supervisor")
IVERSON = Person("Nora Iverson", "niverson", "Document Control Specialist")
SATO = Person("Hiro Sato", "hsato", "Internal Auditor")
KOWALSKI = Person("Anna Kowalski", "akowalski", "Manufacturing Engineer")

HOSPITALS = [
    ("St. Olaf Regional Hospital Biomedical Engineering", "1 Hospital Way, Austin, MN 55912", "+1 507 555 0101"),
    ("Lakeside Community Clinic", "22 Shore Rd, Bayfield, WI 54814", "+1 715 555 0144"),
    ("Northern Plains Medical Center", "400 Prairie Ave, Fargo, ND 58102", "+1 701 555 0190"),
    ("Iron Range Health, Pharmacy Dept.", "815 Chestnut St, Virginia, MN 55792", "+1 218 555 0133"),
    ("Twin Ports Surgical Hospital", "3 Canal Park Dr, Duluth, MN 55802", "+1 218 555 0177"),
    ("Red River Valley Infusion Center", "91 University Dr S, Fargo, ND 58103", "+1 701 555 0122"),
    ("Mesabi Home Infusion Services", "12 Hibbing Rd, Hibbing, MN 55746", "+1 218 555 0158"),
    ("Chippewa Valley Hospital", "1400 Bellinger St, Eau Claire, WI 54703", "+1 715 555 0165"),
    ("Great Lakes Children's Hospital", "700 Lake Ave, Marquette, MI 49855", "+1 906 555 0119"),
    ("Medline West Distribution (distributor)", "55 Logistics Pkwy, Shakopee, MN 55379", "+1 952 555 0187"),
    ("Sioux Falls Veterans Medical Center", "2501 W 22nd St, Sioux Falls, SD 57105", "+1 605 555 0141"),
    ("Bemidji Regional Oncology", "1300 Anne St NW, Bemidji, MN 56601", "+1 218 555 0126"),
]


@dataclass(frozen=True)
class Product:
    """A device model with its GS1 DI and which PI elements its label carries."""

    key: str
    master_id: str
    name: str
    model: str
    gtin: str
    lot_controlled: bool
    serial_controlled: bool
    expiry_controlled: bool
    mfg_date_controlled: bool
    life_years: int
    label_spec: str


PUMP = Product(
    "pump", "DM-LVP200", "Meridian LVP-200 Large Volume Infusion Pump", "LVP-200",
    gtin14("0081234510020"), False, True, False, True, 10, "LBL-LVP-200",
)  # fmt: skip
SET = Product(
    "set", "DM-AS2020", "Meridian LVP Primary Administration Set, 20 drops/mL", "AS-2020",
    gtin14("0081234520036"), True, False, True, False, 3, "LBL-AS-2020",
)  # fmt: skip
SET2 = Product(
    "set2", "DM-AS3015", "Meridian LVP Secondary Administration Set, 15 drops/mL", "AS-3015",
    gtin14("0081234520043"), True, False, True, False, 3, "LBL-AS-3015",
)  # fmt: skip
PRODUCTS = (PUMP, SET, SET2)


@dataclass(frozen=True)
class Mode:
    """A complaint failure mode: what the complainant reports and how the firm treats it."""

    key: str
    product: str
    text: str
    fails_spec: bool
    capa_title: str | None
    root_cause: str
    reportable_text: str | None = None


MODES = [
    Mode(
        "occlusion",
        "pump",
        "Downstream occlusion alarm sounded late during a {drug} infusion; the bench check "
        "found the alarm at 21 psi against a 15 psi specification.",
        True,
        "Occlusion pressure sensor drift on LVP-200",
        "Strain-gauge adhesive creep in sensor lot S-2291",
        "Occlusion alarm did not sound; infusion site infiltration required surgical debridement.",
    ),
    Mode(
        "battery",
        "pump",
        "Pump shut down on battery power after {n} minutes during patient transport; the "
        "specification is 4 hours at 125 mL/h.",
        True,
        "Battery pack capacity loss on LVP-200",
        "Cell supplier changed separator material without notice",
        "Pump stopped during transport; the vasopressor infusion was interrupted and the patient became hypotensive.",
    ),
    Mode(
        "keypad",
        "pump",
        "Keypad membrane cracked at the '0' key; entries are not registered.",
        True,
        "Keypad membrane cracking",
        "Membrane overlay adhesive incompatible with quaternary-ammonium wipes",
    ),
    Mode(
        "door",
        "pump",
        "Cassette door latch does not engage fully; door-open alarm during infusion.",
        True,
        "Cassette door latch wear",
        "Latch spring below drawing tolerance from second-source supplier",
    ),
    Mode(
        "display",
        "pump",
        "Display backlight flickers after several hours of continuous use.",
        True,
        "Display backlight flicker",
        "Backlight driver firmware timing",
    ),
    Mode(
        "free-flow",
        "pump",
        "Free flow of {drug} when the cassette door was opened during a line change.",
        True,
        "Free-flow protection on cassette door opening",
        "Anti-free-flow clip not engaged by worn door cam",
        "Free flow of {drug} when the door was opened; the patient received an overdose and needed reversal agent.",
    ),
    Mode(
        "use-error",
        "pump",
        "User reports the pump delivered the wrong rate; the event log shows the rate "
        "entered was 125 mL/h and delivered as programmed.",
        False,
        None,
        "Programming entry; device performed as specified",
    ),
    Mode(
        "leak",
        "set",
        "Leak at the Y-site injection port during priming of a {drug} line.",
        True,
        "Y-site leak on AS-2020 sets",
        "Y-site bonding cure time below validated minimum",
        "Leak at the Y-site during a heparin infusion; blood loss and under-infusion required transfusion.",
    ),
    Mode(
        "clamp",
        "set",
        "Roller clamp cracked when opened; the set could not be used.",
        True,
        "Roller clamp cracking",
        "Clamp resin moisture content above specification",
    ),
    Mode(
        "particulate",
        "set",
        "Visible particulate in the drip chamber before use; set not used.",
        True,
        None,
        "Isolated flash from mould; no trend in lot retains",
    ),
    Mode(
        "packaging",
        "set2",
        "Sterile pouch seal found open on receipt.",
        True,
        "Pouch seal integrity",
        "Sealer platen temperature drift",
    ),
]
# Integrated risk management (ISO 14971 via ISO 13485 7.1): each complaint mode's failure mode, the harm a
# reportable event caused, and the hazard of RMF-LVP-001 it belongs to.
F_RMF = "exports/eqms/risk_management_file.json"
RMF_ID = "RMF-LVP-001"
MODE_RISK = {
    "occlusion": ("Occlusion alarm late", "Infiltration or extravasation", "HAZ-02"),
    "battery": ("Battery run time below specification", "Interruption of critical therapy", "HAZ-03"),
    "keypad": ("Keypad entries not registered", "Delay in therapy", "HAZ-03"),
    "door": ("Cassette door latch not engaged", "Delay in therapy", "HAZ-03"),
    "display": ("Display backlight flicker", "Delay in therapy", "HAZ-03"),
    "free-flow": ("Free flow on cassette door opening", "Overdose", "HAZ-01"),
    "use-error": ("Rate programming error by user", "Delay in therapy", "HAZ-03"),
    "leak": ("Y-site leak", "Blood loss", "HAZ-04"),
    "clamp": ("Roller clamp crack", "Delay in therapy", "HAZ-03"),
    "particulate": ("Particulate in fluid path", "Embolism", "HAZ-05"),
    "packaging": ("Sterile barrier breach", "Infection", "HAZ-05"),
    "label-mixup": ("Label mix-up", "Wrong set used", "HAZ-06"),
    "tubing": ("Tubing outside diameter out of tolerance", "Delay in therapy", "HAZ-03"),
}
# (hazard id, description, extra failure modes, harms, severity, probability, control, option, verified by)
HAZARDS = [
    ("HAZ-01", "Over-infusion (uncontrolled free flow)", ["Roller clamp fails to close"], ["Overdose"], "critical",
     "remote", "Door-open free-flow interlock (firmware 3.4.1)", "inherent-safety", ("design_change", "DCR-2025-001")),
    ("HAZ-02", "Occlusion not detected", [], ["Infiltration or extravasation"], "serious", "occasional",
     "Occlusion alarm threshold verified at final test", "protective-measure", ("capa", "Occlusion")),
    ("HAZ-03", "Interruption or delay of therapy", [], ["Interruption of critical therapy", "Delay in therapy"],
     "serious", "probable", "Battery capacity and keypad function tested on every pump", "protective-measure",
     ("capa", "Battery")),
    ("HAZ-04", "Loss of fluid path integrity", ["Drip chamber crack"], ["Blood loss"], "serious", "occasional",
     "Y-site bonding cure time of at least 45 s", "inherent-safety", ("design_change", "DCR-2026-002")),
    ("HAZ-05", "Contamination of the fluid path", [], ["Embolism", "Infection"], "critical", "remote",
     "Pouch seal validation and seal-width inspection", "protective-measure", ("capa", "Pouch")),
    ("HAZ-06", "Wrong administration set used (labeling mix-up)", [], ["Wrong set used"], "serious", "remote",
     "Line clearance and five-item label inspection", "protective-measure", ("controlled_document", "WI-LBL-004-C")),
]  # fmt: skip

DRUGS = ["heparin", "vancomycin", "norepinephrine", "normal saline", "potassium chloride", "insulin", "cefazolin"]

# (doc_number, rev, title, effective, superseded, author, approver, change, sections)
DOCS: list[tuple[str, str, str, dt.date, dt.date | None, Person, Person, str]] = [
    ("SOP-DC-001", "H", "Document Control", dt.date(2023, 11, 6), None, IVERSON, WHITFIELD,
     "Periodic review; no change to the approval matrix."),
    ("SOP-QA-012", "C", "Complaint Handling", dt.date(2023, 5, 15), dt.date(2026, 2, 2), ALVAREZ, OKAFOR,
     "Added similar-investigation justification."),
    ("SOP-QA-012", "D", "Complaint Handling", dt.date(2026, 2, 2), None, ALVAREZ, OKAFOR,
     "QMSR transition: cites 21 CFR 820.35(a) and ISO 13485:2016 8.2.2 instead of 820.198."),
    ("SOP-QA-015", "F", "Corrective and Preventive Action", dt.date(2024, 8, 19), None, CHEN, WHITFIELD,
     "Effectiveness check after at least 30 days of data."),
    ("SOP-RA-003", "E", "Medical Device Reporting", dt.date(2024, 3, 11), None, BRENNAN, WHITFIELD,
     "Work-day calendar for 5-day reports."),
    ("SOP-LBL-007", "F", "Labeling and Packaging Control", dt.date(2022, 9, 12), dt.date(2025, 6, 2), LINDQVIST,
     OKAFOR, "UDI verification at line clearance."),
    ("SOP-LBL-007", "G", "Labeling and Packaging Control", dt.date(2025, 6, 2), None, LINDQVIST, OKAFOR,
     "QMSR 820.45: labeling release documented before use; five-item inspection."),
    ("WI-LBL-004", "B", "Label Inspection", dt.date(2023, 9, 5), dt.date(2025, 6, 2), LINDQVIST, OKAFOR,
     "Checklist form QA-LBL-F2."),
    ("WI-LBL-004", "C", "Label Inspection", dt.date(2025, 6, 2), None, LINDQVIST, OKAFOR,
     "Items per 820.45(a)(1)-(5); n/a needs a written justification."),
    ("SOP-SRV-002", "B", "Servicing", dt.date(2024, 1, 8), None, HAUGEN, OKAFOR,
     "Every service order is evaluated as a potential complaint."),
    ("SOP-QA-020", "D", "Management Review", dt.date(2024, 2, 5), None, WHITFIELD, WHITFIELD,
     "Six-monthly reviews; QMSR inputs."),
    ("SOP-QA-030", "C", "Internal Audit", dt.date(2024, 4, 1), None, SATO, WHITFIELD,
     "Auditor independence statement."),
    ("QM-001", "A", "Quality Manual", dt.date(2026, 2, 2), None, WHITFIELD, WHITFIELD,
     "QMSR transition: QMS documented to ISO 13485:2016 and 21 CFR 820.10(a)."),
    ("SOP-RM-001", "C", "Risk Management", dt.date(2025, 3, 3), None, KOWALSKI, WHITFIELD,
     "Post-production information from complaints and nonconformances feeds the risk file."),
    ("SOP-MET-004", "B", "Calibration of Monitoring and Measuring Equipment", dt.date(2025, 9, 8), None, KOWALSKI,
     OKAFOR, "Calibration intervals set from usage; out-of-tolerance impact assessment."),
]  # fmt: skip

# The QMSR terminology seeds: text added to one revision's procedure body (the other revisions stay clean).
# Each retired citation or term not marked historical is a seeded terminology.* defect (see _documents).
SOP_EXTRA = {
    ("SOP-DC-001", "H"): "Document numbering and the approval matrix follow 21 CFR 820.40 and Form DC-F1.",
    ("WI-LBL-004", "C"): "Label control per 820.120: file the signed checklist in the DHR of the lot.",
    ("SOP-QA-020", "D"): "Management with executive responsibility chairs each review and approves its outputs.",
    ("SOP-QA-012", "D"): "Complaint files (formerly kept under 21 CFR 820.198) are kept as described here.",
}

# Who signs under which procedure, trained a week before the revision took effect (or at hire).
TRAINING_PLAN = {
    "SOP-QA-012": (ALVAREZ, OKAFOR, BRENNAN),
    "SOP-QA-015": (CHEN, OKAFOR, KOWALSKI),
    "SOP-RA-003": (BRENNAN, ALVAREZ),
    "SOP-LBL-007": (LINDQVIST, PATEL, GRUBER, OKAFOR),
    "WI-LBL-004": (PATEL, NOVAK, GRUBER, OKAFOR),
    "SOP-SRV-002": (HAUGEN, MOREAU),
    "SOP-QA-020": (WHITFIELD, OKAFOR),
    "SOP-QA-030": (SATO,),
    "SOP-DC-001": (IVERSON,),
}
NOVAK_HIRED = dt.date(2026, 3, 16)


def _rev_on(doc_number: str, day: dt.date) -> str:
    for number, rev, _t, start, end, *_ in DOCS:
        if number == doc_number and start <= day and (end is None or day < end):
            return rev
    raise ValueError(f"no revision of {doc_number} in force on {day}")


def _proc(doc_number: str, day: dt.date) -> dict[str, str]:
    return {"doc_number": doc_number, "rev": _rev_on(doc_number, day)}


def _digest(record: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_json({k: v for k, v in record.items() if k != "signatures"}).encode()).hexdigest()


@dataclass
class _Story:
    """Counters shared across blocks, so ids stay unique at any size."""

    rng: random.Random
    bundle: Bundle
    seq: dict[str, int] = field(default_factory=dict)
    novak_trained: dt.date | None = None

    def next(self, key: str) -> int:
        self.seq[key] = self.seq.get(key, 0) + 1
        return self.seq[key]

    def sig_id(self) -> str:
        return f"ESIG-{self.next('sig'):06d}"


@dataclass
class _Lot:
    product: Product
    lot: str
    mfg: dt.date
    expiry: dt.date
    inspected: dt.date
    released_labeling: dt.date
    released: dt.date
    ids: dict[str, str] = field(default_factory=dict)


# --- generation ------------------------------------------------------------------------------------


def build(seed: int, size: int) -> Bundle:
    """Return the Meridian bundle for ``seed`` with ``size`` blocks of records."""
    story = _Story(random.Random(seed), Bundle("example_bundle"))
    out: dict[str, list[Any]] = {k: [] for k in ("complaints", "capas", "ncs", "audits", "mdr", "cr", "dcr", "lots",
                                                  "service", "forms", "mrs")}  # fmt: skip
    for block in range(size):
        _block(story, block, out)
    _write(story, out)
    config = string.Template(template("device-evidence-kit.toml")).substitute(json_inputs=_json_inputs())
    story.bundle.add("evidence-kit.toml", config)
    story.bundle.add("README.md", template("device-README.md"))
    return story.bundle


def _block(story: _Story, block: int, out: dict[str, list[Any]]) -> None:
    rng = story.rng
    lots = _lots(story, block)
    complaints, capas, ncs, audits = _quality_events(story, block, lots)
    mdrs = _mdr_reports(story, complaints)
    service = _servicing(story, complaints)
    crs, dcrs = _corrections(story, block, capas)
    mrs = _management_reviews(story, block)
    forms = _intake_forms(story, block, lots)
    _seed_defects(story, block, complaints, capas, ncs, audits, mdrs, lots, service, crs, dcrs, mrs, forms)
    _risk_links(story, complaints, capas, ncs, forms)
    out["complaints"] += complaints
    out["capas"] += capas
    out["ncs"] += ncs
    out["audits"] += audits
    out["mdr"] += mdrs
    out["lots"] += lots
    out["service"] += service
    out["cr"] += crs
    out["dcr"] += dcrs
    out["mrs"] += mrs
    out["forms"] += forms
    rng.random()  # keep blocks independent of how many draws the last one made


def _lots(story: _Story, block: int) -> list[_Lot]:
    rng = story.rng
    lots = []
    start = dt.date(2024, 11, 4)
    for i in range(20):
        product = SET2 if i % 5 == 4 else SET
        mfg = weekday_on_or_after(start + days(i * 36 + rng.randint(0, 6)))
        n = story.next("lot")
        number = f"{'A' if product is SET else 'B'}{mfg:%y}-{1000 + n:04d}"
        inspected = add_workdays(mfg, 1)
        released = add_workdays(mfg, rng.randint(5, 9))
        first = dt.date(mfg.year + 3, mfg.month, 1)  # expiry: last day of the month three years on
        expiry = dt.date(first.year + (first.month == 12), first.month % 12 + 1, 1) - days(1)
        lots.append(_Lot(product, number, mfg, expiry, inspected, inspected, released))
    return lots


def _udi_for(
    product: Product, *, lot: _Lot | None = None, serial: str | None = None, mfg: dt.date | None = None
) -> str:
    if product.lot_controlled and lot is not None:
        return gs1_udi(product.gtin, exp=lot.expiry, lot=lot.lot)
    return gs1_udi(product.gtin, mfg=mfg, serial=serial)


def _serial(rng: random.Random) -> tuple[str, dt.date]:
    return f"LVP2-{rng.randint(100000, 199999)}", dt.date(2021, 1, 4) + days(rng.randint(0, 1300))


def _quality_events(
    story: _Story, block: int, lots: list[_Lot]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    rng = story.rng
    # 1. the complaint stream: 58 complaints over two years, modes weighted like a real pump line
    weights = {"occlusion": 7, "battery": 7, "keypad": 6, "door": 5, "display": 5, "free-flow": 4, "use-error": 6,
               "leak": 7, "clamp": 5, "particulate": 3, "packaging": 3}  # fmt: skip
    raw = []
    for mode in MODES:
        count = weights[mode.key]
        early = (3 if count > 4 else 2) if mode.capa_title else 0
        for i in range(count):
            if mode.key == "display":  # the display CAPA is this autumn's open one
                received = rand_day(rng, dt.date(2026, 9, 14), dt.date(2026, 10, 9))
            elif i < early:  # the trend that opened the CAPA came early enough for it to close
                received = rand_day(rng, dt.date(2025, 1, 6), dt.date(2026, 2, 27))
            else:
                received = rand_day(rng, dt.date(2025, 1, 6), dt.date(2026, 11, 6))
            raw.append((received, mode))
    raw.sort(key=lambda r: (r[0], r[1].key))
    complaints: list[dict[str, Any]] = []
    by_mode: dict[str, list[dict[str, Any]]] = {}
    for received, mode in raw:
        c = _complaint(story, received, mode, lots)
        complaints.append(c)
        by_mode.setdefault(mode.key, []).append(c)
    # reportable: the first free-flow pair, one occlusion injury, one battery interruption, one leak
    reportable = [*by_mode["free-flow"][:2], by_mode["occlusion"][1], by_mode["battery"][2], by_mode["leak"][3]]
    for c in reportable:
        _make_reportable(story, c)

    # 2. nonconformances and internal audits (the other CAPA triggers)
    ncs = _nonconformances(story, lots)
    audits = _internal_audits(story, block)

    # 3. CAPAs: one per complaint mode with a CAPA title, plus NC- and audit-triggered ones
    capas: list[dict[str, Any]] = []
    for mode in MODES:
        if mode.capa_title is None:
            continue
        group = by_mode[mode.key]
        k = 3 if len(group) > 4 else 2
        crossed = dt.date.fromisoformat(group[k - 1]["received_date"])  # the trend threshold was reached here
        triggers = [c for c in group[:k] if dt.date.fromisoformat(c["received_date"]) >= crossed - days(15)]
        extra_nc = next((n for n in ncs if n["_mode"] == mode.key), None)
        if extra_nc is not None:  # incoming inspection found the same failure that month
            detected = weekday_on_or_after(crossed - days(rng.randint(2, 12)))
            extra_nc["detected_at"] = detected.isoformat()
            extra_nc["lot"] = f"supplier lot {mode.key[:2].upper()}-{rng.randint(1000, 9999)}"  # incoming inspection
            extra_nc["closed_at"] = add_workdays(detected, rng.randint(8, 20)).isoformat()
            for key in ("concession", "rework"):
                if key in extra_nc:
                    extra_nc[key][("at" if key == "concession" else "completed_at")] = add_workdays(
                        detected, 2
                    ).isoformat()
        opened = weekday_on_or_after(crossed + days(rng.randint(3, 12)))
        refs = [{"type": "complaint", "id": c["id"]} for c in triggers]
        if extra_nc is not None:
            refs.append({"type": "nonconformance", "id": extra_nc["id"]})
        capa = _capa(story, opened, mode.capa_title, mode.root_cause, refs, open_=mode.key == "display")
        capas.append(capa)
        for c in triggers:
            c["capa_ids"] = [capa["id"]]
            c["corrective_action_needed"] = True
            c.pop("no_capa_rationale", None)
        if extra_nc is not None:
            extra_nc["capa_ids"] = [capa["id"]]
        for c in group[k:]:  # later complaints of the same mode: covered by the trigger's investigation
            c["investigated"] = False
            c.pop("investigation", None)
            c["similar_investigation_ref"] = group[k - 1]["id"]
            c["no_investigation_justification"] = (
                f"Same failure mode as {group[k - 1]['id']}, investigated under {capa['id']}; no new information."
            )
            c["corrective_action_needed"] = False
            c["no_capa_rationale"] = f"Failure mode already addressed by {capa['id']}."
    for title, cause, nc_key in (
        ("Label roll mix-up at line clearance", "Line clearance checklist did not require removing the previous "
         "roll from the rewinder", "label-mixup"),
        ("Administration-set tubing OD out of tolerance from supplier", "Supplier extrusion die wear not in their "
         "PM plan", "tubing"),
    ):  # fmt: skip
        nc = next(n for n in ncs if n["_mode"] == nc_key)
        opened = weekday_on_or_after(dt.date.fromisoformat(nc["detected_at"]) + days(rng.randint(4, 10)))
        capa = _capa(story, opened, title, cause, [{"type": "nonconformance", "id": nc["id"]}])
        nc["capa_ids"] = [capa["id"]]
        capas.append(capa)
    for audit in audits:
        for finding in audit["findings"]:
            if finding.pop("_capa"):
                opened = weekday_on_or_after(dt.date.fromisoformat(audit["report_date"]) + days(rng.randint(3, 9)))
                recent = opened > AS_OF - days(60)
                ref = {"type": "internal_audit", "id": audit["id"], "item": finding["id"]}
                title = finding["description"][:60]
                capa = _capa(story, opened, title, finding.pop("_cause"), [ref], open_=recent)
                finding["capa_ids"] = [capa["id"]]
                capas.append(capa)
            else:
                finding.pop("_cause")
    capas.append(_capa(story, dt.date(2026, 10, 5), "Qualify a second battery-cell supplier",
                       "Single-source risk for LVP-200 battery cells (potential nonconformity)", [], open_=True,
                       kind="preventive"))  # fmt: skip
    capas.sort(key=lambda c: c["opened_at"])
    # CAPA ids in opening order, then propagate to the links
    renumber = {}
    for c in capas:
        year = c["opened_at"][:4]
        new = f"CAPA-{year}-{story.next('capa-' + year):03d}"
        renumber[c["id"]] = new
        c["id"] = new
        if "signatures" in c:
            for s in c["signatures"]:
                s.pop("record_digest", None)
    for rec in [*complaints, *ncs]:
        if "capa_ids" in rec:
            rec["capa_ids"] = [renumber[x] for x in rec["capa_ids"]]
        if "no_capa_rationale" in rec or "no_investigation_justification" in rec:
            for old, new in renumber.items():
                for key in ("no_capa_rationale", "no_investigation_justification"):
                    if key in rec:
                        rec[key] = rec[key].replace(old, new)
    for audit in audits:
        for finding in audit["findings"]:
            if "capa_ids" in finding:
                finding["capa_ids"] = [renumber[x] for x in finding["capa_ids"]]
    # complaints linked to a still-open CAPA stay under investigation
    open_capas = {c["id"] for c in capas if c["status"] != "closed"}
    for c in complaints:
        if set(c.get("capa_ids", ())) & open_capas:
            c["status"] = "investigating"
            c.pop("closed_date", None)
            c.get("investigation", {}).pop("closed", None)
            c["signatures"] = [s for s in c.get("signatures", ()) if s["meaning"] != "approved"]
    return complaints, capas, ncs, audits


def _complaint(story: _Story, received: dt.date, mode: Mode, lots: list[_Lot]) -> dict[str, Any]:
    rng = story.rng
    year = received.year
    cid = f"CMP-{year}-{story.next('cmp-' + str(year)):04d}"
    product = {"pump": PUMP, "set": SET, "set2": SET2}[mode.product]
    hospital = rng.choice(HOSPITALS)
    drug = rng.choice(DRUGS)
    text = mode.text.format(drug=drug, n=rng.randint(35, 150))
    channel = rng.choice(["written", "electronic", "electronic", "oral"])
    c: dict[str, Any] = {
        "_mode": mode.key,
        "id": cid,
        "device_name": product.name,
        "received_date": received.isoformat(),
        "event_date": (received - days(rng.randint(0, 4))).isoformat(),
        "aware_date": received.isoformat(),
        "documented_date": received.isoformat(),
        "channel": channel,
    }
    if product.lot_controlled:
        eligible = [lt for lt in lots if lt.product is product and lt.released + days(10) <= received]
        if not eligible:
            eligible = [lt for lt in lots if lt.released + days(10) <= received] or lots[:1]
        lot = rng.choice(eligible)
        c["udi"] = _udi_for(lot.product, lot=lot)
        c["lot"] = lot.lot
        c["device_name"] = lot.product.name
    else:
        serial, mfg = _serial(rng)
        c["udi"] = _udi_for(product, serial=serial, mfg=mfg)
        c["other_device_ids"] = [f"{product.model} SN {serial}"]
    contact = rng.choice(["Charge Nurse", "Biomedical Technician", "Pharmacist", "Clinical Engineer"])
    c["complainant"] = {"name": f"{contact}, {hospital[0]}", "address": hospital[1], "phone": hospital[2]}
    c["description"] = text
    c["feedback_is_complaint"] = True
    c["fails_specification"] = mode.fails_spec
    started = add_workdays(received, rng.randint(1, 3))
    closed_inv = add_workdays(started, rng.randint(6, 25))
    c["investigated"] = True
    c["investigation"] = {
        "started": started.isoformat(),
        "closed": closed_inv.isoformat(),
        "findings": f"Returned device evaluated; {mode.root_cause.lower()}."
        if mode.fails_spec
        else "Event log reviewed; device performed to specification.",
        "root_cause": mode.root_cause,
    }
    decided = add_workdays(received, rng.randint(1, 4))
    c["mdr_decision"] = {
        "reportable": False,
        "decision_date": decided.isoformat(),
        "rationale": "No death or serious injury, and a recurrence would not be likely to cause or contribute "
        "to one (21 CFR 803.3 malfunction criteria not met).",
        "decided_by": BRENNAN.name,
    }
    c["corrective_action_needed"] = False
    c["no_capa_rationale"] = (
        "Use-related; instructions for use are adequate. Trended under SOP-QA-012."
        if not mode.fails_spec
        else "Isolated occurrence; no trend across lot retains. Trended under SOP-QA-012."
    )
    c["corrections"] = (
        [f"Replacement {product.model} shipped to the customer"]
        if rng.random() < 0.6
        else {"none": True, "reason": "Customer declined a replacement; device returned for evaluation only."}
    )
    replied = add_workdays(closed_inv, rng.randint(1, 5))
    c["reply"] = {"date": replied.isoformat(), "text": "Investigation summary and corrective steps sent by letter."}
    closed = add_workdays(replied, rng.randint(1, 6))
    c["status"] = "closed"
    c["closed_date"] = closed.isoformat()
    c["procedures"] = [_proc("SOP-QA-012", received)]
    c["signatures"] = [
        ALVAREZ.sign(local_time(closed, 9, rng.randint(0, 59)), "reviewed", story.sig_id()),
        OKAFOR.sign(local_time(closed, 14, rng.randint(0, 59)), "approved", story.sig_id()),
    ]
    if closed > AS_OF - days(3):  # still open on the inspection date
        c["status"] = "investigating"
        del c["closed_date"]
        del c["investigation"]["closed"]
        del c["reply"]
        c["signatures"] = c["signatures"][:0]
        c["reply"] = {"none": True, "reason": "Investigation open; the reply follows closure."}
    return c


def _make_reportable(story: _Story, c: dict[str, Any]) -> None:
    mode = next(m for m in MODES if m.key == c["_mode"])
    received = dt.date.fromisoformat(c["received_date"])
    year = received.year
    c["description"] = c["description"] + " " + (mode.reportable_text or "").format(drug="heparin")
    c["mdr_decision"] = {
        "reportable": True,
        "decision_date": add_workdays(received, 2).isoformat(),
        "rationale": "Serious injury (21 CFR 803.3): medical intervention needed to preclude permanent impairment.",
        "decided_by": BRENNAN.name,
        "report_number": f"{FEI}-{year}-{story.next('mdr-' + str(year)):05d}",
        "requires_remedial_action": False,
        "device_failed_spec": True,
        "used_for_treatment_or_diagnosis": True,
        "relation_to_event": "The device malfunction caused or contributed to the injury.",
    }


def _capa(
    story: _Story,
    opened: dt.date,
    title: str,
    cause: str,
    triggers: list[dict[str, str]],
    *,
    open_: bool = False,
    kind: str = "corrective",
) -> dict[str, Any]:
    rng = story.rng
    temp = f"TMP-{story.next('capa-tmp'):05d}"
    root_at = add_workdays(opened, rng.randint(5, 15))
    plan = add_workdays(root_at, rng.randint(2, 6))
    implemented = add_workdays(plan, rng.randint(10, 30))
    eff = implemented + days(rng.randint(45, 75))
    closed = add_workdays(eff, rng.randint(1, 5))
    capa: dict[str, Any] = {
        "id": temp,
        "kind": kind,
        "title": title,
        "opened_at": opened.isoformat(),
        "triggers": triggers,
        "problem": f"{title}: nonconformity reviewed from {len(triggers) or 'no'} trigger record(s)."
        if triggers
        else f"{title}: potential nonconformity identified by risk review.",
        "owner": CHEN.name,
        "procedures": [_proc("SOP-QA-015", opened)],
    }
    if open_ or closed > AS_OF - days(2):
        capa["status"] = "open"
        capa["audit_trail"] = [{"ts": local_time(opened, 10, 0), "user_id": CHEN.user_id, "action": "create"}]
        return capa
    capa.update(
        {
            "root_cause": cause,
            "root_cause_at": root_at.isoformat(),
            "need_evaluation": "Recurrence would affect device safety or performance; action needed.",
            "action_plan": [
                "Correct the cause at the supplier or process",
                "Update the affected procedure",
                "Verify on three consecutive lots",
            ],
            "plan_approved_at": plan.isoformat(),
            "implemented_at": implemented.isoformat(),
            "implementation_evidence": "Change record and first-article data filed in the CAPA.",
            "no_adverse_effect_verification": "Design and regulatory review: no adverse effect on safety, "
            "performance or the 510(k) basis.",
            "effectiveness": {
                "method": "Complaint and NC trend for the failure mode",
                "criteria": "No recurrence in 60 days of production and field data",
                "result": "Met: no recurrence",
                "at": eff.isoformat(),
                "by": OKAFOR.name,
            },
            "status": "closed",
            "closed_at": closed.isoformat(),
        }
    )
    capa["audit_trail"] = [
        {"ts": local_time(opened, 10, 0), "user_id": CHEN.user_id, "action": "create"},
        {"ts": local_time(implemented, 11, 30), "user_id": CHEN.user_id, "action": "modify", "field": "status",
         "old": "open", "new": "implementing", "reason": "Actions implemented"},
        {"ts": local_time(closed, 15, 0), "user_id": OKAFOR.user_id, "action": "modify", "field": "status",
         "old": "implementing", "new": "closed", "reason": "Effectiveness check met"},
        {"ts": local_time(closed, 15, 5), "user_id": OKAFOR.user_id, "action": "sign"},
    ]  # fmt: skip
    capa["signatures"] = [
        CHEN.sign(local_time(closed, 13, 10), "reviewed", story.sig_id()),
        OKAFOR.sign(local_time(closed, 15, 5), "approved", story.sig_id()),
    ]
    return capa


def _nonconformances(story: _Story, lots: list[_Lot]) -> list[dict[str, Any]]:
    rng = story.rng
    specs = [
        ("leak", "Y-site bond pull test below 15 N on first articles", "use-as-is"),
        ("clamp", "Roller clamps cracking at incoming inspection", "return"),
        ("packaging", "Pouch seal width below specification at final inspection", "rework"),
        ("label-mixup", "AS-3015 label roll found on the AS-2020 line after changeover", "rework"),
        ("tubing", "Tubing outside diameter 4.19 mm against 4.10 ± 0.05 mm", "return"),
        ("keypad", "Keypad overlay adhesion failure at incoming inspection", "scrap"),
        ("misc", "Drip chamber cosmetic flash above workmanship standard", "use-as-is"),
        ("misc", "Torque on pole clamp screw below specification", "rework"),
        ("misc", "Carton print smudged on shipper labels", "rework"),
        ("misc", "Incoming battery packs missing certificate of conformance", "return"),
        ("misc", "Environmental monitoring excursion in packaging room", "use-as-is"),
        ("misc", "Set lengths 2 cm short on one cavity", "scrap"),
    ]
    ncs = []
    for i, (key, text, disposition) in enumerate(specs):
        lot = lots[(i * 3 + 1) % len(lots)]
        detected = add_workdays(lot.mfg, rng.randint(0, 2))
        if key in ("leak", "clamp", "keypad"):
            detected = rand_day(rng, dt.date(2025, 2, 3), dt.date(2025, 6, 30))
        closed = add_workdays(detected, rng.randint(8, 30))
        nc: dict[str, Any] = {
            "_mode": key,
            "id": f"NCR-{detected.year}-{story.next('ncr-' + str(detected.year)):03d}",
            "title": text[:60],
            "detected_at": detected.isoformat(),
            "product": lot.product.name,
            "lot": lot.lot,
            "description": text,
            "evaluation": "Evaluated by QA and engineering against the drawing and risk file.",
            "investigation_needed": key != "misc",
            "external_party_notified": disposition == "return",
            "disposition": disposition,
            "detected_after_release": False,
            "status": "closed",
            "closed_at": closed.isoformat(),
        }
        if nc["investigation_needed"]:
            nc["investigation"] = "Root cause investigated; see linked CAPA."
        if disposition == "use-as-is":
            nc["disposition"] = "concession"
            nc["concession"] = {
                "justification": "Engineering analysis shows no effect on fit, form or function.",
                "authorized_by": OKAFOR.name,
                "at": add_workdays(detected, 2).isoformat(),
            }
        if disposition == "rework":
            nc["rework"] = {"completed_at": add_workdays(detected, 3).isoformat(), "reverified": True,
                            "procedure": "WI-PRD-011"}  # fmt: skip
        ncs.append(nc)
    return ncs


def _internal_audits(story: _Story, block: int) -> list[dict[str, Any]]:
    rng = story.rng
    plan = [
        (dt.date(2025, 3, 10), "Complaint handling and MDR", ["Complaint handling", "Medical device reporting"],
         [("Two complaint files record the MDR decision without the rationale.", True,
           "Complaint form had no mandatory rationale field")]),
        (dt.date(2025, 9, 8), "Labeling and packaging controls", ["Labeling", "Packaging", "Line clearance"],
         [("Label inspector training record for WI-LBL-004 not current.", True,
           "Training matrix not updated when the WI was revised"),
          ("Line clearance checklist signed before the line was cleared.", False, "")]),
        (dt.date(2026, 3, 9), "CAPA and management review", ["CAPA", "Management review"],
         [("Effectiveness criteria not defined before implementation in one CAPA.", False, "")]),
        (dt.date(2026, 10, 5), "Document control", ["Document control", "Records"],
         [("Obsolete copy of SOP-LBL-007 rev F at the packaging line.", True,
           "Point-of-use copies not in the document-change checklist")]),
    ]  # fmt: skip
    audits = []
    for start, scope, processes, findings in plan:
        aid = f"IA-{start.year}-{story.next('ia-' + str(start.year)):02d}"
        report = add_workdays(start, rng.randint(3, 6))
        audits.append(
            {
                "id": aid,
                "scope": scope,
                "criteria": "ISO 13485:2016; 21 CFR 820 (QMSR); 21 CFR 803; firm procedures",
                "processes_audited": processes,
                "audit_date": start.isoformat(),
                "auditors": [SATO.person()],
                "auditee_owners": [OKAFOR.person()],
                "findings": [
                    {
                        "id": f"{aid}-F{j}",
                        "description": text,
                        "classification": "minor",
                        "_capa": capa,
                        "_cause": cause,
                        **({} if capa else {"correction": "Corrected on the spot and verified by the auditor."}),
                        "due_date": add_workdays(report, 30).isoformat(),
                    }
                    for j, (text, capa, cause) in enumerate(findings, 1)
                ],
                "conclusions": "The process is effective; findings are minor.",
                "report_date": report.isoformat(),
                "procedures": [_proc("SOP-QA-030", start)],
            }
        )
    return audits


def _mdr_reports(story: _Story, complaints: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rng = story.rng
    out = []
    for c in complaints:
        d = c["mdr_decision"]
        if d.get("reportable") is not True:
            continue
        aware = dt.date.fromisoformat(c["aware_date"])
        submitted = add_workdays(aware, rng.randint(8, 18))
        out.append(
            {
                "id": f"MDR-{d['report_number']}",
                "complaint_id": c["id"],
                "report_number": d["report_number"],
                "report_type": "30-day",
                "reporter_type": "manufacturer",
                "event_date": c["event_date"],
                "aware_date": c["aware_date"],
                "requires_remedial_action": False,
                "fda_5day_request": False,
                "submitted_at": submitted.isoformat(),
                "ack": {
                    "received": True,
                    "at": add_workdays(submitted, 1).isoformat(),
                    "number": f"ESG-{rng.randint(10**7, 10**8 - 1)}",
                },
                "procedures": [_proc("SOP-RA-003", submitted)],
            }
        )
    return out


def _servicing(story: _Story, complaints: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rng = story.rng
    rows = []
    pump_complaints = [
        c for c in complaints if c["device_name"] == PUMP.name and c["received_date"] < "2026-10-01" and "udi" in c
    ]
    for i in range(24):
        kind = ["preventive-maintenance", "repair", "calibration", "preventive-maintenance"][i % 4]
        day = rand_day(rng, dt.date(2025, 1, 6), dt.date(2026, 11, 20))
        serial, mfg = _serial(rng)
        tech = HAUGEN if i % 3 else MOREAU
        row: dict[str, Any] = {
            "id": f"SO-{day.year}-{story.next('so-' + str(day.year)):04d}",
            "device_name": PUMP.name,
            "udi": _udi_for(PUMP, serial=serial, mfg=mfg),
            "serial": serial,
            "service_date": day,
            "technician": tech,
            "service_type": kind,
            "service_performed": {
                "preventive-maintenance": "Annual PM per SOP-SRV-002: cleaned, inspected, battery load test",
                "repair": "Replaced cassette door latch assembly",
                "calibration": "Occlusion pressure sensor calibrated at 5, 10 and 15 psi",
            }[kind],
            "test_results": "Flow accuracy 125 mL/h: +2.1% (limit ±5%);Occlusion alarm 14.2 psi (limit 15 psi);"
            "Electrical safety: pass",
            "is_complaint": "N",
            "complaint_ref": "",
            "evaluated_by": OKAFOR.name,
            "evaluated_on": add_workdays(day, 1),
        }
        if kind == "repair" and pump_complaints:
            c = pump_complaints[i % len(pump_complaints)]
            row["is_complaint"] = "Y"
            row["complaint_ref"] = c["id"]
            row["day_floor"] = c["received_date"]
        rows.append(row)
    for row in rows:  # a repair that came from a complaint happens after the complaint arrived
        floor = row.pop("day_floor", None)
        if floor and row["service_date"] < dt.date.fromisoformat(floor):
            row["service_date"] = add_workdays(dt.date.fromisoformat(floor), 3)
            row["evaluated_on"] = add_workdays(row["service_date"], 1)
    return rows


def _corrections(
    story: _Story, block: int, capas: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    ff = next(c for c in capas if c["title"].startswith("Free-flow"))
    batt = next(c for c in capas if c["title"].startswith("Battery"))
    crs = []
    for capa, kind, lots, initiated_days in ((ff, "correction", ["LVP-200 SN LVP2-100000 to LVP2-199999"], 20),
                                             (batt, "removal", ["Battery pack lot BP-2291"], 25)):  # fmt: skip
        initiated = add_workdays(dt.date.fromisoformat(capa["opened_at"]), initiated_days)
        n = story.next("cr")
        crs.append(
            {
                "id": f"CR-{initiated.year}-{n:03d}",
                "action_type": kind,
                "device_name": PUMP.name,
                "lots": lots,
                "action_initiated": initiated.isoformat(),
                "risk_to_health": True,
                "report_806_submitted": add_workdays(initiated, 6).isoformat(),
                "report_number": f"{FEI}-{initiated:%m/%d/%Y}-{n:03d}-C",
            }
        )
    fw = weekday_on_or_after(dt.date.fromisoformat(ff["opened_at"]) + days(30))
    dcrs = [
        {
            "id": f"DCR-{fw.year}-{story.next('dcr'):03d}",
            "title": "LVP-200 firmware 3.4.1: door-open free-flow interlock",
            "product": PUMP.name,
            "approved_at": local_time(fw, 10, 0),
            "implemented_at": local_time(add_workdays(fw, 10), 8, 0),
            "validation_completed_at": add_workdays(fw, 8).isoformat(),
            "first_release_at": add_workdays(fw, 12).isoformat(),
        },
        {
            "id": f"DCR-2026-{story.next('dcr'):03d}",
            "title": "AS-2020 Y-site bonding cure time increased to 45 s",
            "product": SET.name,
            "approved_at": local_time(dt.date(2026, 1, 12), 11, 0),
            "implemented_at": local_time(dt.date(2026, 1, 26), 7, 30),
            "validation_completed_at": "2026-01-22",
            "first_release_at": "2026-02-09",
        },
    ]
    return crs, dcrs


def _management_reviews(story: _Story, block: int) -> list[dict[str, Any]]:
    inputs = ["feedback", "complaint_handling", "regulatory_reporting", "audits", "process_monitoring",
              "product_monitoring", "corrective_action", "preventive_action", "prior_review_followup",
              "qms_changes", "improvement_recommendations", "regulatory_changes"]  # fmt: skip
    mrs = []
    for day in (dt.date(2025, 3, 20), dt.date(2025, 9, 18), dt.date(2026, 3, 19), dt.date(2026, 9, 17)):
        n = story.next("mr")
        mrs.append(
            {
                "id": f"MR-{day.year}-{'1' if day.month < 7 else '2'}{'' if n <= 4 else f'-{n}'}",
                "review_date": day.isoformat(),
                "planned_interval_months": 6,
                "inputs": inputs,
                "outputs": [
                    {
                        "decision": "Fund a second battery-cell supplier qualification",
                        "owner": CHEN.name,
                        "due_date": (day + days(120)).isoformat(),
                    },
                    {
                        "decision": "Add one QC inspector to the labeling line",
                        "owner": OKAFOR.name,
                        "due_date": (day + days(90)).isoformat(),
                    },
                ],
                "attendees": [WHITFIELD.person(), OKAFOR.person(), CHEN.person(), BRENNAN.person(), GRUBER.person()],
                "procedures": [_proc("SOP-QA-020", day)],
                "signatures": [WHITFIELD.sign(local_time(day + days(2), 16, 0), "approved", story.sig_id())],
            }
        )
    return mrs


def _intake_forms(story: _Story, block: int, lots: list[_Lot]) -> list[dict[str, Any]]:
    """Two phone complaints taken on the distributor's PDF intake form, not yet keyed into the eQMS."""
    rng = story.rng
    out = []
    for day, lot_index, text in (
        (dt.date(2026, 11, 16), 14, "Caller reports the drip chamber cracked when spiking a bag; no patient "
         "involvement."),
        (dt.date(2026, 11, 23), 16, "Nurse reports the roller clamp would not close fully; the infusion ran "
         "faster than ordered for about 10 minutes; patient monitored, no harm."),
    ):  # fmt: skip
        lot = lots[lot_index]
        year = day.year
        cid = f"CMP-{year}-{story.next('cmp-' + str(year)):04d}"  # numbered on intake, after the eQMS ones
        hospital = rng.choice(HOSPITALS)
        out.append(
            {
                "id": cid,
                "device_name": lot.product.name,
                "received_date": day.isoformat(),
                "aware_date": day.isoformat(),
                "documented_date": day.isoformat(),
                "channel": "oral",
                "udi": _udi_for(lot.product, lot=lot),
                "lot": lot.lot,
                "complainant": {"name": f"Charge Nurse, {hospital[0]}", "address": hospital[1], "phone": hospital[2]},
                "description": text,
                "feedback_is_complaint": True,
                "fails_specification": True,
                "investigated": True,
                "investigation": {"started": add_workdays(day, 1).isoformat(), "findings": "Sample requested."},
                "mdr_reportable": "No",
                "mdr_decision_date": add_workdays(day, 1).isoformat(),
                "mdr_rationale": "No injury; a recurrence would not be likely to cause serious injury.",
                "mdr_decided_by": BRENNAN.name,
                "corrective_action_needed": False,
                "no_capa_rationale": "Pending evaluation of the returned sample.",
                "corrections_none": "No correction yet: the returned sample is being evaluated.",
                "reply": {"none": True, "reason": "Reply follows the investigation."},
                "status": "investigating",
                "taken_by": ALVAREZ.name,
            }
        )
    return out


def _risk_links(
    story: _Story,
    complaints: list[dict[str, Any]],
    capas: list[dict[str, Any]],
    ncs: list[dict[str, Any]],
    forms: list[dict[str, Any]],
) -> None:
    """Link complaints, nonconformances and CAPAs to RMF-LVP-001, and seed the risk.* defects (no RNG draws)."""
    b = story.bundle
    seeded = {d.record for d in b.defects}
    for c in complaints:
        mode, harm, hazard = MODE_RISK[c["_mode"]]
        c["failure_mode"] = mode
        c["harm"] = harm if (c.get("mdr_decision") or {}).get("reportable") else "No harm"
        c["risk_ids"] = [hazard]
    # a failure mode the risk file has never seen: the touchscreen froze (post-production information)
    c = next(x for x in complaints if x["_mode"] == "use-error" and x["id"] not in seeded)
    c["description"] = ("Touchscreen froze during rate programming; the pump had to be restarted before the "
                        "infusion could start.")  # fmt: skip
    c["investigation"]["findings"] = "Event log shows a watchdog reset during programming; firmware team reviewing."
    c["failure_mode"] = "Touchscreen freeze during programming"
    b.defect("risk.new-hazard", F_COMPLAINTS, c["id"], "/failure_mode",
             "touchscreen freeze during programming: a failure mode RMF-LVP-001 does not list",
             "ISO 14971 10.4 / ISO 13485 7.1: post-production information must be fed back into the risk file; a "
             "new failure mode that never reaches it means the risk estimate is out of date.")  # fmt: skip
    for n in ncs:
        if n["_mode"] in MODE_RISK:
            n["risk_ids"] = [MODE_RISK[n["_mode"]][2]]
        else:
            n["risk_none"] = {"none": True, "reason": "Workmanship or documentation nonconformity; no hazard of "
                              f"{RMF_ID} is concerned."}  # fmt: skip
    for capa in capas:
        linked: str | None = next(
            (MODE_RISK[m.key][2] for m in MODES if m.capa_title and capa["title"] == m.capa_title), None
        )
        if linked is None and capa["title"].startswith(("Label roll", "Administration-set", "Qualify a second")):
            linked = "HAZ-06" if capa["title"].startswith("Label") else "HAZ-03"
        if linked:
            capa["risk_ids"] = [linked]
            capa["risk_evaluation"] = (
                f"Failure mode is in {RMF_ID} under {linked}; occurrence re-estimated with the complaint and NC "
                "data; risk remains acceptable after the action."
            )
        else:
            capa["risk_none"] = {"none": True, "reason": "QMS process finding; no product hazard concerned."}
            capa["risk_evaluation"] = f"No effect on the risks in {RMF_ID}; the risk file was not changed."
    capa = next(x for x in capas if x.get("risk_ids") and x["status"] == "closed" and x["id"] not in seeded)
    del capa["risk_evaluation"]
    b.defect("risk.capa-evaluation-missing", F_CAPAS, capa["id"], "/risk_evaluation",
             f"closed product CAPA ({capa['title']}) never evaluated its effect on the risk file",
             "ISO 13485 8.5.2(e) and 7.1: a CAPA must weigh the problem and the action against the estimated "
             "risks; without it nobody decided whether the hazard's risk was still acceptable.")  # fmt: skip
    forms[0]["risk"] = ("Drip chamber crack", "No harm", "HAZ-04")
    forms[1]["risk"] = ("", "", "")
    b.defect("risk.reference-missing", f"forms/complaint_intake/{forms[1]['id']}_intake.pdf", forms[1]["id"],
             "/risk_ids", "intake form's risk section left blank: no hazard id and no statement that none applies",
             "ISO 13485 8.2.2 and 7.1: a complaint that may be over-infusion has to be checked against the risk "
             "file; a blank risk section means nobody did.")  # fmt: skip


def _risk_file(b: Bundle, capas: list[dict[str, Any]]) -> None:
    """Write RMF-LVP-001: hazards with the modes' failure modes, harms and verified controls."""
    hazards, controls = [], []
    for n, (hid, text, extra, harms, sev, prob, control, option, (rtype, rid)) in enumerate(HAZARDS, 1):
        modes = [m for m, _h, h in MODE_RISK.values() if h == hid] + extra
        rc = f"RC-{n:02d}"
        hazards.append({"id": hid, "description": text, "failure_modes": modes,
                        "hazardous_situations": [{"id": f"HS-{n:02d}", "description": f"{text} during infusion",
                                                  "harms": harms, "severity": sev, "probability": prob,
                                                  "risk_control_ids": [rc]}]})  # fmt: skip
        if rtype == "capa":  # verified by the CAPA that fixed the failure mode (first block's id)
            capa = next(c for c in capas if c["title"].startswith(rid))
            rid, at = capa["id"], capa.get("effectiveness", {}).get("at", capa["opened_at"])
        else:
            at = "2025-03-31" if rid.startswith("DCR-2025") else "2026-01-22" if rid.startswith("DCR") else "2025-06-02"
        controls.append({"id": rc, "description": control, "option": option,
                         "verification": {"method": "Verification test or inspection record", "result": "Pass",
                                          "at": at, "ref": {"type": rtype, "id": rid}}})  # fmt: skip
    b.add_json(F_RMF, [{"id": RMF_ID, "product": "LVP-200 pump and LVP administration sets", "rev": "D",
                        "approved_at": "2024-10-14", "review_date": "2026-03-16", "hazards": hazards,
                        "risk_controls": controls}])  # fmt: skip


def _mdf_index(b: Bundle) -> None:
    """The medical device file index of the LVP-200 family (ISO 13485:2016 4.2.3)."""
    b.add(
        "records/mdf/MDF-LVP-200_medical-device-file-index.pdf",
        _pdf.text_pdf(
            COMPANY,
            "Medical Device File index: LVP-200 pump and LVP administration sets",
            "MDF-LVP-200 rev 4",
            [
                "Medical device file per ISO 13485:2016 4.2.3 and 21 CFR 820.10(a). Each entry names the "
                "controlled document that holds it.",
                "1 General description, intended use and labeling: LBL-LVP-200, LBL-AS-2020, LBL-AS-3015.",
                "2 Product specifications: SPEC-LVP-200 rev K, SPEC-AS-2020 rev F.",
                "3 Manufacturing, packaging, storage, handling and distribution: WI-PRD-011, SOP-LBL-007, WI-LBL-004.",
                "4 Measuring and monitoring: final test TP-LVP-200 rev H; lot release certificates.",
                "5 Installation and servicing: SOP-SRV-002; service manual SM-LVP-200 rev C.",
                f"6 Risk management file: {RMF_ID} rev D (SOP-RM-001).",
            ],
            f"{COMPANY} Regulatory Affairs",
        ),
    )


# --- seeded defects --------------------------------------------------------------------------------


def _seed_defects(
    story: _Story,
    block: int,
    complaints: list[dict[str, Any]],
    capas: list[dict[str, Any]],
    ncs: list[dict[str, Any]],
    audits: list[dict[str, Any]],
    mdrs: list[dict[str, Any]],
    lots: list[_Lot],
    service: list[dict[str, Any]],
    crs: list[dict[str, Any]],
    dcrs: list[dict[str, Any]],
    mrs: list[dict[str, Any]],
    forms: list[dict[str, Any]],
) -> None:
    b = story.bundle
    closed = [c for c in complaints if c["status"] == "closed" and not c["mdr_decision"]["reportable"]]
    investigated = [c for c in closed if c.get("investigated") and not c.get("capa_ids")]

    chosen = story.rng.sample(investigated, 11)  # one complaint per defect, never two defects on one

    # -- complaints: the 820.35(a) elements, MDR decision, CAPA link ------------------------------
    c = chosen[0]
    c["corrective_action_needed"] = True
    del c["no_capa_rationale"]
    b.defect("complaints.capa-missing", F_COMPLAINTS, c["id"], "/capa_ids",
             "corrective_action_needed is true but no CAPA is linked and no rationale is given",
             "A complaint the firm itself says needs corrective action, with no CAPA, is the classic 483 "
             "observation under ISO 13485 8.2.2(f) / 8.5.2(a): the loop is never closed.")  # fmt: skip
    c = chosen[1]
    del c["mdr_decision"]
    b.defect("complaints.mdr-decision-missing", F_COMPLAINTS, c["id"], "/mdr_decision",
             "no MDR reportability decision at all",
             "Every complaint needs a documented Part 803 decision (820.10(b)(3), 803.18(b)(1)(i)); FDA "
             "cites missing MDR evaluations in most complaint-handling 483s.")  # fmt: skip
    c = chosen[2]
    c["investigated"] = False
    del c["investigation"]
    b.defect("complaints.investigation-not-justified", F_COMPLAINTS, c["id"], "/no_investigation_justification",
             "investigated is false with no justification and no similar-investigation reference",
             "820.35(a) allows skipping an investigation only with a recorded justification; an "
             "uninvestigated spec failure with no reason is a direct citation.")  # fmt: skip
    c = chosen[3]
    del c["complainant"]["phone"]
    b.defect("complaints.complainant-missing", F_COMPLAINTS, c["id"], "/complainant/phone",
             "complainant phone missing (no unknown_reason)",
             "820.35(a)(4) requires the complainant's name, address and phone; without them the firm "
             "cannot follow up or reply.")  # fmt: skip
    c = chosen[4]
    del c["reply"]
    b.defect("complaints.reply-missing", F_COMPLAINTS, c["id"], "/reply",
             "no reply and no explicit none",
             "820.35(a)(7) requires any reply to the complainant to be recorded; a blank leaves the "
             "investigator unable to tell whether the customer was ever answered.")  # fmt: skip
    c = chosen[5]
    del c["corrections"]
    b.defect("complaints.correction-missing", F_COMPLAINTS, c["id"], "/corrections",
             "no corrections list and no explicit none",
             "820.35(a)(6) requires any correction or corrective action taken to be recorded.")  # fmt: skip
    c = chosen[6]
    for k in ("udi", "lot", "other_device_ids"):
        c.pop(k, None)
    b.defect("complaints.device-id-missing", F_COMPLAINTS, c["id"], "/udi",
             "no UDI, UPC or other device identification, and no reason",
             "820.35(a)(3) requires the UDI or other identification; without it the complaint cannot be "
             "tied to a lot, so trending and recalls miss it.")  # fmt: skip
    c = chosen[7]
    c["udi"] = c["udi"].replace(c["udi"][4:18], wrong_check(c["udi"][4:18]))
    b.defect("udi.gs1-check-digit", F_COMPLAINTS, c["id"], "/udi",
             "GS1 GTIN in the UDI has a wrong check digit (transcription error)",
             "A UDI that fails its check digit identifies no device: traceability (820.35(c), Part 830) "
             "is broken for this complaint.")  # fmt: skip
    b.defect("udi.di-not-in-master", F_COMPLAINTS, c["id"], "/udi",
             "the mistyped DI matches no product in the device master",
             "The complaint cannot be tied to a product, so it drops out of that product's trend.")  # fmt: skip
    c = chosen[8]
    c["closed_date"] = (dt.date.fromisoformat(c["received_date"]) - days(3)).isoformat()
    b.defect("chronology.complaint-order", F_COMPLAINTS, c["id"], "/closed_date",
             "closed_date is before received_date (keyed wrong year/month)",
             "Impossible chronology undermines every date in the file (ALCOA+ consistent); investigators "
             "read it as back-dating.")  # fmt: skip
    c = chosen[9]
    sigs = c["signatures"]
    sigs[1]["signed_at"] = sigs[0]["signed_at"].replace("T09:", "T07:")
    b.defect("part11.signature-order", F_COMPLAINTS, c["id"], "/signatures/1/signed_at",
             "the approval is signed before the review",
             "Approval before review means the reviewer's check was not in front of the approver "
             "(11.10(f) sequencing; SIG-07).")  # fmt: skip
    c = chosen[10]
    c["signatures"][0]["signed_at"] = c["signatures"][0]["signed_at"][:19]
    b.defect("part11.signature-no-zone", F_COMPLAINTS, c["id"], "/signatures/0/signed_at",
             "signature date-time without a time zone",
             "A signing time without a zone cannot be ordered against other events (11.50(a)(2)); a "
             "warning, but a frequent data-integrity observation.")  # fmt: skip
    c = next(
        x for x in reversed(closed) if "no_investigation_justification" in x and x["received_date"] >= "2026-03-01"
    )
    c["no_investigation_justification"] += " Evaluated per 21 CFR 820.198(b)."
    b.defect("terminology.retired-citation", F_COMPLAINTS, c["id"], "/no_investigation_justification",
             "a complaint decided after 2 Feb 2026 justifies itself under 21 CFR 820.198, which the QMSR removed",
             "Citing reserved QSR sections in 2026 records tells the investigator the QMSR transition is unfinished "
             "(procedures and forms were not updated).")  # fmt: skip
    # reportable complaints: MDR missing / late
    rep = [c for c in complaints if c.get("mdr_decision", {}).get("reportable")]
    late = mdrs[1]
    aware = dt.date.fromisoformat(late["aware_date"])
    late["submitted_at"] = (aware + days(41)).isoformat()
    late["ack"]["at"] = add_workdays(aware + days(41), 1).isoformat()
    b.defect("reporting.mdr-30-day-late", F_MDR, late["id"], "/submitted_at",
             "30-day MDR submitted 41 calendar days after awareness",
             "803.50(a) gives 30 calendar days from awareness; late MDRs are among the most cited device "
             "violations and feed warning letters.")  # fmt: skip
    numbered = sorted(mdrs, key=lambda m: m["report_number"])
    at = next(i for i in range(1, len(numbered) - 1) if numbered[i]["id"] != late["id"]
              and numbered[i + 1]["report_number"][:15] == numbered[i]["report_number"][:15])  # fmt: skip
    missing, successor = numbered[at], numbered[at + 1]
    mdrs.remove(missing)
    b.defect("records.id-sequence-gap", F_MDR, successor["id"], "/id",
             f"MDR report number {missing['report_number']} was assigned but no report is on file",
             "A gap in the MDR log is what an investigator sees first when a decided-reportable event was never "
             "submitted (ALCOA+ complete).")  # fmt: skip
    b.defect("reporting.mdr-report-missing", F_COMPLAINTS, missing["complaint_id"], "/mdr_decision/reportable",
             "complaint decided MDR-reportable but no MDR report is in the bundle",
             "A reportable event with no report on file is an unreported MDR (803.50, ISO 13485 8.2.3): "
             "the firm decided to report and never did.")  # fmt: skip
    del rep
    # -- CAPA ----------------------------------------------------------------------------------------
    closed_capas = [c for c in capas if c["status"] == "closed"]
    by_complaint = [c for c in closed_capas if c["triggers"] and c["triggers"][0]["type"] == "complaint"]
    capa = closed_capas[0]
    del capa["effectiveness"]
    b.defect("capa.closed-without-effectiveness", F_CAPAS, capa["id"], "/effectiveness",
             "CAPA closed without an effectiveness check",
             "ISO 13485 8.5.2(f) requires reviewing the effectiveness of the action; closing without it is "
             "the most common CAPA citation.")  # fmt: skip
    capa = next(c for c in by_complaint if c is not closed_capas[0])
    first = capa["triggers"][0]
    trig = next(c for c in complaints if c["id"] == first["id"])
    capa["opened_at"] = (dt.date.fromisoformat(trig["received_date"]) - days(6)).isoformat()
    capa["audit_trail"][0]["ts"] = local_time(dt.date.fromisoformat(capa["opened_at"]), 10, 0)
    b.defect("linkage.capa-before-trigger", F_CAPAS, capa["id"], "/opened_at",
             f"CAPA opened six days before its trigger complaint {trig['id']} was received",
             "A CAPA that predates its trigger suggests the link or the date was edited after the fact.")  # fmt: skip
    used = {closed_capas[0]["id"], capa["id"]}
    rest = [c for c in closed_capas if c["id"] not in used]
    capa = rest[0]
    capa["audit_trail"][1]["old"] = None
    b.defect("part11.audit-trail-prior-value", F_CAPAS, capa["id"], "/audit_trail/1/old",
             "a modify entry in the audit trail has no prior value",
             "11.10(e): changes must not obscure previously recorded information.")  # fmt: skip
    capa = rest[1]
    capa["_tamper"] = capa["root_cause"] + " (revised after closure)"
    for i in (0, 1):
        b.defect("part11.signature-digest-mismatch", F_CAPAS, capa["id"], f"/signatures/{i}/record_digest",
                 "root_cause edited after the record was signed; the signature digests no longer match",
                 "11.70: signatures must stay linked to the record they sign; an edit after signing means the "
                 "signed content is not what is on file.")  # fmt: skip
    capa = rest[2]
    capa["signatures"][1]["signature_id"] = rest[3]["signatures"][1]["signature_id"]
    b.defect("part11.signature-id-reused", F_CAPAS, capa["id"], "/signatures/1/signature_id",
             f"the approval reuses the signature id of {rest[3]['id']}'s approval",
             "11.70/11.100: one e-signature event cannot stand for two signings; a copied signature is the "
             "falsification 11.70 exists to prevent.")  # fmt: skip
    b.defect("part11.signature-id-reused", F_CAPAS, rest[3]["id"], "/signatures/1/signature_id",
             f"its approval's signature id also appears on {capa['id']}",
             "Either record may carry the copied signature; both must be checked (11.70).")  # fmt: skip
    # -- internal audit --------------------------------------------------------------------------------
    finding = audits[2]["findings"][0]
    finding.pop("correction", None)
    b.defect("linkage.audit-finding-no-action", F_AUDITS, audits[2]["id"], "/findings/0",
             "audit finding with neither a correction nor a CAPA",
             "ISO 13485 8.2.4 requires correction without undue delay; an orphan finding shows the audit "
             "program is not closing loops.")  # fmt: skip
    # -- labeling (820.45) -------------------------------------------------------------------------------
    lots[3].inspected = add_workdays(lots[3].released_labeling, 1)
    b.defect("labeling.order", F_LR, f"LR-{lots[3].lot}", "/released_at",
             "labels inspected the day after the labeling was released for use",
             "820.45(a)/(b): labeling must be examined before it is released; inspecting after release "
             "means unverified labels were on the line.")  # fmt: skip
    lots[5].ids["release_unsigned"] = "1"
    for fld in ("/released_by", "/signatures"):
        b.defect("labeling.signature-missing", F_LR, f"LR-{lots[5].lot}", fld,
                 "labeling release with no signature and no released_by",
                 "820.45(b) requires documented release of labeling; FDA expects a signature and date where "
                 "ISO says approved.")  # fmt: skip
    lots[7].ids["missing_item"] = "processing"
    b.defect("labeling.inspection-item-missing", F_LI, f"LI-{lots[7].lot}", "/items/processing",
             "the 'additional processing instructions' item was not recorded",
             "820.45(a)(1)-(5) lists five items to examine; a checklist with one missing is an incomplete "
             "inspection.")  # fmt: skip
    lots[9].ids["na_unjustified"] = "handling"
    b.defect("labeling.na-unjustified", F_LI, f"LI-{lots[9].lot}", "/items/handling",
             "handling item marked N/A without a justification",
             "An n/a with no reason cannot be told apart from a skipped check.")  # fmt: skip
    lots[11].ids["bad_expiry_format"] = "1"
    b.defect("labeling.date-format", F_LI, f"LI-{lots[11].lot}", "/printed_expiry",
             "printed expiry as MM/DD/YYYY",
             "21 CFR 801.18(a) requires label dates as YYYY-MM-DD.")  # fmt: skip
    lots[13].ids["expiry_mismatch"] = "1"
    b.defect("labeling.expiry-udi-mismatch", F_LI, f"LI-{lots[13].lot}", "/printed_expiry",
             "printed expiry is one month later than the UDI's AI(17) expiry",
             "Human-readable and barcode expiry disagree: one of them is wrong on every unit of the lot "
             "(801.18, 820.45(a)(2)).")  # fmt: skip
    lots[15].ids["fail_released"] = "storage"
    b.defect("labeling.failed-item-released", F_LI, f"LI-{lots[15].lot}", "/items/storage",
             "storage-instructions item failed, yet the labeling was released",
             "Releasing labeling that failed inspection puts wrong storage instructions on devices.")  # fmt: skip
    lots[17].ids["unsigned_inspection"] = "1"
    b.defect("part11.signature-incomplete", F_LI, f"LI-{lots[17].lot}", "/signatures/0/signed_at",
             "inspection marked approved; the e-signature has no date-time",
             "An undated approval: 11.50(a) requires the date and time of signing on every signed record.")  # fmt: skip
    if block == 0:  # the new inspector's first week (her training record is dated from this lot)
        lots[14].ids["novak_early"] = "1"
        b.defect("chronology.training-after-signature", F_LI, f"LI-{lots[14].lot}", "/signatures/0/signed_at",
                 "inspector signed under WI-LBL-004 rev C before her training on it was completed",
                 "ISO 13485 6.2: people doing work affecting quality must be competent; training after the fact "
                 "is a routine 483 item.")  # fmt: skip
    lots[8].ids["old_rev"] = "1"
    b.defect("chronology.procedure-not-in-force", F_LI, f"LI-{lots[8].lot}", "/procedures/0",
             "inspection cites WI-LBL-004 rev B after rev C took effect",
             "ISO 13485 4.2.4: obsolete documents must be prevented from use; the inspection used a "
             "superseded checklist.")  # fmt: skip
    # -- UDI ---------------------------------------------------------------------------------------------
    lots[10].ids["dhr_no_udi"] = "1"
    b.defect("udi.not-recorded", F_DHR, f"DHR-{lots[10].lot}", "/udi",
             "device history record of a distributed lot has no UDI",
             "820.35(c) requires the UDI to be recorded for each device or batch.")  # fmt: skip
    lots[12].ids["dhr_bad_date"] = "1"
    b.defect("udi.date-invalid", F_DHR, f"DHR-{lots[12].lot}", "/udi",
             "UDI AI(17) expiry has month 13",
             "An invalid date in the UDI makes the production identifier unreadable by scanners"
             " and GUDID.")  # fmt: skip
    b.defect("udi.pi-missing", F_DHR, f"DHR-{lots[12].lot}", "/udi",
             "with AI(17) unreadable, the UDI carries no valid expiry although the DI is expiry-controlled",
             "801.40: the production identifier must carry the expiry date the device master says it has.")  # fmt: skip
    lots[6].ids["dhr_unknown_di"] = "1"
    b.defect("udi.di-not-in-master", F_DHR, f"DHR-{lots[6].lot}", "/udi",
             "UDI carries a DI that is not in the device master",
             "A DI unknown to the product master (and GUDID) means the label or the master is wrong.")  # fmt: skip
    b.defect("udi.record-mismatch", F_DHR, f"DHR-{lots[6].lot}", "/udi",
             "the UDI's DI differs from the DI the batch record says it made",
             "820.35(c): the UDI recorded for a batch must be the one on its labels; a mismatch breaks recall "
             "traceability.")  # fmt: skip
    # -- reporting: 806 ----------------------------------------------------------------------------------
    cr = crs[1]
    cr["report_806_submitted"] = add_workdays(dt.date.fromisoformat(cr["action_initiated"]), 17).isoformat()
    b.defect("reporting.correction-report-late", F_CR, cr["id"], "/report_806_submitted",
             "806 report 17 working days after the removal began",
             "806.10(b) requires the report within 10 working days of initiating a correction or removal "
             "done to reduce a risk to health.")  # fmt: skip
    # -- servicing -----------------------------------------------------------------------------------
    row = service[5]
    row["evaluated_by"] = ""
    row["is_complaint"] = ""
    row["evaluated_on"] = None
    b.defect("servicing.complaint-evaluation-missing", F_SERVICE, row["id"], "/complaint_evaluation/is_complaint",
             "service order never evaluated as a potential complaint",
             "ISO 13485 7.5.4 / 820.35(b): servicing reports must be analysed to decide whether they are "
             "complaints; skipping it hides field failures.")  # fmt: skip
    row = service[10]
    row["test_results"] = ""
    b.defect("servicing.test-data-missing", F_SERVICE, row["id"], "/test_results",
             f"{row['service_type']} with no test or inspection data",
             "820.35(b)(6): test and inspection data from servicing must be recorded.")  # fmt: skip
    # -- design change ---------------------------------------------------------------------------------
    dcr = dcrs[1]
    dcr["implemented_at"] = local_time(dt.date(2026, 1, 8), 7, 30)
    b.defect("chronology.design-change-order", F_DCR, dcr["id"], "/implemented_at",
             "change implemented four days before it was approved",
             "ISO 13485 7.3.9: design changes are approved before implementation.")  # fmt: skip
    # -- the intake forms: the second was never evaluated for MDR reportability --------------------------
    f = forms[-1]
    f["mdr_reportable"] = f["mdr_decision_date"] = f["mdr_rationale"] = f["mdr_decided_by"] = ""
    b.defect("complaints.mdr-decision-missing", f"forms/complaint_intake/{f['id']}_intake.pdf", f["id"],
             "/mdr_decision", "phone complaint (faster-than-ordered infusion) left without an MDR decision on the "
             "intake form", "An over-infusion event is exactly the kind of complaint that needs a documented Part "
             "803 evaluation; leaving the form's MDR section blank means nobody made one.")  # fmt: skip
    # -- management review and nonconforming product ------------------------------------------------------
    mr = mrs[1]
    mr["inputs"] = [i for i in mr["inputs"] if i not in ("regulatory_reporting", "regulatory_changes")]
    b.defect("management.review-inputs", F_MR, mr["id"], "/inputs",
             "review skipped the regulatory-reporting and new-regulation inputs (the QMSR transition half-year)",
             "ISO 13485 5.6.2 lists the inputs; a review that never looked at MDR reporting or the QMSR change "
             "shows management was not engaged with compliance.")  # fmt: skip
    nc = next(n for n in ncs if n.get("disposition") == "concession")
    del nc["concession"]["authorized_by"]
    b.defect("production.concession-incomplete", F_NCS, nc["id"], "/concession/authorized_by",
             "use-as-is concession with no record of who authorized it",
             "ISO 13485 8.3.2: a concession records the justification and the identity of the person who "
             "authorized it; an anonymous concession lets nonconforming product out unchecked.")  # fmt: skip


# --- writing ---------------------------------------------------------------------------------------


def _write(story: _Story, out: dict[str, list[Any]]) -> None:
    b = story.bundle
    rng = story.rng
    for c in out["complaints"]:
        c.pop("_mode", None)
    b.add_json(F_COMPLAINTS, out["complaints"])
    for capa in out["capas"]:  # sign last: the digest covers the final content (21 CFR 11.70)
        tamper = capa.pop("_tamper", None)
        for sig in capa.get("signatures", ()):
            sig["record_digest"] = _digest(capa)
        if tamper:
            capa["root_cause"] = tamper
    b.add_jsonl(F_CAPAS, out["capas"])
    b.add_jsonl(F_NCS, [{k: v for k, v in n.items() if not k.startswith("_")} for n in out["ncs"]])
    b.add_json(F_AUDITS, out["audits"])
    b.add_json(F_MDR, out["mdr"])
    b.add_json(F_CR, out["cr"])
    b.add_json(F_DCR, out["dcr"])
    json_mrs = [m for i, m in enumerate(out["mrs"]) if i % 4 != 2]
    b.add_json(F_MR, json_mrs)
    for i, m in enumerate(out["mrs"]):
        if i % 4 == 2:
            _mr_pdf(b, m)
    _device_master(b)
    _lots_out(story, out["lots"])
    _service_csv(b, out["service"])
    _training(story)
    _documents(story)
    _forms(b, out["forms"])
    _risk_file(b, out["capas"])
    _mdf_index(b)
    del rng


def _device_master(b: Bundle) -> None:
    rows = [
        {
            "id": p.master_id,
            "di": p.gtin,
            "issuing_agency": "GS1",
            "device_name": p.name,
            "version_model": p.model,
            "lot_controlled": p.lot_controlled,
            "serial_controlled": p.serial_controlled,
            "expiration_date_controlled": p.expiry_controlled,
            "manufacturing_date_controlled": p.mfg_date_controlled,
            "gudid_published": "2021-06-14" if p is PUMP else "2022-02-07",
            "expected_life_years": p.life_years,
        }
        for p in PRODUCTS
    ]
    legacy = gtin14("0081234520050")
    rows.append(
        {
            "id": "DM-AS1010",
            "di": wrong_check(legacy),
            "issuing_agency": "GS1",
            "device_name": "Meridian Extension Set, 10 cm",
            "version_model": "AS-1010",
            "lot_controlled": True,
            "serial_controlled": False,
            "expiration_date_controlled": True,
            "manufacturing_date_controlled": False,
            "gudid_published": "2019-04-22",
            "marketing_ended": "2024-06-30",
            "expected_life_years": 3,
        }
    )
    b.add_json(F_MASTER, rows)
    b.defect("udi.gs1-check-digit", F_MASTER, "DM-AS1010", "/di",
             f"GTIN {wrong_check(legacy)} has a wrong check digit (should end in {legacy[-1]})",
             "A product-master DI that fails its check digit cannot match any scanned label or GUDID entry; "
             "830.360 requires UDI records for 3 years after marketing ends.")  # fmt: skip


def _qx(tag: str, text: Any, **attrs: Any) -> str:
    a = "".join(f" {k}={quoteattr(str(v))}" for k, v in attrs.items())
    return f"<{tag}{a}>{escape(str(text))}</{tag}>" if text is not None else f"<{tag}{a}/>"


def _lots_out(story: _Story, lots: list[_Lot]) -> None:
    b = story.bundle
    rng = story.rng
    li_xml, lr_xml, dhr = [], [], []
    for lot in lots:
        p = lot.product
        if story.novak_trained is None and "novak_early" in lot.ids:
            story.novak_trained = lot.inspected + days(3)
        trained = story.novak_trained or AS_OF
        inspector = NOVAK if lot.inspected > trained and lot.lot[-1] in "02468" else PATEL
        udi = _udi_for(p, lot=lot)
        expiry = lot.expiry.isoformat()
        if "bad_expiry_format" in lot.ids:
            expiry = lot.expiry.strftime("%m/%d/%Y")
        if "expiry_mismatch" in lot.ids:
            nxt = lot.expiry + days(20)
            expiry = (dt.date(nxt.year + (nxt.month == 12), nxt.month % 12 + 1, 1) - days(1)).isoformat()
        checks = {"UDI": "PASS", "EXPIRY": "PASS", "STORAGE": "PASS", "HANDLING": "PASS", "PROCESSING": "NA",
                  "LOT": "PASS"}  # fmt: skip
        na_reason: str | None = "No additional processing: sets are supplied sterile and ready to use."
        if lot.ids.get("missing_item"):
            del checks["PROCESSING"]
            na_reason = None
        if lot.ids.get("na_unjustified"):
            checks["HANDLING"] = "NA"
            checks["PROCESSING"] = "PASS"
            na_reason = None
        if lot.ids.get("fail_released"):
            checks["STORAGE"] = "FAIL"
        at_day = lot.inspected
        at = local_time(at_day, 8 + rng.randint(0, 2), rng.randint(0, 59))
        if "novak_early" in lot.ids:
            inspector = NOVAK
        rev = _rev_on("WI-LBL-004", at_day)
        label_rev = "G" if at_day >= dt.date(2025, 6, 2) else "F"
        if "old_rev" in lot.ids:
            rev = "B"
        sig_at = None if "unsigned_inspection" in lot.ids else at
        parts = [
            _qx("Lot", lot.lot),
            _qx("Product", p.name),
            _qx("LabelSpec", p.label_spec, rev=label_rev),
            _qx("InspectedOn", at),
            _qx("Inspector", inspector.name, userId=inspector.user_id),
            _qx("LabelAuthor", LINDQVIST.name),
            "<Checklist>" + "".join(_qx("Check", v, item=k) for k, v in checks.items()) + "</Checklist>",
            _qx("NAJustification", na_reason) if na_reason else "",
            _qx("PrintedUDI", udi),
            _qx("PrintedExpiry", expiry),
            _qx(
                "LineClearance",
                None,
                result="PASS",
                by=GRUBER.name,
                at=local_time(at_day, 7, 15),
                mdfLabelRev=label_rev,
            ),
            _qx("Procedure", None, doc="WI-LBL-004", rev=rev),
            _qx(
                "ESignature",
                None,
                meaning="Inspected By",
                user=inspector.user_id,
                name=inspector.name,
                **({"ts": sig_at} if sig_at else {}),
                id=story.sig_id(),
            ),
        ]
        li_xml.append(f'  <LabelInspection recordNo="LI-{lot.lot}" status="Approved">\n    '
                      + "\n    ".join(x for x in parts if x) + "\n  </LabelInspection>")  # fmt: skip
        rel_at = local_time(lot.released_labeling, 13, rng.randint(0, 59))
        rparts = [
            _qx("Lot", lot.lot),
            _qx("InspectionRef", f"LI-{lot.lot}"),
        ]
        if "release_unsigned" not in lot.ids:
            rparts += [
                _qx("ReleasedBy", OKAFOR.name, userId=OKAFOR.user_id),
                _qx("ReleasedOn", rel_at),
                _qx(
                    "ESignature",
                    None,
                    meaning="Approved By",
                    user=OKAFOR.user_id,
                    name=OKAFOR.name,
                    ts=rel_at,
                    id=story.sig_id(),
                ),
            ]
        else:
            rparts += [_qx("ReleasedOn", rel_at)]
        lr_xml.append(f'  <LabelingRelease recordNo="LR-{lot.lot}">\n    ' + "\n    ".join(rparts)
                      + "\n  </LabelingRelease>")  # fmt: skip
        rec: dict[str, Any] = {
            "id": f"DHR-{lot.lot}",
            "device_name": p.name,
            "di": p.gtin,
            "lot": lot.lot,
            "udi": udi,
            "qty_made": 4800 + rng.randint(0, 400),
            "qty_released": 0,
            "manufacture_date": lot.mfg.isoformat(),
            "expiry_date": lot.expiry.isoformat(),
            "release": {"by": OKAFOR.name, "at": local_time(lot.released, 16, rng.randint(0, 59))},
            "first_ship_at": local_time(add_workdays(lot.released, 1), 10, 0),
            "in_commercial_distribution": True,
            "product_status": "released",
        }
        rec["qty_released"] = rec["qty_made"] - rng.randint(10, 60)
        if "dhr_no_udi" in lot.ids:
            del rec["udi"]
        if "dhr_bad_date" in lot.ids:
            rec["udi"] = gs1_udi(p.gtin, exp=f"{lot.expiry:%y}13{lot.expiry:%d}", lot=lot.lot)
        if "dhr_unknown_di" in lot.ids:
            other = gtin14("0081234529998")
            rec["udi"] = gs1_udi(other, exp=lot.expiry, lot=lot.lot)
        dhr.append(rec)
        b.add(
            f"records/lot_release/{lot.lot}_certificate_of_conformance.pdf",
            _pdf.text_pdf(
                COMPANY,
                f"Certificate of Conformance, lot {lot.lot}",
                f"DHR-{lot.lot}",
                [
                    f"Product: {p.name} ({p.model}). Lot {lot.lot}, manufactured {lot.mfg}, expiry {lot.expiry}.",
                    f"UDI: {udi}.",
                    f"Quantity made {rec['qty_made']}, released {rec['qty_released']}.",
                    "The lot was manufactured, inspected and tested per the medical device file; labeling was "
                    "examined and released per SOP-LBL-007 before use.",
                    f"Released for distribution by {OKAFOR.name}, QA Manager, {rec['release']['at']}.",
                ],
                f"{COMPANY} Quality Assurance",
            ),
        )
    header = f'<?xml version="1.0" encoding="UTF-8"?>\n<QualitrexExport xmlns="{QX_NS}" schemaVersion="2.4" '
    b.add(F_LI, header + 'module="LabelControl" exportedBy="qx-svc-export">\n' + "\n".join(li_xml)
          + "\n</QualitrexExport>\n")  # fmt: skip
    b.add(F_LR, header + 'module="LabelRelease" exportedBy="qx-svc-export">\n' + "\n".join(lr_xml)
          + "\n</QualitrexExport>\n")  # fmt: skip
    b.add(F_XSD, template("qualitrex-export-2.xsd"))
    b.add_jsonl(F_DHR, dhr)
    proof = lots[0]
    b.add(
        f"labeling/proofs/{proof.product.label_spec}_rev-G_proof_scan.pdf",
        _pdf.label_proof_scan(
            COMPANY,
            f"{proof.product.label_spec} rev G label proof (scan)",
            [
                proof.product.name,
                f"REF {proof.product.model}   LOT {proof.lot}",
                f"Use by {proof.expiry}",
                "Sterile EO. Single use. Do not use if package is damaged.",
                "Store at 15-30 C. Keep dry.",
                _udi_for(proof.product, lot=proof),
            ],
            proof.product.gtin + proof.lot.replace("-", "").replace("A", "1").replace("B", "2"),
        ),
    )
    b.defect("ingest.not-legible", f"labeling/proofs/{proof.product.label_spec}_rev-G_proof_scan.pdf",
             f"{proof.product.label_spec}_rev-G_proof_scan", None,
             "label proof kept only as an image scan: no searchable text",
             "ALCOA+ legible/available: an image-only record cannot be searched or compared; keep a text or "
             "OCR'd true copy (11.10(b)).")  # fmt: skip


def _service_csv(b: Bundle, rows: list[dict[str, Any]]) -> None:
    header = ["Service Order", "Model", "Device UDI", "Serial No", "Service Date", "Technician", "Tech ID",
              "Service Type", "Work Performed", "Test Results", "Complaint?", "Complaint Ref", "Evaluated By",
              "Evaluated On"]  # fmt: skip
    out = []
    for r in rows:
        out.append([
            r["id"], PUMP.model, r["udi"], r["serial"], f"{r['service_date']:%m/%d/%Y}", r["technician"].name,
            r["technician"].user_id, r["service_type"], r["service_performed"], r["test_results"], r["is_complaint"],
            r["complaint_ref"], r["evaluated_by"], f"{r['evaluated_on']:%m/%d/%Y}" if r["evaluated_on"] else "",
        ])  # fmt: skip
    b.add_csv(F_SERVICE, header, out)


def _training(story: _Story) -> None:
    b = story.bundle
    rng = story.rng
    rows = []
    for number, rev, _title, start, _end, *_ in DOCS:
        for person in TRAINING_PLAN.get(number, ()):
            if person is NOVAK:
                continue
            when = weekday_on_or_after(start - days(rng.randint(5, 12)))
            rows.append((person, number, rev, when))
    for number, rev in (("WI-LBL-004", "C"), ("SOP-LBL-007", "G")):
        rows.append((NOVAK, number, rev, story.novak_trained or NOVAK_HIRED))
    rows.sort(key=lambda r: (r[3], r[1], r[0].user_id))
    out = []
    for n, (person, number, rev, when) in enumerate(rows, 1):
        out.append([
            f"TR-{when.year}-{n:04d}", person.name, person.user_id, number, rev, f"{when:%m/%d/%Y}",
            "Document Control" if person is not IVERSON else "Self-study", "Quiz (10 questions)",
            f"{rng.randint(8, 10)}/10 - pass",
        ])  # fmt: skip
    b.add_csv(F_TRAINING, ["Record ID", "Employee", "Employee ID", "Course Code", "Course Rev", "Completed",
                           "Trainer", "Effectiveness Method", "Effectiveness Result"], out)  # fmt: skip


def _documents(story: _Story) -> None:
    b = story.bundle
    register = []
    for number, rev, title, start, end, author, approver, change in DOCS:
        approved = add_workdays(start, -0) - days(7)
        approval_at: str | None = local_time(weekday_on_or_after(approved), 14, 0)
        entry: dict[str, Any] = {
            "id": f"{number}-{rev}",
            "doc_number": number,
            "rev": rev,
            "title": title,
            "kind": {"WI": "work-instruction", "QM": "quality-manual"}.get(number[:2], "sop"),
            "status": "superseded" if end else "effective",
            "effective_date": start.isoformat(),
            "change_description": change,
        }
        if end:
            entry["superseded_date"] = end.isoformat()
        if (number, rev) == ("SOP-LBL-007", "G"):
            approval_at = local_time(start + days(7), 10, 0)
            b.defect("chronology.document-effective-before-approval", F_DOCS, entry["id"], "/effective_date",
                     "revision effective a week before it was approved",
                     "ISO 13485 4.2.4: documents are approved before issue; an SOP in force unapproved means "
                     "work was done to an unapproved procedure.")  # fmt: skip
        if (number, rev) == ("WI-LBL-004", "C"):
            approval_at = None
            b.defect("part11.signature-incomplete", F_DOCS, entry["id"], "/approval/signed_at",
                     "approval signature with no date-time (undated approval)",
                     "An undated approval cannot show the document was approved before it took effect "
                     "(11.50(a)(2), ISO 13485 4.2.4).")  # fmt: skip
            b.defect("records.document-incomplete", F_DOCS, entry["id"], "/approval/signed_at",
                     "the document's approval is incomplete: no approval date",
                     "ISO 13485 4.2.4 requires documents to be approved before issue; without a date that "
                     "cannot be shown.")  # fmt: skip
        sig = approver.sign(approval_at or "", "approved", story.sig_id())
        if approval_at is None:
            del sig["signed_at"]
        entry["approval"] = sig
        entry["signatures"] = [
            author.sign(local_time(weekday_on_or_after(approved - days(3)), 11, 0), "authored", story.sig_id())
        ]
        register.append(entry)
        rel = f"sops/{number}_rev-{rev}_{title.lower().replace(' ', '-')}.pdf"
        _terminology_defects(b, rel, number, rev)
        b.add(
            rel,
            _pdf.sop_pdf(
                COMPANY,
                number,
                rev,
                title,
                start.isoformat(),
                _sop_sections(number, rev, title),
                [
                    (author.name, "authored", entry["signatures"][0]["signed_at"]),
                    (approver.name, "approved", approval_at or ""),
                ],
            ),
        )
    b.add_json(F_DOCS, register)


def _terminology_defects(b: Bundle, rel: str, number: str, rev: str) -> None:
    """Record the terminology.* defects seeded into one SOP revision's PDF text (page 1)."""
    record = rel.rsplit("/", 1)[1].removesuffix(".pdf")
    why_cite = ("Procedures in force on the inspection date that cite reserved QSR sections as current law show "
                "the QMSR transition (2 Feb 2026) never reached them; an investigator reads the procedure as "
                "unmaintained (ISO 13485 4.2.4).")  # fmt: skip
    seeds = {
        ("SOP-QA-015", "F"): [("terminology.retired-citation", "the CAPA procedure cites 21 CFR 820.100 as its "
                               "basis, not ISO 13485:2016 8.5.2", why_cite)],
        ("SOP-DC-001", "H"): [("terminology.retired-citation", "document control cites 21 CFR 820.40 for the "
                               "approval matrix", why_cite)],
        ("WI-LBL-004", "C"): [
            ("terminology.retired-citation", "the label inspection instruction cites 820.120", why_cite),
            ("terminology.retired-term", "the instruction files the checklist in the 'DHR' and never names the "
                                         "production record",
             "The QMSR dropped the DHR; ISO 13485 7.5.1 calls it the production (device or batch) record. A work "
             "instruction still on the old term shows labeling was not re-trained for the QMSR."),
        ],
        ("SOP-QA-020", "D"): [("terminology.retired-term", "management review is chaired by 'management with "
                               "executive responsibility', never 'top management'",
                               "ISO 13485 5.1/5.6 assign management review to top management; the old QSR term "
                               "leaves it unclear who is accountable under the QMSR.")],
    }  # fmt: skip
    for code, what, why in seeds.get((number, rev), []):
        b.defect(code, rel, record, None, what, why)


def _sop_sections(number: str, rev: str, title: str) -> list[tuple[str, str]]:
    body = {
        "SOP-QA-012": "Receive, record, evaluate and investigate complaints per ISO 13485:2016 8.2.2. Every "
        "complaint file holds the elements of 21 CFR 820.35(a)(1)-(7) and an MDR reportability decision with its "
        "rationale under Part 803. Complaints not investigated carry a written justification.",
        "SOP-QA-015": "Corrective and preventive action per 21 CFR 820.100 and ISO 13485:2016 8.5.3: review, cause, "
        "need evaluation, plan, verification of no adverse effect, and an effectiveness check before closure.",
        "SOP-RA-003": "Medical device reporting per 21 CFR 803: 30-day reports within 30 calendar days of "
        "awareness, 5-day reports within 5 work days, supplements within 30 days of new information.",
        "SOP-LBL-007": "Labeling and packaging controls per 21 CFR 820.45: examine labeling for accuracy before "
        "release, document release of labeling, prevent mix-ups with line clearance before use.",
        "WI-LBL-004": "Label inspection checklist: (1) UDI, (2) expiration date, (3) storage, (4) handling, (5) "
        "additional processing instructions; each pass, fail or n/a with a written justification.",
        "SOP-SRV-002": "Servicing per 21 CFR 820.35(b) and ISO 13485:2016 7.5.4: record device, UDI, date, "
        "technician, service and test data; evaluate every service report as a potential complaint.",
        "SOP-QA-020": "Management review every six months with the ISO 13485:2016 5.6.2 inputs; decisions with "
        "owners and due dates.",
        "SOP-QA-030": "Internal audits per ISO 13485:2016 8.2.4 by auditors independent of the audited work.",
        "SOP-DC-001": "Document control per ISO 13485:2016 4.2.4: approval before issue, revision status, "
        "obsolete documents withdrawn from points of use.",
        "QM-001": "The quality management system of the Duluth site is documented to ISO 13485:2016 4.2.2 and "
        "21 CFR 820.10(a). Top management sets the quality policy and measurable quality objectives per "
        "ISO 13485:2016 5.3 and reviews them in management review (SOP-QA-020). The medical device file of "
        "each product family is indexed per ISO 13485:2016 4.2.3.",
        "SOP-MET-004": "Calibration of monitoring and measuring equipment per ISO 13485:2016 7.6: intervals, "
        "traceability to national standards, and an impact assessment of product measured with equipment found "
        "out of tolerance. Calibration records are kept in the metrology system.",
        "SOP-RM-001": "Risk management per ISO 14971:2019 and ISO 13485:2016 7.1: one risk management file per "
        "product family with hazards, failure modes, hazardous situations, harms and verified risk controls. "
        "Complaint failure modes and harms are compared with the file at each complaint review; a failure "
        "mode not in the file is evaluated as post-production information (ISO 14971:2019 10.4).",
    }[number]
    extra = SOP_EXTRA.get((number, rev))
    if extra:
        body += " " + extra
    return [
        ("Purpose", f"This procedure defines {title.lower()} at {COMPANY}, Duluth, MN."),
        ("Scope", "All Class II infusion pumps and administration sets made or serviced at the Duluth site."),
        ("Procedure", body),
        (
            "Records",
            "Records are kept at least for the device lifetime and never less than two years from release "
            "(ISO 13485:2016 4.2.5).",
        ),
    ]


def _mr_pdf(b: Bundle, mr: dict[str, Any]) -> None:
    rel = f"records/management_review/{mr['id']}_minutes.pdf"
    visible = _pdf.text_pdf(
        COMPANY,
        f"Management Review {mr['id']}: Minutes",
        f"{mr['review_date']}",
        [
            f"Review date {mr['review_date']}; planned interval {mr['planned_interval_months']} months (SOP-QA-020).",
            "Attendees: " + ", ".join(a["name"] for a in mr["attendees"]) + ".",
            "Inputs reviewed: " + ", ".join(i.replace("_", " ") for i in mr["inputs"]) + ".",
            *[f"Decision: {o['decision']} (owner {o['owner']}, due {o['due_date']})." for o in mr["outputs"]],
            f"Approved: {mr['signatures'][0]['printed_name']}, {mr['signatures'][0]['signed_at']}.",
            "The machine-readable record is attached to this PDF as " + f"{mr['id']}.json.",
        ],
        f"{COMPANY} Quality",
    )
    payload = json.dumps({"record_type": "management_review", **mr}, indent=2, ensure_ascii=False).encode()
    day = mr["review_date"].replace("-", "")
    b.add(rel, _pdf.with_json_attachment(visible, f"{mr['id']}.json", payload, "Management review record",
                                         f"D:{day}160000-05'00'"))  # fmt: skip


def _forms(b: Bundle, forms: list[dict[str, Any]]) -> None:
    for f in forms:
        rel = f"forms/complaint_intake/{f['id']}_intake.pdf"
        fields = [
            ("ComplaintNo", "Complaint no.", f["id"]),
            ("DateReceived", "Date received", f["received_date"]),
            ("Channel", "How received", f["channel"]),
            ("TakenBy", "Taken by", f["taken_by"]),
            ("DeviceName", "Device name", f["device_name"]),
            ("UDI", "UDI (from label)", f["udi"]),
            ("Lot", "Lot / serial", f["lot"]),
            ("ComplainantName", "Complainant", f["complainant"]["name"]),
            ("ComplainantAddress", "Address", f["complainant"]["address"]),
            ("ComplainantPhone", "Phone", f["complainant"]["phone"]),
            ("Description", "Nature and details of the complaint", f["description"]),
            ("MDRReportable", "MDR reportable? (Yes/No)", f["mdr_reportable"]),
            ("MDRDecisionDate", "MDR decision date", f["mdr_decision_date"]),
            ("MDRRationale", "MDR decision rationale", f["mdr_rationale"]),
            ("MDRDecidedBy", "MDR decided by", f["mdr_decided_by"]),
            ("InvestigationStarted", "Investigation started", f["investigation"]["started"]),
            ("InvestigationFindings", "Investigation findings", f["investigation"]["findings"]),
            ("NoCapaRationale", "Why no CAPA", f["no_capa_rationale"]),
            ("CorrectionsNone", "Corrections (none, because)", f["corrections_none"]),
            ("ReplyNone", "Reply to complainant", f["reply"]["reason"]),
            ("Status", "Status", f["status"]),
            ("FailureMode", "Failure mode", f["risk"][0]),
            ("Harm", "Harm", f["risk"][1]),
            ("RiskIDs", "Risk file ids (RMF-LVP-001)", f["risk"][2]),
        ]
        checks = {"Is_Complaint": True, "Fails_Specification": True, "Investigated": True, "Corrective_Action": False}
        b.add(rel, _pdf.acroform_pdf(COMPANY, "Complaint Intake Form", fields, checks))


def _json_inputs() -> str:
    pairs = [
        (F_COMPLAINTS, "complaint"), (F_CAPAS, "capa"), (F_NCS, "nonconformance"), (F_AUDITS, "internal_audit"),
        (F_MDR, "mdr_report"), (F_CR, "correction_removal"), (F_DCR, "design_change"),
        (F_MR, "management_review"), (F_DOCS, "controlled_document"), (F_MASTER, "device_master"),
        (F_DHR, "device_record"), (F_RMF, "risk_management_file"),
    ]  # fmt: skip
    return "\n".join(f'[[inputs]]\npath = "{p}"\nsource = "json"\nrecord_type = "{t}"\n' for p, t in pairs)
