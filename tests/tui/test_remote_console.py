"""The console over :class:`RemoteGovcloud` against a running ``govcloud serve`` (uvicorn
on 127.0.0.1): resources page in, `/` filters and `s`/`r` sorts run on the server, and
`d` describes a row, the same as over the local facade; the overview's figures come back
whole and drill the same way, a cloud's violation and pending-approval tiles opening
that cloud's lists (``provider`` sent to the server) of as many rows as they count."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from controlplane.billing import Month
from controlplane.facade import Govcloud
from controlplane.remote import RemoteGovcloud
from tests.api.conftest import Server, run_server
from tests.tui.support import PER_PROVIDER, dashboard
from tests.tui.test_console import Province, filter_, settle
from tui.app import ConsoleApp, Place
from tui.screens import DescribeScreen

pytestmark = pytest.mark.anyio


@pytest.fixture
def served(province: Province) -> Iterator[Server]:
    app, _ = province
    yield from run_server(app)


@pytest.fixture
def remote(served: Server) -> Iterator[RemoteGovcloud]:
    door = RemoteGovcloud(served.url, served.token("ops-li"))
    try:
        yield door
    finally:
        door.close()


async def test_console_over_a_server_filters_sorts_and_describes(
    remote: RemoteGovcloud,
) -> None:
    console = ConsoleApp(remote, refresh_seconds=3600, start="resources")
    async with console.run_test(size=(120, 40)) as pilot:
        await settle(console, pilot)
        assert console.failed is None, console.failed
        assert "ops-li" in str(console.query_one("#header").render())
        assert console.total == 2 * PER_PROVIDER and len(console.items) == 100

        await filter_(console, pilot, "provider:city-a kind:volume !vm-000")
        expected = sum(1 for i in range(PER_PROVIDER) if i % 3 == 0 and i >= 10)
        assert console.failed is None, console.failed
        assert console.total == expected
        assert all(r.provider == "city-a-sim" and r.kind == "volume" for r in console.items)
        assert all("vm-000" not in r.name for r in console.items)
        names = [r.name for r in console.items]
        assert names == sorted(names)  # the default sort, by name

        await pilot.press("r")  # reverse: the server sorts, -name
        await settle(console, pilot)
        assert console.place.sort == "-name"
        assert [r.name for r in console.items] == sorted(names, reverse=True)
        await pilot.press("s")  # next column after name: status
        await settle(console, pilot)
        assert console.place.sort == "status" and console.total == expected

        await pilot.press("d")
        await settle(console, pilot)
        assert isinstance(console.screen, DescribeScreen)
        body = str(console.screen.query_one("#describe-body").render())
        assert "resource_id: city-a-sim-" in body and "flavor: c2m4" in body
        await pilot.press("escape")
        await settle(console, pilot)

        await filter_(console, pilot, "colour:red")  # the server's InvalidInput, shown
        assert console.failed is not None and "colour" in console.failed


async def test_new_views_and_cloud_states_over_a_server(remote: RemoteGovcloud) -> None:
    console = ConsoleApp(remote, refresh_seconds=3600, start="systems")
    async with console.run_test(size=(120, 40)) as pilot:
        await settle(console, pilot)
        assert console.failed is None, console.failed
        assert [s.name for s in console.items] == ["exams", "payroll"]
        for view in ("audit", "jobs", "jobruns"):
            console.go(Place(view))
            await settle(console, pilot)
            assert console.failed is None, (view, console.failed)
        assert console.clouds is not None and {s.name for s in console.clouds} == {
            "city-a-sim",
            "prov-sim",
        }


async def test_overview_over_a_server(province: Province, remote: RemoteGovcloud) -> None:
    """The overview's read models come back whole from the server (the same figures as
    the local facade) and the console drills from a cloud's row the same way."""
    dashboard(province[0])
    month = Month.parse("2026-03")
    assert remote.overview(month) == Govcloud.acting_as(province[0], "ops-li").overview(month)
    console = ConsoleApp(remote, refresh_seconds=3600)
    async with console.run_test(size=(80, 24)) as pilot:
        await settle(console, pilot)
        assert console.failed is None, console.failed
        row = next(i for i, r in enumerate(console.items) if r.scope == "provider:city-a-sim")
        assert console.items[row].health == "✗ down"
        console.table.move_cursor(row=row)
        await pilot.press("enter")
        await settle(console, pilot)
        assert (console.place.view, console.place.query) == ("tiles", "provider:city-a-sim")
        tiles = {t.figure: t for t in console.items}
        for figure, view in (("medium", "violations"), ("pending approvals", "requests")):
            console.table.move_cursor(row=console.items.index(tiles[figure]))
            await pilot.press("enter")
            await settle(console, pilot)
            assert console.failed is None, console.failed
            assert console.place.view == view
            assert len(console.items) == console.total == int(tiles[figure].value) == 1
            assert {item.provider for item in console.items} == {"city-a-sim"}
            await pilot.press("escape")
            await settle(console, pilot)
