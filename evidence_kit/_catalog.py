"""The core's own finding codes (``ingest.*``, ``schema.*``, ``engine.*``, ``binder.*``).

Same shape as rule metadata, so ``evidence-kit rules`` and docs/rules.md list them too.
"""

from __future__ import annotations

from dataclasses import dataclass

from evidence_kit.model import Severity


@dataclass(frozen=True)
class CoreCode:
    """Metadata of one core finding code."""

    code: str
    severity: Severity
    title: str
    cites: tuple[str, ...]
    hint: str


_E, _W, _I = Severity.ERROR, Severity.WARNING, Severity.INFO
_RECORDS = ("21 CFR 820.35", "ISO 13485:2016 4.2.5")

CORE_CODES: dict[str, CoreCode] = {
    c.code: c
    for c in (
        CoreCode(
            "ingest.unreadable",
            _E,
            "Input file cannot be read",
            _RECORDS,
            "Check the file's permissions and that it is a regular file.",
        ),
        CoreCode(
            "ingest.no-source",
            _W,
            "No source plugin reads this file",
            _RECORDS,
            "Add an [[inputs]] entry naming a source, or an [[exclude]] entry with a reason.",
        ),
        CoreCode(
            "ingest.excluded",
            _I,
            "File excluded by the bundle config",
            _RECORDS,
            "Nothing to do if the stated reason holds.",
        ),
        CoreCode(
            "ingest.outside-bundle",
            _E,
            "Symbolic link leads outside the bundle",
            _RECORDS,
            "Copy the file into the bundle instead of linking to it.",
        ),
        CoreCode(
            "ingest.malformed",
            _E,
            "File is malformed and cannot be parsed",
            _RECORDS,
            "Re-export the file from the source system.",
        ),
        CoreCode(
            "ingest.xml-refused",
            _E,
            "XML refused by the safe-parsing policy (DTD internal subset, entity declaration or XInclude)",
            _RECORDS,
            "Re-export without a DOCTYPE, entities or XInclude; evidence-kit never expands or fetches them.",
        ),
        CoreCode(
            "ingest.xsd-invalid",
            _E,
            "XML does not validate against its configured XSD",
            _RECORDS,
            "Correct the export, or point options.xsd at the schema the vendor documents.",
        ),
        CoreCode(
            "ingest.mapping-error",
            _E,
            "A configured field mapping could not convert a value",
            _RECORDS,
            "Correct the value in the export, or the mapping entry the message names.",
        ),
        CoreCode(
            "ingest.bad-metadata",
            _W,
            "Unreadable or inconsistent file metadata (PDF dates, encryption, partial signature coverage)",
            _RECORDS,
            "Check the file in the source system; keep an unencrypted, fully signed true copy.",
        ),
        CoreCode(
            "ingest.source-crashed",
            _E,
            "A source plugin crashed on this file",
            _RECORDS,
            "Report the traceback to the plugin's author; the file is excluded meanwhile.",
        ),
        CoreCode(
            "ingest.budget-exceeded",
            _E,
            "Reading the file overran the per-file time or memory budget",
            _RECORDS,
            "The file is likely damaged or hostile (a decompression bomb, a reference loop); re-export it.",
        ),
        CoreCode(
            "ingest.encrypted",
            _E,
            "Encrypted PDF cannot be opened (password required, wrong, or unsupported security handler)",
            _RECORDS,
            "Give the password in the [[inputs]] option password_env or in EVIDENCE_KIT_PDF_PASSWORDS, "
            "or export an unencrypted true copy.",
        ),
        CoreCode(
            "ingest.repaired",
            _W,
            "Damaged PDF was repaired to be read; the binder holds the repaired copy",
            _RECORDS,
            "Re-export the document from its source system; the original's SHA-256 stays in the manifest.",
        ),
        CoreCode(
            "binder.active-content",
            _W,
            "PDF carries active content (JavaScript, actions, XFA), neutralised in the binder copy",
            ("21 CFR 11.10(a)",),
            "The original bytes are embedded unchanged; export the document without scripts or actions.",
        ),
        CoreCode(
            "ingest.no-records",
            _W,
            "File produced no records",
            _RECORDS,
            "Check the file is the export you meant and the mapping selects its records.",
        ),
        CoreCode(
            "ingest.not-legible",
            _I,
            "PDF has no extractable text",
            ("21 CFR 11.10(b)",),
            "Keep a text-searchable or OCR'd true copy next to the scan.",
        ),
        CoreCode(
            "ingest.unknown-record-type",
            _E,
            "Record of an unregistered type",
            _RECORDS,
            "Set record_type in the [[inputs]] entry, or install the plugin that defines it.",
        ),
        CoreCode(
            "schema.invalid",
            _E,
            "Record does not match its record type's schema",
            ("21 CFR 820.35", "ISO 13485:2016 4.2.5"),
            "Fill or correct the named field in the source system and re-export.",
        ),
        CoreCode(
            "engine.rule-crashed",
            _E,
            "A rule crashed",
            ("21 CFR 820.35",),
            "Report the traceback to the rule's plugin author; the rule's results are missing.",
        ),
        CoreCode(
            "engine.plugin-crashed",
            _E,
            "A plugin crashed while registering",
            ("21 CFR 820.35",),
            "Report the traceback to the plugin's author, or disable it.",
        ),
        CoreCode(
            "records.altered-after-closure",
            _E,
            "A closed or approved record was changed or deleted since the baseline",
            ("21 CFR 11.10(e)", "ISO 13485:2016 4.2.5"),
            "Restore the record as closed, and record the change as an amendment that keeps the prior value "
            "and names who changed it, when and why (audit trail).",
        ),
        CoreCode(
            "records.duplicate-id",
            _E,
            "Two records share one id",
            ("ISO 13485:2016 4.2.5",),
            "Give every record a unique identifier in the source system.",
        ),
    )
}
