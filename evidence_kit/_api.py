"""The library API the CLI is a thin layer over: ``validate`` and ``build_binder``."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pluggy

from evidence_kit import __version__
from evidence_kit._catalog import CORE_CODES
from evidence_kit._config import CONFIG_NAME, Config, check_names, load_config
from evidence_kit._diff import apply_baseline
from evidence_kit._engine import assemble_report, duplicate_ids, run_rules
from evidence_kit._ingest import check_source_options
from evidence_kit._io import gc_paused
from evidence_kit._parallel import IngestStats, PluginSettings, ingest_all
from evidence_kit._plugins import Registry, build_registry, get_plugin_manager
from evidence_kit._schemas import SchemaValidator
from evidence_kit._select import Selection, parse_selection
from evidence_kit.errors import ConfigError
from evidence_kit.model import Record, RecordDigests, RecordSet, Report
from evidence_kit.reports import report_from_json

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Run:
    """Everything one validation produced: the report, the records, the config and the registry."""

    report: Report
    records: RecordSet
    config: Config
    registry: Registry
    cache: IngestStats | None = None


def prepare(
    bundle: Path | str,
    *,
    pm: pluggy.PluginManager | None = None,
    overrides: Mapping[str, Any] | None = None,
    config_file: Path | None = None,
    disabled: Iterable[str] = (),
) -> tuple[Config, Registry]:
    """Load the config and the plugins, and check every name the config uses.

    Raises:
        BundleError, ConfigError, PluginError: see :mod:`evidence_kit.errors`.
    """
    config = load_config(Path(bundle), config_file=config_file, overrides=overrides)
    registry = build_registry(pm or get_plugin_manager(disabled=disabled))
    check_names(
        config,
        sources=[s.name for _, s in registry.sources],
        record_types=list(registry.record_types),
        rules=[*registry.rules, *CORE_CODES],
        profiles=list(registry.profiles),
        section_keys=[key for key, _ in getattr(registry.profiles.get(config.profile), "section_titles", ())],
    )
    for spec in config.inputs:
        src = registry.source(spec.source) if spec.source else None
        if src is not None:
            check_source_options(src, spec, config.bundle / CONFIG_NAME)
    return config, registry


def _read_baseline(path: Path) -> Report:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(
            f"cannot read the baseline report {path}: {getattr(exc, 'strerror', None) or exc}.",
            hint="Write one first with: evidence-kit validate BUNDLE --write-baseline FILE.",
        ) from exc
    return report_from_json(text)


def run(
    bundle: Path | str,
    *,
    pm: pluggy.PluginManager | None = None,
    overrides: Mapping[str, Any] | None = None,
    config_file: Path | None = None,
    disabled: Iterable[str] = (),
    progress: Progress | None = None,
    jobs: int = 1,
    cache_dir: Path | None = None,
    baseline: Path | None = None,
    scheduler: str | None = None,
) -> Run:
    """Ingest, schema-check and rule-check a bundle, keeping the records for the binder.

    Args:
        bundle: The bundle folder.
        pm: A plugin manager to use instead of a fresh one (runs stay serial: workers cannot rebuild it).
        overrides: Command-line overrides of the config.
        config_file: A config file to use instead of the bundle's.
        disabled: Plugin names to block.
        progress: Called with each file's relative path.
        jobs: Worker processes that parse and schema-check files (1 = in this process).
        cache_dir: Incremental cache directory, or None for no cache.
        baseline: An earlier JSON report; findings are marked new or still open, fixed ones are
            listed, and closed records changed since become ``records.altered-after-closure`` findings.
        scheduler: A Dask scheduler address: ingest runs on that cluster (needs the ``dask`` extra);
            rules and the report run here on the canonical record set.
    """
    config, registry = prepare(bundle, pm=pm, overrides=overrides, config_file=config_file, disabled=disabled)
    previous = _read_baseline(Path(baseline)) if baseline else None
    validator = SchemaValidator(registry.record_types)
    plugins = PluginSettings(disabled=tuple(disabled)) if pm is None else None
    if scheduler is not None and plugins is None:
        raise ConfigError("a run on a Dask cluster cannot use an embedded plugin manager (workers rebuild plugins).")
    with gc_paused():
        ingested = ingest_all(
            config,
            registry,
            validator,
            cache_dir=cache_dir,
            jobs=jobs,
            plugins=plugins,
            progress=progress,
            scheduler=scheduler,
        )
        records = RecordSet.of(ingested.result.records)
        findings = [
            *registry.findings,
            *ingested.result.findings,
            *duplicate_ids(records),
            *run_rules(records, config, registry, scope="set"),
        ]
        report = assemble_report(config, registry, ingested.result.outcomes, findings, len(records), __version__)
        report = dataclasses.replace(report, records=RecordDigests(ingested.digest_lines))
        if previous is not None and baseline is not None:
            report = apply_baseline(report, previous, Path(baseline).name)
    return Run(report, records, config, registry, ingested.stats if cache_dir else None)


def validate(bundle: Path | str, **kwargs: Any) -> Report:
    """Validate a bundle and return the report.

    Example:
        >>> report = validate("example_bundle")
        >>> report.counts()
        {'error': 12, 'warning': 3, 'info': 0}

    Keyword arguments are those of :func:`run`.
    """
    return run(bundle, **kwargs).report


def select_records(result: Run, selection: Selection) -> list[Record]:
    """Return the records of ``result`` that ``selection`` picks, in input order (all when it is empty)."""
    types = result.registry.record_types
    return [
        r
        for r in result.records
        if not selection or selection.matches(r, getattr(types.get(r.type), "date_field", None))
    ]


def build_binder(
    bundle: Path | str,
    output: Path | str,
    *,
    select: Sequence[str] = (),
    workers: int = 2,
    sign_key: Path | None = None,
    sign_password: bytes | None = None,
    **kwargs: Any,
) -> Run:
    """Validate a bundle and write its evidence binder to ``output`` atomically.

    Args:
        bundle: The bundle folder.
        output: The PDF to write.
        select: Record-selection terms for a request binder (``id:CMP-1``, ``type:capa``, ``device:…``,
            ``lot:…``, ``from:YYYY-MM-DD``, ``to:YYYY-MM-DD``; see :mod:`evidence_kit._select`).
        workers: Processes that render summary pages (2 by default; the output does not depend on it).
        sign_key: A PKCS#12 file: the finished binder gets a PAdES signature (pyHanko) before it is moved into place.
        sign_password: The PKCS#12 password.
        **kwargs: Those of :func:`run`.

    Returns the Run, whose report lists every finding and every input's outcome. Its records' page texts
    (``Record.text``) are released once the binder's analyses have read them: they are ``()`` afterwards.

    Raises:
        ConfigError: a malformed ``select`` term (checked before anything is read), or a selection that
            matches no record (nothing is written).
    """
    from evidence_kit._binder import write_binder

    selection = parse_selection(select)
    result = run(bundle, **kwargs)
    chosen = select_records(result, selection) if selection else None
    if chosen == []:
        raise ConfigError(
            f"--select {selection.describe()} matches none of the bundle's {result.report.record_count} records; "
            "no binder was written.",
            hint="Check the terms against the report: id: takes the record id (wildcards allowed, id:CMP-2026-*), "
            "type: a record type name.",
        )
    sign = None
    if sign_key is not None:
        from evidence_kit._signing import sign_pdf

        key = Path(sign_key)

        def sign(data: bytes) -> bytes:
            return sign_pdf(data, key, sign_password)

    # the gap analysis (inside write_binder, before the build) is the last reader of the page texts
    write_binder(
        result, Path(output), records=chosen, selection=selection or None, workers=workers, sign=sign, release_text=True
    )
    return result


def analyse(bundle: Path | str, names: Iterable[str] = (), **kwargs: Any) -> tuple[Run, dict[str, dict[str, Any]]]:
    """Validate a bundle, then run the named analyses (default: those of the bundle's profile).

    Returns the Run and ``{analysis name: result data}``.

    Raises:
        ConfigError: An analysis name is unknown.
    """
    result = run(bundle, **kwargs)
    analyses = result.registry.analyses
    wanted = list(names) or [n for n, a in sorted(analyses.items()) if result.config.profile in a.profiles]
    unknown = [n for n in wanted if n not in analyses]
    if unknown:
        raise ConfigError(f"unknown analysis {unknown[0]!r}.", hint=f"Known: {', '.join(sorted(analyses))}.")
    settings = result.config.settings()
    out = {n: analyses[n].analyse(result.records, result.report, settings, result.config.as_of) for n in wanted}
    return result, out


def analysis_pages(result: Run) -> list[tuple[str, str, bytes]]:
    """Return ``(name, title, pdf bytes)`` for every analysis of the run's binder profile, for the binder.

    The binder merges these PDFs as their own sections (after the front matter).
    """
    settings = result.config.settings()
    out = []
    for name, a in sorted(result.registry.analyses.items()):
        if result.config.profile in a.profiles:
            data = a.analyse(result.records, result.report, settings, result.config.as_of)
            out.append((name, a.title, a.render_pdf(data)))
    return out
