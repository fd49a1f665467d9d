"""The stored-audit benchmark prints its figure beside a reference from the same run.

Cases: a small ``--store`` run reports the faster run's seconds, the pure engine's
seconds over the same inventory, their ratio and the target, and both runs store the
same number of results.
"""

from __future__ import annotations

from bench.audit import TARGET_SECONDS, run_stored


def test_store_run_reports_figure_reference_and_ratio() -> None:
    figures = run_stored(200, 7, None)
    runs = figures["runs"]
    assert len(runs) == 2 and runs[0]["results"] == runs[1]["results"] > 0
    assert figures["figure_seconds"] == min(r["seconds"] for r in runs)
    engine = figures["reference"]["pure_engine_seconds"]
    assert engine > 0
    assert figures["ratio"] == round(figures["figure_seconds"] / engine, 2)
    assert figures["target_seconds"] == TARGET_SECONDS
