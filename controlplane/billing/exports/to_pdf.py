"""PDF export (reportlab): one statement per department, a new page for each.

Chinese text uses reportlab's built-in CID font ``STSong-Light`` (Adobe-GB1): the
reader's PDF viewer supplies the glyphs, so nothing is downloaded or embedded and the
text stays extractable. Output is byte-for-byte reproducible (``invariant``), so the
same statements always give the same file. Imports ``layout``, ``labels`` and
reportlab only.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any, BinaryIO

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table

from controlplane.billing.exports.cells import printable
from controlplane.billing.exports.labels import Lang, label
from controlplane.billing.exports.layout import Layout, statement_layout
from controlplane.billing.statements import Statement

FONT = "STSong-Light"


def _register_font() -> None:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))


def _styles() -> dict[str, ParagraphStyle]:
    return {
        "title": ParagraphStyle("title", fontName=FONT, fontSize=16, leading=22, spaceAfter=6),
        "heading": ParagraphStyle("heading", fontName=FONT, fontSize=11, leading=15, spaceBefore=6),
        "body": ParagraphStyle("body", fontName=FONT, fontSize=8, leading=11),
        "total": ParagraphStyle("total", fontName=FONT, fontSize=11, leading=15),
    }


def _text(value: object) -> str:
    return f"{value:f}" if isinstance(value, Decimal) else str(value)


def _escape(text: str) -> str:
    return printable(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


_GRID = [
    ("FONTNAME", (0, 0), (-1, -1), FONT),
    ("FONTSIZE", (0, 0), (-1, -1), 8),
    ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
    ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke),
    ("VALIGN", (0, 0), (-1, -1), "TOP"),
]


def _story(layout: Layout, styles: dict[str, ParagraphStyle]) -> list[Any]:
    story: list[Any] = [Paragraph(_escape(layout.title), styles["title"])]
    story.append(
        Table(
            [[name, Paragraph(_escape(value), styles["body"])] for name, value in layout.fields],
            colWidths=[45 * mm, 200 * mm],
            style=_GRID[:3],
        )
    )
    if layout.note:
        story.append(Paragraph(_escape(layout.note), styles["heading"]))
    for table in layout.tables:
        story.append(Paragraph(_escape(table.title), styles["heading"]))
        rows: list[list[Any]] = [list(table.header)]
        for values in table.rows:
            rows.append([Paragraph(_escape(_text(v)), styles["body"]) for v in values])
        rows.append([*[""] * (len(table.header) - 2), table.total_label, _text(table.total)])
        story.append(Table(rows, repeatRows=1, style=_GRID))
    story.append(Spacer(1, 6 * mm))
    for name, amount in layout.totals:
        story.append(Paragraph(_escape(f"{name}: {_text(amount)} 元"), styles["total"]))
    return story


def write_pdf(statements: Iterable[Statement], out: BinaryIO, lang: Lang = "zh") -> None:
    _register_font()
    styles = _styles()
    story: list[Any] = []
    for index, st in enumerate(statements):
        if index:
            story.append(PageBreak())
        story.extend(_story(statement_layout(st, lang), styles))
    if not story:
        story.append(Paragraph(label("title", lang), styles["title"]))
    doc = SimpleDocTemplate(
        out,
        pagesize=landscape(A4),
        title=label("title", lang),
        author="govcloud",
        invariant=1,
        leftMargin=12 * mm,
        rightMargin=12 * mm,
        topMargin=12 * mm,
        bottomMargin=12 * mm,
    )
    doc.build(story)
