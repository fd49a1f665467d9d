"""The console driven with Textual's Pilot over a real (SQLite) home and the facade:
views by `:` with aliases and Tab, paging as the cursor moves, `/` filters executed by
the facade, sort on typed values, describe, drill-down and back, approve with its
confirmation, read-only refusal, and a role whose forbidden actions are hidden."""

from __future__ import annotations

from typing import Any

import pytest

from controlplane.app import App
from controlplane.facade import Govcloud
from tests.tui.support import PER_PROVIDER
from tui.app import ConsoleApp
from tui.screens import ConfirmScreen, DescribeScreen, HelpScreen

Province = tuple[App, dict[str, int]]
pytestmark = pytest.mark.anyio


async def settle(console: ConsoleApp, pilot: Any) -> None:
    for _ in range(3):
        await pilot.pause()
        await console.workers.wait_for_complete()
    await pilot.pause()


def console_for(province: Province, principal: str = "ops-li", **kw: Any) -> ConsoleApp:
    app, _ = province
    return ConsoleApp(Govcloud.acting_as(app, principal), refresh_seconds=3600, **kw)


async def command(console: ConsoleApp, pilot: Any, text: str, *, tab: bool = False) -> None:
    await pilot.press("colon", *text)
    if tab:
        await pilot.press("tab")
    await pilot.press("enter")
    await settle(console, pilot)


async def filter_(console: ConsoleApp, pilot: Any, text: str) -> None:
    await pilot.press("slash")
    bar = console.query_one("#bar")
    bar.value = text  # type: ignore[attr-defined]
    await pilot.press("enter")
    await settle(console, pilot)


async def test_views_by_alias_and_tab_completion(province: Province) -> None:
    console = console_for(province)
    async with console.run_test(size=(80, 24)) as pilot:
        await settle(console, pilot)
        assert console.place.view == "overview"
        assert console.items[0].scope == "" and console.items[0].pending == 2  # the province
        for typed, view in (("prov", "providers"), ("dept", "tenants"), ("dr", "drift"),
                            ("vio", "violations"), ("wv", "waivers"), ("st", "statements")):  # fmt: skip
            await command(console, pilot, typed)
            assert console.place.view == view, typed
            assert console.failed is None, console.failed
        await command(console, pilot, "resou", tab=True)
        assert console.place.view == "resources"
        await command(console, pilot, "nonsense")
        assert console.place.view == "resources"  # unknown: stays, and says so
        crumbs = str(console.query_one("#crumbs").render())
        assert crumbs.startswith("overview › providers › tenants")


async def test_resources_come_page_by_page(province: Province) -> None:
    console = console_for(province, start="resources")
    async with console.run_test(size=(80, 24)) as pilot:
        await settle(console, pilot)
        assert console.total == 2 * PER_PROVIDER
        assert len(console.items) == 100  # one page, not the whole list
        table = console.query_one("#table")
        table.move_cursor(row=90)  # type: ignore[attr-defined]
        await settle(console, pilot)
        assert len(console.items) == 200
        names = [r.name for r in console.items]
        assert len(set(names)) == 200  # keyset pages: nothing served twice
        assert "[200/260]" in str(console.query_one("#title").render())


async def test_filter_goes_to_the_facade_and_esc_goes_back(province: Province) -> None:
    console = console_for(province, start="resources")
    async with console.run_test(size=(80, 24)) as pilot:
        await settle(console, pilot)
        await filter_(console, pilot, "provider:city-a kind:volume !vm-000")
        expected = sum(1 for i in range(PER_PROVIDER) if i % 3 == 0 and i >= 10)
        assert console.total == expected
        assert all(r.provider == "city-a-sim" and r.kind == "volume" for r in console.items)
        assert all("vm-000" not in r.name for r in console.items)
        assert "(provider:city-a kind:volume !vm-000)" in str(console.query_one("#title").render())
        await pilot.press("escape")
        await settle(console, pilot)
        assert console.place.query == "" and console.total == 2 * PER_PROVIDER
        await filter_(console, pilot, "colour:red")
        assert console.failed is not None and "colour" in console.failed


async def test_sort_by_column_on_typed_values(province: Province) -> None:
    console = console_for(province, start="tenants")
    async with console.run_test(size=(80, 24)) as pilot:
        await settle(console, pilot)
        # code -> name -> level -> city -> budget
        for _ in range(4):
            await pilot.press("s")
            await settle(console, pilot)
        assert console.place.sort == "budget"
        budgets = [t.budget for t in console.items]
        assert budgets == sorted(budgets)  # Decimal order, not text order
        await pilot.press("r")
        await settle(console, pilot)
        assert console.place.sort == "-budget"
        assert [t.code for t in console.items] == ["hrss", "city-a-edu"]


async def test_describe_and_drill_down(province: Province) -> None:
    console = console_for(province, start="providers")
    async with console.run_test(size=(120, 40)) as pilot:
        await settle(console, pilot)
        assert [p.name for p in console.items] == ["city-a-sim", "prov-sim"]
        await pilot.press("enter")
        await settle(console, pilot)
        assert console.place.view == "resources" and console.place.query == "provider:city-a-sim"
        assert console.total == PER_PROVIDER
        await pilot.press("d")
        await settle(console, pilot)
        assert isinstance(console.screen, DescribeScreen)
        body = str(console.screen.query_one("#describe-body").render())
        assert "resource_id: city-a-sim-" in body and "flavor: c2m4" in body
        # the clock, a refresh and a late count redraw the console under the description
        console._draw_header()
        console.action_reload()
        await settle(console, pilot)
        assert isinstance(console.screen, DescribeScreen) and console.total == PER_PROVIDER
        await pilot.press("escape")
        await pilot.press("escape")
        await settle(console, pilot)
        assert console.place.view == "providers"


async def test_request_describe_shows_its_approval_chain(province: Province) -> None:
    console = console_for(province, start="requests")
    async with console.run_test(size=(120, 40)) as pilot:
        await settle(console, pilot)
        await pilot.press("d")
        await settle(console, pilot)
        assert isinstance(console.screen, DescribeScreen)
        body = str(console.screen.query_one("#describe-body").render())
        assert "approvals:" in body and "big-data-bureau" in body and "events:" in body


async def test_approve_asks_naming_targets_then_approves(province: Province) -> None:
    app, ids = province
    console = console_for(province, "bdb-zhang", start="requests")
    async with console.run_test(size=(120, 40)) as pilot:
        await settle(console, pilot)
        await pilot.press("a")
        await settle(console, pilot)
        assert not isinstance(console.screen, ConfirmScreen)  # read-only: refused
        assert Govcloud.acting_as(app, "ops-li").request(ids["hrss"]).request.state == (
            "PendingApproval"
        )
        await pilot.press("w")
        await pilot.press("space", "space")  # mark both
        assert len(console.marks) == 2
        await pilot.press("a")
        await settle(console, pilot)
        assert isinstance(console.screen, ConfirmScreen)
        text = " ".join(str(s.render()) for s in console.screen.query("Static"))
        assert "approve 2 target(s)" in text
        assert f"#{ids['hrss']} hrss/portal" in text and f"#{ids['city-a-edu']} city-a-edu" in text
        await pilot.press("n")  # cancelled: nothing happens
        await settle(console, pilot)
        states = {r.state for r in Govcloud.acting_as(app, "ops-li").requests().items}
        assert states == {"PendingApproval"}
        await pilot.press("a")
        await settle(console, pilot)
        await pilot.press("y")
        await settle(console, pilot)
        after = {r.id: r.state for r in Govcloud.acting_as(app, "ops-li").requests().items}
        assert all(state != "PendingApproval" for state in after.values()), after
        assert not console.marks


async def test_reject_needs_a_reason(province: Province) -> None:
    app, _ = province
    console = console_for(province, "bdb-zhang", start="requests")
    async with console.run_test(size=(120, 40)) as pilot:
        await settle(console, pilot)
        await pilot.press("w", "x")
        await settle(console, pilot)
        assert isinstance(console.screen, ConfirmScreen)
        await pilot.press("enter")  # no reason yet: still asking
        assert isinstance(console.screen, ConfirmScreen)
        await pilot.press(*"no budget", "enter")
        await settle(console, pilot)
        row = console.items[0]
        assert Govcloud.acting_as(app, "ops-li").request(row.id).request.state == "Rejected"


@pytest.mark.parametrize(("principal", "may_approve"), [("hrss-wang", False),
                                                        ("audit-zhou", False),
                                                        ("bdb-zhang", True)])  # fmt: skip
async def test_forbidden_actions_are_hidden(
    province: Province, principal: str, may_approve: bool
) -> None:
    console = console_for(province, principal, start="requests")
    async with console.run_test(size=(160, 48)) as pilot:
        await settle(console, pilot)
        shown = {b.binding.action for b in console.active_bindings.values() if b.enabled}
        assert ("approve" in shown) == may_approve
        assert ("reject" in shown) == may_approve
        # every one of them may write something (a waiver request, a bill export)
        assert "toggle_write" in shown
        await pilot.press("w", "a")
        await settle(console, pilot)
        assert isinstance(console.screen, ConfirmScreen) == may_approve
        if principal == "hrss-wang":  # a department sees its own tenant only
            assert {r.tenant for r in console.items} == {"hrss"}


async def test_help_lists_the_live_bindings_in_chinese(province: Province) -> None:
    console = console_for(province, "audit-zhou", lang="zh", start="resources")
    async with console.run_test(size=(80, 24)) as pilot:
        await settle(console, pilot)
        await pilot.press("question_mark")
        await settle(console, pilot)
        assert isinstance(console.screen, HelpScreen)
        body = str(console.screen.query_one("#help-body").render())
        assert "过滤" in body and "详情" in body and ":resources" in body
        assert "批准" not in body  # an auditor approves nothing: not offered
        header = str(console.query_one("#header").render())
        assert "audit-zhou" in header and "只读" in header


async def test_status_cells_carry_a_glyph_and_a_word(province: Province) -> None:
    console = console_for(province, start="resources")
    async with console.run_test(size=(120, 40)) as pilot:
        await settle(console, pilot)
        await filter_(console, pilot, "status:error")
        table = console.query_one("#table")
        cells = [str(c) for c in table.get_row_at(0)]  # type: ignore[attr-defined]
        assert "✗ ERROR" in cells
