"""CSV export: one flat table for one or many statements.

Written as UTF-8 with a byte-order mark, because that is what makes Excel on Chinese
Windows open the file with the right encoding; amounts are plain decimal text; text
cells pass through :func:`~controlplane.billing.exports.cells.spreadsheet_text`, so no
imported name is ever evaluated as a formula. Imports ``rows``, ``cells`` and ``labels``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import BinaryIO

from controlplane.billing.exports.cells import spreadsheet_text
from controlplane.billing.exports.labels import Lang
from controlplane.billing.exports.rows import Cell, header, statement_rows
from controlplane.billing.statements import Statement


def write_csv(statements: Iterable[Statement], out: BinaryIO, lang: Lang = "zh") -> None:
    text = io.StringIO(newline="")
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(header(lang))
    for row in statement_rows(statements, lang):
        writer.writerow([_cell(cell) for cell in row])
    out.write(text.getvalue().encode("utf-8-sig"))


def _cell(cell: Cell) -> str | int:
    if isinstance(cell, str):
        return spreadsheet_text(cell)
    return cell if isinstance(cell, int) else f"{cell:f}"
