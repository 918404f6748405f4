"""Strict reading of openFDA JSON: one document, a list, the API envelope, or JSON Lines.

Records are evidence, so ambiguity is refused: duplicate keys, ``NaN`` / ``Infinity`` and invalid
UTF-8 are errors, reported with a line (or byte offset). Each record comes back with the line it
starts on and its JSON Pointer in the file.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

__all__ = ["JsonItem", "JsonProblem", "decode_text", "read_items"]


class JsonProblem(ValueError):
    """The file is not valid JSON or JSON Lines under the strict policy."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


@dataclass(frozen=True)
class JsonItem:
    """One JSON value found in a file: the value, the line it starts on and its JSON Pointer."""

    value: Any
    line: int
    pointer: str


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"duplicate key {key!r} in one object")
        out[key] = value
    return out


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


_decoder = json.JSONDecoder(object_pairs_hook=_pairs, parse_constant=_no_constant)
_WS = " \t\r\n"


def _decode(text: str, pos: int) -> tuple[Any, int]:
    try:
        return _decoder.raw_decode(text, pos)
    except json.JSONDecodeError as exc:
        raise JsonProblem(exc.msg, text.count("\n", 0, exc.pos) + 1) from None
    except ValueError as exc:
        raise JsonProblem(str(exc), text.count("\n", 0, pos) + 1) from None
    except RecursionError:
        raise JsonProblem("nesting too deep", text.count("\n", 0, pos) + 1) from None


def _skip(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in _WS:
        pos += 1
    return pos


def _array(text: str, pos: int, pointer: str) -> Iterator[JsonItem]:
    """Yield the elements of the array whose ``[`` is at ``pos``, each with its own line."""
    line, counted = text.count("\n", 0, pos) + 1, pos  # lines are counted incrementally: linear in the file
    pos = _skip(text, pos + 1)
    index = 0
    while pos < len(text) and text[pos] != "]":
        value, end = _decode(text, pos)
        line, counted = line + text.count("\n", counted, pos), pos
        yield JsonItem(value, line, f"{pointer}/{index}")
        index += 1
        pos = _skip(text, end)
        if pos < len(text) and text[pos] == ",":
            pos = _skip(text, pos + 1)


def decode_text(raw: bytes) -> str:
    """Return the UTF-8 text of ``raw`` without a leading BOM.

    Raises:
        JsonProblem: The bytes are not UTF-8; the message gives the byte offset.
    """
    try:
        return raw.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        raise JsonProblem(f"not valid UTF-8 at byte offset {exc.start} ({exc.reason})") from None


def read_items(text: str) -> Iterator[JsonItem | JsonProblem]:
    """Yield the top-level items of a JSON document, or the lines of a JSON Lines file.

    A top-level array yields its elements; an object with a ``results`` array (the openFDA API
    envelope) yields those results; any other object is yielded whole. Text holding more than one
    value, one per line, is read as JSON Lines (blank lines are allowed between them); a bad line
    is yielded as a JsonProblem and reading goes on.

    Raises:
        JsonProblem: The document is not valid JSON (the message names the line).
    """
    start = _skip(text, 0)
    if start == len(text):
        raise JsonProblem("the file is empty", 1)
    value, end = _decode(text, start)
    if _skip(text, end) != len(text):
        yield from _lines(text)
        return
    if isinstance(value, list):
        yield from _array(text, start, "")
    elif isinstance(value, dict) and isinstance(value.get("results"), list):
        m = re.search(r'"results"\s*:\s*\[', text)
        if m is None:  # pragma: no cover - a parsed results list always has this spelling
            raise JsonProblem("cannot locate the results array", 1)
        yield from _array(text, m.end() - 1, "/results")
    else:
        yield JsonItem(value, text.count("\n", 0, start) + 1, "")


def _lines(text: str) -> Iterator[JsonItem | JsonProblem]:
    for n, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            continue
        try:
            value, end = _decode(line, _skip(line, 0))
            if line[end:].strip():
                raise JsonProblem("more than one JSON value on the line")
        except JsonProblem as exc:
            yield JsonProblem(f"line {n} is not valid JSON: {exc}", n)
            continue
        yield JsonItem(value, n, f"/{n - 1}")
