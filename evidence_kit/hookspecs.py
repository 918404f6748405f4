"""The hooks a plugin implements. Every hook is a registry: called once per run, it returns objects.

Mark each implementation with ``@evidence_kit.hookimpl``; an unmarked or misspelt
``evidence_kit_*`` function stops the run with a message naming the plugin. Implementations must
not give their arguments default values: pluggy never fills them.

Built-in plugins register through these same hooks. Third-party plugins are found through the
``evidence_kit`` entry-point group::

    [project.entry-points.evidence_kit]
    acme = "evidence_kit_acme.plugin"
"""

from __future__ import annotations

from collections.abc import Iterable

import pluggy

from evidence_kit.contracts import Analysis, BinderProfile, RecordType, ReportFormat, Rule, Source

__all__ = ["PROJECT", "hookimpl", "hookspec"]

PROJECT = "evidence_kit"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def evidence_kit_record_types() -> Iterable[RecordType]:
    """Declare record types and the JSON Schema their canonical data must meet.

    Called once per run. Names must be unique across all plugins; a duplicate stops the run
    naming both plugins. Schemas are Draft 2020-12; a ``$ref`` may point at any other registered
    schema by its ``$id``.

    Example:
        .. code-block:: python

            @hookimpl
            def evidence_kit_record_types():
                return [RecordType("calibration", "Calibration record", {
                    "$schema": "https://json-schema.org/draft/2020-12/schema",
                    "$id": "https://acme.example/schemas/calibration/1",
                    "type": "object", "required": ["id", "due"],
                })]
    """


@hookspec
def evidence_kit_sources() -> Iterable[Source]:
    """Provide readers that turn exported files into records.

    Called once per run. For each file the bundle config does not assign, every source's
    ``detect(path, head)`` is asked in hook order; the first to say yes reads it. Built-in sources
    are registered ``trylast`` so a plugin's source gets first refusal. ``read`` yields Records and
    Findings; it reports bad data as findings and never raises for it.

    Example:
        .. code-block:: python

            class AcmeCsv:
                name, version = "acme-csv", "1.0"
                def detect(self, path, head):
                    return path.suffix == ".acme"
                def read(self, path, ctx):
                    for n, line in enumerate(path.read_text().splitlines(), 1):
                        rid, name = line.split(";", 1)
                        yield ctx.record("capa", rid, {"id": rid, "title": name}, line=n)

            @hookimpl
            def evidence_kit_sources():
                return [AcmeCsv()]
    """


@hookspec
def evidence_kit_rules() -> Iterable[Rule]:
    """Provide checks over the whole record set.

    Called once per run. Codes must be unique across all plugins and every rule must cite at
    least one clause. ``check(records, ctx)`` yields Findings; an exception inside it becomes an
    ``engine.rule-crashed`` finding naming the plugin, and the run goes on.

    Example:
        .. code-block:: python

            @rule("acme.capa-owner", title="CAPA has no owner", severity=Severity.WARNING,
                  cites=("ISO 13485:2016 8.5.2",), hint="Name the CAPA owner.",
                  record_types={"capa"})
            def capa_owner(records, ctx):
                for r in records.of_type("capa"):
                    if not r.data.get("owner"):
                        yield ctx.finding(r, field="/owner", message=f"CAPA {r.id} has no owner.")

            @hookimpl
            def evidence_kit_rules():
                return [capa_owner]
    """


@hookspec
def evidence_kit_binder_profiles() -> Iterable[BinderProfile]:
    """Provide binder layouts: the sections of the binder and which records go into each.

    Called once per run; the bundle's ``[inspection] profile`` picks one by name.

    Example:
        .. code-block:: python

            @hookimpl
            def evidence_kit_binder_profiles():
                return [MappedProfile(
                    name="acme-audit", title="Notified-body audit",
                    section_titles=(("qms", "QMS"), ("other", "Other")),
                    type_map={"capa": "qms"}, fallback="other")]
    """


@hookspec
def evidence_kit_report_formats() -> Iterable[ReportFormat]:
    r"""Provide renderers for a validation report (``--format NAME``).

    Called once per run. ``render(report)`` returns the whole output as a string.

    Example:
        .. code-block:: python

            class CountsOnly:
                name, media_type, suffix = "counts", "text/plain", ".txt"
                def render(self, report):
                    return " ".join(f"{k}={v}" for k, v in report.counts().items()) + "\\n"

            @hookimpl
            def evidence_kit_report_formats():
                return [CountsOnly()]
    """


@hookspec
def evidence_kit_analyses() -> Iterable[Analysis]:
    r"""Provide analyses: read-outs over the whole record set, such as a gap map or readiness sheet.

    Called once per run by ``evidence-kit gap`` and by the binder. Names must be unique. An
    analysis returns JSON-able data and renders it as text and as PDF pages.

    Example:
        .. code-block:: python

            class CapaCount:
                name, title, profiles = "capa-count", "CAPA count", frozenset({"fda-qmsr"})
                def analyse(self, records, report, settings, now):
                    return {"capas": len(records.of_type("capa"))}
                def render_text(self, result):
                    return f"{result['capas']} CAPAs\\n"
                def render_pdf(self, result):
                    return b""  # a real analysis draws pages with reportlab

            @hookimpl
            def evidence_kit_analyses():
                return [CapaCount()]
    """
