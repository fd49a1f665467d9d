"""The overview (领导驾驶舱) driven with Pilot: a row per tier and per cloud, drilled.

Cases: the rows are the province, each tier and its clouds, with health as a glyph and a
word (✓ up, ✗ down, ? never), latency, capacity used/declared, violations by severity
and pending approvals; enter on a cloud's row opens that cloud's figures, and enter on a
figure its filtered list (the cloud's resources, the cloud's open critical violations
and its requests pending approval, the title naming the scope); esc goes back each step;
a tier's row opens its clouds; every violation and pending-approval tile of the
province, a tier and a cloud opens a list of exactly as many rows as it counts, and so
do the drift tiles of each and a cloud's resources and capacity tiles (exactly: a cloud
``prov-sim-2`` beside ``prov-sim`` is not counted or listed as ``prov-sim``); a `/`
filter keeps the province and the matching clouds; a department principal sees its own
figures only; at 80×24, in zh and in en, a province's widest figures (hundreds of
millions spent this month, billions of budget, a projected overrun) show whole.
"""

from __future__ import annotations

import html
import re
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from controlplane.app import App
from controlplane.billing import Month
from controlplane.db.models import Provider, Resource, Tenant
from controlplane.db.tables_inventory import Drift
from controlplane.facade import Govcloud
from controlplane.overview import Overview
from tests.tui.support import PER_PROVIDER, dashboard
from tests.tui.test_console import Province, console_for, filter_, settle
from tui.app import ConsoleApp
from tui.views import cloud_scope

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
        assert (console.place.view, console.place.query) == ("resources", "@provider:prov-sim")
        assert console.total == PER_PROVIDER
        await pilot.press("escape")
        await settle(console, pilot)
        assert console.place.view == "tiles"
        await _open(console, pilot, lambda t: t.figure == "critical")
        assert console.place.view == "violations"
        assert [(v.severity, v.system, v.provider) for v in console.items] == [
            ("critical", "payroll", "prov-sim")]  # fmt: skip
        assert "@provider:prov-sim" in _title(console)
        await pilot.press("escape")
        await settle(console, pilot)
        await _open(console, pilot, lambda t: t.figure == "pending approvals")
        assert console.place.view == "requests" and console.total == 1
        assert [(r.tenant, r.provider) for r in console.items] == [("hrss", "prov-sim")]
        assert "(@provider:prov-sim state:PendingApproval)" in _title(console)
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


def test_a_cloud_scope_is_taken_out_of_the_filter() -> None:
    assert cloud_scope("@provider:prov-sim state:open !x @tier:") == (
        {"provider": "prov-sim"}, "state:open !x @tier:")  # fmt: skip
    assert cloud_scope("@tier:municipal") == ({"tier": "municipal"}, None)
    assert cloud_scope(None) == ({}, None)


def _title(console: ConsoleApp) -> str:
    return str(console.query_one("#title").render())


@pytest.mark.parametrize("scope", ["", "tier:provincial", "tier:municipal",
                                   "provider:prov-sim", "provider:city-a-sim"])  # fmt: skip
async def test_each_tile_opens_as_many_rows_as_it_counts(province: Province, scope: str) -> None:
    """The violation and pending-approval tiles of the province, a tier and a cloud."""
    dashboard(province[0])
    console = console_for(province, principal="bdb-zhang")
    async with console.run_test(size=(80, 24)) as pilot:
        await settle(console, pilot)
        await _open(console, pilot, lambda r: r.scope == scope)
        tiles = [t for t in console.items if t.view in ("violations", "requests")]
        assert len(tiles) == 5
        opened = 0
        for index in range(len(tiles)):
            tile = [t for t in console.items if t.view in ("violations", "requests")][index]
            await _open(console, pilot, lambda t, key=tile.figure: t.figure == key)
            assert console.place.view == tile.view
            assert len(console.items) == console.total == int(tile.value), (scope, tile)
            if scope:
                assert f"@{scope}" in _title(console)
            opened += len(console.items)
            await pilot.press("escape")
            await settle(console, pilot)
        assert opened > 0
    assert console.place.view == "tiles"


#: a cloud whose name holds prov-sim's: its resources and open drift by cloud
TWIN, TWIN_RESOURCES = "prov-sim-2", 4
OPEN_DRIFT = {"prov-sim": 2, TWIN: 3, "city-a-sim": 1}


def _twin_and_drift(app: App) -> None:
    """``prov-sim-2`` (provincial, like prov-sim) with a few resources, and open drift on
    each cloud (one resolved row on prov-sim besides: the tiles count open drift)."""
    at = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
    with app.sessions() as session, session.begin():
        sim = session.execute(select(Provider).where(Provider.name == "prov-sim")).scalar_one()
        twin = Provider(**(sim.model_dump() | {"id": None, "name": TWIN}))
        session.add(twin)
        session.flush()
        providers = dict(session.execute(select(Provider.name, Provider.id)).all())  # type: ignore[arg-type]
        tenants = dict(session.execute(select(Tenant.code, Tenant.id)).all())  # type: ignore[arg-type]
        for i in range(TWIN_RESOURCES):
            session.add(Resource(
                provider_id=providers[TWIN], tenant_id=tenants["hrss"], provider_name=TWIN,
                tenant_code="hrss", system_name="", kind="server", resource_id=f"{TWIN}-{i}",
                name=f"hrss-twin-{i}", status="ACTIVE", managed=True, spec={}, created_at=at,
                observed_at=at,
            ))  # fmt: skip
        rows = [(cloud, i, None) for cloud, n in OPEN_DRIFT.items() for i in range(n)]
        for cloud, i, resolved in [*rows, ("prov-sim", 99, at)]:
            tenant = "city-a-edu" if cloud == "city-a-sim" else "hrss"
            session.add(Drift(
                provider_id=providers[cloud], kind="server", resource_id=f"{cloud}-d{i}",
                name=f"d{i}", tenant_id=tenants[tenant], drift="unmanaged", detail={},
                first_seen=at, last_seen=at, resolved_at=resolved,
            ))  # fmt: skip


@pytest.mark.parametrize("scope", ["", "tier:provincial", "tier:municipal",
                                   "provider:prov-sim", f"provider:{TWIN}"])  # fmt: skip
async def test_drift_and_inventory_tiles_open_as_many_rows_as_they_count(
    province: Province, scope: str
) -> None:
    """The drift tile of the province, a tier and a cloud, and a cloud's resources and
    capacity tiles, beside a cloud whose name contains another's."""
    dashboard(province[0])
    _twin_and_drift(province[0])
    console = console_for(province, principal="bdb-zhang")
    async with console.run_test(size=(80, 24)) as pilot:
        await settle(console, pilot)
        await _open(console, pilot, lambda r: r.scope == scope)
        figures = {(t.area, t.figure): t for t in console.items}
        drift = figures["drift", "open"]
        expected = {"": 6, "tier:provincial": 5, "tier:municipal": 1,
                    "provider:prov-sim": 2, f"provider:{TWIN}": 3}  # fmt: skip
        assert int(drift.value) == expected[scope]
        await _open(console, pilot, lambda t: t.area == "drift")
        assert console.place.view == "drift"
        assert len(console.items) == console.total == int(drift.value), scope
        if scope:
            assert f"@{scope}" in _title(console)
            kind, _, name = scope.partition(":")
            clouds = {name} if kind == "provider" else (
                {"prov-sim", TWIN} if name == "provincial" else {"city-a-sim"})  # fmt: skip
            assert {d.provider for d in console.items} == clouds
        await pilot.press("escape")
        await settle(console, pilot)
        for key in (("resources", "total"), ("capacity (used/declared)", "vCPU")):
            tile = {(t.area, t.figure): t for t in console.items}[key]
            await _open(console, pilot, lambda t, key=key: (t.area, t.figure) == key)
            if scope.startswith("provider:"):  # a cloud's: its resources, exactly
                cloud = scope.partition(":")[2]
                assert (console.place.view, console.place.query) == (
                    "resources", f"@provider:{cloud}")  # fmt: skip
                assert console.total == int(figures["resources", "total"].value)
                assert {r.provider for r in console.items} == {cloud}
            else:  # a tier's or the province's: its clouds
                assert (console.place.view, console.place.query) == ("providers", scope)
                assert tile.query == scope
            await pilot.press("escape")
            await settle(console, pilot)
    assert console.place.view == "tiles"


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


class _WideFigures:
    """The province's own door, its overview carrying a large province's money: what a
    real 驾驶舱 must fit (the test province has no statements)."""

    SPEND, BUDGET = Decimal("375000000.00"), Decimal("4500000000.00")

    def __init__(self, door: Govcloud) -> None:
        self._door = door

    def __getattr__(self, name: str) -> Any:
        return getattr(self._door, name)

    def overview(self, month: Month, *, tenant: str | None = None) -> Overview:
        found = self._door.overview(month, tenant=tenant)
        tiers = tuple(
            replace(
                t, spend=self.SPEND, clouds=tuple(replace(c, spend=self.SPEND) for c in t.clouds)
            )
            for t in found.tiers
        )
        spend = replace(found.spend, month_to_date=self.SPEND, annual_budget=self.BUDGET,
                        projected_overrun=True)  # fmt: skip
        return replace(found, tiers=tiers, spend=spend)


def _screen(console: ConsoleApp) -> list[str]:
    """The screen's lines as text (read from the screenshot: whatever draws the table)."""
    lines: dict[int, list[tuple[float, str]]] = {}
    pattern = r'<text [^>]*x="([\d.]+)"[^>]*clip-path="url\(#[^)]*-line-(\d+)\)">(.*?)</text>'
    for x, line, text in re.findall(pattern, console.export_screenshot()):
        lines.setdefault(int(line), []).append((float(x), html.unescape(text)))
    return ["".join(t for _, t in sorted(parts)).replace("\xa0", " ") for _, parts in
            sorted(lines.items())]  # fmt: skip


@pytest.mark.parametrize("lang", ["zh", "en"])
async def test_spend_and_budget_show_whole_at_80x24(province: Province, lang: str) -> None:
    dashboard(province[0])
    console = ConsoleApp(_WideFigures(Govcloud.acting_as(province[0], "bdb-zhang")),  # type: ignore[arg-type]
                         lang=lang, refresh_seconds=3600)  # type: ignore[arg-type]  # fmt: skip
    async with console.run_test(size=(80, 24)) as pilot:
        await settle(console, pilot)
        screen = _screen(console)
    header = next(line for line in screen if ("本月支出" if lang == "zh" else "SPEND") in line)
    assert ("年度预算" if lang == "zh" else "BUDGET") in header
    row = next(line for line in screen if ("全省" if lang == "zh" else "province") in line)
    assert "375000000.00" in row and "4500000000.00 !" in row, row
    cloud = next(line for line in screen if "prov-sim" in line)
    assert "375000000.00" in cloud, cloud
