"""PDF pages for the binder: the coverage table, QMM readiness, the improvement-plan tracker and trend charts.

Drawn with the reportlab canvas and reportlab.graphics charts, so every chart is vector graphics.
``invariant=1`` makes the output byte-identical for identical input. The binder merges the bytes
these functions return; when the bundle sets ``foia_confidential = true`` every page here already
carries :data:`FOIA_NOTICE`, and the binder stamps the same text on all its other pages.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from reportlab.graphics import renderPDF
from reportlab.graphics.charts.barcharts import HorizontalBarChart, VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import letter
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from evidence_kit.model import FOIA_NOTICE
from evidence_kit.pdfpages import wrap

PAGE_W, PAGE_H = letter
MARGIN = 48
PALETTE = [
    colors.HexColor(h)
    for h in ("#1f4e79", "#c55a11", "#548235", "#7030a0", "#bf9000", "#2e75b6", "#a5a5a5", "#843c0c", "#375623")
]
VERDICT_COLORS = {
    "covered": colors.HexColor("#548235"),
    "procedure only": colors.HexColor("#bf9000"),
    "records only": colors.HexColor("#c55a11"),
    "missing": colors.HexColor("#c00000"),
}


def fit(text: str, width: float, font: str = "Helvetica", size: float = 8) -> str:
    """Return ``text`` cut with an ellipsis so it fits ``width`` points."""
    if stringWidth(text, font, size) <= width:
        return text
    while text and stringWidth(text + "\u2026", font, size) > width:
        text = text[:-1]
    return text + "\u2026"


class _Pages:
    """A canvas with page furniture: a header and the optional FOIA notice (the binder adds page numbers)."""

    def __init__(self, title: str, confidential: bool) -> None:
        self.buf = io.BytesIO()
        self.c = Canvas(self.buf, pagesize=letter, invariant=1, pageCompression=1)
        self.c.setTitle(title)
        self.title = title
        self.confidential = confidential
        self.page = 0
        self.y = 0.0
        self.new_page()

    def new_page(self) -> None:
        if self.page:
            self.c.showPage()
        self.page += 1
        c = self.c
        c.setFont("Helvetica-Bold", 12)
        c.drawString(MARGIN, PAGE_H - MARGIN, self.title)
        # the bottom MARGIN stays empty: the binder stamps its page number, Bates number and markings there
        if self.confidential:
            c.setFont("Helvetica-Bold", 8)
            c.setFillColor(colors.HexColor("#c00000"))
            c.drawCentredString(PAGE_W / 2, PAGE_H - 24, FOIA_NOTICE)
            c.setFillColor(colors.black)
        self.y = PAGE_H - MARGIN - 22

    def need(self, height: float) -> None:
        if self.y - height < MARGIN:
            self.new_page()

    def line(self, text: str, size: float = 8, font: str = "Helvetica", indent: float = 0) -> None:
        """Write ``text``, wrapped to the page width (nothing is cut off)."""
        for part in wrap(text, PAGE_W - 2 * MARGIN - indent, font, size):
            self.need(size + 4)
            self.c.setFont(font, size)
            self.c.drawString(MARGIN + indent, self.y, part)
            self.y -= size + 4

    def heading(self, text: str) -> None:
        self.need(40)
        self.y -= 6
        self.line(text, 10, "Helvetica-Bold")

    def table(
        self,
        columns: Sequence[tuple[str, float]],
        rows: Sequence[Sequence[str]],
        color: Callable[[Sequence[str]], Any] | None = None,
    ) -> None:
        """Draw a table; ``columns`` are (header, width in points); rows break across pages with the header."""

        def header() -> None:
            self.c.setFont("Helvetica-Bold", 7.5)
            x: float = MARGIN
            for name, w in columns:
                self.c.drawString(x, self.y, fit(name, w - 4, "Helvetica-Bold", 7.5))
                x += w
            self.c.line(MARGIN, self.y - 3, PAGE_W - MARGIN, self.y - 3)
            self.y -= 13

        self.need(30)
        header()
        for row in rows:
            # long tokens (procedure ids) are split as in the binder's tables, never drawn over the next column
            cells = [wrap(str(cell), w - 4, "Helvetica", 7.5) for (_, w), cell in zip(columns, row, strict=False)]
            height = 11 * max(len(c) for c in cells)
            if self.y - height < MARGIN:
                self.new_page()
                header()
            x: float = MARGIN
            fill = color(row) if color else None
            for i, ((_, w), parts) in enumerate(zip(columns, cells, strict=False)):
                if fill is not None and i == 1:
                    self.c.setFillColor(fill)
                self.c.setFont("Helvetica", 7.5)
                for n, part in enumerate(parts):  # long cells wrap inside their column
                    self.c.drawString(x, self.y - 11 * n, part)
                self.c.setFillColor(colors.black)
                x += w
            self.y -= height

    def drawing(self, d: Drawing) -> None:
        self.need(d.height + 10)
        renderPDF.draw(d, self.c, MARGIN, self.y - d.height)
        self.y -= d.height + 10

    def finish(self) -> bytes:
        self.c.save()
        return self.buf.getvalue()


def _no_data(width: float, text: str) -> Drawing:
    d = Drawing(width, 30)
    d.add(String(0, 12, text, fontName="Helvetica-Oblique", fontSize=8))
    return d


def complaints_chart(by_month: Mapping[str, Mapping[str, int]], width: float = 500, height: float = 220) -> Drawing:
    """Stacked bars: complaints per month, one colour per failure mode (vector)."""
    if not by_month:
        return _no_data(width, "No complaints received in the record window.")
    months = list(by_month)
    modes = sorted({m for counts in by_month.values() for m in counts})
    d = Drawing(width, height)
    bc = VerticalBarChart()
    bc.x, bc.y, bc.width, bc.height = 30, 50, width - 170, height - 70
    bc.data = [[by_month[mo].get(mode, 0) for mo in months] for mode in modes]
    bc.categoryAxis.categoryNames = months
    bc.categoryAxis.style = "stacked"
    bc.categoryAxis.labels.angle = 45
    bc.categoryAxis.labels.boxAnchor = "ne"
    bc.categoryAxis.labels.fontSize = 6
    _integer_axis(bc.valueAxis, max(sum(c.values()) for c in by_month.values()))
    for i in range(len(modes)):
        bc.bars[i].fillColor = PALETTE[i % len(PALETTE)]
        bc.bars[i].strokeColor = None
    d.add(bc)
    lg = Legend()
    lg.x, lg.y = width - 130, height - 20
    lg.fontSize = 6.5
    lg.alignment = "right"
    lg.colorNamePairs = [(PALETTE[i % len(PALETTE)], fit(m, 110, size=6.5)) for i, m in enumerate(modes)]
    d.add(lg)
    return d


def capa_chart(cycle: Sequence[Mapping[str, Any]], width: float = 500, height: float = 200) -> Drawing:
    """Bars: days from opening to closure per CAPA closed in the window, in closing order (vector)."""
    if not cycle:
        return _no_data(width, "No CAPA closed in the record window.")
    d = Drawing(width, height)
    bc = VerticalBarChart()
    bc.x, bc.y, bc.width, bc.height = 30, 50, width - 40, height - 60
    bc.data = [[c["days"] for c in cycle]]
    bc.categoryAxis.categoryNames = [c["id"] for c in cycle]
    bc.categoryAxis.labels.angle = 45
    bc.categoryAxis.labels.boxAnchor = "ne"
    bc.categoryAxis.labels.fontSize = 6
    _integer_axis(bc.valueAxis, max(c["days"] for c in cycle))
    bc.bars[0].fillColor = PALETTE[0]
    d.add(bc)
    return d


def findings_chart(by_area: Mapping[str, int], width: float = 500, height: float = 180) -> Drawing:
    """Horizontal bars: validation findings per CP 7382.850 area (vector)."""
    if not by_area:
        return _no_data(width, "No validation findings.")
    d = Drawing(width, height)
    bc = HorizontalBarChart()
    bc.x, bc.y, bc.width, bc.height = 190, 10, width - 200, height - 20
    names = list(by_area)[::-1]
    bc.data = [[by_area[n] for n in names]]
    bc.categoryAxis.categoryNames = [fit(n, 180, size=7) for n in names]
    bc.categoryAxis.labels.fontSize = 7
    _integer_axis(bc.valueAxis, max(by_area.values()))
    bc.bars[0].fillColor = PALETTE[1]
    d.add(bc)
    return d


def _charts(p: _Pages, charts: Mapping[str, Any]) -> None:
    blocks = [
        (
            "Trends: complaints per month by failure mode (ISO 13485:2016 8.4)",
            complaints_chart(charts.get("complaints_by_month", {})),
        ),
        (
            "CAPA cycle time, days from opening to closure (ISO 13485:2016 8.5.2)",
            capa_chart(charts.get("capa_cycle_days", [])),
        ),
    ]
    if "findings_by_area" in charts:
        blocks.append(("Validation findings by CP 7382.850 area", findings_chart(charts["findings_by_area"])))
    p.new_page()
    for title, drawing in blocks:
        p.need(drawing.height + 40)  # keep each heading with its chart
        p.heading(title)
        p.drawing(drawing)


def _integer_axis(axis: Any, top: float) -> None:
    """Counts and days are whole numbers: ticks at whole steps, about five of them."""
    axis.valueMin = 0
    axis.valueStep = next(
        m * 10**e for e in range(9) for m in (1, 2, 2.5, 5) if m * 10**e >= top / 5 and (m * 10**e) % 1 == 0
    )
    axis.labels.fontSize = 7


def render_gap_pdf(result: Mapping[str, Any]) -> bytes:
    """Return the gap analysis pages: summary, coverage table by area, findings, trend charts."""
    p = _Pages(f"QMSR gap analysis \u2014 {result['bundle']}", bool(result.get("foia_confidential")))
    cat, w, s = result["catalogue"], result["window"], result["summary"]
    p.line(f"Catalogue {cat['name']} {cat['version']}: {cat['title']}")
    p.line(f"Record window {w['start']} to {w['end']}; as of {result['as_of']}")
    p.line(
        "; ".join(f"{k}: {v}" for k, v in s.items())
        + f"; {result['counts']['error']} errors, {result['counts']['warning']} warnings"
    )
    cols = [("Requirement", 95), ("Verdict", 72), ("Procedure", 90), ("Rec.", 28), ("Latest", 52), ("Title", 179)]
    for area in result["areas"]:
        rows = [
            [
                r["id"],
                r["verdict"] + (" (thin)" if r["thin"] else ""),
                r["procedures"][0]["id"]
                if r["procedures"]
                else (f"legacy: {r['legacy_procedures'][0]['id']}" if r["legacy_procedures"] else "\u2014"),
                str(r["records"]),
                r["latest"] or "\u2014",
                r["title"],
            ]
            for r in result["requirements"]
            if r["area"] == area["id"]
        ]
        if rows:
            p.heading(f"{area['title']} ({area['citation']})")
            p.table(cols, rows, color=lambda row: VERDICT_COLORS.get(row[1].replace(" (thin)", "")))
    if result["findings"]:
        p.heading("Gap findings")
        p.table(
            [("Severity", 50), ("Requirement", 95), ("Message", 371)],
            [[f["severity"], f["requirement"], f["message"]] for f in result["findings"]],
        )
    _charts(p, result["charts"])
    return p.finish()


def render_qmm_pdf(result: Mapping[str, Any]) -> bytes:
    """Return the QMM readiness pages: one block per practice area, the improvement-plan tracker, charts."""
    from evidence_kit_builtin.gap.qmm import indicator_summary

    p = _Pages(f"QMM practice-area readiness \u2014 {result['bundle']}", bool(result.get("foia_confidential")))
    w = result["window"]
    p.line(f"Record window {w['start']} to {w['end']}; as of {result['as_of']}")
    p.line(result["note"], font="Helvetica-Oblique")
    for a in result["practice_areas"]:
        p.heading(f"{a['id']} {a['title']}")
        p.line(f"Source: {a['citation']}", 7)
        ev = ", ".join(f"{k}: {v}" for k, v in sorted(a["evidence"].items())) or "no evidence in the window"
        rec = f"latest {a['latest']} ({a['age_days']} days before the run date)" if a["latest"] else "no dated evidence"
        p.line(f"Evidence: {ev}; {rec}")
        procs = ", ".join(x["id"] for x in a["procedures"]) or "none citing this area"
        p.line(f"Procedures: {procs}")
        if a["indicators"]:
            p.table(
                [("Indicator", 220), ("Value", 296)],
                [[i["title"], indicator_summary(i)] for i in a["indicators"].values()],
            )
    p.heading("Improvement-plan tracker (checkpoints 3 and 6 months after the assessment)")
    if not result["improvement_plans"]:
        p.line("No improvement_plan record in the bundle.")
    for plan in result["improvement_plans"]:
        opp = plan["opportunity"]
        p.line(
            f"{plan['id']}: assessment {plan['assessment_date']}; opportunity "
            f"({opp.get('practice_area', '?')}): {opp.get('description', '')}",
            font="Helvetica-Bold",
        )
        p.table(
            [("Checkpoint", 80), ("Status", 90), ("Due", 80), ("Reported", 266)],
            [[f"{c['month']} months", c["status"], c["due"], c["reported"] or "\u2014"] for c in plan["checkpoints"]],
            color=lambda row: colors.HexColor("#c00000") if row[1] in ("overdue", "reported-late") else None,
        )
        p.table(
            [("Action", 60), ("Owner", 110), ("Due", 70), ("Status", 70), ("Description", 206)],
            [
                [
                    str(x.get("id", "")),
                    str(x.get("owner", "\u2014")),
                    str(x.get("due_date", "\u2014")),
                    str(x.get("status", "")),
                    str(x.get("description", "")),
                ]
                for x in plan["actions"]
            ],
        )
    _charts(p, result["charts"])
    return p.finish()
