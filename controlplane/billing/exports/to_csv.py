"""CSV export: one flat table for one or many statements.

Written as UTF-8 with a byte-order mark, because that is what makes Excel on Chinese
Windows open the file with the right encoding; amounts are plain decimal text.
Imports ``rows`` and ``labels`` only.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import BinaryIO

from controlplane.billing.exports.labels import Lang
from controlplane.billing.exports.rows import header, statement_rows
from controlplane.billing.statements import Statement


def write_csv(statements: Iterable[Statement], out: BinaryIO, lang: Lang = "zh") -> None:
    text = io.StringIO(newline="")
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(header(lang))
    for row in statement_rows(statements, lang):
        writer.writerow([f"{cell:f}" if not isinstance(cell, str | int) else cell for cell in row])
    out.write(text.getvalue().encode("utf-8-sig"))
