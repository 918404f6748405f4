"""Nightly-validation benchmark: incremental cache and worker processes on a 50,000-record bundle.

Generates a bundle of realistic complaint and CAPA exports (JSON arrays and JSON Lines, 100
records a file, about 2 % with defects), then measures whole-process wall times of
``evidence-kit validate BUNDLE --format json -o report.json``:

1. cold (empty cache) versus a rerun after 1 % of the files changed:
   target rerun / cold <= 0.15;
2. ``--jobs 1`` versus ``--jobs 2`` with ``--no-cache``: target speed-up >= 1.6 on 2 cores.

Run: ``.venv/bin/python benchmarks/bench_nightly.py [--records 50000] [--repeat 3]``.
Medians are printed with each paired ratio; nothing is asserted (not a timed test).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

PER_FILE = 100
TOML = """\
[establishment]
name = "Benchmark Devices Inc."
fei = "3012345678"

[inspection]
profile = "fda-qmsr"
as_of = "2026-11-30T12:00:00+00:00"

[[inputs]]
path = "complaints/*.json"
source = "json"
record_type = "complaint"

[[inputs]]
path = "capas/*.jsonl"
source = "json"
record_type = "capa"
"""

DEVICES = ["Infusion pump IP-200", "Syringe driver SD-5", "Ambulatory pump AP-1", "Volumetric pump VP-9"]
PROBLEMS = [
    "Occlusion alarm did not sound during a downstream occlusion",
    "Keypad membrane cracked after cleaning with an alcohol wipe",
    "Battery drained within two hours of a full charge",
    "Display showed a dose rate different from the programmed rate",
    "Door latch broke while loading the administration set",
]
PEOPLE = ["J. Chen", "M. Okafor", "S. Lindqvist", "R. Patel", "A. Moreau"]


def _date(rng: random.Random, year: int = 2026) -> str:
    return f"{year}-{rng.randint(1, 10):02d}-{rng.randint(1, 28):02d}"


def _sig(rng: random.Random, meaning: str) -> dict[str, Any]:
    who = rng.choice(PEOPLE)
    return {
        "printed_name": who,
        "signer_id": who.lower().replace(". ", "."),
        "signed_at": f"{_date(rng)}T{rng.randint(8, 17):02d}:{rng.randint(0, 59):02d}:00Z",
        "meaning": meaning,
    }


def complaint(n: int, rng: random.Random) -> dict[str, Any]:
    closed = rng.random() < 0.6
    rec: dict[str, Any] = {
        "id": f"CMP-{n:06d}",
        "device_name": rng.choice(DEVICES),
        "received_date": _date(rng),
        "event_date": _date(rng),
        "udi": f"(01)0088442{n % 1000000:07d}(17)2811{rng.randint(10, 28)}(10)L{rng.randint(1000, 9999)}",
        "lot": f"L{rng.randint(1000, 9999)}",
        "complainant": {"name": "Regional Hospital", "address": "1 Main St, Springfield", "phone": "+1 555 0100"},
        "description": rng.choice(PROBLEMS),
        "investigated": True,
        "investigation": {
            "started": _date(rng),
            "closed": _date(rng),
            "findings": "Reproduced on bench.",
            "root_cause": "Component tolerance",
        },
        "mdr_decision": {
            "reportable": rng.random() < 0.1,
            "decision_date": _date(rng),
            "rationale": "No death or serious injury; malfunction unlikely to recur.",
            "decided_by": rng.choice(PEOPLE),
        },
        "corrective_action_needed": True,
        "capa_ids": [f"CAPA-{n:06d}"],
        "status": "closed" if closed else "investigating",
        "created_at": _date(rng),
        "signatures": [_sig(rng, "Reviewed"), _sig(rng, "Approval")] if closed else [_sig(rng, "Reviewed")],
    }
    if closed:
        rec["closed_date"] = _date(rng)
    if rng.random() < 0.01:
        rec["received_date"] = "31/02/2026"  # schema.invalid
    if rng.random() < 0.01:
        rec["capa_ids"] = [f"CAPA-9{n:06d}"]  # dangling CAPA link
    return rec


def capa(n: int, rng: random.Random) -> dict[str, Any]:
    closed = rng.random() < 0.5
    rec: dict[str, Any] = {
        "id": f"CAPA-{n:06d}",
        "kind": "corrective",
        "title": rng.choice(PROBLEMS)[:40],
        "opened_at": _date(rng),
        "triggers": [{"type": "complaint", "id": f"CMP-{n:06d}"}],
        "problem": rng.choice(PROBLEMS),
        "root_cause": "Component tolerance stack-up",
        "root_cause_at": _date(rng),
        "need_evaluation": "Risk file RM-12 rates the hazard as serious; action needed.",
        "action_plan": ["Tighten incoming inspection", "Update supplier drawing"],
        "plan_approved_at": _date(rng),
        "implemented_at": _date(rng),
        "effectiveness": {
            "method": "Trend review",
            "criteria": "No recurrence in 90 days",
            "result": "Met",
            "at": _date(rng),
            "by": rng.choice(PEOPLE),
        },
        "status": "closed" if closed else "implementing",
        "owner": rng.choice(PEOPLE),
        "signatures": [_sig(rng, "Approval")],
    }
    if closed:
        rec["closed_at"] = _date(rng)
    return rec


def generate(root: Path, records: int, seed: int = 7) -> list[Path]:
    """Write the bundle; return its data files."""
    rng = random.Random(seed)
    (root / "complaints").mkdir(parents=True)
    (root / "capas").mkdir()
    (root / "evidence-kit.toml").write_text(TOML, encoding="utf-8")
    half = records // 2
    out = []
    for start in range(0, half, PER_FILE):
        ns = range(start + 1, min(start + PER_FILE, half) + 1)
        path = root / "complaints" / f"complaints-{start // PER_FILE:04d}.json"
        path.write_text(json.dumps([complaint(n, rng) for n in ns], indent=1), encoding="utf-8")
        out.append(path)
        path = root / "capas" / f"capas-{start // PER_FILE:04d}.jsonl"
        path.write_text("".join(json.dumps(capa(n, rng)) + "\n" for n in ns), encoding="utf-8")
        out.append(path)
    return out


def touch_one_percent(files: list[Path], round_: int) -> int:
    """Change one record in 1 % of the files (every 100th), as a nightly export would."""
    changed = files[round_ % 100 :: 100]
    for path in changed:
        text = path.read_text(encoding="utf-8")
        path.write_text(text.replace("Component tolerance", f"Component tolerance (rev {round_})", 1), encoding="utf-8")
    return len(changed)


def timed(cmd: list[str]) -> tuple[float, float]:
    """Run ``cmd``; return (wall seconds, CPU seconds of the process and the children it waited for)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode not in (0, 1):
        sys.exit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return elapsed, cpu


def load() -> str:
    return f"load {os.getloadavg()[0]:.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="Keep the generated bundle here.")
    args = parser.parse_args()
    exe = str(Path(sys.executable).with_name("evidence-kit"))
    work = Path(tempfile.mkdtemp(prefix="ek-nightly-"))
    try:
        bundle = args.keep or work / "bundle"
        if bundle.exists():
            shutil.rmtree(bundle)
        t0 = time.perf_counter()
        files = generate(bundle, args.records)
        print(f"bundle: {args.records} records in {len(files)} files ({time.perf_counter() - t0:.1f} s to generate)")
        base = [exe, "validate", str(bundle), "-q", "--format", "json", "-o", str(work / "report.json")]

        cold, warm, ratios, cpu_ratios = [], [], [], []
        for i in range(args.repeat):
            cache = work / f"cache-{i}"
            c, c_cpu = timed([*base, "--cache-dir", str(cache)])
            n = touch_one_percent(files, i)
            w, w_cpu = timed([*base, "--cache-dir", str(cache)])
            cold.append(c)
            warm.append(w)
            ratios.append(w / c)
            cpu_ratios.append(w_cpu / c_cpu)
            print(
                f"  round {i} ({load()}): cold {c:.2f} s (cpu {c_cpu:.2f}), rerun with {n} files changed "
                f"{w:.2f} s (cpu {w_cpu:.2f}); wall ratio {w / c:.3f}, cpu ratio {w_cpu / c_cpu:.3f}"
            )
        print(
            f"incremental: cold {statistics.median(cold):.2f} s, rerun {statistics.median(warm):.2f} s, "
            f"median wall ratio {statistics.median(ratios):.3f}, cpu ratio {statistics.median(cpu_ratios):.3f} "
            "(target <= 0.15)"
        )

        one, two, speedups = [], [], []
        for _ in range(args.repeat):
            a, _cpu = timed([*base, "--no-cache", "--jobs", "1"])
            b, _cpu = timed([*base, "--no-cache", "--jobs", "2"])
            one.append(a)
            two.append(b)
            speedups.append(a / b)
            print(f"  ({load()}) jobs 1 {a:.2f} s, jobs 2 {b:.2f} s, speed-up {a / b:.2f}")
        print(
            f"workers: --jobs 1 {statistics.median(one):.2f} s, --jobs 2 {statistics.median(two):.2f} s, "
            f"median speed-up {statistics.median(speedups):.2f} (target >= 1.6 on 2 cores)"
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
