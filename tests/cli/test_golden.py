"""Every list and show command at 80 columns, in English and Chinese, on the tiny demo.

For each list: no line wider than 80; one line per record, each record's identifying
value on its row whole or cut with ``…`` (never wrapped onto another line); the data
values (tiers, kinds, sectors, codes) shown as they are stored in Chinese too; headings
in one style. For each show: aligned ``label: value`` pairs, labels translated, data
untranslated, 80 columns. ``-o wide`` shows cut values whole; ``-o json`` keeps times
ISO-8601 with their offset while tables show them in Asia/Shanghai.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest

from controlplane.timeutil import SHANGHAI

from .checks import pair_problems, shown, table_problems
from .conftest import MONTH, Run

Key = Callable[[dict[str, Any]], str]

#: list command, the record's identifying value, the stored values shown as data
LISTS: list[tuple[list[str], Key, tuple[str, ...]]] = [
    (["provider", "list"], lambda r: r["name"], ("tier", "kind")),
    (["tenant", "list"], lambda r: r["code"], ("level",)),
    (["request", "list"], lambda r: str(r["id"]), ("tenant",)),
    (["get", "resources", "--limit", "1000"], lambda r: r["name"], ("kind",)),
    (["get", "drift"], lambda r: r["name"], ("drift",)),
    (["policy", "list"], lambda r: r["id"], ()),
    (["policy", "violations"], lambda r: r["rule"], ()),
    (["policy", "waiver", "list"], lambda r: r["id"], ()),
    (["bill", "show", "--month", MONTH], lambda r: r["tenant"], ()),
    (["meter", "gaps", "--month", MONTH], lambda r: r["provider"], ()),
]


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize(
    ("argv", "key", "data"), LISTS, ids=[" ".join(argv[:2]) for argv, _, _ in LISTS]
)
def test_list_tables(run: Run, argv: list[str], key: Key, data: tuple[str, ...], lang: str) -> None:
    records = run.json(*argv)
    printed = run(*argv, lang=lang)
    assert printed.code == 0, printed.err
    keys = [key(r) for r in records]
    if not records:
        assert (
            printed.out.strip() in ("(none)", "（无记录）")
            or "无覆盖缺口" in printed.out
            or ("no coverage gaps" in printed.out)
        )
        return
    assert table_problems(printed.out, keys, lang=lang) == []
    rows = [line for line in printed.out.splitlines() if line.strip()][1:]
    for record, row in zip(records, rows, strict=False):
        for field in data:
            assert shown(str(record[field]), row), (field, record[field], row)


def test_long_lists_are_big_enough_to_be_cut(run: Run) -> None:
    """The resource list does need shortening at 80 columns, and -o wide shows it whole."""
    records = run.json("get", "resources", "--limit", "1000")
    assert len(records) > 100
    table = run("get", "resources", "--limit", "1000").out
    wide = run("get", "resources", "--limit", "1000", "-o", "wide").out
    assert "…" in table and "…" not in wide
    longest = max((r["system"] for r in records), key=len)
    assert longest not in table and longest in wide
    assert len(wide.splitlines()) == len(table.splitlines())  # one line per row there too
    assert "RAW STATUS" in wide.splitlines()[0] and "RAW STATUS" not in table.splitlines()[0]


def test_resources_show_one_state_word_and_the_raw_status_in_wide(run: Run) -> None:
    records = run.json("get", "resources", "--limit", "5")
    assert {r["state"] for r in records} <= {"Ready", "Pending", "Stopped", "Failed"}
    zh = run("get", "resources", "--limit", "5", lang="zh").out
    assert "就绪" in zh
    wide = run("get", "resources", "--limit", "5", "-o", "wide").out
    for record in records:
        assert record["status"] in wide  # the provider's own spelling, untranslated


def _first(run: Run, argv: list[str], field: str) -> str:
    return str(run.json(*argv)[0][field])


SHOWS: list[Callable[[Run], list[str]]] = [
    lambda run: ["provider", "show", _first(run, ["provider", "list"], "name")],
    lambda run: ["tenant", "show", _first(run, ["tenant", "list"], "code")],
    lambda run: ["request", "show", _first(run, ["request", "list"], "id")],
    lambda run: ["bill", "show", "--month", MONTH, "--tenant", "police"],
    lambda _run: ["estate", "show"],
]


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("which", range(len(SHOWS)), ids=["provider", "tenant", "request",
                                                           "bill", "estate"])  # fmt: skip
def test_show_pairs(run: Run, which: int, lang: str) -> None:
    argv = SHOWS[which](run)
    printed = run(*argv, lang=lang)
    assert printed.code == 0, printed.err
    assert pair_problems(printed.out, lang=lang) == []


def test_show_keeps_data_untranslated_in_chinese(run: Run) -> None:
    provider = run.json("provider", "list")[0]
    zh = run("provider", "show", provider["name"], lang="zh").out
    pairs = dict(line.split(": ", 1) for line in zh.split("\n\n")[0].splitlines())
    values = {label.strip(): value.strip() for label, value in pairs.items()}
    assert values["层级"] == provider["tier"] and values["类型"] == provider["kind"]
    assert values["名称"] == provider["name"]


def test_times_are_shanghai_in_tables_and_iso_with_offset_in_json(run: Run) -> None:
    tenant = run.json("tenant", "list")[0]
    stamp = datetime.fromisoformat(tenant["updated_at"])
    assert stamp.utcoffset() is not None and re.search(r"[+-]\d\d:\d\d$", tenant["updated_at"])
    local = stamp.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
    assert local in run("tenant", "show", tenant["code"]).out


def test_estate_show_rate_card_block_in_chinese(run: Run) -> None:
    zh = run("estate", "show", lang="zh").out
    assert "价目表:" in zh and "生效日期:" in zh and "计量项" in zh and "计费粒度" in zh
    en = run("estate", "show").out
    assert "rate card:" in en and "METER" in en and "PRORATION" in en
