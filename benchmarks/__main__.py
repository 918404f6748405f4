"""``python -m benchmarks``: the scale suite in one table (see benchmarks/README.md, "Scale suite").

    python -m benchmarks                                   # defaults: a few minutes
    python -m benchmarks --records 1000 10000 100000 --pdfs 1000 5000 20000   # the full run (~1 h)

Every row runs in its own subprocess (clean peak RSS, counted open file descriptors) on deterministic
generated bundles: complaint + CAPA records from ``bench_nightly.generate`` (realistic, ~2 % defects, so
every rule has work) and 1-5 page source PDFs from ``bench_binder.make_bundle``. Each row's ratio is to
its reference run in the same invocation on the same files; ``exp`` is the scaling exponent from the
previous size (1.0 = linear).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

from benchmarks.bench_binder import make_bundle as make_pdf_bundle
from benchmarks.bench_nightly import generate as make_record_bundle
from benchmarks.bench_nightly import touch_one_percent

PY = sys.executable
EK = [PY, "-m", "evidence_kit"]

# Runs argv[1:] and reports wall, CPU (user+sys of the child), peak RSS (child's ru_maxrss: this helper
# is a fresh process, so RUSAGE_CHILDREN holds that child only) and the peak number of open fds
# (sampled from /proc every 2 ms). A child may print one JSON line {"stage": [wall, cpu], "n": ...} as
# its last stdout line: then wall/CPU are that in-process stage's (imports and data loading excluded).
HELPER = textwrap.dedent(
    """
    import json, os, resource, subprocess, sys, time
    t0 = time.perf_counter()
    p = subprocess.Popen(sys.argv[1:], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    fds = 0
    while p.poll() is None:
        try:
            fds = max(fds, len(os.listdir(f"/proc/{p.pid}/fd")))
        except OSError:
            pass
        time.sleep(0.002)
    out, err = p.communicate()
    wall = time.perf_counter() - t0
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    res = {"wall": wall, "cpu": ru.ru_utime + ru.ru_stime, "rss": ru.ru_maxrss / 1024, "fds": fds,
           "rc": p.returncode, "err": err[-2000:]}
    last = out.strip().splitlines()[-1] if out.strip() else ""
    if last.startswith('{"stage"'):
        stage = json.loads(last)
        res["wall"], res["cpu"] = stage["stage"]
        res["n"] = stage.get("n")
    print(json.dumps(res))
    """
)

_PRELUDE = """
import json, os, sys, time
def clock():
    t = os.times()
    return time.perf_counter(), t.user + t.system
def stage(t0, n):
    t1 = clock()
    print(json.dumps({"stage": [t1[0] - t0[0], t1[1] - t0[1]], "n": n}))
"""

INGEST = (
    _PRELUDE
    + """
from evidence_kit._api import prepare
from evidence_kit._ingest import ingest_file, walk_bundle
from evidence_kit._io import gc_paused
from evidence_kit._schemas import SchemaValidator
config, registry = prepare(sys.argv[1])
validator = SchemaValidator(registry.record_types)
n = 0
t0 = clock()
with gc_paused():
    for rel, path in walk_bundle(config.bundle):
        n += len(ingest_file(rel, path, config, registry, validator)[1])
stage(t0, n)
"""
)

# The same dicts, parsed beforehand (not timed), against the same compiled validators.
BARE = (
    _PRELUDE
    + """
import orjson
from pathlib import Path
from evidence_kit._api import prepare
from evidence_kit._schemas import SchemaValidator
config, registry = prepare(sys.argv[1])
kind, cap = sys.argv[2], int(sys.argv[3])
items = []
for p in sorted(Path(sys.argv[1]).rglob("*.json*")):
    rtype = "complaint" if "complaint" in p.name else "capa"
    raw = p.read_bytes()
    docs = orjson.loads(raw) if p.suffix == ".json" else [orjson.loads(x) for x in raw.splitlines()]
    items += [(rtype, d) for d in docs]
total = len(items)
if kind == "jsonschema_rs":
    validators = SchemaValidator(registry.record_types)._validators
    check = lambda t, d: validators[t].is_valid(d)
else:
    import jsonschema, referencing
    resources = {str(r["$id"]): r for rt in registry.record_types.values() for r in (rt.schema, *rt.resources)
                 if "$id" in r}
    reg = referencing.Registry().with_resources(
        [(uri, referencing.Resource.from_contents(dict(r))) for uri, r in resources.items()])
    fc = jsonschema.Draft202012Validator.FORMAT_CHECKER
    validators = {name: jsonschema.Draft202012Validator(dict(rt.schema), registry=reg, format_checker=fc)
                  for name, rt in registry.record_types.items()}
    check = lambda t, d: not any(True for _ in validators[t].iter_errors(d))
    items = items[:cap]  # pure-Python validator: timed on the first CAP records, scaled to all below
t0 = clock()
for t, d in items:
    check(t, d)
t1 = clock()
scale = total / len(items)
print(json.dumps({"stage": [(t1[0] - t0[0]) * scale, (t1[1] - t0[1]) * scale], "n": total}))
"""
)

RULES = (
    _PRELUDE
    + """
from evidence_kit._api import prepare
from evidence_kit._engine import run_rules
from evidence_kit._ingest import ingest_file, walk_bundle
from evidence_kit._io import gc_paused
from evidence_kit._schemas import SchemaValidator
from evidence_kit.model import RecordSet
config, registry = prepare(sys.argv[1])
validator = SchemaValidator(registry.record_types)
with gc_paused():
    recs = [r for rel, p in walk_bundle(config.bundle) for r in ingest_file(rel, p, config, registry, validator)[1]]
    records = RecordSet.of(recs)
    t0 = clock()
    found = run_rules(records, config, registry)
stage(t0, len(records))
"""
)


def measure(cmd: list[str], cwd: Path | None = None, env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run ``cmd`` under the helper; exit with its stderr if it failed (exit codes 0 and 1 are fine)."""
    out = subprocess.run([PY, "-c", HELPER, *cmd], check=True, capture_output=True, text=True, cwd=cwd, env=env).stdout
    res: dict[str, Any] = json.loads(out)
    if res["rc"] not in (0, 1):
        sys.exit(f"benchmark command failed ({res['rc']}): {' '.join(cmd[:6])} ...\n{res['err']}")
    return res


def py(snippet: str, *args: object) -> list[str]:
    return [PY, "-c", snippet, *map(str, args)]


class Table:
    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []

    def add(
        self,
        name: str,
        size: int,
        unit: str,
        res: dict[str, Any],
        ref: dict[str, Any] | None = None,
        ref_name: str = "",
        note: str = "",
    ) -> None:
        prev = [r for r in self.rows if r["name"] == name]
        exp = ""
        if prev and prev[-1]["wall"] > 0 and size != prev[-1]["size"]:
            exp = f"{math.log(res['wall'] / prev[-1]['wall']) / math.log(size / prev[-1]['size']):.2f}"
        ratio = f"{res['wall'] / ref['wall']:.2f}× {ref_name}" if ref else "reference"
        row = {
            "name": name,
            "size": size,
            "unit": unit,
            "wall": res["wall"],
            "cpu": res["cpu"],
            "rss": res["rss"],
            "fds": res["fds"],
            "ratio": ratio,
            "exp": exp,
            "note": note,
        }
        self.rows.append(row)
        print(f"  {name} {size:,} {unit}: {res['wall']:.2f} s ({ratio}) {note}", file=sys.stderr, flush=True)

    def print(self) -> None:
        head = ("row", "size", "wall s", "CPU s", "peak MiB", "fds", "ratio (same invocation)", "exp", "note")
        lines = [head] + [
            (
                r["name"],
                f"{r['size']:,} {r['unit']}",
                f"{r['wall']:.2f}",
                f"{r['cpu']:.2f}",
                f"{r['rss']:.0f}",
                str(r["fds"]),
                r["ratio"],
                r["exp"],
                r["note"],
            )
            for r in self.rows
        ]
        print("| " + " | ".join(head) + " |")
        print("|" + "|".join("---" for _ in head) + "|")
        for line in lines[1:]:
            print("| " + " | ".join(line) + " |")


def _best(runs: list[dict[str, Any]]) -> dict[str, Any]:
    return min(runs, key=lambda r: r["wall"])


def record_rows(
    table: Table,
    work: Path,
    n: int,
    jsonschema_cap: int,
    repeat: int = 1,
    baseline: Path | None = None,
    only_ingest: bool = False,
) -> None:
    root = work / f"records-{n}"
    shutil.rmtree(root, ignore_errors=True)
    files = make_record_bundle(root, n)
    ref_py = measure(py(BARE, root, "jsonschema", jsonschema_cap))
    # The stage and its reference alternate (best of ``repeat`` each): the machine is shared and noisy.
    # With ``baseline``, the same stage also runs on another source tree (e.g. an older checkout).
    base_env = None
    if baseline is not None:
        base_env = {**os.environ, "PYTHONPATH": f"{baseline}{os.pathsep}{baseline / 'plugins'}"}
    rs_runs, stage_runs, base_runs = [], [], []
    for _ in range(repeat):
        rs_runs.append(measure(py(BARE, root, "jsonschema_rs", 0)))
        stage_runs.append(measure(py(INGEST, root)))
        if base_env is not None:
            base_runs.append(measure(py(INGEST, root), cwd=work, env=base_env))
    ref_rs, stage = _best(rs_runs), _best(stage_runs)
    per_s = f"{stage['n'] / stage['wall']:,.0f} records/s"
    # CPU clocks tick in 10 ms: below that the reference reads 0 and a CPU ratio means nothing
    cpu = f"CPU {stage['cpu'] / ref_rs['cpu']:.2f}×" if ref_rs["cpu"] >= 0.05 else "CPU ratio: reference too short"
    table.add("bare jsonschema-rs is_valid loop", n, "records", ref_rs)
    note = f"timed on {min(n, jsonschema_cap):,}, scaled" if n > jsonschema_cap else ""
    table.add("bare jsonschema loop", n, "records", ref_py, note=note)
    table.add("ingest+validate stage", n, "records", stage, ref_rs, "jsonschema-rs", f"{per_s}; {cpu}")
    if base_runs:
        base = _best(base_runs)
        note = f"{baseline}; CPU {base['cpu'] / ref_rs['cpu']:.2f}×" if ref_rs["cpu"] >= 0.05 else str(baseline)
        table.add("ingest+validate stage, baseline tree", n, "records", base, ref_rs, "jsonschema-rs", note)
    table.add("ingest+validate stage vs jsonschema", n, "records", stage, ref_py, "jsonschema")
    if only_ingest:
        return
    rules = measure(py(RULES, root))
    per10k = f"{rules['wall'] / n * 10_000:.2f} s per 10k records"
    table.add("rules (whole catalogue)", n, "records", rules, note=per10k)
    cache = work / f"cache-{n}"
    shutil.rmtree(cache, ignore_errors=True)
    validate = [*EK, "validate", str(root), "-q", "--format", "json", "-o", str(work / "report.json")]
    full = measure([*validate, "--no-cache"])
    table.add("validate end to end (CLI)", n, "records", full)
    # Request binder: 50 complaints picked across the bundle.
    ids = [f"id:CMP-{i:06d}" for i in range(1, n // 2 + 1, max(1, n // 100))][:50]
    sel = [x for i in ids for x in ("--select", i)]
    request = [*EK, "build", str(root), "-q", "-o", str(work / "request.pdf"), *sel]
    req = measure([*request, "--no-cache"])
    table.add("request binder (50 records)", n, "records", req, full, "validate")
    cold = measure([*validate, "--cache-dir", str(cache)])
    changed = touch_one_percent(files, 1)
    rerun = measure([*validate, "--cache-dir", str(cache)])
    table.add("incremental: cold (empty cache)", n, "records", cold)
    table.add("incremental: 1% of files changed", n, "records", rerun, cold, "cold", f"{changed} files changed")
    # During an inspection the nightly run has filled the cache: a request binder is then a warm run.
    warm_req = measure([*request, "--cache-dir", str(cache)])
    table.add("request binder, cache warm", n, "records", warm_req, full, "validate")


def pdf_rows(table: Table, work: Path, n: int, mutool_max: int) -> None:
    root = work / f"pdfs-{n}"
    paths = make_pdf_bundle(root, n)
    names = [p.name for p in paths]
    src = root / "sources"
    # qpdf --keep-files-open=y holds one descriptor per source: past the fd limit it cannot run, so it reopens (=n)
    keep = "y" if n + 64 <= resource.getrlimit(resource.RLIMIT_NOFILE)[0] else "n"
    merge = ["qpdf", f"--keep-files-open={keep}", "--empty", "--pages", *names, "--", str(work / "qpdf.pdf")]
    qpdf = measure(merge, src)
    pages = _pages(work / "qpdf.pdf")
    why = "" if keep == "y" else "; =y cannot hold this many files open under the fd limit"
    table.add(f"qpdf --keep-files-open={keep} merge", n, "PDFs", qpdf, note=f"{pages:,} pages{why}")
    if n <= mutool_max:
        mutool = measure(["mutool", "merge", "-o", str(work / "mutool.pdf"), *names], src)
        table.add("mutool merge", n, "PDFs", mutool, qpdf, "qpdf")
    build = [*EK, "build", str(root), "-q", "-o", str(work / "binder.pdf")]
    binder = measure([*build, "--no-cache"])
    table.add("binder full build (CLI)", n, "PDFs", binder, qpdf, "qpdf")
    cache = work / f"pdf-cache-{n}"
    shutil.rmtree(cache, ignore_errors=True)
    measure([*build, "--cache-dir", str(cache)])  # fills the cache, as a nightly run would have
    warm = measure([*build, "--cache-dir", str(cache)])
    table.add("binder full build, cache warm", n, "PDFs", warm, qpdf, "qpdf")
    if _has_verify():
        ver = measure([*EK, "verify", str(work / "binder.pdf")])
        bpages = _pages(work / "binder.pdf")
        table.add("verify", n, "PDFs", ver, note=f"{ver['wall'] / bpages * 1000:.2f} s per 1,000 pages")


def _pages(path: Path) -> int:
    out = subprocess.run(["qpdf", "--show-npages", str(path)], capture_output=True, text=True, check=True).stdout
    return int(out)


def _has_verify() -> bool:
    return subprocess.run([*EK, "verify", "--help"], capture_output=True).returncode == 0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--records", type=int, nargs="*", default=[1000, 10_000], help="record-bundle sizes")
    ap.add_argument("--pdfs", type=int, nargs="*", default=[200, 1000], help="source-PDF bundle sizes")
    ap.add_argument("--mutool-max", type=int, default=2000, help="mutool merge is quadratic: only up to this size")
    ap.add_argument("--jsonschema-cap", type=int, default=5000, help="records the pure-Python validator is timed on")
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/evidence-kit-bench"))
    ap.add_argument("--repeat", type=int, default=1, help="runs of the ingest stage and its reference (best of)")
    ap.add_argument("--only-ingest", action="store_true", help="record bundles: only the ingest+validate rows")
    ap.add_argument(
        "--baseline", type=Path, help="also time the ingest stage on this source tree (holding evidence_kit/, plugins/)"
    )
    args = ap.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    resource.setrlimit(resource.RLIMIT_NOFILE, resource.getrlimit(resource.RLIMIT_NOFILE))
    table = Table()
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    try:
        for n in args.records:
            record_rows(table, args.workdir, n, args.jsonschema_cap, args.repeat, args.baseline, args.only_ingest)
        for n in args.pdfs:
            pdf_rows(table, args.workdir, n, args.mutool_max)
    finally:  # a failed row still leaves the table of what was measured
        print(
            f"\n{started}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f} at the end; "
            f"verify: {'measured' if _has_verify() else 'no `evidence-kit verify` command in this build'}\n"
        )
        table.print()


if __name__ == "__main__":
    main()
