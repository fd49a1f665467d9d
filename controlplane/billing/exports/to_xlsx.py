"""XLSX export (openpyxl): a summary sheet, then one sheet per department.

Amounts are written as numbers (from the Decimal text, so no float rounding on the
way in) with a two-decimal format, so finance can sum them; text goes through
:func:`~controlplane.billing.exports.cells.spreadsheet_text` (no formulas, no control
characters, which openpyxl refuses). Imports ``layout``, ``cells``, ``labels`` and
openpyxl only.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal
from typing import Any, BinaryIO

from openpyxl import Workbook
from openpyxl.styles import Font

from controlplane.billing.exports.cells import spreadsheet_text
from controlplane.billing.exports.labels import Lang, label
from controlplane.billing.exports.layout import statement_layout
from controlplane.billing.statements import Statement

_MONEY = "#,##0.00"
_BOLD = Font(bold=True)
_SHEET_NAME_BAD = re.compile(r"[\[\]:*?/\\]")


def _sheet_title(code: str, used: set[str]) -> str:
    base = _SHEET_NAME_BAD.sub("_", code)[:28] or "dept"
    title, n = base, 1
    while title.lower() in used:
        n += 1
        title = f"{base[:25]}~{n}"
    used.add(title.lower())
    return title


def _put(sheet: Any, row: int, values: Iterable[object], bold: bool = False) -> None:
    for col, value in enumerate(values, start=1):
        shown = spreadsheet_text(value) if isinstance(value, str) else value
        cell = sheet.cell(row=row, column=col, value=shown)
        if isinstance(value, Decimal):
            cell.number_format = _MONEY if value == value.quantize(Decimal("0.01")) else "General"
        if bold:
            cell.font = _BOLD


def write_xlsx(statements: Iterable[Statement], out: BinaryIO, lang: Lang = "zh") -> None:
    statements = list(statements)
    book = Workbook()
    summary = book.active
    summary.title = label("summary", lang)
    used = {summary.title.lower()}
    _put(
        summary,
        1,
        [
            label(key, lang)
            for key in (
                "month",
                "tenant",
                "tenant_name",
                "lines_total",
                "adjustments_total",
                "total",
                "content_hash",
            )
        ],
        bold=True,
    )
    for index, st in enumerate(statements, start=2):
        _put(
            summary,
            index,
            [
                st.month,
                st.tenant,
                st.tenant_name,
                st.lines_total,
                st.adjustments_total,
                st.total,
                st.content_hash,
            ],
        )
    for st in statements:
        _write_statement(book.create_sheet(_sheet_title(st.tenant, used)), st, lang)
    book.save(out)


def _write_statement(sheet: Any, st: Statement, lang: Lang) -> None:
    layout = statement_layout(st, lang)
    _put(sheet, 1, [layout.title], bold=True)
    row = 2
    for name, value in layout.fields:
        _put(sheet, row, [name, value])
        row += 1
    if layout.note:
        row += 1
        _put(sheet, row, [layout.note])
        row += 1
    for table in layout.tables:
        row += 1
        _put(sheet, row, [table.title], bold=True)
        _put(sheet, row + 1, table.header, bold=True)
        row += 2
        for values in table.rows:
            _put(sheet, row, values)
            row += 1
        _put(sheet, row, [*[""] * (len(table.header) - 2), table.total_label, table.total])
        row += 1
    row += 1
    for name, amount in layout.totals:
        _put(sheet, row, [name, amount], bold=True)
        row += 1
    sheet.column_dimensions["A"].width = 22
