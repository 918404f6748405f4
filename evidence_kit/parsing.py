r"""Safe parsing of untrusted input, for built-in and third-party sources alike.

Exports are evidence, so ambiguity is refused rather than guessed:

* **JSON** — UTF-8 only (a leading BOM is accepted and ignored; invalid bytes are refused with the byte
  offset), no duplicate keys, no ``NaN`` / ``Infinity`` literals and no number that overflows to
  infinity, no lone surrogate escapes, nesting at most :data:`MAX_DEPTH` deep. ``\\u0000`` escapes
  are legal JSON and are accepted.
* **XML** — :func:`safe_xml_parser` never resolves entities, loads a DTD, touches the network or
  builds huge trees, and :func:`parse_xml` additionally refuses any DOCTYPE with an internal subset,
  any entity declaration and any XInclude, because lxml's settings alone let small entity bombs and
  XXE payloads parse (left unexpanded) without telling anyone.
* **Dates** — :func:`parse_date` reads ISO 8601, ``YYYYMMDD`` and PDF dates, or exactly the
  ``strptime`` formats the bundle config names; it never guesses between day-first and month-first.
"""

from __future__ import annotations

import codecs
import datetime as dt
import io
import json
import math
import os
import re
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, BinaryIO

import msgspec
import orjson

if TYPE_CHECKING:
    from lxml import etree

__all__ = [
    "MAX_DEPTH",
    "MAX_RECORD_CHARS",
    "WHOLE_DOCUMENT_BYTES",
    "JsonError",
    "XmlRefused",
    "iter_json_document",
    "iter_json_lines",
    "json_pointer",
    "loads_strict",
    "parse_date",
    "parse_xml",
    "pointer_parts",
    "resolve_pointer",
    "safe_xml_parser",
]

#: Deepest nesting of arrays and objects accepted in one JSON value.
MAX_DEPTH = 64
#: Largest single JSON record (in characters) the streaming reader buffers before giving up.
MAX_RECORD_CHARS = 64 * 1024 * 1024
#: JSON documents up to this size are parsed whole (fast path); larger ones stream element by element.
WHOLE_DOCUMENT_BYTES = 32 * 1024 * 1024
CHUNK = 1 << 20
_WS = " \t\r\n"
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


# --------------------------------------------------------------------------------------------- JSON
class JsonError(ValueError):
    """A JSON defect, with where it was found.

    Attributes:
        pos: 0-based character offset in the decoded text (or in the line), or -1 when unknown.
        byte: 0-based byte offset in the file, for encoding errors.
        line: 1-based line, when the reader knows it.
    """

    def __init__(self, message: str, pos: int = -1, *, byte: int | None = None, line: int | None = None) -> None:
        super().__init__(message)
        self.pos = pos
        self.byte = byte
        self.line = line


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise JsonError(f"duplicate key {key!r} in one object")
            seen.add(key)
    return out


def _no_constant(name: str) -> Any:
    raise JsonError(f"{name} is not valid JSON")


def _finite(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise JsonError(f"number {text[:40]} overflows to infinity")
    return value


_decoder = json.JSONDecoder(object_pairs_hook=_pairs, parse_constant=_no_constant, parse_float=_finite)


def _walk_ok(value: Any, check_depth: bool, check_surrogates: bool) -> str | None:
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        v, d = stack.pop()
        if isinstance(v, dict):
            if check_depth and d > MAX_DEPTH:
                return f"nesting deeper than {MAX_DEPTH}"
            if check_surrogates:
                for k in v:
                    if not _encodable(k):
                        return f"lone surrogate escape in key {k!r}"
            stack.extend((x, d + 1) for x in v.values())
        elif isinstance(v, list):
            if check_depth and d > MAX_DEPTH:
                return f"nesting deeper than {MAX_DEPTH}"
            stack.extend((x, d + 1) for x in v)
        elif check_surrogates and isinstance(v, str) and not _encodable(v):
            return "lone surrogate escape in a string (not valid Unicode)"
    return None


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _decode_at(text: str, pos: int, end: int | None = None) -> tuple[Any, int]:
    """Decode one value at ``pos``; cheap text checks decide whether the value needs a full walk."""
    try:
        value, stop = _decoder.raw_decode(text, pos)
    except JsonError as exc:
        raise JsonError(str(exc), pos) from None
    except json.JSONDecodeError as exc:
        raise JsonError(f"{exc.msg} (at character {exc.pos - pos} of the value)", exc.pos) from None
    except RecursionError:
        raise JsonError(f"nesting deeper than {MAX_DEPTH}", pos) from None
    segment_end = stop if end is None else end
    deep = text.count("[", pos, segment_end) + text.count("{", pos, segment_end) > MAX_DEPTH
    surrogate = _SURROGATE_ESCAPE.search(text, pos, segment_end) is not None
    if deep or surrogate:
        problem = _walk_ok(value, deep, surrogate)
        if problem:
            raise JsonError(problem, pos)
    return value, stop


# ------------------------------------------------------------------------------------ JSON fast path
# msgspec parses with the same verdicts as the strict decoder above on everything but two points:
# it keeps the last of duplicate keys, and its nesting limit is the interpreter's recursion limit,
# not MAX_DEPTH. (Unlike orjson it keeps integers beyond 64 bits exact, as the stdlib does.) Both
# are checked exactly, and only cheap byte scans are spent on text that passes:
#
# * every key contributes one colon outside strings; without ``\u`` escapes the strings of the
#   parsed value are the source's strings minus those of dropped duplicates, so the source has
#   more colons than the re-serialised value exactly when a key was dropped (counted per block of
#   lines or per document, and per line or element only when the totals differ);
# * a value nested deeper than MAX_DEPTH has more than MAX_DEPTH opening brackets, so only values
#   with that many are walked.
#
# Text with ``\u`` escapes, and anything msgspec refuses, goes to the strict decoder, which gives
# the exact verdict and message.
_msgspec_decode = msgspec.json.Decoder().decode
_decode_items = msgspec.json.Decoder(list[msgspec.Raw]).decode
_FAST_ERRORS = (ValueError, RecursionError)  # msgspec.DecodeError, UnicodeDecodeError
_OPEN_AS_BRACE = bytes.maketrans(b"[", b"{")
_KEEP_OPENERS_AND_NL = bytes(b for b in range(256) if b not in b"[{\n")  # the bytes to delete
_KEEP_STRUCTURE = bytes(b for b in range(256) if b not in b"[{\n:")
_DEEP = b"{" * (MAX_DEPTH + 1)
_SEPARATOR = re.compile(rb"[ \t\r\n,]*")


def _colons(values: list[Any]) -> int:
    """Colons in the compact serialisation of ``values`` (one per key, plus those inside strings)."""
    try:
        return orjson.dumps(values).count(b":")
    except orjson.JSONEncodeError:  # an integer beyond 64 bits
        return msgspec.json.encode(values).count(b":")


def _whole_document(data: bytes) -> list[tuple[Any, int, str]] | None:
    r"""Parse a whole JSON document the fast way, or return None when any check is in doubt.

    Returns what :func:`iter_json_document` yields. None means "let the streaming strict decoder
    decide": msgspec refused the text, a key may be duplicated, a value may be too deep, or a
    top-level value other than an array has ``\u`` escapes.
    """
    start = 3 if data.startswith(codecs.BOM_UTF8) else 0
    body = memoryview(data)[start:]
    try:
        value = _msgspec_decode(body)
    except _FAST_ERRORS:
        return None
    pos = _skip_ws_bytes(data, start)
    line = 1 + data.count(b"\n", 0, pos)
    escapes = b"\\" in data and b"\\u" in data
    if type(value) is not list:
        if escapes or _too_deep(data, pos, len(data), value) or data.count(b":") != _colons([value]):
            return None
        return [(value, line, "")]
    try:
        raws = _decode_items(body)
    except _FAST_ERRORS:
        return None
    out: list[tuple[Any, int, str]] = []
    fast: list[Any] = []
    colons = data.count(b":")
    at = pos + 1
    counted = pos
    for i, (item, raw) in enumerate(zip(value, raws, strict=True)):
        at = _SEPARATOR.match(data, at).end()  # type: ignore[union-attr]  # always matches
        end = at + len(raw)
        line += data.count(b"\n", counted, at)
        counted = at
        if _too_deep(data, at, end, item):
            return None
        if escapes and data.find(b"\\u", at, end) >= 0:
            try:  # the strict decoder sees duplicate keys whatever the escapes
                item, _ = _decode_at(data[at:end].decode("utf-8"), 0)
            except (JsonError, UnicodeDecodeError):
                return None
            colons -= data.count(b":", at, end)
        else:
            fast.append(item)
        out.append((item, line, f"/{i}"))
        at = end
    if colons != _colons(fast):
        return None
    return out


def _too_deep(data: bytes, start: int, end: int, value: Any) -> bool:
    if data.count(b"{", start, end) + data.count(b"[", start, end) <= MAX_DEPTH:
        return False
    return _walk_ok(value, True, False) is not None


def _skip_ws_bytes(data: bytes, pos: int) -> int:
    n = len(data)
    while pos < n and data[pos] in b" \t\r\n":
        pos += 1
    return pos


_BLANK: Any = object()


def loads_strict(text: str) -> Any:
    """Parse one JSON document under the strict policy.

    Raises:
        JsonError: The text is not one valid JSON value under the policy; ``pos`` says where.
    """
    text = text.removeprefix("\ufeff")
    start = _skip_ws(text, 0)
    value, end = _decode_at(text, start)
    end = _skip_ws(text, end)
    if end != len(text):
        raise JsonError("extra data after the JSON value", end)
    return value


def _skip_ws(text: str, pos: int) -> int:
    n = len(text)
    while pos < n and text[pos] in _WS:
        pos += 1
    return pos


class _TextStream:
    """UTF-8 text read from a binary stream chunk by chunk, with byte offsets for encoding errors."""

    def __init__(self, fh: BinaryIO, chunk: int) -> None:
        self._fh = fh
        self._chunk = chunk
        self._decoder = codecs.getincrementaldecoder("utf-8")("strict")
        self._bytes = 0
        self._first = True
        self.eof = False

    def read(self) -> str:
        data = self._fh.read(self._chunk)
        final = not data
        try:
            text = self._decoder.decode(data, final)
        except UnicodeDecodeError as exc:
            pending = len(exc.object) - len(data)
            raise JsonError(
                f"not valid UTF-8 at byte offset {self._bytes - pending + exc.start} ({exc.reason})",
                byte=self._bytes - pending + exc.start,
            ) from None
        self._bytes += len(data)
        if self._first and text:
            text = text.removeprefix("\ufeff")
            self._first = False
        self.eof = final
        return text


def iter_json_document(fh: BinaryIO, *, chunk: int = CHUNK) -> Iterator[tuple[Any, int, str]]:
    """Stream the records of one JSON document: ``(value, line, JSON Pointer)``.

    A top-level array yields its elements one by one, read in chunks, so memory follows the largest
    element rather than the file. Any other top-level value is yielded whole with pointer ``""``.

    A file of at most :data:`WHOLE_DOCUMENT_BYTES` is first parsed whole by the fast path, which
    yields the same values, lines and pointers; whenever it is in doubt, the streaming strict
    decoder reads the document again from its start (nothing has been yielded by then).

    Raises:
        JsonError: The document breaks the strict policy; ``line`` (and ``byte`` for encoding
            errors) say where. Records before the defect have already been yielded.
    """
    size = _remaining(fh)
    if size is not None and size <= WHOLE_DOCUMENT_BYTES:
        data = fh.read()
        items = _whole_document(data)
        if items is not None:
            yield from items
            return
        fh = io.BytesIO(data)
    stream = _TextStream(fh, chunk)
    buf = ""
    pos = 0
    line = 1  # line number at buf[line_at]
    line_at = 0

    def where(at: int) -> int:
        nonlocal line, line_at
        if at < line_at:  # an error position before the last counted place
            return line - buf.count("\n", at, line_at)
        line += buf.count("\n", line_at, at)
        line_at = at
        return line

    def more() -> bool:
        nonlocal buf, pos, line, line_at
        if stream.eof:
            return False
        line += buf.count("\n", line_at, pos)
        buf, line_at, pos = buf[pos:], 0, 0
        try:
            buf += stream.read()
        except JsonError as exc:
            exc.line = where(len(buf))
            raise
        return True

    def skip_ws() -> tuple[int, int]:
        nonlocal pos
        while True:
            pos = _skip_ws(buf, pos)
            if pos < len(buf) or not more():
                return pos, len(buf)

    def value() -> Any:
        nonlocal pos
        while True:
            try:
                v, end = _decode_at(buf, pos)
            except JsonError as exc:
                truncated = exc.pos >= len(buf) - 12 or str(exc).startswith("Unterminated string")
                if truncated and len(buf) - pos < MAX_RECORD_CHARS and more():
                    continue
                exc.line = where(exc.pos if exc.pos >= pos else pos)
                raise
            if end >= len(buf) and not stream.eof and buf[pos] not in '[{"':
                more()  # a number at the end of the buffer may continue in the next chunk
                continue
            pos = end
            return v

    skip_ws()
    if buf.startswith("[", pos):
        pos += 1
        skip_ws()
        index = 0
        if buf.startswith("]", pos):
            pos += 1
        else:
            while True:
                start_line = where(pos)
                v = value()
                yield v, start_line, f"/{index}"
                index += 1
                skip_ws()
                if buf.startswith(",", pos):
                    pos += 1
                    skip_ws()
                    continue
                if buf.startswith("]", pos):
                    pos += 1
                    break
                raise JsonError("expected ',' or ']' after an array element", pos, line=where(pos))
    else:
        if pos >= len(buf):
            raise JsonError("empty file: no JSON value", 0, line=1)
        start_line = where(pos)
        v = value()
        _end(skip_ws, where)
        yield v, start_line, ""
        return
    _end(skip_ws, where)


def _remaining(fh: BinaryIO) -> int | None:
    """Bytes left in a real file, or None for other streams (which are always streamed)."""
    try:
        return os.fstat(fh.fileno()).st_size - fh.tell()
    except (AttributeError, OSError, ValueError):
        return None


def _end(skip_ws: Any, where: Any) -> None:
    """Raise unless only whitespace follows (``skip_ws`` returns the position and buffer length)."""
    pos, size = skip_ws()
    if pos < size:
        raise JsonError("extra data after the JSON value", pos, line=where(pos))


def iter_json_lines(fh: BinaryIO, *, chunk: int = CHUNK) -> Iterator[tuple[int, Any | JsonError]]:
    """Stream a JSON Lines file: ``(line number, value or JsonError)`` for each non-blank line.

    A bad line yields its error (with the file's byte offset for encoding errors) and reading goes
    on with the next line, so one broken line costs one record, not the file. Lines are read in
    blocks of about ``chunk`` bytes, so memory follows the block and the longest line.
    """
    done = 0  # lines before the block
    offset = 0  # bytes before the block
    rest = b""
    while True:
        data = fh.read(chunk)
        if data:
            block = rest + data if rest else data
            cut = block.rfind(b"\n") + 1
            if not cut:
                rest = block
                continue
            block, rest = block[:cut], block[cut:]
        elif rest:
            block, rest = rest, b""
        else:
            return
        lines = block.split(b"\n")
        if not lines[-1]:
            lines.pop()  # the block ends with a newline
        yield from _lines_block(lines, block, done, offset)
        done += len(lines)
        offset += len(block)


def _lines_block(lines: list[bytes], block: bytes, done: int, offset: int) -> Iterable[tuple[int, Any | JsonError]]:
    r"""Parse one block of JSON Lines: msgspec per line, the strict decoder where that is in doubt.

    A clean block (no ``\u`` escape, no line with more than MAX_DEPTH opening brackets, no blank
    line, no BOM, nothing msgspec refuses, as many colons as its values) is parsed in one pass.
    """
    escapes = b"\\" in block and b"\\u" in block
    structure = block.translate(_OPEN_AS_BRACE, _KEEP_STRUCTURE)  # one pass; a few % of the block's size
    colons = structure.count(b":")
    deep = _DEEP in structure.translate(None, b":")
    if not (escapes or deep or (done == 0 and block.startswith(codecs.BOM_UTF8))):
        try:
            values = [_msgspec_decode(raw) for raw in lines]
        except _FAST_ERRORS:  # a blank or bad line: line by line below
            pass
        else:
            if colons == _colons(values):
                return zip(range(done + 1, done + 1 + len(values)), values, strict=True)
    out: list[tuple[int, Any | JsonError]] = []
    fast: list[tuple[int, bytes, int]] = []  # (index in out, line, byte offset of the line)
    slow_colons = 0
    start = offset
    for n, raw in enumerate(lines, done + 1):
        at = start
        start += len(raw) + 1
        if n == 1 and raw.startswith(codecs.BOM_UTF8):
            raw, at = raw[3:], at + 3
        if len(raw) < 8 and not raw.strip():
            continue
        if not (escapes and b"\\" in raw and b"\\u" in raw) and not (
            deep and _DEEP in raw.translate(_OPEN_AS_BRACE, _KEEP_OPENERS_AND_NL)
        ):
            try:
                value = _msgspec_decode(raw)
            except _FAST_ERRORS:
                pass
            else:
                fast.append((len(out), raw, at))
                out.append((n, value))
                continue
        slow_colons += raw.count(b":")
        value = _strict_line(raw, n, at)
        if value is not _BLANK:
            out.append((n, value))
    if fast and colons - slow_colons != _colons([out[i][1] for i, _, _ in fast]):
        for i, raw, at in fast:  # find the lines that lost a duplicate key
            n, value = out[i]
            if raw.count(b":") != _colons([value]):
                out[i] = (n, _strict_line(raw, n, at))
    return out


def _strict_line(raw: bytes, n: int, at: int) -> Any:
    """One JSON Lines line through the strict decoder: its value, a JsonError, or ``_BLANK``."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        where = at + exc.start
        return JsonError(f"not valid UTF-8 at byte offset {where} ({exc.reason})", byte=where, line=n)
    if not text.strip():
        return _BLANK
    try:
        value, end = _decode_at(text, _skip_ws(text, 0))
        if _skip_ws(text, end) != len(text):
            raise JsonError("extra data after the JSON value", end)
    except JsonError as exc:
        exc.line = n
        return exc
    return value


# --------------------------------------------------------------------------------------- JSON Pointer
def json_pointer(parts: Iterable[Any]) -> str:
    """Return the RFC 6901 JSON Pointer for a sequence of keys and indexes.

    Example:
        >>> json_pointer(["signatures", 0, "a/b"])
        '/signatures/0/a~1b'
    """
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def pointer_parts(pointer: str) -> list[str]:
    """Split an RFC 6901 JSON Pointer into its unescaped reference tokens.

    Raises:
        ValueError: ``pointer`` is neither empty nor starts with ``/``.
    """
    if pointer == "":
        return []
    if not pointer.startswith("/"):
        raise ValueError(f"JSON Pointer {pointer!r} must start with '/'")
    return [p.replace("~1", "/").replace("~0", "~") for p in pointer[1:].split("/")]


def resolve_pointer(document: Any, pointer: str) -> Any:
    """Return the value ``pointer`` names in ``document``.

    Raises:
        KeyError: Nothing is at that place.
        ValueError: The pointer is not a JSON Pointer.
    """
    value = document
    for token in pointer_parts(pointer):
        if isinstance(value, dict):
            if token not in value:
                raise KeyError(pointer)
            value = value[token]
        elif isinstance(value, list) and token.isdigit() and int(token) < len(value):
            value = value[int(token)]
        else:
            raise KeyError(pointer)
    return value


# ---------------------------------------------------------------------------------------------- XML
class XmlRefused(ValueError):
    """An XML document refused by policy or malformed; ``line`` is its 1-based line when known."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


XINCLUDE_NS = ("http://www.w3.org/2001/XInclude", "http://www.w3.org/2003/XInclude")


def safe_xml_parser(*, remove_blank_text: bool = False) -> etree.XMLParser:
    """Return an lxml parser that expands no entity, loads no DTD and never uses the network.

    Use :func:`parse_xml` for untrusted documents: it also refuses DOCTYPE internal subsets, entity
    declarations and XInclude, which these settings alone let through unexpanded.
    """
    from lxml import etree  # ~7 MiB and ~20 ms: imported when XML is first read

    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_blank_text=remove_blank_text,
        remove_pis=False,
        collect_ids=False,
    )


def parse_xml(data: bytes) -> etree._ElementTree:
    """Parse untrusted XML bytes under the strict policy and return the tree.

    Refused: an empty file; malformed XML (with the parser's line and column); any DOCTYPE with an
    internal subset; any ``<!ENTITY`` declaration (internal or external, so neither entity bombs nor
    XXE can work); any XInclude element. A DOCTYPE without an internal subset (say, a public XHTML
    DTD) is tolerated because nothing is ever loaded from it.

    Raises:
        XmlRefused: The document is malformed or refused by policy.
    """
    if not data.strip(b" \t\r\n\x00"):
        raise XmlRefused("empty file: no XML content", 1)
    head = _head_text(data)
    if _DOCTYPE_SUBSET.search(head):
        raise XmlRefused("DTD/entity declarations not allowed: the DOCTYPE has an internal subset", _line_of(head, "["))
    if "<!ENTITY" in head or b"<!ENTITY" in data:
        raise XmlRefused(
            "DTD/entity declarations not allowed: entity declaration in the document", _line_of(head, "<!ENTITY")
        )
    from lxml import etree

    try:
        tree = etree.fromstring(data, safe_xml_parser()).getroottree()
    except etree.XMLSyntaxError as exc:
        line, col = exc.position if exc.position else (None, None)
        raise XmlRefused(f"not well-formed XML at line {line}, column {col}: {exc.msg or exc}", line) from None
    for ns in XINCLUDE_NS:
        found = tree.getroot().iter(f"{{{ns}}}include", f"{{{ns}}}fallback")
        first = next(iter(found), None)
        if first is not None:
            raise XmlRefused(f"XInclude refused: <{first.tag}> at line {first.sourceline}", first.sourceline)
    return tree


_DOCTYPE_SUBSET = re.compile(r"<!DOCTYPE[^>\[]*\[", re.IGNORECASE)


def _head_text(data: bytes) -> str:
    head = data[:65536]
    for bom, codec in ((b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")):
        if head.startswith(bom):
            return head[2:].decode(codec, "ignore")
    return head.decode("latin-1")


def _line_of(text: str, needle: str) -> int:
    at = text.find(needle)
    return text.count("\n", 0, at) + 1 if at >= 0 else 1


# -------------------------------------------------------------------------------------------- dates
_PDF_DATE = re.compile(
    r"^D:(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?(?:(Z)|([+-])(\d{2})'?(\d{2})?'?)?$",
)


def parse_date(text: str, formats: Sequence[str] = ()) -> dt.date | dt.datetime:
    """Parse a date or date-time the way vendors emit them.

    With ``formats`` (``strptime`` patterns from the bundle config), exactly those are tried in
    order. Without, the accepted shapes are ISO 8601 (``2024-03-05``, ``2024-03-05T14:22:01Z``,
    ``2024-03-05 14:22:01+01:00``), compact ``YYYYMMDD`` and PDF dates (``D:20240305142201+01'00'``).
    Day-first and month-first dates such as ``05/03/2024`` need a format: they are never guessed.

    Returns:
        A ``date`` when the input has no time, else a ``datetime`` (aware when it carries a zone).

    Raises:
        ValueError: ``text`` matches none of the accepted shapes, or names an impossible date.
    """
    text = text.strip()
    if formats:
        for fmt in formats:
            try:
                parsed = dt.datetime.strptime(text, fmt)
            except ValueError:
                continue
            has_time = any(c in fmt for c in ("%H", "%I", "%M", "%S", "%z", "%f", "%X", "%c"))
            return parsed if has_time else parsed.date()
        raise ValueError(f"{text!r} matches none of the date formats {list(formats)}")
    if len(text) == 8 and text.isdigit():
        return dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))
    m = _PDF_DATE.match(text)
    if m:
        y, mo, d, h, mi, s, z, sign, oh, om = m.groups()
        value = dt.datetime(int(y), int(mo or 1), int(d or 1), int(h or 0), int(mi or 0), int(s or 0))
        if z:
            return value.replace(tzinfo=dt.UTC)
        if sign:
            delta = dt.timedelta(hours=int(oh), minutes=int(om or 0))
            return value.replace(tzinfo=dt.timezone(delta if sign == "+" else -delta))
        return value
    if len(text) == 10:
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            pass
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r} is not an ISO 8601, YYYYMMDD or PDF date; name its format in the mapping") from None
