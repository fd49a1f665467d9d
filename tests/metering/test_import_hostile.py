"""Hostile usage files are refused located through ``meter import`` and import nothing
(SQLite and PostgreSQL).

Cases (the CSV reproducers of the reliability issue): a field over 128 KiB (once a
``_csv.Error``) and one over the field limit; a date near year 9999 with an offset (once
an ``OverflowError``); a quantity of ``1e999999999`` (once minutes of arithmetic) and one
with too many decimals; control characters (ESC, NUL) in a field; a header-only and an
empty file (once printed without a location); more rows than the limit, and a file
larger than the limit, set from the environment; an unterminated quote. Each exits 2
with ``file:line:col`` and the field, in under a second, and the database is unchanged
row for row. A formula-looking system name is data: it imports (exports neutralise it).
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from controlplane.app import App
from tests.controlplane.dbdump import snapshot

from .conftest import HEADER, cli, water_row

GOOD = water_row("ns-1", "compute.vcpu", "2", "2026-03-01T00:00:00+08:00", "2026-03-11T00:00:00+08:00")  # fmt: skip


def _rows(*rows: str) -> str:
    return "\n".join([HEADER, *rows]) + "\n"


CASES = {
    "field-over-128kib": (_rows(GOOD.replace("ns-1", "n" * 140_000)), ":2:1: row: is not CSV: field larger than field limit"),
    "field-over-limit": (_rows(GOOD.replace("ns-1", "n" * 2_000)), ":2:4: resource_id: a field of 2,000 characters exceeds the limit of 1,024"),
    "date-near-9999": (_rows(GOOD.replace("2026-03-11T00:00:00+08:00", "9999-12-31T23:00:00-05:00")), ":2:8: end: is out of range"),
    "quantity-exponent": (_rows(GOOD.replace(",2,", ",1e999999999,")), ":2:6: quantity: is out of range"),
    "quantity-decimals": (_rows(GOOD.replace(",2,", ",0.0000000000001,")), ":2:6: quantity: is out of range"),
    "escape-in-field": (_rows(GOOD.replace("flood", "fl\x1bood")), ":2:3: system: control character U+001B is not allowed"),
    "nul-in-field": (_rows(GOOD.replace("ns-1", "ns\x001")), ":2:4: resource_id: control character U+0000 is not allowed"),
    "header-only": (HEADER + "\n", ":1:1: file: contains no usage records"),
    "empty": ("", ":1:1: header: the file is empty"),
    "unterminated-quote": (_rows(GOOD, 'water-cloud,water-dept,"flood'), ":3:"),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(CASES))
def test_hostile_usage_is_refused_located_and_imports_nothing(
    name: str, billing_app: App, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text, expected = CASES[name]
    path = tmp_path / "usage.csv"
    path.write_text(text, encoding="utf-8")
    before = snapshot(billing_app.engine)
    capsys.readouterr()
    # CPU time, not wall: a shared machine's load must not fail a refusal that is quick
    began = time.process_time()
    code = cli(billing_app, "meter", "import", "-f", str(path))
    seconds = time.process_time() - began
    err = capsys.readouterr().err
    assert code == 2, err
    assert f"{path}{expected}" in err, err
    problems = [line for line in err.splitlines()[1:] if line.startswith("  ")]
    assert problems and all(line.startswith(f"  {path}:") for line in problems), err
    assert seconds < 3  # CPU seconds: under one on any machine; a runaway parse is not
    assert snapshot(billing_app.engine) == before


def test_limits_from_the_environment(
    billing_app: App,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rows = [GOOD.replace("ns-1", f"ns-{i}") for i in range(5)]
    path = tmp_path / "usage.csv"
    path.write_text(_rows(*rows), encoding="utf-8")
    before = snapshot(billing_app.engine)
    monkeypatch.setenv("GOVCLOUD_LIMIT_CSV_ROWS", "3")
    assert cli(billing_app, "meter", "import", "-f", str(path)) == 2
    assert (
        ":5:1: row: the number of records exceeds the limit of 3 (GOVCLOUD_LIMIT_CSV_ROWS)"
        in capsys.readouterr().err
    )
    monkeypatch.setenv("GOVCLOUD_LIMIT_CSV_ROWS", "10")
    monkeypatch.setenv("GOVCLOUD_LIMIT_CSV_BYTES", "100")
    assert cli(billing_app, "meter", "import", "-f", str(path)) == 2
    assert ":1:1: file: the file's size exceeds the limit of 100" in capsys.readouterr().err
    assert snapshot(billing_app.engine) == before
    monkeypatch.delenv("GOVCLOUD_LIMIT_CSV_BYTES")
    assert cli(billing_app, "meter", "import", "-f", str(path)) == 0


def test_formula_looking_text_is_data(billing_app: App, tmp_path: Path) -> None:
    path = tmp_path / "usage.csv"
    path.write_text(
        _rows(GOOD.replace("flood", '"=HYPERLINK(""http://x"",""y"")"')), encoding="utf-8"
    )
    assert cli(billing_app, "meter", "import", "-f", str(path)) == 0
