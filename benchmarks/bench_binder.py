"""Binder benchmark (not a test): evidence-kit's binder against a raw qpdf merge of the same sources.

Usage::

    .venv/bin/python benchmarks/bench_binder.py            # 1000 and 5000 sources, 3 repeats
    .venv/bin/python benchmarks/bench_binder.py --sizes 1000 --repeats 1

For each size N it makes (once, cached under --workdir) a bundle of N source PDFs with 1-5 pages each
(N ``document`` records, one source PDF per record) and then measures, each in its own process:

* ``qpdf --keep-files-open=y --empty --pages <sources> -- out.pdf``: the reference;
* ``mutool merge`` (at <= 1000 sources only: it goes quadratic beyond ~2000);
* pikepdf's own raw merge (open from bytes, ``_add_page``, save): the peak-RSS yardstick;
* the evidence-kit binder: ``run()`` (ingest + validation, reported separately) then ``write_binder``
  (front matter, logs, one summary page per record, stamps on every page, index, manifest), with its
  wall time, the peak RSS of the process and the peak number of open file descriptors (sampled every 2 ms);
  the profile's gap analysis, whose pages full binders include, is timed on its own (``analyses_s``).

Ratios are of medians measured in the same run. Results are printed as a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import textwrap
from pathlib import Path

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


def in_fresh(cmd: list[str]) -> tuple[float, int]:
    """Run ``cmd`` under a fresh Python helper so RUSAGE_CHILDREN is this command's own peak."""
    helper = textwrap.dedent(
        """
        import json, resource, subprocess, sys, time
        t0 = time.perf_counter()
        subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wall = time.perf_counter() - t0
        print(json.dumps([wall, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024]))
        """
    )
    out = subprocess.run([PY, "-c", helper, *cmd], check=True, capture_output=True, text=True).stdout
    wall, rss = json.loads(out)
    return float(wall), int(rss)


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

BINDER = """
import json, logging, os, resource, sys, threading, time
from pathlib import Path
logging.basicConfig(level=logging.WARNING, format="%(message)s")
logging.getLogger("evidence_kit._binder").setLevel(logging.DEBUG)  # phase timings on stderr
from evidence_kit._api import run
from evidence_kit._binder import write_binder

peak = [0]
stop = threading.Event()
def sample():
    while not stop.is_set():
        peak[0] = max(peak[0], len(os.listdir("/proc/self/fd")))
        time.sleep(0.002)
threading.Thread(target=sample, daemon=True).start()
t0 = time.perf_counter()
result = run(sys.argv[1])
t1 = time.perf_counter()
write_binder(result, Path(sys.argv[2]), workers=int(sys.argv[3]), analyses=False)
t2 = time.perf_counter()
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024  # before the analysis below
from evidence_kit._api import analysis_pages
analysis_pages(result)  # the profile's gap analysis, which full binders also include: timed on its own
t3 = time.perf_counter()
stop.set()
print(json.dumps({"ingest": t1 - t0, "binder": t2 - t1, "analyses": t3 - t2, "rss": rss, "fds": peak[0]}))
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
        paths = make_bundle(root, n)
        files = [str(p) for p in paths]
        out = args.workdir / f"out-{n}"
        out.mkdir(parents=True, exist_ok=True)
        res: dict[str, list[float]] = {
            "qpdf": [],
            "mutool": [],
            "pikepdf": [],
            "binder": [],
            "ingest": [],
            "analyses": [],
        }
        rss: dict[str, int] = {}
        fds = 0
        for _ in range(args.repeats):
            w, r = in_fresh(["qpdf", "--keep-files-open=y", "--empty", "--pages", *files, "--", str(out / "qpdf.pdf")])
            res["qpdf"].append(w)
            rss["qpdf"] = max(rss.get("qpdf", 0), r)
            if n <= 1000:
                w, r = in_fresh(["mutool", "merge", "-o", str(out / "mutool.pdf"), *files])
                res["mutool"].append(w)
                rss["mutool"] = max(rss.get("mutool", 0), r)
            w, r = in_fresh([PY, "-c", RAW_PIKEPDF, str(out / "pikepdf.pdf"), *files])
            res["pikepdf"].append(w)
            rss["pikepdf"] = max(rss.get("pikepdf", 0), r)
            proc = subprocess.run(
                [PY, "-c", BINDER, str(root), str(out / "binder.pdf"), str(args.workers)],
                check=True,
                capture_output=True,
                text=True,
                cwd=ROOT,
            )
            got = json.loads(proc.stdout)
            if args.phases:
                print(proc.stderr, file=sys.stderr)
            res["binder"].append(got["binder"])
            res["ingest"].append(got["ingest"])
            res["analyses"].append(got["analyses"])
            rss["binder"] = max(rss.get("binder", 0), got["rss"])
            fds = max(fds, got["fds"])
        med = {k: statistics.median(v) for k, v in res.items() if v}
        pages = subprocess.run(["qpdf", "--show-npages", str(out / "binder.pdf")], capture_output=True, text=True)
        row = {
            "n": n,
            **{f"{k}_s": round(v, 3) for k, v in med.items()},
            "binder_over_qpdf": round(med["binder"] / med["qpdf"], 2),
            "rss_mib": rss,
            "rss_binder_over_pikepdf": round(rss["binder"] / rss["pikepdf"], 2),
            "peak_fds": fds,
            "binder_pages": int(pages.stdout.strip() or 0),
        }
        if "mutool" in med:
            row["mutool_over_qpdf"] = round(med["mutool"] / med["qpdf"], 2)
        if n == 1000:
            binder_1k = med["binder"]
        elif binder_1k:
            row["scaling_vs_1k"] = round(med["binder"] / binder_1k, 2)
        print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
