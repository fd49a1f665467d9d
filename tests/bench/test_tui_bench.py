"""bench/tui.py at a small scale: it drives the real console and its figures add up."""

from __future__ import annotations

from bench.tui import FILTERS, run


def test_tui_bench_small_sqlite() -> None:
    result = run(resources=300, tenants=5, providers=2, engines=["sqlite"])
    figures = result["sqlite"]
    filters = figures["filter_ms"]["each"]
    assert set(filters) == set(FILTERS)
    assert filters["kind:volume"]["matched"] == 100
    assert filters["res-00042"]["matched"] == 0  # res-0004200… exist only past 4,200
    assert figures["first_paint_ms"]["median"] > 0
    assert figures["sort_ms"]["next_column"]["sort"] == "status"
    assert figures["sort_ms"]["reverse"]["sort"] == "-status"
    assert figures["first_paint_ms"]["cpu_median"] > 0
    # the main thread's CPU is part of the process's
    assert all(0 < f["ui_cpu_ms"] <= f["cpu_ms"] for f in filters.values())
    facade = figures["facade_ms"]
    assert set(facade) == {*(f"{f} sort=name" for f in FILTERS), "(all) sort=status",
                           "(all) sort=-status"}  # fmt: skip
    assert all(f["page_ms"] > 0 and f["with_count_ms"] > 0 for f in facade.values())
