"""Ingest + schema-validation benchmark on JSON Lines complaints (see benchmarks/README.md).

    python -m benchmarks.bench_ingest                 # 100k records, 1 GB RSS check
    python -m benchmarks.bench_ingest --records 20000 --rss-gb 0.2   # quicker

Reports:
  1. end-to-end records/s of ``evidence-kit validate`` (a subprocess) on the 100k-record file;
  2. the in-process ingest+validate stage (read, strict parse, Record construction, jsonschema-rs
     validation) against a bare jsonschema-rs ``is_valid`` loop over the same, already parsed dicts;
  3. the same stage against a bare ``jsonschema`` (Draft 2020-12, format checking) loop;
  4. peak RSS of the streaming source + validation over a ~1 GB JSON Lines file, next to the peak
     RSS over a file a tenth that size (flat means the two are about equal).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

TOML = """\
[establishment]
name = "Benchmark Devices Inc."

[inspection]
as_of = "2026-11-30T12:00:00+00:00"

[[inputs]]
path = "complaints.jsonl"
record_type = "complaint"
"""


def make_record(i: int, rng: random.Random) -> dict[str, Any]:
    """One complaint of realistic shape: ~30 leaf fields, nested objects, two signatures, ISO dates."""
    day = 1 + i % 28
    month = 1 + i % 10  # January to October: before the as-of date of the bundle
    signer_id, signer = rng.choice([("u1", "A. Ortiz"), ("u2", "B. Chen"), ("u3", "C. Müller"), ("u4", "D. Okafor")])
    gtin = f"0081234{i % 100000:06d}"
    gtin += str((10 - sum(int(c) * (3 if k % 2 == 0 else 1) for k, c in enumerate(reversed(gtin))) % 10) % 10)
    return {
        "id": f"CMP-{2026}-{i:07d}",
        "device_name": rng.choice(["InfuPump 300", "CardioSense 2", "GlucoTrack Mini"]),
        "received_date": f"2026-{month:02d}-{day:02d}",
        "event_date": f"2026-{month:02d}-{max(1, day - 2):02d}",
        "aware_date": f"2026-{month:02d}-{day:02d}",
        "udi": f"(01){gtin}(17)280101(10)LOT{i % 977}",
        "lot": f"LOT{i % 977}",
        "other_device_ids": [f"SN-{i:08d}"],
        "complainant": {"name": f"Reporter {i}", "address": f"{i % 900} Main St, Springfield", "phone": "+1 555 0100"},
        "description": "Occlusion alarm did not sound during a blocked-line test; " * rng.randint(1, 4),
        "investigated": True,
        "investigation": {
            "started": f"2026-{month:02d}-{day:02d}",
            "closed": f"2026-{month:02d}-{min(28, day + 5):02d}",
            "findings": "Sensor threshold drift confirmed on returned unit.",
            "root_cause": "Firmware threshold set too high.",
        },
        "mdr_decision": {
            "reportable": False,
            "decision_date": f"2026-{month:02d}-{day:02d}",
            "rationale": "Malfunction could cause serious injury if it recurred.",
            "decided_by": signer,
        },
        "corrective_action_needed": False,
        "no_capa_rationale": "Isolated event; trended, below the CAPA threshold.",
        "corrections": {"none": True, "reason": "No correction needed."},
        "reply": {"date": f"2026-{month:02d}-{min(28, day + 7):02d}", "text": "Thank you for your report."},
        "status": "closed",
        "closed_date": f"2026-{month:02d}-{min(28, day + 9):02d}",
        "created_at": f"2026-{month:02d}-{day:02d}T09:{i % 60:02d}:00+00:00",
        "confidential": False,
        "signatures": [
            {
                "printed_name": signer,
                "signer_id": signer_id,
                "signed_at": f"2026-{month:02d}-{day:02d}T10:00:00Z",
                "meaning": "reviewed",
            },
            {
                "printed_name": "QA Approver",
                "signer_id": "qa1",
                "signed_at": f"2026-{month:02d}-{min(28, day + 9):02d}T16:30:00Z",
                "meaning": "approved",
            },
        ],
    }


def write_bundle(folder: Path, n: int, seed: int = 7) -> Path:
    """Write a bundle with ``n`` complaints in one JSON Lines file; return the file."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "evidence-kit.toml").write_text(TOML, encoding="utf-8")
    rng = random.Random(seed)
    path = folder / "complaints.jsonl"
    with open(path, "w", encoding="utf-8") as fh:
        for i in range(n):
            fh.write(json.dumps(make_record(i, rng), ensure_ascii=False) + "\n")
    return path


def _loader() -> tuple[Any, Any, Any]:
    from evidence_kit._config import load_config
    from evidence_kit._plugins import build_registry, get_plugin_manager
    from evidence_kit._schemas import SchemaValidator

    registry = build_registry(get_plugin_manager(entry_points=False))
    return load_config, registry, SchemaValidator(registry.record_types)


def stage_ingest_validate(bundle: Path) -> tuple[float, int, int, float]:
    """Time the ingest+validate stage in-process; return (seconds, records, findings, CPU seconds)."""
    from evidence_kit._ingest import ingest_file

    load_config, registry, validator = _loader()
    config = load_config(bundle)
    path = bundle / "complaints.jsonl"
    t, c = time.perf_counter(), time.process_time()
    _, records, findings = ingest_file("complaints.jsonl", path, config, registry, validator)
    return time.perf_counter() - t, len(records), len(findings), time.process_time() - c


def load_dicts(path: Path) -> list[dict[str, Any]]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def rs_validator() -> Any:
    import jsonschema_rs
    from evidence_kit_builtin._schemas import load_schema

    schema, defs = load_schema("complaint"), load_schema("defs")
    registry = jsonschema_rs.Registry([(defs["$id"], defs)])
    return jsonschema_rs.Draft202012Validator(schema, validate_formats=True, registry=registry)


def bare_rs(dicts: list[dict[str, Any]], rs: Any) -> tuple[float, float]:
    """Time a bare jsonschema-rs ``is_valid`` loop over dicts already in memory; (seconds, CPU seconds)."""
    t, c = time.perf_counter(), time.process_time()
    valid = sum(1 for d in dicts if rs.is_valid(d))
    secs, cpu = time.perf_counter() - t, time.process_time() - c
    assert valid == len(dicts), f"{len(dicts) - valid} generated records are invalid"
    return secs, cpu


def bare_rs_iter_errors(dicts: list[dict[str, Any]], rs: Any) -> float:
    t = time.perf_counter()
    errors = sum(len(list(rs.iter_errors(d))) for d in dicts)
    assert errors == 0
    return time.perf_counter() - t


def bare_jsonschema(dicts: list[dict[str, Any]], sample: int) -> float:
    """Time plain ``jsonschema`` (2020-12, format checker) on a sample; return seconds scaled to all dicts."""
    import jsonschema
    import referencing
    from evidence_kit_builtin._schemas import load_schema

    schema, defs = load_schema("complaint"), load_schema("defs")
    registry = referencing.Registry().with_resource(defs["$id"], referencing.Resource.from_contents(defs))
    py = jsonschema.Draft202012Validator(schema, registry=registry, format_checker=jsonschema.FormatChecker())
    part = dicts[:sample]
    t = time.perf_counter()
    for d in part:
        for _ in py.iter_errors(d):
            raise AssertionError("generated record invalid under jsonschema")
    return (time.perf_counter() - t) * len(dicts) / len(part)


def end_to_end(bundle: Path) -> tuple[float, int]:
    """Run ``evidence-kit validate`` as a subprocess; return (wall seconds, exit code)."""
    exe = Path(sys.executable).with_name("evidence-kit")
    cmd = (
        [str(exe), "validate", str(bundle)]
        if exe.exists()
        else [sys.executable, "-m", "evidence_kit", "validate", str(bundle)]
    )
    t = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    return time.perf_counter() - t, proc.returncode


RSS_CHILD = """
import sys, time
from pathlib import Path
from evidence_kit.contracts import SourceContext
from evidence_kit.model import Record
from evidence_kit._plugins import build_registry, get_plugin_manager
from evidence_kit._schemas import SchemaValidator
reg = build_registry(get_plugin_manager(entry_points=False))
val = SchemaValidator(reg.record_types)
src = reg.source("json")
path = Path(sys.argv[1])
ctx = SourceContext(path.parent, path.name, "0" * 64, "json", "complaint", {})
n = bad = 0
t = time.perf_counter()
for item in src.read(path, ctx):
    if isinstance(item, Record):
        n += 1
        bad += len(val.validate(item))
dt = time.perf_counter() - t
# VmHWM is this process's own peak (ru_maxrss would carry the parent's over fork+exec on Linux)
hwm = next(int(x.split()[1]) for x in open("/proc/self/status") if x.startswith("VmHWM"))
print(n, bad, round(dt, 2), hwm // 1024)
"""


def peak_rss(path: Path) -> tuple[int, int, float, int]:
    """Stream-read and validate ``path`` in a fresh process; return (records, findings, seconds, peak MiB)."""
    out = subprocess.run([sys.executable, "-c", RSS_CHILD, str(path)], capture_output=True, text=True, check=True)
    n, bad, secs, mib = out.stdout.split()
    return int(n), int(bad), float(secs), int(mib)


def grow(path: Path, target_bytes: int) -> None:
    """Append copies of the file's lines (with fresh ids) until it reaches ``target_bytes``."""
    lines = path.read_text(encoding="utf-8").splitlines()
    size = path.stat().st_size
    rnd = 0
    with open(path, "a", encoding="utf-8") as fh:
        while size < target_bytes:
            rnd += 1
            for line in lines:
                line = line.replace('"id": "CMP-2026-', f'"id": "CMP-{2026 + rnd}-', 1)
                fh.write(line + "\n")
                size += len(line.encode()) + 1
                if size >= target_bytes:
                    break


def to_array(lines_file: Path, array_file: Path) -> None:
    """Rewrite a JSON Lines file as one pretty-ish JSON array (one element per line), streaming."""
    with open(lines_file, encoding="utf-8") as src, open(array_file, "w", encoding="utf-8") as out:
        out.write("[\n")
        first = True
        for line in src:
            out.write(("" if first else ",\n") + line.rstrip("\n"))
            first = False
        out.write("\n]\n")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--records", type=int, default=100_000)
    ap.add_argument("--jsonschema-sample", type=int, default=10_000, help="records timed with plain jsonschema")
    ap.add_argument("--rss-gb", type=float, default=1.0, help="size of the big JSON Lines file for the RSS check")
    ap.add_argument("--repeat", type=int, default=3, help="runs per timing; the median is reported")
    ap.add_argument("--workdir", type=Path, default=None)
    ap.add_argument("--rss-only", action="store_true", help="only the peak-RSS part")
    ap.add_argument("--no-e2e", action="store_true", help="skip the end-to-end `evidence-kit validate` runs")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
        bundle = Path(tmp) / "bundle"
        path = write_bundle(bundle, args.records)
        size_mb = path.stat().st_size / 1e6
        print(f"file: {args.records} records, {size_mb:.1f} MB, {size_mb * 1e6 / args.records:.0f} bytes/record")

        if not args.rss_only:
            if not args.no_e2e:
                e2e_s, code = min(end_to_end(bundle) for _ in range(args.repeat))
                print(
                    f"evidence-kit validate (subprocess, whole run, best of {args.repeat}): {e2e_s:.2f} s, "
                    f"{args.records / e2e_s:,.0f} records/s, exit {code}"
                )

            dicts = load_dicts(path)
            rs = rs_validator()
            stage_runs, rs_runs, stage_cpu, rs_cpu = [], [], [], []
            for _ in range(args.repeat):  # interleaved, best of N: the machine is shared and noisy
                stage_s, n, findings, cpu_s = stage_ingest_validate(bundle)
                assert n == args.records and findings == 0, (n, findings)
                stage_runs.append(stage_s)
                stage_cpu.append(cpu_s)
                wall, cpu = bare_rs(dicts, rs)
                rs_runs.append(wall)
                rs_cpu.append(cpu)
            stage_s, rs_s = min(stage_runs), min(rs_runs)
            print(
                f"ingest+validate stage (in-process, best of {args.repeat}): {stage_s:.2f} s, "
                f"{n / stage_s:,.0f} records/s"
            )
            print(
                f"bare jsonschema-rs is_valid loop: {rs_s:.2f} s ({args.records / rs_s:,.0f} records/s); "
                f"iter_errors loop: {bare_rs_iter_errors(dicts, rs):.2f} s"
            )
            py_s = bare_jsonschema(dicts, args.jsonschema_sample)
            print(
                f"bare jsonschema loop: {py_s:.1f} s (timed on {min(args.jsonschema_sample, len(dicts))} records, "
                f"scaled to {args.records})"
            )
            print(f"ratio stage / bare jsonschema-rs: {stage_s / rs_s:.2f}x (target <= 3x)")
            print(f"same ratio in CPU time (best of {args.repeat}): {min(stage_cpu) / min(rs_cpu):.2f}x")
            print(f"ratio bare jsonschema / stage: {py_s / stage_s:.1f}x faster (target >= 10x)")
            del dicts

        small = Path(tmp) / "small.jsonl"
        big = Path(tmp) / "big.jsonl"
        target = int(args.rss_gb * 1e9)
        small.write_bytes(path.read_bytes())
        grow(small, target // 10)
        big.write_bytes(path.read_bytes())
        grow(big, target)
        small_array, big_array = Path(tmp) / "small.json", Path(tmp) / "big.json"
        to_array(small, small_array)
        for label, p in (("JSON Lines, 1/10 size", small), ("JSON Lines, full size", big)):
            n, bad, secs, mib = peak_rss(p)
            print(
                f"streamed source+validate, {label}: {p.stat().st_size / 1e9:.2f} GB, {n:,} records, "
                f"{bad} findings, {secs:.1f} s ({n / secs:,.0f} records/s), peak RSS {mib} MiB"
            )
        small.unlink()
        to_array(big, big_array)
        big.unlink()
        for label, p in (("JSON array, 1/10 size", small_array), ("JSON array, full size", big_array)):
            n, bad, secs, mib = peak_rss(p)
            print(
                f"streamed source+validate, {label}: {p.stat().st_size / 1e9:.2f} GB, {n:,} records, "
                f"{bad} findings, {secs:.1f} s ({n / secs:,.0f} records/s), peak RSS {mib} MiB"
            )
        print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
