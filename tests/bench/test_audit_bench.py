"""The stored-audit benchmark prints its figures beside references from the same run.

Cases: a small ``--store`` run of two rounds reports, for first audits and unchanged
re-audits, the median seconds and CPU and their ratio to the pure engine over the same
inventory (measured in the same process), the target, and the same number of results
stored by every first audit.
"""

from __future__ import annotations

import statistics

from bench.audit import TARGET_SECONDS, run_stored


def test_store_run_reports_figures_references_and_ratios() -> None:
    figures = run_stored(200, 7, None, 2)
    first, again = figures["first_audits"], figures["unchanged_reaudits"]
    assert len(first) == len(again) == 2
    assert first[0]["results"] == first[1]["results"] > 0
    engine = figures["reference"]["pure_engine_median_seconds"]
    assert engine > 0 and len(figures["reference"]["pure_engine_runs_cpu_seconds"]) == 2
    for kind, runs in (("first_audit", first), ("unchanged_reaudit", again)):
        entry = figures["figures"][kind]
        assert entry["median_seconds"] == round(statistics.median(r["seconds"] for r in runs), 3)
        assert entry["ratio_to_engine"] == round(entry["median_seconds"] / engine, 2)
    assert figures["target_seconds"] == TARGET_SECONDS
    worst = max(e["median_seconds"] for e in figures["figures"].values())
    assert figures["within_target"] == (worst <= TARGET_SECONDS)
