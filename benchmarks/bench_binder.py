"""Binder benchmark (not a test): evidence-kit's binder against a raw qpdf merge of the same sources.

Usage::

    .venv/bin/python benchmarks/bench_binder.py            # 1000 and 5000 sources, 3 repeats
    .venv/bin/python benchmarks/bench_binder.py --sizes 1000 --repeats 1

For each size N it makes (once, cached under --workdir) a bundle of N source PDFs with 1-5 pages each
(N ``document`` records, one source PDF per record). Then one process per size runs ``run()`` once (ingest
+ validation: untimed, reported as ``ingest_s``) and, per repeat, interleaved:

* ``qpdf --keep-files-open=y --empty --pages <sources> -- out.pdf``: the reference (``=n`` when N sources
  do not fit under the fd limit: qpdf then reopens them, which is slower; the row says which);
* pikepdf's own raw merge (open from bytes, ``_add_page``, save): the peak-RSS yardstick;
* ``mutool merge`` (at <= 1000 sources only: it goes quadratic beyond ~2000);
* ``write_binder`` in that process (front matter, logs, one summary page per record, stamps on every page,
  index, manifest, outline, labels, links, attachments, XMP, deterministic atomic save; the profile's gap
  analysis is left out: it is the gap plugin's work), called as ``build`` calls it, with ``release_text=True``
  (the records' page texts are dropped once the binder is planned; from the second repeat on there are none).

The three tools run as child processes under a fresh helper (their own wall, CPU and ``ru_maxrss``). The
binder's CPU includes its summary worker; its peak RSS is ``VmHWM`` after a reset just before the call (so
the ingest's own peak is reported apart, as ``peak_mib.ingest``), next to its RSS when the call started
(the run's records and the allocator's free memory, which the binder reuses). ``pikepdf_interpreter`` is the
peak of a bare interpreter that imports pikepdf: the raw merge's own starting point, for the like-for-like
ratio of increments (``rss_increment_over_pikepdf_increment``). Open fds are sampled from
``/proc/self/fd`` every 2 ms. Ratios are of medians measured in the same invocation; one JSON row per size.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable

TOML = """\
[establishment]
name = "Benchmark Devices Inc."
fei = "1234567"

[inspection]
profile = "fda-qmsr"
as_of = "2026-11-30T12:00:00+00:00"

[binder]
bates_prefix = "BENCH-"
"""


def make_bundle(root: Path, n: int) -> list[Path]:
    """Write N source PDFs (1-5 pages, seeded) and the bundle config; return the PDF paths."""
    from reportlab.pdfgen import canvas

    src = root / "sources"
    done = root / ".complete"
    paths = [src / f"DOC-{i:05d}.pdf" for i in range(n)]
    if done.exists():
        return paths
    src.mkdir(parents=True, exist_ok=True)
    (root / "evidence-kit.toml").write_text(TOML)
    rnd = random.Random(n)
    for i, p in enumerate(paths):
        c = canvas.Canvas(str(p), invariant=1)
        c.setTitle(f"Controlled document DOC-{i:05d}")
        for page in range(rnd.randint(1, 5)):
            c.setFont("Helvetica-Bold", 14)
            c.drawString(72, 720, f"DOC-{i:05d} page {page + 1}")
            c.setFont("Helvetica", 10)
            for line in range(30):
                c.drawString(72, 690 - line * 18, f"Procedure step {line + 1}: " + "lorem ipsum dolor sit amet " * 2)
            c.showPage()
        c.save()
    done.write_text("ok")
    return paths


RAW_PIKEPDF = """
import io, sys, pikepdf
out = pikepdf.new()
keep = []
for p in sys.argv[2:]:
    with open(p, "rb") as fh:
        src = pikepdf.open(io.BytesIO(fh.read()))
    keep.append(src)
    for page in src.pages:
        out._add_page(out.copy_foreign(page.obj), first=False)
out.save(sys.argv[1])
"""

#: One process per size: ``run()`` once (ingest + validation, untimed), then per repeat, interleaved: the qpdf
#: merge, pikepdf's raw merge and mutool (each a child process, measured with ``wait4``), and ``write_binder``
#: in this process, its peak RSS taken from ``VmHWM`` after resetting it (``/proc/self/clear_refs``), so the
#: ingest's own peak does not count; the binder's CPU includes its summary worker (a waited-for child).
BINDER = r"""
import json, logging, os, resource, sys, threading, time
from pathlib import Path
logging.basicConfig(level=logging.WARNING, format="%(message)s")
if os.environ.get("EK_PHASES"):
    logging.getLogger("evidence_kit._binder").setLevel(logging.DEBUG)  # phase timings on stderr
from evidence_kit._api import run
from evidence_kit._binder import write_binder

root, out, raw = sys.argv[1], Path(sys.argv[2]), sys.argv[6]
workers, repeats, mutool = int(sys.argv[3]), int(sys.argv[4]), sys.argv[5] == "1"
files = [str(p) for p in sorted((Path(root) / "sources").glob("*.pdf"))]
# qpdf --keep-files-open=y holds one fd per source: past the fd limit it cannot run, so it reopens them (=n)
keep = "y" if len(files) + 64 <= resource.getrlimit(resource.RLIMIT_NOFILE)[0] else "n"

def status(key):
    with open("/proc/self/status") as fh:
        return next(int(ln.split()[1]) // 1024 for ln in fh if ln.startswith(key))

peak = [0]
stop = threading.Event()
def sample():
    while not stop.is_set():
        peak[0] = max(peak[0], len(os.listdir("/proc/self/fd")))
        time.sleep(0.002)
threading.Thread(target=sample, daemon=True).start()

HELPER = (  # a fresh small process runs each command, so its ru_maxrss is not this big process's (fork + exec)
    "import json, os, subprocess, sys, time; t = time.perf_counter(); "
    "subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL); "
    "ru = __import__('resource').getrusage(__import__('resource').RUSAGE_CHILDREN); "
    "print(json.dumps([time.perf_counter() - t, ru.ru_utime + ru.ru_stime, ru.ru_maxrss // 1024]))"
)

def child(cmd):
    out = __import__("subprocess").run([sys.executable, "-c", HELPER, *cmd], check=True, capture_output=True, text=True)
    return json.loads(out.stdout)

t0 = time.perf_counter()
result = run(root)
res = {"ingest_s": time.perf_counter() - t0, "ingest_peak_mib": status("VmHWM")}
res.update(qpdf=[], pikepdf=[], mutool=[], binder=[])
res["pikepdf_interpreter"] = child([sys.executable, "-c", "import io, sys, pikepdf"])  # the raw merge's start
for _ in range(repeats):
    qpdf = ["qpdf", f"--keep-files-open={keep}", "--empty", "--pages", *files, "--", str(out.parent / "qpdf.pdf")]
    res["qpdf"].append(child(qpdf))
    res["pikepdf"].append(child([sys.executable, "-c", raw, str(out.parent / "pikepdf.pdf"), *files]))
    if mutool:
        res["mutool"].append(child(["mutool", "merge", "-o", str(out.parent / "mutool.pdf"), *files]))
    before = status("VmRSS")
    with open("/proc/self/clear_refs", "w") as fh:
        fh.write("5")  # reset VmHWM to the current RSS
    c0, k0 = time.process_time(), resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    # as build calls it: the page texts go once planned (the gap analysis, their last reader, is left out here)
    write_binder(result, out, workers=workers, analyses=False, release_text=True)
    wall = time.perf_counter() - t0
    k1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = time.process_time() - c0 + (k1.ru_utime + k1.ru_stime) - (k0.ru_utime + k0.ru_stime)
    res["binder"].append((wall, cpu, status("VmHWM"), before))
stop.set()
res["fds"] = peak[0]
res["qpdf_keep_files_open"] = keep
print(json.dumps(res))
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--phases", action="store_true", help="print the binder's phase timings to stderr")
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/evidence-kit-bench-binder"))
    args = ap.parse_args()
    binder_1k = None
    for n in args.sizes:
        root = args.workdir / f"bundle-{n}"
        make_bundle(root, n)
        out = args.workdir / f"out-{n}"
        out.mkdir(parents=True, exist_ok=True)
        proc = subprocess.run(
            [
                PY,
                "-c",
                BINDER,
                str(root),
                str(out / "binder.pdf"),
                str(args.workers),
                str(args.repeats),
                "1" if n <= 1000 else "0",
                RAW_PIKEPDF,
            ],
            check=True,
            stdout=subprocess.PIPE,
            stderr=None if args.phases else subprocess.DEVNULL,
            text=True,
            cwd=ROOT,
            env={**os.environ, "EK_PHASES": "1" if args.phases else ""},
        )
        got = json.loads(proc.stdout)

        def med(key: str, i: int, got: dict[str, Any] = got) -> float:
            return statistics.median(r[i] for r in got[key])

        pages = subprocess.run(["qpdf", "--show-npages", str(out / "binder.pdf")], capture_output=True, text=True)
        q, b = med("qpdf", 0), med("binder", 0)
        row = {
            "n": n,
            "repeats": args.repeats,
            "binder_pages": int(pages.stdout.strip() or 0),
            "wall_s": {k: round(med(k, 0), 3) for k in ("qpdf", "pikepdf", "mutool", "binder") if got[k]},
            "cpu_s": {k: round(med(k, 1), 3) for k in ("qpdf", "pikepdf", "mutool", "binder") if got[k]},
            "binder_over_qpdf": round(b / q, 2),
            "binder_over_qpdf_each": [round(x[0] / y[0], 2) for x, y in zip(got["binder"], got["qpdf"], strict=True)],
            "binder_cpu_over_qpdf_cpu": round(med("binder", 1) / med("qpdf", 1), 2),
            "peak_mib": {
                "qpdf": max(r[2] for r in got["qpdf"]),
                "pikepdf": max(r[2] for r in got["pikepdf"]),
                "binder": max(r[2] for r in got["binder"]),
                "binder_start": min(r[3] for r in got["binder"]),
                "pikepdf_interpreter": got["pikepdf_interpreter"][2],
                "ingest": got["ingest_peak_mib"],
            },
            "ingest_s": round(got["ingest_s"], 1),
            "qpdf_keep_files_open": got["qpdf_keep_files_open"],
            "peak_fds": got["fds"],
        }
        rss = row["peak_mib"]
        row["rss_binder_over_pikepdf"] = round(rss["binder"] / rss["pikepdf"], 2)
        row["rss_binder_increment_over_pikepdf"] = round((rss["binder"] - rss["binder_start"]) / rss["pikepdf"], 2)
        # like for like: what the binder call adds over what the process held, against what the raw merge adds
        # over a bare interpreter with pikepdf imported
        row["rss_increment_over_pikepdf_increment"] = round(
            (rss["binder"] - rss["binder_start"]) / (rss["pikepdf"] - rss["pikepdf_interpreter"]), 2
        )
        row["rss_binder_over_pikepdf_each"] = [
            round(b[2] / p[2], 2) for b, p in zip(got["binder"], got["pikepdf"], strict=True)
        ]
        if n == 1000:
            binder_1k = b
        elif binder_1k:
            row["scaling_vs_1k"] = round(b / binder_1k, 2)
        print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
