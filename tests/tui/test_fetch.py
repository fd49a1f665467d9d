"""How the console asks for rows: keys pressed while a page is on its way cost the
running call and the newest only (never one query per key), the rows shown are the
newest place's, and its count is asked for once, after its rows."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from controlplane.app import App
from controlplane.facade import Govcloud, Page
from tests.tui.test_console import settle
from tui.app import ConsoleApp

Province = tuple[App, dict[str, int]]
pytestmark = pytest.mark.anyio


class GatedDoor:
    """The facade, with resource reads that wait at a gate and are written down."""

    def __init__(self, door: Govcloud) -> None:
        self._door = door
        self.gate = threading.Event()
        self.gate.set()
        self.pages: list[str] = []
        self.counts: list[str | None] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._door, name)

    def resources(self, **kw: Any) -> Page[Any]:
        if kw.get("limit") == 1:
            self.counts.append(kw.get("query"))
        else:
            self.pages.append(kw["sort"])
        self.gate.wait(timeout=30)
        return self._door.resources(**kw)


async def test_keys_faster_than_the_database_run_the_newest_only(province: Province) -> None:
    app, _ = province
    door = GatedDoor(Govcloud.acting_as(app, "ops-li"))
    console = ConsoleApp(door, start="resources", refresh_seconds=3600)  # type: ignore[arg-type]
    async with console.run_test(size=(80, 24)) as pilot:
        await settle(console, pilot)
        assert door.pages == ["name"] and door.counts == [None]
        door.gate.clear()
        for key in ("s", "s", "s"):  # status, then (wrapping) provider, tenant
            await pilot.press(key)
        assert console.place.sort == "tenant"
        door.gate.set()
        await settle(console, pilot)
        # the first sort was running when the others came: it and the newest ran
        assert door.pages == ["name", "status", "tenant"]
        assert door.counts == [None, None]  # one count for the newest place, none stale
        assert console.total == len(door._door.resources(limit=500).items)
        tenants = [r.tenant or "" for r in console.items]
        assert tenants == sorted(tenants)
        assert not console.loading
