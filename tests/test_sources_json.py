from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evidence_kit._api import run
from evidence_kit.parsing import JsonError, iter_json_document, iter_json_lines, loads_strict

TOML = """\
[establishment]
name = "Test Devices Inc."

[inspection]
as_of = "2026-11-30T12:00:00+00:00"
"""


def _complaint(i: int) -> dict[str, object]:
    return {"record_type": "complaint", "id": f"C-{i}", "received_date": "2026-01-02", "description": "x" * (i % 7)}


def test_array_streams_in_small_chunks_with_lines_and_pointers() -> None:
    records = [_complaint(i) for i in range(300)]
    data = json.dumps(records, indent=2).encode()
    lines = data.decode().split("\n")
    for chunk in (5, 97, 4096):
        out = list(iter_json_document(io.BytesIO(data), chunk=chunk))
        assert [v for v, _, _ in out] == records
        assert [p for _, _, p in out] == [f"/{i}" for i in range(300)]
        for value, line, _ in out:
            assert lines[line - 1].strip() == "{"
            assert f'"id": "{value["id"]}"' in lines[line + 1]


def test_number_split_across_chunks_is_read_whole() -> None:
    data = b'[{"a": 1}, 123456789, 2]'
    assert [v for v, _, _ in iter_json_document(io.BytesIO(data), chunk=3)] == [{"a": 1}, 123456789, 2]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"a": 1, "a": 2}', "duplicate key 'a'"),
        ('{"a": NaN}', "NaN is not valid JSON"),
        ('{"a": 1e400}', "overflows to infinity"),
        ('{"a": "\\ud800"}', "lone surrogate"),
        ("[" * 65 + "]" * 65, "nesting deeper than 64"),
        ('{"a": 1} x', "extra data"),
    ],
)
def test_strict_policy_refuses(text: str, message: str) -> None:
    with pytest.raises(JsonError, match=message):
        loads_strict(text)


def test_strict_policy_accepts_depth_64_and_paired_surrogates() -> None:
    assert loads_strict("[" * 64 + "]" * 64)
    assert loads_strict('{"a": "\\ud83d\\ude00"}') == {"a": "😀"}


def test_invalid_utf8_reports_byte_offset_in_document_and_lines() -> None:
    with pytest.raises(JsonError, match="byte offset 18") as info:
        list(iter_json_document(io.BytesIO(b'[{"a": 1},\n{"b": "\xff"}]'), chunk=4))
    assert info.value.byte == 18 and info.value.line == 2
    out = list(iter_json_lines(io.BytesIO(b'{"a": 1}\n{"b": "\xc3"}\n{"c": 3}\n')))
    assert out[0] == (1, {"a": 1}) and out[2] == (3, {"c": 3})
    assert isinstance(out[1][1], JsonError) and out[1][1].byte == 16


def test_json_lines_bad_line_costs_one_record(make_bundle) -> None:
    lines = "\n".join(json.dumps(_complaint(i)) for i in range(3))
    bundle = make_bundle({"c.jsonl": lines + '\n{"id": "C-9", oops}\n' + json.dumps(_complaint(4)) + "\n"}, toml=TOML)
    result = run(bundle)
    assert [r.id for r in result.records] == ["C-0", "C-1", "C-2", "C-4"]
    assert [r.location.line for r in result.records] == [1, 2, 3, 5]
    bad = [f for f in result.report.findings if f.code == "ingest.malformed"]
    assert len(bad) == 1 and bad[0].location.line == 4 and "c.jsonl:4" in bad[0].message


def test_every_record_keeps_file_sha_and_location(make_bundle) -> None:
    bundle = make_bundle({"d/c.json": [_complaint(1), _complaint(2)]}, toml=TOML)
    result = run(bundle)
    outcome = next(o for o in result.report.inputs if o.file == "d/c.json")
    for rec in result.records:
        assert rec.location.file == "d/c.json"
        assert rec.sha256 == outcome.sha256 and len(rec.sha256) == 64
        assert rec.location.path in ("/0", "/1") and rec.location.line == 1


def test_records_option_and_mapping_with_json_pointers(make_bundle) -> None:
    export = {
        "meta": {"count": 1},
        "results": [
            {"complaint-number": "Z-1", "dates": {"rcvd": "20260105"}, "flags": {"inv": "Y"}, "who": "A. Smith"},
            {"complaint-number": "Z-2", "dates": {"rcvd": "2026/01/06"}, "flags": {"inv": "maybe"}},
        ],
    }
    toml = (
        TOML
        + """
[[inputs]]
path = "openfda.json"
record_type = "complaint"
[inputs.options]
records = "/results"
[inputs.options.mapping]
id = "/complaint-number"
received_date = { from = "/dates/rcvd", date_format = "auto" }
investigated = { from = "/flags/inv", map = { Y = true, N = false } }
"/complainant/name" = "/who"
"""
    )
    result = run(make_bundle({"openfda.json": export}, toml=toml))
    z1 = result.records.get("Z-1")
    assert z1 is not None
    assert dict(z1.data) == {
        "id": "Z-1",
        "received_date": "2026-01-05",
        "investigated": True,
        "complainant": {"name": "A. Smith"},
    }
    assert z1.location.path == "/results/0"
    errors = [f for f in result.report.findings if f.code == "ingest.mapping-error"]
    assert {f.location.field for f in errors} == {"/received_date", "/investigated"}
    for f in errors:
        assert f.location.record == "Z-2" and "openfda.json" in f.message
    inv = next(f for f in errors if f.location.field == "/investigated")
    assert "mapping 'investigated'" in inv.message and "'maybe' is not in its map" in inv.message
    assert inv.location.path == "/results/1/flags/inv"


def test_corpus_json_files_end_as_records_or_specific_exclusions(corpus: Path, tmp_path: Path) -> None:
    bundle = tmp_path / "b"
    bundle.mkdir()
    for f in (corpus / "json").iterdir():
        shutil.copy(f, bundle / f.name)
    (bundle / "evidence-kit.toml").write_text(TOML + '[[inputs]]\npath = "*.json"\nrecord_type = "complaint"\n')
    result = run(bundle)
    outcomes = {o.file.removeprefix("jsontestsuite_"): o for o in result.report.inputs if o.file.endswith(".json")}
    assert len(outcomes) == len(list((corpus / "json").iterdir()))
    assert not [f for f in result.report.findings if f.code == "ingest.source-crashed"]
    for name, o in outcomes.items():
        assert o.records or (o.excluded_by and o.reason), name
    reason = {n: (o.reason or "") for n, o in outcomes.items()}
    # pinned policy decisions
    for name in ("n_number_NaN.json", "n_number_infinity.json", "n_number_minus_infinity.json"):
        assert "is not valid JSON" in reason[name]
    assert "byte offset 0" in reason["i_string_UTF-16LE_with_BOM.json"]
    assert "byte offset" in reason["i_string_invalid_utf-8.json"]
    assert "nesting deeper than 64" in reason["n_structure_100000_opening_arrays.json"]
    assert "nesting deeper than 64" in reason["i_structure_500_nested_arrays.json"]
    assert "duplicate key" in reason["y_object_duplicated_key.json"]
    assert "duplicate key" in reason["object_same_key_unclear_values.json"]
    assert "lone surrogate" in reason["i_string_lone_second_surrogate.json"]
    assert "overflows to infinity" in reason["i_number_huge_exp.json"]
    assert "extra data" in reason["n_structure_object_with_trailing_garbage.json"]
    assert "expected a JSON object" in reason["y_structure_lonely_int.json"]
    assert outcomes["i_structure_UTF-8_BOM_empty_object.json"].records  # a UTF-8 BOM is accepted
    assert outcomes["y_object_escaped_null_in_key.json"].records  # \u0000 is legal JSON


@pytest.mark.parametrize(
    "line",
    [
        b'{"a": 18446744073709551616}',
        b'{"a": -9223372036854775809}',
        b'{"a": 9223372036854775807}',
        b'{"a": 1, "a": 2}',
        b'{"a": {"b": 1, "b": 2}}',
        b'{"a": "x:y", "a": "z"}',
        b'{"a": "x", "\\u0061": "y"}',
        b'{"a": 1E5, "b": 1.5e-3, "c": "e:e"}',
        b'{"t": "2026-01-01T10:00:00Z", "n": null}',
    ],
)
def test_json_lines_fast_path_agrees_with_the_strict_decoder(line: bytes) -> None:
    ((_, fast),) = list(iter_json_lines(io.BytesIO(line)))
    try:
        strict: object = loads_strict(line.decode())
    except JsonError as exc:
        strict = exc
    if isinstance(strict, JsonError):
        assert isinstance(fast, JsonError) and str(fast) == str(strict)
    else:
        assert fast == strict and type(fast) is type(strict)
        assert [type(v) for v in fast.values()] == [type(v) for v in strict.values()]  # type: ignore[union-attr]


_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(alphabet=st.sampled_from('ab:e"\\/é\n\t{}[],'), max_size=8),
)
_values = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(alphabet="abe:", max_size=3), inner, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(
    obj=st.dictionaries(st.text(alphabet="abe:", max_size=3), _values, min_size=1, max_size=5),
    dup=st.booleans(),
    dup_value=_values,
)
def test_fast_path_matches_strict_decoder_on_generated_objects(
    obj: dict[str, object], dup: bool, dup_value: object
) -> None:
    text = json.dumps(obj, ensure_ascii=False)
    if dup:  # repeat the first key with another value, as a second "status" would
        key = json.dumps(next(iter(obj)), ensure_ascii=False)
        text = text[:-1] + f", {key}: {json.dumps(dup_value, ensure_ascii=False)}}}"
    ((_, fast),) = list(iter_json_lines(io.BytesIO(text.encode())))
    try:
        strict: object = loads_strict(text)
    except JsonError as exc:
        strict = exc
    if isinstance(strict, JsonError):
        assert isinstance(fast, JsonError) and str(fast) == str(strict)
    else:
        assert not isinstance(fast, JsonError)
        assert json.dumps(fast, sort_keys=True) == json.dumps(strict, sort_keys=True)


# ------------------------------------------------------------------ fast paths against the strict decoder
def _outcome(items: object) -> object:
    """Values (as canonical JSON, so 1 and 1.0 differ), lines and pointers, or the error's text and place."""
    try:
        return [(json.dumps(v, sort_keys=True), *rest) for v, *rest in items]  # type: ignore[attr-defined]
    except JsonError as exc:
        return ("error", str(exc), exc.line, exc.byte)


def _document_both_ways(data: bytes, tmp_path: Path) -> tuple[object, object]:
    """(whole-document fast path from a real file, streaming strict decoder from a stream)."""
    path = tmp_path / "doc.json"
    path.write_bytes(data)
    with open(path, "rb") as fh:
        fast = _outcome(iter_json_document(fh))
    return fast, _outcome(iter_json_document(io.BytesIO(data)))  # what the file gave before the fast path


@pytest.mark.parametrize(
    "data",
    [
        b'[{"a": 1}, {"b": [1, 2]}]',
        b'[\n {\n  "a": 1\n },\n {\n  "b": 2\n }\n]\n',
        b'\xef\xbb\xbf\n\n[ {"a": 1} ,\n\t{"b": 2}\r\n]',
        b'{"a": 1, "b": {"c": 2}}',
        b"[]",
        b'[1, "x", null, {"a": 1}]',
        b'[{"a": 18446744073709551616, "b": -9223372036854775809, "c": 1.5e300}]',
        b'[{"a": 1}, {"a": 1, "a": 2}]',
        b'[{"a": {"b": 1, "b": 1}}]',
        b'[{"a": "x:y"}, {"a": "x", "\\u0061": "y"}]',
        b'[{"a": "\\u00e9:\\u003a"}, {"b": "plain"}]',
        b'[{"a": "\\ud800"}]',
        b'[{"a": 1e400}]',
        b'[{"a": NaN}]',
        b'[{"a": 1}] x',
        b'[{"a": 1},\n{"b": "\xff"}]',
        b"[" + b"[" * 64 + b"]" * 64 + b"]",
        b"[" + b"[" * 65 + b"]" * 65 + b"]",
        b"[" * 65 + b"]" * 65,
        b'[{"k": "' + b"[" * 80 + b'"}]',
        b"",
        b"  \n",
    ],
)
def test_whole_document_fast_path_agrees_with_streaming(data: bytes, tmp_path: Path) -> None:
    fast, strict = _document_both_ways(data, tmp_path)
    assert fast == strict


_keys = st.text(alphabet="abé:", max_size=3)
_doc_values = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_keys, inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=200, deadline=None)
@given(
    items=st.lists(st.dictionaries(_keys, _doc_values, min_size=1, max_size=4), max_size=6),
    indent=st.sampled_from([None, 1, "\t"]),
    ascii_only=st.booleans(),
    dup_at=st.integers(min_value=-1, max_value=5),
)
def test_whole_document_fast_path_matches_streaming_on_generated_arrays(
    items: list[dict[str, object]], indent: int | str | None, ascii_only: bool, dup_at: int, tmp_path_factory
) -> None:
    parts = [json.dumps(item, indent=indent, ensure_ascii=ascii_only) for item in items]
    if 0 <= dup_at < len(parts):  # repeat a key in one element
        key = json.dumps(next(iter(items[dup_at])), ensure_ascii=ascii_only)
        parts[dup_at] = parts[dup_at][:-1] + f", {key}: 0}}"
    data = ("[\n" + ",\n".join(parts) + "\n]").encode()
    fast, strict = _document_both_ways(data, tmp_path_factory.mktemp("doc"))
    assert fast == strict


def _lines_reference(data: bytes) -> object:
    """JSON Lines read line by line with the strict decoder only."""
    from evidence_kit.parsing import _BLANK, _strict_line

    out, offset = [], 0
    for n, raw in enumerate(data.split(b"\n"), 1):
        at, offset = offset, offset + len(raw) + 1
        if n == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw, at = raw[3:], at + 3
        value = _strict_line(raw, n, at) if raw.strip() else _BLANK
        if value is not _BLANK:
            out.append((n, value))
    return _lines_outcome(out)


def _lines_outcome(items: object) -> object:
    return [
        (n, ("error", str(v), v.line, v.byte) if isinstance(v, JsonError) else json.dumps(v, sort_keys=True))
        for n, v in items  # type: ignore[attr-defined]
    ]


@pytest.mark.parametrize("chunk", [1, 16, 64, 1 << 20])
def test_json_lines_blocks_agree_with_the_strict_decoder_line_by_line(chunk: int) -> None:
    lines = [
        b'\xef\xbb\xbf{"a": 1}',
        b'{"a": 1, "b": "c:d"}',
        b"",
        b"   ",
        b'{"a": 1, "a": 2}',
        b'{"a": {"b": 1, "b": 2}}\r',
        b'{"a": "x", "\\u0061": "y"}',
        b'{"a": "\\u00e9"}',
        b'{"a": 18446744073709551616}',
        b"[" * 65 + b"]" * 65,
        b"[" * 64 + b"]" * 64,
        b'{"a": "\xff"}',
        b'{"a": 1} {"b": 2}',
        b'{"a": NaN}',
        b'{"z": 26}',
    ]
    data = b"\n".join(lines)
    assert _lines_outcome(iter_json_lines(io.BytesIO(data), chunk=chunk)) == _lines_reference(data)
    clean = b"\n".join(b'{"i": %d, "t": "10:00"}' % i for i in range(50)) + b"\n"
    for variant in (clean, clean.replace(b'"i": 7,', b'"i": 7, "i": 8,')):
        assert _lines_outcome(iter_json_lines(io.BytesIO(variant), chunk=chunk)) == _lines_reference(variant)


@settings(max_examples=200, deadline=None)
@given(
    items=st.lists(st.dictionaries(_keys, _doc_values, min_size=1, max_size=4), min_size=1, max_size=8),
    ascii_only=st.booleans(),
    dup_at=st.integers(min_value=-1, max_value=7),
    chunk=st.sampled_from([8, 100, 1 << 20]),
)
def test_json_lines_blocks_match_the_strict_decoder_on_generated_lines(
    items: list[dict[str, object]], ascii_only: bool, dup_at: int, chunk: int
) -> None:
    parts = [json.dumps(item, ensure_ascii=ascii_only) for item in items]
    if 0 <= dup_at < len(parts):
        key = json.dumps(next(iter(items[dup_at])), ensure_ascii=ascii_only)
        parts[dup_at] = parts[dup_at][:-1] + f", {key}: 0}}"
    data = "\n".join(parts).encode()
    assert _lines_outcome(iter_json_lines(io.BytesIO(data), chunk=chunk)) == _lines_reference(data)
