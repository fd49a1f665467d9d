"""``bench/billing.py`` on the tiny province: the DB path and DuckDB agree to the fen.

Cases: on SQLite, every department total from ``bill run`` equals the independent DuckDB
query over the raw rows read back from the database, and so does the same query run by
SQLite itself over those rows; a re-run changes nothing; the
figures are printed as JSON with the stage timings and ratio.
"""

from __future__ import annotations

import json
from typing import Any

from bench.billing import main


def test_tiny_province_agrees_with_duckdb(capsys: Any) -> None:
    assert main(["--scale", "tiny", "--database", "sqlite"]) == 0
    figures = json.loads(capsys.readouterr().out)
    (run,) = figures["runs"]
    assert run["departments"] == run["departments_agreeing_to_the_fen"] == 12
    assert run["rerun_changed"] == 0 and run["unrated"] == 0
    assert run["new_records"] < run["records"]  # the replayed 5 % were not stored twice
    assert run["row_store_query"]["departments_agreeing_with_duckdb"] == 12
    assert run["seconds"]["duckdb_query"] > 0 and run["ratio_db_path_to_duckdb_query"] > 0
