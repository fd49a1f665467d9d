"""Finance exports in CSV, XLSX, PDF and JSON for a sample month.

Cases covered:
- CSV: UTF-8 with BOM, Chinese headings (English with lang="en"), one total row per
  department equal to the statement total, content hash on every row;
- XLSX: reopened with openpyxl, the summary totals and each department sheet's total
  match the statements, the department's Chinese name is present;
- PDF: text extracted with pypdf contains each department's Chinese name, its total and
  the 文号; the output is reproducible byte for byte;
- JSON: re-hashing the exported document gives the content hash;
- export() writes to a path, refuses unknown formats and languages.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

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
from controlplane.billing.exports import ExportFormat, export

MARCH = Month.parse("2026-03")


@pytest.fixture
def statements(
    card: RateCard, march_usage: list[Observation], tiers: dict[str, Tier], tenants: dict[str, str]
) -> tuple[Statement, ...]:
    rating = rate_month(
        MARCH, build_intervals(march_usage), ownership_from_observations(march_usage), card, tiers
    )
    sla = Adjustment(
        "hrss",
        AdjustmentKind.SLA,
        "可用率 99.80% < 99.95%",
        "考核小组",
        Decimal("-12.34"),
        "2026-03",
        "prov-main",
        "health:prov-main",
    )
    return build_statements(MARCH, rating.lines, [sla], tenants, card)


def render(statements: tuple[Statement, ...], fmt: str, lang: str = "zh") -> bytes:
    out = io.BytesIO()
    export(statements, fmt, out, lang)
    return out.getvalue()


def test_csv(statements: tuple[Statement, ...]) -> None:
    data = render(statements, "csv")
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    totals = {
        row["部门编码"]: Decimal(row["金额（元）"]) for row in rows if row["记录类型"] == "应付总额"
    }
    assert totals == {s.tenant: s.total for s in statements}
    assert all(len(row["内容哈希（SHA-256）"]) == 64 for row in rows)
    adjustments = [row for row in rows if row["记录类型"] == "调整"]
    assert adjustments[0]["金额（元）"] == "-12.34" and "考核小组" in adjustments[0]["说明"]
    english = render(statements, "csv", "en").decode("utf-8-sig")
    assert english.startswith("Month,Department code,Department,Record")


def test_xlsx(statements: tuple[Statement, ...]) -> None:
    book = load_workbook(io.BytesIO(render(statements, "xlsx")))
    summary = book["汇总"]
    header = [cell.value for cell in summary[1]]
    col = header.index("应付总额")
    by_code = {row[1].value: Decimal(str(row[col].value)) for row in summary.iter_rows(min_row=2)}
    assert by_code == {s.tenant: s.total for s in statements}
    for st in statements:
        sheet = book[st.tenant]
        values = [[cell.value for cell in row] for row in sheet.iter_rows()]
        assert [st.tenant_name] in [row[1:2] for row in values]
        (total_row,) = [row for row in values if row[0] == "应付总额"]
        assert Decimal(str(total_row[1])).quantize(Decimal("0.01")) == st.total
        assert any(st.content_hash in map(str, row) for row in values)


def test_pdf(statements: tuple[Statement, ...]) -> None:
    data = render(statements, "pdf")
    assert data == render(statements, "pdf")  # reproducible
    reader = PdfReader(io.BytesIO(data))
    text = "\n".join(page.extract_text() for page in reader.pages)
    for st in statements:
        assert st.tenant_name in text
        assert f"应付总额: {st.total:f} 元" in text
    assert "省数管〔2026〕3号" in text
    assert "服务水平考核扣减" in text
    english = PdfReader(io.BytesIO(render(statements, "pdf", "en")))
    assert "Total due" in english.pages[0].extract_text()


def test_json(statements: tuple[Statement, ...]) -> None:
    payload = json.loads(render(statements, "json"))
    assert payload["title"] == "政务云服务费用结算单"
    for doc, st in zip(payload["statements"], statements, strict=True):
        claimed = doc.pop("contentHash")
        canonical = json.dumps(doc, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        assert hashlib.sha256(canonical.encode()).hexdigest() == claimed == st.content_hash
        assert Decimal(doc["total"]) == st.total


def test_export_to_path_and_errors(statements: tuple[Statement, ...], tmp_path: Path) -> None:
    for fmt in ExportFormat:
        target = tmp_path / f"bill.{fmt.value}"
        export(statements[:1], fmt, target)
        assert target.stat().st_size > 0
    with pytest.raises(ValueError, match="docx"):
        export(statements, "docx", tmp_path / "x")
    with pytest.raises(ValueError, match="'zh' or 'en'"):
        export(statements, "csv", io.BytesIO(), "fr")
