"""The table and ``label: value`` renderers, and the checks the golden tests rely on.

Cases: a cell too long for 80 columns is cut with ``…`` and shown whole with ``wide``;
CJK characters count two columns; numbers and times are never cut; English headings are
upper case; data values are never translated (a sector named ``health``). Each check of
tests/cli/checks.py fails on the output it is there to catch.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime
from decimal import Decimal

from rich.cells import cell_len

from controlplane.cli.output import Column, Format, emit, fit, pair_lines, table_lines
from controlplane.cli.status import resource_state, state_text

from .checks import english_words, pair_problems, table_problems

ROWS = [
    {"name": "public-security-cloud-with-a-very-long-name", "sector": "health",
     "city": "临江市文化广电旅游局数据资源中心", "amount": Decimal("1234567.89"),
     "at": datetime(2026, 2, 28, 17, 30, tzinfo=UTC)},
    {"name": "tax", "sector": "tax", "city": "-", "amount": Decimal("0.50"),
     "at": datetime(2026, 3, 1, tzinfo=UTC)},
]  # fmt: skip
COLUMNS = [
    Column("name", lambda r: r["name"]),
    Column("sector", lambda r: r["sector"]),
    Column("city", lambda r: r["city"]),
    Column("amount", lambda r: r["amount"], justify="right"),
    Column("updated", lambda r: r["at"]),
]


def test_fit_cuts_by_terminal_cells() -> None:
    assert fit("abcdef", 6) == "abcdef"
    assert fit("abcdefg", 6) == "abcde…"
    assert fit("临江市文化广电", 7) == "临江市…"  # 3 × 2 cells + the ellipsis
    assert cell_len(fit("临江市文化广电", 8)) <= 8


def test_tables_fit_80_columns_one_line_a_row() -> None:
    lines = table_lines(ROWS * 3, COLUMNS, "en", width=60)
    assert len(lines) == 7 and all(cell_len(line) <= 60 for line in lines)
    assert lines[0] == lines[0].upper() and lines[0].split()[:2] == ["NAME", "SECTOR"]
    assert "…" in lines[1] and "public-security-cloud-with-a-very-long-name" not in lines[1]
    # numbers and times are never cut (Asia/Shanghai for people)
    assert "1,234,567.89" in lines[1] and "2026-03-01 01:30" in lines[1]
    assert table_problems("\n".join(lines), ["public-security-cloud-with-a-very-long-name",
                                             "tax"] * 3, lang="en", width=60) == []  # fmt: skip


def test_wide_shows_every_cell_whole() -> None:
    lines = table_lines(ROWS, COLUMNS, "en", wide=True, width=60)
    assert "public-security-cloud-with-a-very-long-name" in lines[1]
    assert "临江市文化广电旅游局数据资源中心" in lines[1] and "…" not in "".join(lines)


def test_data_values_are_never_translated() -> None:
    out = io.StringIO()
    emit(ROWS, Format.table, lang="zh", columns=COLUMNS, stream=out)
    heading, first, _ = out.getvalue().splitlines()
    assert "名称" in heading and "金额" in heading  # headings translated
    assert " health " in first and "健康" not in first


def test_show_pairs_align_and_cut_long_values() -> None:
    lines = pair_lines([("name", "x" * 100), ("tier", "provincial")], "zh", width=40)
    assert lines == ["名称: " + "x" * 33 + "…", "层级: provincial"]
    assert pair_problems("\n".join(lines), lang="zh", width=40) == []


def test_one_state_vocabulary() -> None:
    assert [resource_state(raw) for raw in ("ACTIVE", "available", "Running", "BUILD")] == [
        "Ready", "Ready", "Ready", "Pending",
    ]  # fmt: skip
    assert resource_state("SHUTOFF") == "Stopped" and resource_state("weird") == "Unknown"
    assert resource_state("ACTIVE", deleted=True) == "Deleted"
    assert [state_text(s, "en") for s in ("draft", "up-to-date", "PendingApproval")] == [
        "Draft", "UpToDate", "PendingApproval",
    ]  # fmt: skip
    assert state_text("draft", "zh") == "草稿" and state_text("PendingApproval", "zh") == "待审批"


# -- the checks fail on what they are there to catch ----------------------------------


def test_table_check_catches_wide_wrapped_and_mixed_case_output() -> None:
    wrapped = "NAME    CITY\nalpha   临江市文化\n        广电旅游局\nbeta    -\n"
    assert any("split" in p for p in table_problems(wrapped, ["alpha", "beta"], lang="en"))
    too_wide = "NAME\n" + "x" * 81 + "\n"
    assert any("wider" in p for p in table_problems(too_wide, ["x" * 81], lang="en"))
    assert any("upper" in p for p in table_problems("Name\nalpha\n", ["alpha"], lang="en"))
    assert table_problems("名称  Tier\nalpha  x\n", ["alpha"], lang="zh") == [
        "untranslated heading 'Tier' in '名称  Tier'"
    ]
    assert any("not on its own row" in p for p in table_problems(
        "NAME\nalp\n", ["alpha"], lang="en"))  # fmt: skip


def test_pair_check_catches_misaligned_and_english_labels() -> None:
    assert pair_problems("名称: a\n层级:   b\n", lang="zh") == [
        "values not aligned (columns [6, 8])"
    ]
    assert pair_problems("名称: a\ntier: b\n", lang="zh") == ["untranslated label 'tier'"]


def test_english_words_allows_data_and_cut_data_only() -> None:
    text = "云平台 public-secu… 状态 Ready, providers optionally"
    assert english_words(text, {"public-security-cloud", "Ready"}) == [
        "providers", "optionally",
    ]  # fmt: skip
    assert english_words("名称 publ…", {"tax"}) == ["publ"]
