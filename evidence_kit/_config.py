"""The bundle config, ``evidence-kit.toml``: loaded once, checked strictly, then frozen.

Layering: defaults < ``evidence-kit.toml`` < ``EVIDENCE_KIT_AS_OF`` / ``SOURCE_DATE_EPOCH`` <
command-line overrides. The Config is passed explicitly; there is no global.
"""

from __future__ import annotations

import datetime as dt
import difflib
import os
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evidence_kit._schemas import valid_by_rs
from evidence_kit.errors import BundleError, ConfigError

if TYPE_CHECKING:
    import jsonschema

CONFIG_NAME = "evidence-kit.toml"

_DATE = {"type": "string", "format": "date"}
CONFIG_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "establishment": {
            "type": "object",
            "additionalProperties": False,
            "required": ["name"],
            "properties": {
                "name": {"type": "string", "minLength": 1},
                "fei": {"type": "string", "pattern": "^[0-9]{7,10}$"},
                "address": {"type": "string"},
                "site": {"type": "string"},
            },
        },
        "inspection": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "profile": {"type": "string"},
                "date": _DATE,
                "window_start": _DATE,
                "window_end": _DATE,
                "as_of": {"type": "string", "format": "date-time"},
                "foia_confidential": {"type": "boolean"},
            },
        },
        "inputs": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["path"],
                "properties": {
                    "path": {"type": "string", "minLength": 1},
                    "source": {"type": "string"},
                    "record_type": {"type": "string"},
                    "options": {"type": "object"},
                },
            },
        },
        "exclude": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["path", "reason"],
                "properties": {"path": {"type": "string"}, "reason": {"type": "string", "minLength": 1}},
            },
        },
        "validate": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "select": {"type": "array", "items": {"type": "string"}},
                "ignore": {"type": "array", "items": {"type": "string"}},
                "fail_on": {"enum": ["error", "warning", "info"]},
            },
        },
        "rules": {"type": "object", "additionalProperties": {"type": "object"}},
        "binder": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "bates_prefix": {"type": "string", "maxLength": 20},
                "sections": {"type": "object", "additionalProperties": {"type": "string"}},
                "title": {"type": "string"},
                "foia_confidential": {"type": "boolean"},
            },
        },
    },
}


@dataclass(frozen=True)
class InputSpec:
    """One ``[[inputs]]`` entry: a glob relative to the bundle, and how to read what it matches."""

    path: str
    source: str | None = None
    record_type: str | None = None
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Config:
    """The whole, checked bundle configuration."""

    bundle: Path
    establishment: Mapping[str, Any]
    inspection: Mapping[str, Any]
    inputs: tuple[InputSpec, ...]
    exclude: tuple[tuple[str, str], ...]
    select: tuple[str, ...]
    ignore: tuple[str, ...]
    fail_on: str
    rules: Mapping[str, Mapping[str, Any]]
    binder: Mapping[str, Any]
    as_of: dt.datetime
    raw: Mapping[str, Any] = field(repr=False, default_factory=dict)

    @property
    def profile(self) -> str:
        """Return the binder profile name (``fda-qmsr`` unless the bundle says otherwise)."""
        return str(self.inspection.get("profile", "fda-qmsr"))

    @property
    def foia_confidential(self) -> bool:
        """Return True when ``[binder]`` or ``[inspection]`` sets ``foia_confidential = true``: stamp every page."""
        return bool(self.binder.get("foia_confidential") or self.inspection.get("foia_confidential"))

    def settings(self) -> dict[str, Any]:
        """Return the bundle path and the establishment, inspection and binder settings as plain data."""
        return {
            "bundle": str(self.bundle),
            "establishment": dict(self.establishment),
            "inspection": dict(self.inspection),
            "binder": dict(self.binder),
        }


def _did_you_mean(word: str, choices: Sequence[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" Did you mean {close[0]!r}?" if close else ""


def _pointer(path: Sequence[Any]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _schema_error(file: Path, err: jsonschema.ValidationError) -> ConfigError:
    where = _pointer(list(err.absolute_path))
    if err.validator == "additionalProperties":
        schema = err.schema if isinstance(err.schema, Mapping) else {}
        props = schema.get("properties", {})
        extra = sorted(set(err.instance if isinstance(err.instance, dict) else ()) - set(props))
        key = extra[0]
        full = f"{where}.{key}" if err.absolute_path else key
        return ConfigError(
            f"{file}: unknown key {full!r}.{_did_you_mean(key, sorted(props))}",
            hint=f"Allowed keys here: {', '.join(sorted(props))}.",
        )
    if err.validator == "required":
        return ConfigError(f"{file}: {where}: {err.message}.")
    return ConfigError(f"{file}: bad value for {where!r}: {err.message}.")


def _check_schema(file: Path, raw: dict[str, Any]) -> None:
    """Check the config against CONFIG_SCHEMA: jsonschema-rs says whether it is valid, jsonschema words the error.

    jsonschema (~80 ms to import) is only imported when there is something to say.
    """
    if valid_by_rs(CONFIG_SCHEMA, raw, formats=True):
        return
    import jsonschema

    validator = jsonschema.Draft202012Validator(CONFIG_SCHEMA, format_checker=jsonschema.FormatChecker())
    errors = sorted(validator.iter_errors(raw), key=lambda e: list(e.absolute_path))
    if errors:
        raise _schema_error(file, errors[0])


def _parse_as_of(text: str | None) -> dt.datetime:
    if text:
        value = dt.datetime.fromisoformat(text)
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        return dt.datetime.fromtimestamp(int(epoch), dt.UTC)
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def load_config(bundle: Path, *, config_file: Path | None = None, overrides: Mapping[str, Any] | None = None) -> Config:
    """Read and check ``evidence-kit.toml`` in ``bundle`` (or ``config_file``).

    Args:
        bundle: The bundle folder.
        config_file: Another config to use instead of the bundle's own.
        overrides: Command-line overrides: ``select``, ``ignore``, ``fail_on``, ``as_of``, ``profile``.

    Raises:
        BundleError: The bundle folder does not exist.
        ConfigError: The config is unreadable, has unknown keys or bad values, or names missing files.
    """
    bundle = Path(bundle).resolve()
    if not bundle.is_dir():
        raise BundleError(f"bundle folder {bundle} does not exist or is not a folder.")
    file = config_file or bundle / CONFIG_NAME
    raw: dict[str, Any] = {}
    if file.exists():
        try:
            raw = tomllib.loads(file.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{file}: not valid TOML: {exc}") from exc
    elif config_file is not None:
        raise ConfigError(f"config file {file} does not exist.")
    _check_schema(file, raw)
    ov = dict(overrides or {})
    inspection = dict(raw.get("inspection", {}))
    if ov.get("profile"):
        inspection["profile"] = ov["profile"]
    inputs = tuple(
        InputSpec(i["path"], i.get("source"), i.get("record_type"), dict(i.get("options", {})))
        for i in raw.get("inputs", [])
    )
    for spec in inputs:
        _check_relative(file, "inputs.path", spec.path)
        if not any(bundle.glob(spec.path)):
            raise ConfigError(
                f"{file}: inputs.path {spec.path!r} matches no file in {bundle}.",
                hint="Paths and globs are relative to the bundle folder.",
            )
    exclude = tuple((e["path"], e["reason"]) for e in raw.get("exclude", []))
    validate = raw.get("validate", {})
    return Config(
        bundle=bundle,
        establishment=dict(raw.get("establishment", {"name": bundle.name})),
        inspection=inspection,
        inputs=inputs,
        exclude=exclude,
        select=tuple(ov.get("select") or validate.get("select", ())),
        ignore=tuple(ov.get("ignore") or validate.get("ignore", ())),
        fail_on=str(ov.get("fail_on") or validate.get("fail_on", "error")),
        rules={k: dict(v) for k, v in raw.get("rules", {}).items()},
        binder=dict(raw.get("binder", {})),
        as_of=_parse_as_of(ov.get("as_of") or inspection.get("as_of") or os.environ.get("EVIDENCE_KIT_AS_OF")),
        raw=raw,
    )


def _check_relative(file: Path, key: str, value: str) -> None:
    if value.startswith("/") or ".." in Path(value).parts:
        raise ConfigError(f"{file}: {key} {value!r} leaves the bundle; use a path inside the bundle folder.")


def check_names(
    config: Config,
    *,
    sources: Sequence[str],
    record_types: Sequence[str],
    rules: Sequence[str],
    profiles: Sequence[str],
    section_keys: Sequence[str] = (),
) -> None:
    """Check that every source, record type, rule, profile and binder section the config names is registered.

    ``section_keys`` are the chosen profile's section keys, when it declares them (a data-driven
    profile does); ``[binder.sections]`` values must be among them.

    Raises:
        ConfigError: A name is unknown; the message offers the closest registered name.
    """
    file = config.bundle / CONFIG_NAME
    for spec in config.inputs:
        if spec.source and spec.source not in sources:
            raise ConfigError(
                f"{file}: inputs.source {spec.source!r} is not a registered source."
                f"{_did_you_mean(spec.source, sources)}",
                hint="`evidence-kit plugins` lists them.",
            )
        if spec.record_type and spec.record_type not in record_types:
            raise ConfigError(
                f"{file}: inputs.record_type {spec.record_type!r} is not a registered record type."
                f"{_did_you_mean(spec.record_type, record_types)}"
            )
    for code in config.rules:
        if code not in rules:
            raise ConfigError(
                f"{file}: [rules.{code!r}] names no registered rule.{_did_you_mean(code, rules)}",
                hint="`evidence-kit rules` lists the codes.",
            )
    packs = {c.split(".")[0] for c in rules}
    for prefix in (*config.select, *config.ignore):
        known = any(c == prefix or c.startswith(prefix.rstrip(".") + ".") for c in rules)
        # a source's own finding code (e.g. openfda.bad-date) is accepted when its pack is known
        if not known and prefix.split(".")[0] not in packs:
            raise ConfigError(f"select/ignore pattern {prefix!r} matches no rule code.{_did_you_mean(prefix, rules)}")
    if config.profile not in profiles:
        raise ConfigError(
            f"{file}: inspection.profile {config.profile!r} is not a registered binder profile."
            f"{_did_you_mean(config.profile, profiles)}",
            hint=f"Known: {', '.join(sorted(profiles))}.",
        )
    for rtype, key in config.binder.get("sections", {}).items():
        if rtype not in record_types:
            raise ConfigError(
                f"{file}: binder.sections names unknown record type {rtype!r}.{_did_you_mean(rtype, record_types)}"
            )
        if section_keys and key not in section_keys:
            raise ConfigError(
                f"{file}: binder.sections.{rtype} = {key!r} is not a section of the {config.profile} profile."
                f"{_did_you_mean(key, section_keys)}",
                hint=f"Known: {', '.join(section_keys)}.",
            )
