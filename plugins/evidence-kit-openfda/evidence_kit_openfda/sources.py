"""The two sources: openFDA JSON (events, recalls, enforcement) and the raw MAUDE FOI files."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator, Mapping
from pathlib import Path, PurePosixPath
from typing import Any

from evidence_kit import Finding, Record, Severity, SourceContext
from evidence_kit_openfda import __version__
from evidence_kit_openfda.foi import PRIMARY_ORDER, group, read_foi, siblings
from evidence_kit_openfda.jsondoc import JsonItem, JsonProblem, decode_text, read_items
from evidence_kit_openfda.mapping import (
    DateProblem,
    is_device_event,
    is_recall,
    map_event,
    map_recall,
    product_type,
)

__all__ = ["MaudeFoiSource", "OpenFdaJsonSource"]

MDR_CITES = ("21 CFR 803.52", "21 CFR 803.18")
RECALL_CITES = ("21 CFR 806.10", "21 CFR 806.20")
#: Key names only openFDA / FDA RES data use, for claiming a file. Generic names a firm's own export
#: might share (``recall_number``, ``reason_for_recall``) identify records inside a claimed file only.
DETECT_KEYS = (
    "mdr_report_key",
    "device_report_product_code",
    "date_manufacturer_received",
    "product_res_number",
    "res_event_number",
    "recall_initiation_date",
    "recall-number",
    "reason-for-recall",
    "recalling-firm",
)
_MARKERS = tuple(f'"{k}"'.encode() for k in DETECT_KEYS)
_OTHER = "other object(s) (count results, empty or unrecognised records)"
_NAMES = re.compile(r"^device-(event|recall|enforcement)\b", re.IGNORECASE)
#: Source date keys → the canonical field they fill, for findings.
_CANONICAL = {
    "date_of_event": "/event_date",
    "date_manufacturer_received": "/aware_date",
    "date_facility_aware": "/aware_date",
    "date_received": "/submitted_at",
    "event_date_initiated": "/action_initiated",
    "recall_initiation_date": "/action_initiated",
    "recall-initiation-date": "/action_initiated",
}


def _date_findings(
    ctx: SourceContext, problems: list[DateProblem], kind: str, rid: str, line: int, base: str, cites: tuple[str, ...]
) -> Iterator[Finding]:
    for pointer, key, value, reason in problems:
        yield ctx.finding(
            "openfda.bad-date",
            f"{ctx.file}:{line}: {kind} {rid}: field {key} holds {value!r}, which is not a date: {reason}. "
            "Expected YYYYMMDD, YYYY-MM-DD, MM/DD/YYYY or an empty string; the date was left out of the record.",
            severity=Severity.WARNING,
            record=rid,
            field=_CANONICAL.get(key),
            line=line,
            path=base + pointer,
            cites=cites,
            hint="Correct the date at its source, or re-download the record from openFDA.",
        )


def _fallback_id(ctx: SourceContext, line: int) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", PurePosixPath(ctx.file).stem) + f"-line-{line}"


class OpenFdaJsonSource:
    """Reads openFDA device event (MAUDE), recall and enforcement JSON.

    One record, a list, the API's ``{"meta", "results"}`` envelope, or JSON Lines.

    It claims a ``.json`` / ``.jsonl`` / ``.ndjson`` file only when its first 4 KiB hold an
    openFDA MAUDE or recall key name (or the name is an openFDA download such as
    ``device-event-0001-of-0004.json``), and never a file in evidence-kit's own form (with
    ``record_type`` keys), which the built-in JSON source reads.
    """

    name = "openfda-json"
    version = __version__

    def detect(self, path: PurePosixPath, head: bytes) -> bool:
        """Claim openFDA JSON by content (key names) or by openFDA's download file names."""
        if path.suffix.lower() not in (".json", ".jsonl", ".ndjson") or b'"record_type"' in head:
            return False
        return bool(_NAMES.match(path.name)) or any(m in head for m in _MARKERS)

    def read(self, path: Path, ctx: SourceContext) -> Iterator[Record | Finding]:
        """Yield mdr_report and correction_removal records, and findings for what could not be read."""
        try:
            text = decode_text(path.read_bytes())
            items = list(read_items(text))
        except JsonProblem as exc:
            yield ctx.finding(
                "ingest.malformed",
                f"{ctx.file}{':' + str(exc.line) if exc.line else ''}: not valid JSON or JSON Lines: {exc}; "
                "the file was not read.",
                line=exc.line,
                hint="Re-download the file from openFDA; evidence-kit does not guess at broken JSON.",
            )
            return
        skipped: Counter[str] = Counter()
        first_skip: list[str] = []
        for item in items:
            if isinstance(item, JsonProblem):
                yield ctx.finding(
                    "ingest.malformed",
                    f"{ctx.file}:{item.line}: {item}; that line was skipped.",
                    line=item.line,
                    hint="Fix or re-download that line.",
                )
                continue
            before = sum(skipped.values())
            found = list(_records_in(item.value, item.pointer, skipped, first_skip))
            if not found and sum(skipped.values()) == before:
                skipped[_OTHER] += 1
                first_skip.append(item.pointer or "/")
            for pointer, obj in found:
                yield from self._one(ctx, obj, item, pointer, skipped, first_skip)
        if skipped:
            what = ", ".join(f"{n} {kind}" for kind, n in sorted(skipped.items()))
            yield ctx.finding(
                "openfda.not-read",
                f"{ctx.file}: {sum(skipped.values())} object(s) are not device adverse-event or device recall "
                f"records and were not read ({what}; first at {first_skip[0]}).",
                severity=Severity.INFO,
                path=first_skip[0],
                hint="Nothing to do unless you expected them to be device records.",
            )

    def _one(
        self,
        ctx: SourceContext,
        obj: Mapping[str, Any],
        item: JsonItem,
        pointer: str,
        skipped: Counter[str],
        first_skip: list[str],
    ) -> Iterator[Record | Finding]:
        if is_device_event(obj):
            data, problems = map_event(obj)
            rtype, kind, cites = "mdr_report", "MDR", MDR_CITES
        else:
            kind_of_product = product_type(obj)
            if kind_of_product and kind_of_product.lower() not in ("devices", "device"):
                skipped[f"{kind_of_product} recall(s)"] += 1
                first_skip.append(pointer or "/")
                return
            data, problems = map_recall(obj)
            rtype, kind, cites = "correction_removal", "recall", RECALL_CITES
        rid = data.get("id")
        if not rid:
            rid = data["id"] = _fallback_id(ctx, item.line)
            yield ctx.finding(
                "openfda.no-report-number",
                f"{ctx.file}:{item.line}: the {kind} record at {pointer or '/'} has no report or recall number; "
                f"it was read as {rid}.",
                severity=Severity.WARNING,
                record=rid,
                field="/report_number",
                line=item.line,
                path=pointer or "/",
                cites=cites,
                hint="Download the complete record from openFDA; the number links it to complaints and CAPAs.",
            )
        yield from _date_findings(ctx, problems, kind, rid, item.line, pointer, cites)
        data["external_source"] = f"openFDA device {kind}"
        yield ctx.record(rtype, rid, data, line=item.line, path=pointer or "/")


def _records_in(
    value: Any, pointer: str, skipped: Counter[str], first_skip: list[str], depth: int = 0
) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Find device event and recall records in a value: itself, or inside wrappers (the docs' examples, envelopes)."""
    if is_device_event(value) or is_recall(value):
        yield pointer, value
        return
    if depth >= 3:
        return
    children: list[tuple[str, Any]] = []
    if isinstance(value, Mapping):
        children = [(f"{pointer}/{k}", v) for k, v in value.items() if isinstance(v, (dict, list))]
    elif isinstance(value, list):
        for i, v in enumerate(value):
            if (
                isinstance(v, Mapping)
                and not (is_device_event(v) or is_recall(v))
                and not any(isinstance(x, (dict, list)) and x for x in v.values())
            ):
                skipped[_OTHER] += 1
                first_skip.append(f"{pointer}/{i}")
                continue
            children.append((f"{pointer}/{i}", v))
    for child_pointer, child in children:
        yield from _records_in(child, child_pointer, skipped, first_skip, depth + 1)


class MaudeFoiSource:
    """Reads the raw MAUDE FOI pipe-delimited files and joins them into one mdr_report per MDR.

    The master file (``mdrfoi*``) is the primary file when the folder holds one, else the device
    file (``foidev*``); the other FOI files in the same folder (devices, narratives, patients) are
    joined into its records by ``MDR_REPORT_KEY`` and attached to them, and each of those files
    says so in an ``openfda.foi-joined`` finding.
    """

    name = "maude-foi"
    version = __version__

    def detect(self, path: PurePosixPath, head: bytes) -> bool:
        """Claim files whose first line is a MAUDE FOI header (``MDR_REPORT_KEY|…``)."""
        first = head.split(b"\n", 1)[0].lstrip(b"\xef\xbb\xbf").upper()
        return first.startswith(b"MDR_REPORT_KEY|")

    def read(self, path: Path, ctx: SourceContext) -> Iterator[Record | Finding]:
        """Yield one mdr_report per MDR key of the primary file, or explain where this file's rows went."""
        foi = read_foi(path)
        if foi is None:
            yield ctx.finding("ingest.malformed", f"{ctx.file}: the header is not a MAUDE FOI header.", line=1)
            return
        others = dict(siblings(path))
        primary_kind = next((k for k in PRIMARY_ORDER if k == foi.kind or k in others), None)
        if foi.encoding != "utf-8":
            yield ctx.finding(
                "openfda.foi-encoding",
                f"{ctx.file}: not UTF-8; read as Latin-1, the encoding of older MAUDE releases.",
                severity=Severity.INFO,
            )
        for n in foi.long_rows:
            yield ctx.finding(
                "ingest.malformed",
                f"{ctx.file}:{n}: the row has more fields than the header's {len(foi.columns)} columns; "
                "the extra fields were dropped.",
                severity=Severity.WARNING,
                line=n,
            )
        if primary_kind != foi.kind:
            folder = PurePosixPath(ctx.file).parent
            if primary_kind is None:
                yield ctx.finding(
                    "openfda.foi-orphan",
                    f"{ctx.file}: a MAUDE {foi.kind} file with no master (mdrfoi) or device (foidev) file beside it "
                    f"in {folder}/; its {len(foi.rows)} rows belong to no MDR record.",
                    severity=Severity.WARNING,
                    hint="Put the matching mdrfoi or foidev file in the same folder.",
                )
            else:
                yield ctx.finding(
                    "openfda.foi-joined",
                    f"{ctx.file}: its {len(foi.rows)} {foi.kind} rows are joined by MDR_REPORT_KEY into the "
                    f"mdr_report records read from {folder / others[primary_kind].name}, and the file is attached "
                    "to them.",
                    severity=Severity.INFO,
                )
            return
        joined: dict[str, dict[str, list[dict[str, str]]]] = {}
        attachments = []
        for kind, other in others.items():
            if kind == foi.kind or kind == "master":
                continue
            parsed = read_foi(other)
            if parsed is None:
                continue
            attachments.append((PurePosixPath(ctx.file).parent / other.name).as_posix())
            for key, rows in group(parsed.rows).items():
                joined.setdefault(key, {}).setdefault(kind, []).extend(r.values for r in rows)
        for key, rows in group(foi.rows).items():
            first = rows[0]
            extra = joined.get(key, {})
            base: dict[str, Any] = dict(first.values) if foi.kind == "master" else {"mdr_report_key": key}
            if foi.kind == "device":
                base["date_received"] = first.values.get("date_received", "")
                devices = [r.values for r in rows]
            else:
                devices = extra.get("device", [])
            obj = {**base, "device": devices, "mdr_text": extra.get("text", []), "patient": extra.get("patient", [])}
            data, problems = map_event(obj)
            rid = data.get("id") or _fallback_id(ctx, first.line)
            data["id"] = rid
            data["foi_lines"] = [r.line for r in rows]
            data["external_source"] = "MAUDE FOI files"
            yield from _date_findings(ctx, problems, "MDR", rid, first.line, "", MDR_CITES)
            yield ctx.record(
                "mdr_report",
                rid,
                data,
                line=first.line,
                path=f"MDR_REPORT_KEY={key}",
                attachments=tuple(sorted(attachments)),
            )
