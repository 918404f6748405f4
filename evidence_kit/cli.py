"""The ``evidence-kit`` command: parses options, calls the library, prints, returns an exit code."""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import json
import logging
import os
import sys
import traceback
from collections.abc import Iterator, Sequence
from enum import IntEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from evidence_kit import __version__
from evidence_kit._api import analyse, build_binder, prepare, run, select_records
from evidence_kit._cache import default_cache_dir
from evidence_kit._catalog import CORE_CODES
from evidence_kit._diff import diff_records, diff_to_dict, load_side, render_diff_text
from evidence_kit._engine import rule_scope
from evidence_kit._io import gc_paused, write_text_atomic
from evidence_kit._plugins import build_registry, get_plugin_manager, plugin_inventory
from evidence_kit._select import parse_selection
from evidence_kit.errors import BundleError, ConfigError, EvidenceKitError, PluginError
from evidence_kit.model import Report, Severity
from evidence_kit.reports import BUNDLE_ROOT, report_to_json

if TYPE_CHECKING:
    from rich.console import Console


class ExitCode(IntEnum):
    """Documented exit codes; data problems and tool failures never share one."""

    OK = 0  #: no findings at or above --fail-on
    FINDINGS = 1  #: findings at or above --fail-on
    USAGE = 2  #: bad options, or a config / bundle error
    INTERNAL = 3  #: an unexpected exception (a bug: please report it)
    PLUGIN = 4  #: a plugin failed to load or broke its contract
    NO_INPUT = 5  #: the bundle holds no readable records


@functools.cache
def _stderr() -> Console:
    """The styled stderr console (rich is imported on first use: ~50 ms that a quiet, clean run never needs)."""
    from rich.console import Console

    return Console(stderr=True, highlight=False, soft_wrap=True)


class _Fail(Exception):
    def __init__(self, code: ExitCode) -> None:
        self.code = code


#: Set by :func:`console`: the runs a command made, kept alive until the process ends, so their tens of
#: thousands of objects are never freed one by one (~0.3 s at 50,000 records) -- the OS takes the memory back.
_kept: list[object] | None = None


def _keep(result: object) -> None:
    """Keep a command's run alive until :func:`console` exits (nothing happens when main() runs in-process)."""
    if _kept is not None:
        _kept.append(result)


@contextlib.contextmanager
def _handle_errors() -> Iterator[None]:
    """Map exceptions to a message, a hint and an exit code (pypa/build style)."""
    try:
        yield
    except (ConfigError, BundleError) as exc:
        _report_error(exc, ExitCode.USAGE)
    except PluginError as exc:
        _report_error(exc, ExitCode.PLUGIN)
    except OSError as exc:  # an output we cannot write: a full disk, a missing folder, no permission
        _report_error(
            EvidenceKitError(f"cannot write {exc.filename or 'the output'}: {exc.strerror or exc}"), ExitCode.USAGE
        )
    except _Fail:
        raise
    except Exception as exc:
        _stderr().print(f"[red]internal error:[/red] {type(exc).__name__}: {exc}")
        _stderr().print(traceback.format_exc(), markup=False)
        _stderr().print("This is a bug in evidence-kit or a plugin; please report it with the traceback above.")
        raise _Fail(ExitCode.INTERNAL) from exc


def _report_error(exc: EvidenceKitError, code: ExitCode) -> None:
    _stderr().print(f"[red]error:[/red] {exc}", markup=True)
    if exc.hint:
        _stderr().print(f"hint: {exc.hint}", markup=False)
    raise _Fail(code) from exc


@contextlib.contextmanager
def _progress(quiet: bool, label: str) -> Iterator[Any]:
    if quiet:
        yield None
        return
    from rich.progress import Progress, SpinnerColumn, TextColumn

    with Progress(SpinnerColumn(), TextColumn("{task.description}"), console=_stderr(), transient=True) as bar:
        task = bar.add_task(label)
        yield lambda rel: bar.update(task, description=f"{label} {rel}")


def _exit_for(report: Report, fail_on: str) -> ExitCode:
    if report.record_count == 0 and not any(o.bound for o in report.inputs if o.source != "config"):
        return ExitCode.NO_INPUT
    return ExitCode.FINDINGS if report.failing(Severity(fail_on)) else ExitCode.OK  # with a baseline: new only


_common = [
    click.argument("bundle", type=click.Path(path_type=Path)),
    click.option("--config", "config_file", type=click.Path(path_type=Path), help="Use this config file."),
    click.option("--ignore", multiple=True, help="Skip rules whose code starts with this (repeatable)."),
    click.option(
        "--fail-on",
        type=click.Choice(["error", "warning", "info"]),
        default=None,
        help="Lowest severity that makes the exit code 1 (default: error).",
    ),
    click.option("--as-of", help="Judge dates against this ISO date-time instead of now."),
    click.option("--disable", multiple=True, help="Block a plugin by name (repeatable)."),
    click.option("--quiet", "-q", is_flag=True, help="No progress output on stderr."),
]


def _with_common(f: Any) -> Any:
    for deco in reversed(_common):
        f = deco(f)
    return f


def _overrides(
    select: Sequence[str], ignore: Sequence[str], fail_on: str | None, as_of: str | None, profile: str | None = None
) -> dict[str, Any]:
    return {"select": select, "ignore": ignore, "fail_on": fail_on, "as_of": as_of, "profile": profile}


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="evidence-kit")
def cli() -> None:
    """Validate exported quality records and build an FDA-ready evidence binder."""


_nightly = [
    click.option(
        "--jobs", "-j", type=click.IntRange(1), default=1, show_default=True, help="Processes that parse files."
    ),
    click.option(
        "--cache-dir", type=click.Path(path_type=Path), help="Incremental cache folder (default: user cache)."
    ),
    click.option("--no-cache", is_flag=True, help="Parse every file afresh; neither read nor write the cache."),
]


def _with_nightly(f: Any) -> Any:
    for deco in reversed(_nightly):
        f = deco(f)
    return f


def _cache(cache_dir: Path | None, no_cache: bool) -> Path | None:
    return None if no_cache else (cache_dir or default_cache_dir())


@cli.command()
@_with_common
@_with_nightly
@click.option("--select", multiple=True, help="Only rules whose code starts with this (repeatable).")
@click.option("--format", "fmt", default="text", help="Report format: text, json, html, or any plugin format.")
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Write the report here (atomically).")
@click.option("--baseline", type=click.Path(path_type=Path), help="Earlier JSON report: only new findings fail.")
@click.option("--write-baseline", type=click.Path(path_type=Path), help="Also save this run's JSON report here.")
@click.option(
    "--executor",
    type=click.Choice(["local", "dask"]),
    default="local",
    show_default=True,
    help="Where files are ingested: here (with --jobs), or on a Dask cluster (needs --scheduler).",
)
@click.option("--scheduler", metavar="ADDRESS", help="Dask scheduler address for --executor dask.")
def validate(
    bundle: Path,
    config_file: Path | None,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    fail_on: str | None,
    as_of: str | None,
    disable: tuple[str, ...],
    quiet: bool,
    jobs: int,
    cache_dir: Path | None,
    no_cache: bool,
    fmt: str,
    output: Path | None,
    baseline: Path | None,
    write_baseline: Path | None,
    executor: str,
    scheduler: str | None,
) -> None:
    """Validate BUNDLE and print (or write) the report."""
    if (executor == "dask") != (scheduler is not None):
        raise click.UsageError("--executor dask and --scheduler ADDRESS go together.")
    with _handle_errors(), _progress(quiet, "validating") as tick, gc_paused():
        result = run(
            bundle,
            overrides=_overrides(select, ignore, fail_on, as_of),
            config_file=config_file,
            disabled=disable,
            progress=tick,
            jobs=jobs,
            cache_dir=_cache(cache_dir, no_cache),
            baseline=baseline,
            scheduler=scheduler,
        )
        _keep(result)
        if write_baseline:
            write_text_atomic(write_baseline, report_to_json(result.report))
        if result.cache and not quiet:
            c = result.cache
            _stderr().print(f"cache: {c.hits} files reused, {c.misses} parsed ({c.damaged} damaged entries rebuilt)")
        renderer = result.registry.formats.get(fmt)
        if renderer is None:
            raise ConfigError(
                f"unknown --format {fmt!r}.", hint=f"Known: {', '.join(sorted(result.registry.formats))}."
            )
        token = BUNDLE_ROOT.set(_relative_to_cwd(Path(bundle)))
        try:
            text = renderer.render(result.report)
        finally:
            BUNDLE_ROOT.reset(token)
        if output:
            write_text_atomic(output, text)
        else:
            click.echo(text, nl=False)
    raise _Fail(_exit_for(result.report, result.config.fail_on))


def _relative_to_cwd(path: Path) -> str | None:
    """Return ``path`` as a POSIX path relative to the working directory, or None when it lies outside."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except (OSError, ValueError):
        return None


@cli.command()
@_with_common
@_with_nightly
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    default=Path("binder.pdf"),
    show_default=True,
    help="Where to write the binder PDF (atomically).",
)
@click.option("--profile", help="Binder profile (default: the bundle's, else fda-qmsr).")
@click.option(
    "--select",
    multiple=True,
    help="Request binder: only records matching KEY:VALUE (id:, type:, device:, lot:, from:, to:; repeatable; "
    "same key = OR, different keys = AND).",
)
@click.option(
    "--sign",
    "sign_key",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Sign the binder (PAdES) with this PKCS#12 key; password: $EVIDENCE_KIT_SIGN_PASSWORD or a prompt.",
)
def build(
    bundle: Path,
    config_file: Path | None,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    fail_on: str | None,
    as_of: str | None,
    disable: tuple[str, ...],
    quiet: bool,
    jobs: int,
    cache_dir: Path | None,
    no_cache: bool,
    output: Path,
    profile: str | None,
    sign_key: Path | None,
) -> None:
    """Validate BUNDLE and write its evidence binder PDF (through the incremental cache, like validate)."""
    password = None
    if sign_key is not None:
        secret = os.environ.get("EVIDENCE_KIT_SIGN_PASSWORD")
        if secret is None:
            secret = click.prompt(f"Password for {sign_key}", hide_input=True, default="", show_default=False)
        password = secret.encode() if secret else None
    with _handle_errors(), _progress(quiet, "building") as tick:
        result = build_binder(
            bundle,
            output,
            select=select,
            overrides=_overrides((), ignore, fail_on, as_of, profile),
            config_file=config_file,
            disabled=disable,
            progress=tick,
            sign_key=sign_key,
            sign_password=password,
            jobs=jobs,
            cache_dir=_cache(cache_dir, no_cache),
        )
        _keep(result)
    report = result.report
    excluded = sum(1 for o in report.inputs if not o.bound)
    counts = report.counts()
    findings = f"{counts['error']} errors, {counts['warning']} warnings"
    bound = f"{report.record_count} records"
    if select:  # a request binder: its records' findings decide, the bundle's are given beside them
        selection = parse_selection(select)
        chosen = {(r.location.file, r.id) for r in select_records(result, selection)}
        bound = f"{len(chosen)} of {report.record_count} records ({selection.describe()})"
        report = dataclasses.replace(
            report, findings=tuple(f for f in report.findings if (f.location.file, f.location.record) in chosen)
        )
        mine = report.counts()
        findings = f"{mine['error']} errors, {mine['warning']} warnings on them (bundle: {findings})"
    click.echo(f"wrote {output}: {bound}, {len(report.inputs)} input files ({excluded} excluded), {findings}")
    raise _Fail(_exit_for(report, result.config.fail_on))


@cli.command()
@click.argument("binder", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("bundle", type=click.Path(exists=True, file_okay=False, path_type=Path), required=False)
def verify(binder: Path, bundle: Path | None) -> None:
    """Check BINDER against its embedded manifest (pages, outline, originals) and, given BUNDLE, the sources.

    Exits 0 when everything matches, 1 when tampering was found (each case is named).
    """
    from evidence_kit._binder import verify_binder

    with _handle_errors():
        facts, problems = verify_binder(binder, bundle)
    for line in facts:
        click.echo(line)
    for p in problems:
        click.echo(f"TAMPERED ({p.kind}): {p.detail}")
    click.echo("verified: binder matches its manifest" if not problems else f"{len(problems)} problem(s) found")
    raise _Fail(ExitCode.FINDINGS if problems else ExitCode.OK)


@cli.command()
@click.argument("old", type=click.Path(exists=True, path_type=Path))
@click.argument("new", type=click.Path(exists=True, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Write the diff here (atomically).")
@_with_nightly
def diff(
    old: Path, new: Path, fmt: str, output: Path | None, jobs: int, cache_dir: Path | None, no_cache: bool
) -> None:
    """Compare records of OLD and NEW (JSON reports or bundle folders): added, removed, changed.

    Exits 1 when a record closed or approved in OLD was changed or deleted in NEW.
    """
    with _handle_errors():
        kwargs: dict[str, Any] = {"jobs": jobs, "cache_dir": _cache(cache_dir, no_cache)}
        result = diff_records(load_side(old, **kwargs), load_side(new, **kwargs), f"the older side {old}")
        if fmt == "json":
            text = json.dumps(diff_to_dict(result, str(old), str(new)), indent=2, sort_keys=True) + "\n"
        else:
            text = render_diff_text(result, str(old), str(new))
        if output:
            write_text_atomic(output, text)
        else:
            click.echo(text, nl=False)
    raise _Fail(ExitCode.FINDINGS if result.findings else ExitCode.OK)


@cli.command()
@click.argument("bundle", type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", help="Output format.")
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Write the result here (atomically).")
@click.option("--analysis", "names", multiple=True, help="Run this analysis (default: those of the profile).")
@click.option("--config", "config_file", type=click.Path(path_type=Path), help="Use this config file.")
@click.option("--as-of", help="Judge dates against this ISO date-time instead of now.")
def gap(
    bundle: Path, fmt: str, output: Path | None, names: tuple[str, ...], config_file: Path | None, as_of: str | None
) -> None:
    """Map BUNDLE onto the requirement catalogues: coverage, verdicts and readiness (exit 1 on error items)."""
    with _handle_errors():
        result, data = analyse(bundle, names, overrides={"as_of": as_of}, config_file=config_file)
        analyses = result.registry.analyses
        text = (
            json.dumps(data, indent=2, ensure_ascii=False) + "\n"
            if fmt == "json"
            else "".join(analyses[n].render_text(d) for n, d in data.items())
        )
        if output:
            write_text_atomic(output, text)
        else:
            click.echo(text, nl=False)
    errors = sum(d.get("counts", {}).get("error", 0) for d in data.values())
    raise _Fail(ExitCode.FINDINGS if errors else ExitCode.OK)


@cli.command()
@click.option("--disable", multiple=True, help="Block a plugin by name (repeatable).")
def plugins(disable: tuple[str, ...]) -> None:
    """List every plugin with its version, origin and hooks."""
    with _handle_errors():
        for p in plugin_inventory(get_plugin_manager(disabled=disable)):
            hooks = ", ".join(h.removeprefix("evidence_kit_") for h in p.hooks)
            click.echo(f"{p.name:<16} {p.version:<10} {p.origin:<28} {hooks}")


@cli.command()
@click.option("--format", "fmt", type=click.Choice(["text", "markdown"]), default="text")
@click.option("--disable", multiple=True, help="Block a plugin by name (repeatable).")
def rules(fmt: str, disable: tuple[str, ...]) -> None:
    """List the rule catalogue: code, severity, scope, title, citations (core codes included)."""
    with _handle_errors():
        reg = build_registry(get_plugin_manager(disabled=disable))
        rows = [(c.code, c.severity.value, "core", c.title, c.cites, c.hint, "core") for c in CORE_CODES.values()]
        rows += [
            (code, r.severity.value, rule_scope(r), r.title, r.cites, r.hint, plugin)
            for code, (plugin, r) in reg.rules.items()
        ]
        rows.sort()
        if fmt == "markdown":
            click.echo(rules_markdown(rows), nl=False)
            return
        for code, sev, scope, title, cites, _hint, _plugin in rows:
            click.echo(f"{code:<40} {sev:<8} {scope:<7} {title}  [{'; '.join(cites)}]")


def rules_markdown(rows: Sequence[tuple[str, str, str, str, tuple[str, ...], str, str]]) -> str:
    """Render the rule catalogue as the Markdown of docs/rules.md."""
    out = [
        "# Rule catalogue",
        "",
        "Generated by `evidence-kit rules --format markdown`; do not edit by hand.",
        "",
        "Scope `record`: the rule judges each record on its own, so it runs per input file (in `--jobs` workers)",
        "and its findings are cached with the file; `set`: it compares records, so it runs on the whole record set",
        "every time; `core`: reported by the engine itself.",
        "",
        "| Code | Severity | Scope | Title | Cites | Fix hint | Plugin |",
        "|---|---|---|---|---|---|---|",
    ]
    out += [f"| `{c}` | {s} | {sc} | {t} | {'; '.join(ci)} | {h} | {p} |" for c, s, sc, t, ci, h, p in rows]
    return "\n".join(out) + "\n"


@cli.command()
@click.argument("bundle", type=click.Path(path_type=Path), required=False)
def schemas(bundle: Path | None) -> None:
    """List the registered record types with their schema ids."""
    with _handle_errors():
        reg = prepare(bundle)[1] if bundle else build_registry(get_plugin_manager())
        for name, rt in sorted(reg.record_types.items()):
            click.echo(f"{name:<24} {rt.schema_id:<60} {rt.title}")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return the exit code (never raises SystemExit itself)."""
    try:
        cli.main(args=list(argv) if argv is not None else None, prog_name="evidence-kit", standalone_mode=False)
    except _Fail as stop:
        return int(stop.code)
    except click.exceptions.Exit as e:
        return int(e.exit_code)
    except click.ClickException as e:
        e.show()
        return int(ExitCode.USAGE)
    except click.exceptions.Abort:
        return int(ExitCode.USAGE)
    return int(ExitCode.OK)


def console() -> NoReturn:
    """The ``evidence-kit`` command: run :func:`main`, flush every output, and end the process at once.

    Outputs are complete by then (reports and binders are written atomically and closed; workers,
    pools and clusters are shut down inside the commands), so the interpreter's teardown would only
    free the run's records one by one. Ending with ``os._exit`` skips that, as mypy does.
    """
    global _kept
    _kept = []
    code = main()
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(code)


if __name__ == "__main__":  # pragma: no cover
    console()
