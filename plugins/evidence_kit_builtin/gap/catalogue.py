"""The requirement catalogues (versioned JSON data) and the clause matching they drive.

The catalogues live in ``evidence_kit_builtin/data/<name>.catalogue.json`` and must meet
``schemas/requirement_catalogue.schema.json``; :func:`load_catalogue` checks that on load.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema_rs

from evidence_kit_builtin._schemas import load_schema

DATA = Path(__file__).resolve().parents[1] / "data"


@dataclass(frozen=True)
class Requirement:
    """One catalogue item: what is required, where it comes from, and what evidences it."""

    id: str
    title: str
    citation: str
    area: str
    fda_specific: bool
    missing_severity: str
    record_types: tuple[str, ...]
    requires: tuple[tuple[str, Any], ...]
    document_kinds: tuple[str, ...]
    min_records: int
    clause_strings: tuple[str, ...]
    applicability: str = ""
    indicators: tuple[str, ...] = ()

    @property
    def patterns(self) -> tuple[re.Pattern[str], ...]:
        """Return one compiled regular expression per clause string."""
        return tuple(clause_pattern(s) for s in self.clause_strings)


@dataclass(frozen=True)
class Catalogue:
    """A whole catalogue: name, data version, sources, areas and requirements."""

    name: str
    version: str
    title: str
    sources: tuple[str, ...]
    areas: tuple[tuple[str, str, str], ...]
    requirements: tuple[Requirement, ...]

    def area_title(self, area: str) -> str:
        """Return the human title of an area id."""
        return next((t for a, t, _ in self.areas if a == area), area)


def read_json(name: str) -> Any:
    """Return the parsed data file ``data/<name>``."""
    return json.loads((DATA / name).read_text(encoding="utf-8"))


@cache
def load_catalogue(name: str) -> Catalogue:
    """Load and schema-check ``data/<name>.catalogue.json``.

    Raises:
        jsonschema.ValidationError: The shipped data does not meet the catalogue schema (a packaging bug).
    """
    raw = read_json(f"{name}.catalogue.json")
    schema = load_schema("requirement_catalogue")
    if not jsonschema_rs.Draft202012Validator(schema).is_valid(raw):
        import jsonschema  # it words the error; ~80 ms to import, so only then

        jsonschema.Draft202012Validator(schema).validate(raw)
    reqs = tuple(
        Requirement(
            id=r["id"],
            title=r["title"],
            citation=r["citation"],
            area=r["area"],
            fda_specific=r["fda_specific"],
            missing_severity=r["missing_severity"],
            record_types=tuple(r["evidence"]["record_types"]),
            requires=tuple(sorted(r["evidence"].get("requires", {}).items())),
            document_kinds=tuple(r["evidence"]["document_kinds"]),
            min_records=int(r["evidence"].get("min_records", 1)),
            clause_strings=tuple(r["clause_strings"]),
            applicability=r.get("applicability", ""),
            indicators=tuple(r.get("indicators", ())),
        )
        for r in raw["requirements"]
    )
    areas = tuple((a["id"], a["title"], a["citation"]) for a in raw["areas"])
    return Catalogue(raw["catalogue"], raw["version"], raw["title"], tuple(raw["sources"]), areas, reqs)


_ISO = re.compile(r"^ISO 13485(?::2016)?\s+(\d+(?:\.\d+)*)")
_CFR = re.compile(r"^21 CFR (?:Part )?(\d+)(?:\.(\d+))?((?:\([a-z0-9]+\))*)")
_NUMERAL = re.compile(r"[0-9.]+")


@cache
def clause_literal(cite: str) -> str | None:
    """Return digits-and-dots text that every match of :func:`clause_pattern` contains, or None.

    Case-insensitive matching leaves digits and dots alone, so a text without this substring cannot
    match: a plain substring test rules most documents out before the regular expression runs.
    """
    iso = _ISO.match(cite)
    if iso:
        return iso.group(1)
    cfr = _CFR.match(cite)
    if cfr:
        part, section, _paras = cfr.groups()
        return part if section is None else f"{part}.{section}"
    numbers = [w for w in cite.split() if _NUMERAL.fullmatch(w)]  # "ISO 14971": its words match as they are
    return max(numbers, key=len) if numbers else None


@cache
def clause_pattern(cite: str) -> re.Pattern[str]:
    """Return a case-insensitive pattern finding ``cite`` (or a sub-clause of it) in free text.

    ``ISO 13485:2016 8.2.2`` matches "ISO 13485:2016 §8.2.2", "ISO 13485 clause 8.2.2(d)" and
    "13485, 8.2.2.1", not "8.2.20". ``21 CFR 820.35(a)`` matches "820.35(a)" and "§ 820.35 (a)(3)";
    ``21 CFR 820.45`` matches a citation of the whole section only, not "820.45(a)".
    A bare part such as ``21 CFR 803`` needs "21 CFR" or "Part" in front, since a bare number is ambiguous.
    """
    iso = _ISO.match(cite)
    if iso:
        clause = re.escape(iso.group(1))
        return re.compile(
            rf"(?:ISO\s*13485(?:\s*:\s*2016)?|13485)\s*[,:]?\s*(?:clause|cl\.|section|§)?\s*{clause}(?:\.\d+)*(?![\d])",
            re.I,
        )
    cfr = _CFR.match(cite)
    if cfr:
        part, section, paras = cfr.groups()
        para_re = "".join(rf"\s*\({re.escape(p)}\)" for p in re.findall(r"\(([a-z0-9]+)\)", paras))
        if section is None:
            return re.compile(rf"(?:21\s*C\.?F\.?R\.?\s*(?:Part\s*)?|\bPart\s+){part}(?:\.\d+)?(?![\d])", re.I)
        bare = "" if para_re else r"(?!\s*\()"  # "820.45" alone covers the section; "820.45(a)" only (a)
        return re.compile(rf"(?<![\d.]){part}\.{section}(?![\d]){para_re}{bare}", re.I)
    words = [re.escape(w) for w in cite.split()]
    return re.compile(r"\b" + r"\s+".join(words) + r"\b", re.I)
