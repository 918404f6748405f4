"""Nightly-validation benchmark: incremental cache and worker processes on a 50,000-record bundle.

Generates a bundle of realistic complaint and CAPA exports (JSON arrays and JSON Lines, 100
records a file, about 2 % with defects), then measures whole-process wall times of
``evidence-kit validate BUNDLE --format json -o report.json``:

1. cold (empty cache) versus a rerun after 1 % of the files changed:
   target rerun / cold <= 0.15; then, for information, the next night's run (another 1 % changed and
   ``--as-of`` one day later, so record rules that read "now" are rerun for every file);
2. ``--jobs 1`` versus ``--jobs 2`` with ``--no-cache``: target speed-up >= 1.6 on 2 cores.

Run: ``.venv/bin/python benchmarks/bench_nightly.py [--records 50000] [--repeat 3]``.
Medians are printed with each paired ratio; nothing is asserted (not a timed test).
"""

from __future__ import annotations

import argparse
import compileall
import datetime as dt
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


AS_OF = dt.date(2026, 11, 30)
NEXT_DAY = "2026-12-01T12:00:00+00:00"  # the config's as_of plus one day


def _iso(day: dt.date) -> str:
    return day.isoformat()


def _gtin(n: int) -> str:
    """A 14-digit GTIN with a valid GS1 mod-10 check digit."""
    body = f"0088442{n % 1000000:06d}"
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return body + str((10 - total % 10) % 10)


def _sig(rng: random.Random, day: dt.date, meaning: str) -> dict[str, Any]:
    who = rng.choice(PEOPLE)
    return {
        "printed_name": who,
        "signer_id": who.lower().replace(". ", "."),
        "signed_at": f"{_iso(day)}T{rng.randint(8, 17):02d}:{rng.randint(0, 59):02d}:00Z",
        "meaning": meaning,
    }


def pair(n: int, rng: random.Random) -> tuple[dict[str, Any], dict[str, Any]]:
    """One complaint and the CAPA it triggered, with dates in a consistent order (about 2 % defects)."""
    received = AS_OF - dt.timedelta(days=rng.randint(20, 600))
    event = received - dt.timedelta(days=rng.randint(0, 3))
    opened = received + dt.timedelta(days=rng.randint(2, 10))
    root_cause_at = opened + dt.timedelta(days=rng.randint(2, 5))
    plan_at = root_cause_at + dt.timedelta(days=rng.randint(1, 5))
    implemented = plan_at + dt.timedelta(days=rng.randint(3, 10))
    effective_at = implemented + dt.timedelta(days=rng.randint(30, 40))
    capa_closed_at = effective_at + dt.timedelta(days=rng.randint(1, 3))
    capa_closed = capa_closed_at <= AS_OF
    inv_started = received + dt.timedelta(days=1)
    inv_closed = min(inv_started + dt.timedelta(days=rng.randint(3, 20)), AS_OF)
    cmp_closed_at = capa_closed_at + dt.timedelta(days=rng.randint(1, 3))
    cmp_closed = capa_closed and cmp_closed_at <= AS_OF
    cmp_id, capa_id = f"CMP-{n:06d}", f"CAPA-{n:06d}"
    complaint: dict[str, Any] = {
        "id": cmp_id,
        "device_name": rng.choice(DEVICES),
        "received_date": _iso(received),
        "event_date": _iso(event),
        "aware_date": _iso(received),
        "udi": f"(01){_gtin(n)}(17)281130(10)L{rng.randint(1000, 9999)}",
        "lot": f"L{rng.randint(1000, 9999)}",
        "complainant": {"name": "Regional Hospital", "address": "1 Main St, Springfield", "phone": "+1 555 0100"},
        "description": rng.choice(PROBLEMS),
        "investigated": True,
        "investigation": {
            "started": _iso(inv_started),
            "closed": _iso(inv_closed),
            "findings": "Reproduced on the bench with the returned unit.",
            "root_cause": "Component tolerance stack-up",
        },
        "mdr_decision": {
            "reportable": False,
            "decision_date": _iso(min(received + dt.timedelta(days=rng.randint(1, 20)), AS_OF)),
            "rationale": "No death or serious injury; a recurrence would not be likely to cause one.",
            "decided_by": rng.choice(PEOPLE),
        },
        "corrective_action_needed": True,
        "capa_ids": [capa_id],
        "reply": {"date": _iso(inv_closed), "text": "Investigation summary sent to the complainant."},
        "status": "closed" if cmp_closed else "investigating",
        "created_at": _iso(received),
        "signatures": [_sig(rng, inv_closed, "reviewed")],
    }
    if cmp_closed:
        complaint["closed_date"] = _iso(cmp_closed_at)
        complaint["signatures"].append(_sig(rng, cmp_closed_at, "approved"))
    capa: dict[str, Any] = {
        "id": capa_id,
        "kind": "corrective",
        "title": rng.choice(PROBLEMS)[:40],
        "opened_at": _iso(opened),
        "triggers": [{"type": "complaint", "id": cmp_id}],
        "problem": rng.choice(PROBLEMS),
        "root_cause": "Component tolerance stack-up",
        "root_cause_at": _iso(min(root_cause_at, AS_OF)),
        "need_evaluation": "Risk file RM-12 rates the hazard as serious; action needed.",
        "action_plan": ["Tighten incoming inspection", "Update the supplier drawing"],
        "created_at": _iso(opened),
        "owner": rng.choice(PEOPLE),
        "signatures": [],
    }
    if plan_at <= AS_OF:
        capa["plan_approved_at"] = _iso(plan_at)
        capa["signatures"].append(_sig(rng, plan_at, "approved"))
    if implemented <= AS_OF:
        capa["implemented_at"] = _iso(implemented)
        capa["implementation_evidence"] = "ECO-4471 released; incoming inspection plan IQ-88 rev C."
        capa["no_adverse_effect_verification"] = "Design verification DV-31 repeated; no new risks."
        capa["status"] = "implementing"
    else:
        capa["status"] = "open"
    if effective_at <= AS_OF:
        capa["effectiveness"] = {
            "method": "Complaint trend review",
            "criteria": "No recurrence in 90 days",
            "result": "Met",
            "at": _iso(effective_at),
            "by": rng.choice(PEOPLE),
        }
        capa["status"] = "effectiveness-check"
    if capa_closed:
        capa["status"] = "closed"
        capa["closed_at"] = _iso(capa_closed_at)
    if rng.random() < 0.01:
        complaint["received_date"] = "31/02/2026"  # schema.invalid
    if rng.random() < 0.01:
        complaint["capa_ids"] = [f"CAPA-9{n:06d}"]  # dangling CAPA link
    return complaint, capa


def generate(root: Path, records: int, seed: int = 7) -> list[Path]:
    """Write the bundle; return its data files."""
    rng = random.Random(seed)
    (root / "complaints").mkdir(parents=True)
    (root / "capas").mkdir()
    (root / "evidence-kit.toml").write_text(TOML, encoding="utf-8")
    half = records // 2
    out = []
    for start in range(0, half, PER_FILE):
        pairs = [pair(n, rng) for n in range(start + 1, min(start + PER_FILE, half) + 1)]
        path = root / "complaints" / f"complaints-{start // PER_FILE:04d}.json"
        path.write_text(json.dumps([c for c, _ in pairs], indent=1), encoding="utf-8")
        out.append(path)
        path = root / "capas" / f"capas-{start // PER_FILE:04d}.jsonl"
        path.write_text("".join(json.dumps(c) + "\n" for _, c in pairs), encoding="utf-8")
        out.append(path)
    return out


def touch_one_percent(files: list[Path], round_: int) -> int:
    """Change one record in 1 % of the files (every 100th), as a nightly export would."""
    changed = files[round_ % 100 :: 100]
    for path in changed:
        text = path.read_text(encoding="utf-8")
        path.write_text(
            text.replace("Component tolerance stack-up", f"Component tolerance stack-up (rev {round_})", 1),
            encoding="utf-8",
        )
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


def byte_compile() -> None:
    """Write the package's bytecode, as ``pip install`` does, so no run pays for compiling the source.

    An editable install under ``PYTHONDONTWRITEBYTECODE=1`` (this machine's shells set it) would
    otherwise compile every module of the tool on every run (~0.1-0.2 s), which no installed copy does.
    """
    import evidence_kit_builtin

    import evidence_kit

    for package in (evidence_kit, evidence_kit_builtin):
        compileall.compile_dir(str(Path(package.__file__).parent), quiet=1)


def load() -> str:
    return f"load {os.getloadavg()[0]:.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="Keep the generated bundle here.")
    parser.add_argument("--only", choices=["incremental", "workers"], help="Measure only one of the two parts.")
    args = parser.parse_args()
    exe = str(Path(sys.executable).with_name("evidence-kit"))
    byte_compile()
    work = Path(tempfile.mkdtemp(prefix="ek-nightly-"))
    try:
        bundle = args.keep or work / "bundle"
        if bundle.exists():
            shutil.rmtree(bundle)
        t0 = time.perf_counter()
        files = generate(bundle, args.records)
        print(f"bundle: {args.records} records in {len(files)} files ({time.perf_counter() - t0:.1f} s to generate)")
        base = [exe, "validate", str(bundle), "-q", "--format", "json", "-o", str(work / "report.json")]

        cold, warm, ratios, cpu_ratios, moved = [], [], [], [], []
        for i in range(0 if args.only == "workers" else args.repeat):
            cache = work / f"cache-{i}"
            c, c_cpu = timed([*base, "--cache-dir", str(cache)])
            n = touch_one_percent(files, i)
            w, w_cpu = timed([*base, "--cache-dir", str(cache)])
            # the next night: one more day of as_of (rules that read "now" are rerun on every file)
            n2 = touch_one_percent(files, i + 50)
            m, m_cpu = timed([*base, "--cache-dir", str(cache), "--as-of", NEXT_DAY])
            cold.append(c)
            warm.append(w)
            ratios.append(w / c)
            cpu_ratios.append(w_cpu / c_cpu)
            moved.append(m / c)
            print(
                f"  round {i} ({load()}): cold {c:.2f} s (cpu {c_cpu:.2f}), rerun with {n} files changed "
                f"{w:.2f} s (cpu {w_cpu:.2f}); wall ratio {w / c:.3f}, cpu ratio {w_cpu / c_cpu:.3f}; "
                f"next day ({n2} more files changed, as_of + 1 day) {m:.2f} s (cpu {m_cpu:.2f}), wall ratio {m / c:.3f}"
            )
        if cold:
            print(
                f"incremental: cold {statistics.median(cold):.2f} s, rerun {statistics.median(warm):.2f} s, "
                f"median wall ratio {statistics.median(ratios):.3f}, cpu ratio {statistics.median(cpu_ratios):.3f} "
                f"(target <= 0.15); with as_of moved a day: median wall ratio {statistics.median(moved):.3f}"
            )

        one, two, speedups = [], [], []
        for i in range(
            0 if args.only == "incremental" else args.repeat
        ):  # alternating which goes first, so a drift in load hits both
            if i % 2:
                b, _cpu = timed([*base, "--no-cache", "--jobs", "2"])
                a, _cpu = timed([*base, "--no-cache", "--jobs", "1"])
            else:
                a, _cpu = timed([*base, "--no-cache", "--jobs", "1"])
                b, _cpu = timed([*base, "--no-cache", "--jobs", "2"])
            one.append(a)
            two.append(b)
            speedups.append(a / b)
            print(f"  ({load()}) jobs 1 {a:.2f} s, jobs 2 {b:.2f} s, speed-up {a / b:.2f}")
        if one:
            print(
                f"workers: --jobs 1 {statistics.median(one):.2f} s, --jobs 2 {statistics.median(two):.2f} s, "
                f"median speed-up {statistics.median(speedups):.2f} (target >= 1.6 on 2 cores)"
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
