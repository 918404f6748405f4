"""Regenerate the PDFs of ``example_bundle/`` deterministically: ``python -m evidence_kit.examples``.

Every binary file in the example bundle comes from this module, so none is a blob nobody can
rebuild; running it twice gives the same bytes.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

from reportlab.lib.pagesizes import LETTER
from reportlab.pdfgen import canvas

from evidence_kit._io import write_bytes_atomic


def sop_pdf(doc_id: str, title: str, revision: str, effective: str, body: list[str]) -> bytes:
    """Return a one-page controlled-document PDF (an SOP) as bytes, byte-stable across runs."""
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=LETTER, invariant=1)
    c.setTitle(f"{doc_id} Rev {revision} {title}")
    c.setAuthor("Meridian Infusion Systems Document Control")
    c.setFont("Helvetica-Bold", 14)
    c.drawString(72, 720, f"{doc_id} Rev {revision}: {title}")
    c.setFont("Helvetica", 10)
    c.drawString(72, 702, f"Effective {effective}")
    y = 670.0
    for line in body:
        c.drawString(72, y, line)
        y -= 14
    c.showPage()
    c.save()
    return buf.getvalue()


def generate(root: Path) -> list[Path]:
    """Write the example bundle's generated PDFs under ``root`` and return their paths."""
    out = root / "sops" / "SOP-QA-012_complaint_handling.pdf"
    write_bytes_atomic(
        out,
        sop_pdf(
            "SOP-QA-012",
            "Complaint Handling",
            "D",
            "2026-02-02",
            [
                "1 Purpose: receive, record, evaluate and investigate complaints (ISO 13485:2016 8.2.2).",
                "2 Every complaint file holds the elements of 21 CFR 820.35(a)(1)-(7).",
                "3 Every complaint gets an MDR reportability decision under Part 803.",
            ],
        ),
    )
    return [out]


def main(argv: list[str] | None = None) -> int:
    """Regenerate into the folder given as the first argument (default: ./example_bundle)."""
    args = sys.argv[1:] if argv is None else argv
    for path in generate(Path(args[0] if args else "example_bundle")):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
