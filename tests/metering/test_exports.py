"""``bill export`` of a sample month in all four formats, through the CLI (both databases).

Cases: CSV totals per department equal the stored statements' (Chinese headings by
default, English with ``--lang en``); the XLSX opens with openpyxl and its summary
totals match; the PDF's extracted text holds each department's Chinese name and its
total; the JSON's content hashes equal the stored ones; ``--tenant`` exports one
department; exporting a month that was never run is refused (exit 1).
"""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from pathlib import Path

from openpyxl import load_workbook
from pypdf import PdfReader

from controlplane.app import App
from controlplane.bills import BillsService
from controlplane.metering import MeteringService

from .conftest import MARCH, cli
from .test_bills import march


def test_exports_in_four_formats(
    billing_app: App, metering: MeteringService, bills: BillsService, tmp_path: Path
) -> None:
    march(billing_app, metering, tmp_path)
    assert cli(billing_app, "bill", "run", "--month", "2026-03") == 0
    stored = {s.tenant: s for s in bills.statements(MARCH)}
    expected = {code: s.total for code, s in stored.items()}
    assert expected == {"hrss": Decimal("340.00"), "water-dept": Decimal("115.73")}

    def export(fmt: str, *extra: str) -> Path:
        target = tmp_path / f"bill-{fmt}-{len(extra)}.{fmt}"
        args = [
            "bill",
            "export",
            "--month",
            "2026-03",
            "--format",
            fmt,
            "--output-file",
            str(target),
        ]
        assert cli(billing_app, *args, *extra) == 0
        return target

    rows = list(csv.DictReader(io.StringIO(export("csv").read_text("utf-8-sig"))))
    assert {
        r["部门编码"]: Decimal(r["金额（元）"]) for r in rows if r["记录类型"] == "应付总额"
    } == expected
    english = export("csv", "--lang", "en").read_text("utf-8-sig")
    assert english.startswith("Month,Department code,Department,Record")

    book = load_workbook(export("xlsx"))
    summary = book["汇总"]
    header = [cell.value for cell in summary[1]]
    column = header.index("应付总额")
    assert {
        row[1].value: Decimal(str(row[column].value)) for row in summary.iter_rows(min_row=2)
    } == expected

    text = "\n".join(page.extract_text() for page in PdfReader(export("pdf")).pages)
    for code, statement in stored.items():
        assert statement.tenant_name in text
        assert f"应付总额: {expected[code]:f} 元" in text
    assert "省数管〔2026〕1号" in text

    payload = json.loads(export("json").read_text("utf-8"))
    assert {d["tenant"]: d["contentHash"] for d in payload["statements"]} == {
        code: s.content_hash for code, s in stored.items()
    }
    one = json.loads(export("json", "--tenant", "water-dept").read_text("utf-8"))
    assert [d["tenant"] for d in one["statements"]] == ["water-dept"]


def test_export_of_a_month_never_run_is_refused(billing_app: App, tmp_path: Path) -> None:
    target = tmp_path / "none.csv"
    args = ["bill", "export", "--month", "2026-05", "--format", "csv", "--output-file", str(target)]
    assert cli(billing_app, *args) == 1
    assert not target.exists()
