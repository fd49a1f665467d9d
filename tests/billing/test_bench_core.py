"""The billing-core benchmark at a small scale.

Cases covered:
- ``bench.billing_core`` rates a generated month with the pure core and every
  department's total agrees to the fen with the independent DuckDB query.
"""

from __future__ import annotations

import json

import pytest

from bench import billing_core


def test_core_agrees_with_duckdb(capsys: pytest.CaptureFixture[str]) -> None:
    assert billing_core.main(["--resources", "400", "--seed", "7", "--month", "2024-02"]) == 0
    figures = json.loads(capsys.readouterr().out)
    assert figures["departments_agreeing_to_the_fen"] == figures["departments"] == 300
    assert figures["lines"] > 0 and figures["mismatches"] == {}
