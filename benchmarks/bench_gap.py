"""Time the terminology rules and the gap analysis on a synthetic bundle: ``python -m benchmarks.bench_gap [N_PDFS]``.

Writes N SOP PDFs (5 dense pages each, every tenth citing a retired QSR section) and 5000 complaints into
a temporary bundle, then times ``validate --select complaints`` (the baseline), ``validate --select
terminology`` and ``gap`` in-process. PDF text is extracted once per run by the PDF source (pdfium).
"""

from __future__ import annotations

import io
import json
import random
import sys
import tempfile
import time
from pathlib import Path

from reportlab.pdfgen.canvas import Canvas

from evidence_kit.cli import main

WORDS = [
    "the",
    "complaint",
    "file",
    "is",
    "reviewed",
    "per",
    "ISO",
    "13485:2016",
    "8.2.2",
    "and",
    "records",
    "retained",
    "by",
    "quality",
]


def make(root: Path, n_pdfs: int) -> None:
    rnd = random.Random(1)
    (root / "sops").mkdir(parents=True)
    (root / "exports").mkdir()
    (root / "evidence-kit.toml").write_text(
        '[establishment]\nname="Bench"\n[inspection]\nprofile="fda-qmsr"\nas_of="2026-11-30T12:00:00+00:00"\n'
    )
    for i in range(n_pdfs):
        buf = io.BytesIO()
        c = Canvas(buf, invariant=1)
        for page in range(5):
            for line in range(40):
                c.drawString(50, 760 - 18 * line, " ".join(rnd.choice(WORDS) for _ in range(12)))
            if page == 3 and i % 10 == 0:
                c.drawString(50, 40, "per 21 CFR 820.198 and the DHF")
            c.showPage()
        c.save()
        (root / f"sops/SOP-{i:04d}.pdf").write_bytes(buf.getvalue())
    complaints = [
        {
            "record_type": "complaint",
            "id": f"C-{i}",
            "received_date": "2026-03-01",
            "description": "Pump alarm " * 5,
            "failure_mode": rnd.choice(["free flow", "occlusion"]),
        }
        for i in range(5000)
    ]
    (root / "exports/complaints.json").write_text(json.dumps(complaints))


def timed(*args: str) -> float:
    t = time.perf_counter()
    main(list(args))
    return time.perf_counter() - t


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    with tempfile.TemporaryDirectory() as tmp:
        bundle = Path(tmp) / "bench"
        make(bundle, n)
        out = str(Path(tmp) / "out.txt")
        base = timed("validate", str(bundle), "-q", "--select", "complaints", "-o", out)
        term = timed("validate", str(bundle), "-q", "--select", "terminology", "-o", out)
        gap = timed("gap", str(bundle), "-o", out)  # a fresh process would extract again; here the cache is warm
        print(
            f"{n} PDFs ({5 * n} pages) + 5000 complaints: validate {base:.1f} s, +terminology {term:.1f} s, "
            f"gap (cache warm) {gap:.1f} s"
        )
