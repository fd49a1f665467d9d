"""The overview (领导驾驶舱) driven with Pilot: a row per tier and per cloud, drilled.

Cases: the rows are the province, each tier and its clouds, with health as a glyph and a
word (✓ up, ✗ down, ? never), latency, capacity used/declared, violations by severity
and pending approvals; enter on a cloud's row opens that cloud's figures, and enter on a
figure its filtered list (the cloud's resources, the open critical violations, the
requests pending approval); esc goes back each step; a tier's row opens its clouds; a
`/` filter keeps the province and the matching clouds; a department principal sees its
own figures only.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.tui.support import PER_PROVIDER, dashboard
from tests.tui.test_console import Province, console_for, filter_, settle
from tui.app import ConsoleApp

pytestmark = pytest.mark.anyio


async def _open(console: ConsoleApp, pilot: Any, match: Any) -> None:
    """Put the cursor on the first row ``match`` accepts and press enter."""
    row = next(i for i, item in enumerate(console.items) if match(item))
    console.table.move_cursor(row=row)
    await pilot.press("enter")
    await settle(console, pilot)


async def test_rows_per_tier_and_cloud(province: Province) -> None:
    dashboard(province[0])
    console = console_for(province, principal="bdb-zhang")
    async with console.run_test(size=(80, 24)) as pilot:
        await settle(console, pilot)
        assert [r.name.strip() for r in console.items] == [
            "province", "provincial", "prov-sim", "municipal", "city-a-sim"]  # fmt: skip
        province_row, _, prov, _, city = console.items
        assert (prov.health, prov.latency) == ("✓ up", "23")
        assert (city.health, city.latency) == ("✗ down", "—")
        assert province_row.health == "✓1 ✗1 ?0"
        assert prov.vcpu == "0/2000 0%" and city.ips == "0 not tracked"
        assert (prov.violations, city.violations, province_row.violations) == (
            "1/1/0/0", "0/0/1/0", "1/1/1/1")  # fmt: skip
        assert (prov.pending, province_row.pending) == (1, 2)
        assert province_row.budget == "1500000.00" and prov.budget is None
        await filter_(console, pilot, "city")
        assert [r.scope for r in console.items] == ["", "provider:city-a-sim"]


async def test_drill_from_a_clouds_row(province: Province) -> None:
    dashboard(province[0])
    console = console_for(province, principal="bdb-zhang")
    async with console.run_test(size=(80, 24)) as pilot:
        await settle(console, pilot)
        await _open(console, pilot, lambda r: r.scope == "provider:prov-sim")
        assert (console.place.view, console.place.query) == ("tiles", "provider:prov-sim")
        figures = {(t.area, t.figure): t for t in console.items}
        assert figures["health", "health"].value == "✓ up"
        assert figures["health", "probed"].value == "2026-03-01 07:59"
        assert figures["violations", "critical"].value == "1"
        assert ("spend", "annual budget") not in figures  # a cloud has no budget
        await _open(console, pilot, lambda t: t.figure == "total")
        assert (console.place.view, console.place.query) == ("resources", "provider:prov-sim")
        assert console.total == PER_PROVIDER
        await pilot.press("escape")
        await settle(console, pilot)
        assert console.place.view == "tiles"
        await _open(console, pilot, lambda t: t.figure == "critical")
        assert console.place.view == "violations"
        assert [(v.severity, v.system) for v in console.items] == [("critical", "payroll")]
        await pilot.press("escape")
        await settle(console, pilot)
        await _open(console, pilot, lambda t: t.figure == "pending approvals")
        assert console.place.view == "requests" and console.total == 2
        for _ in range(2):
            await pilot.press("escape")
            await settle(console, pilot)
        assert console.place.view == "overview"
        await _open(console, pilot, lambda r: r.scope == "tier:municipal")
        tiles = {t.figure: t for t in console.items}
        assert tiles["health"].value == "✓0 ✗1 ?0"
        await _open(console, pilot, lambda t: t.figure == "total")
        assert (console.place.view, console.place.query) == ("providers", "tier:municipal")
        assert [p.name for p in console.items] == ["city-a-sim"]


async def test_department_sees_its_own_figures(province: Province) -> None:
    dashboard(province[0])
    console = console_for(province, principal="hrss-wang", lang="zh")
    async with console.run_test(size=(80, 24)) as pilot:
        await settle(console, pilot)
        rows = {r.scope: r for r in console.items}
        assert rows["provider:prov-sim"].resources == PER_PROVIDER
        assert rows["provider:city-a-sim"].resources == 0  # another department's
        assert rows["provider:city-a-sim"].health == "✗ 中断"  # the clouds' health: everybody's
        assert rows[""].violations == "1/1/0/0" and rows[""].pending == 1
        assert rows[""].budget == "1200000.00"


async def test_a_chosen_month_stays_with_the_figures_drilled_from_it(province: Province) -> None:
    dashboard(province[0])
    console = console_for(province, principal="bdb-zhang")
    async with console.run_test(size=(160, 48)) as pilot:
        await settle(console, pilot)
        await pilot.press(":")
        await pilot.press(*"overview 2026-02", "enter")
        await settle(console, pilot)
        assert (console.place.view, console.place.month) == ("overview", "2026-02")
        await _open(console, pilot, lambda r: r.scope == "provider:prov-sim")
        assert (console.place.view, console.place.month) == ("tiles", "2026-02")
        await _open(console, pilot, lambda t: t.figure == "total")
        assert (console.place.view, console.place.month) == ("resources", None)
