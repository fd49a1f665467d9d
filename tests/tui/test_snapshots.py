"""Snapshots of every view at 80×24 and 160×48, in Chinese and English.

The console is given a fixed clock (the header's "as of" and the statements' month), so
a change to a snapshot is a change to what operators see: review the SVG diff
(``pytest --snapshot-report``) before accepting it with ``--snapshot-update``.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from controlplane.app import App
from controlplane.facade import Govcloud
from tests.conftest import FakeClock
from tests.tui.support import dashboard
from tui.app import ConsoleApp
from tui.views import VIEWS

SIZES = [(80, 24), (160, 48)]
#: who looks at each view: the approver, except where only operators and auditors read
_READERS = {"audit": "audit-zhou", "jobs": "audit-zhou", "jobruns": "audit-zhou"}


async def _settle(pilot: Any) -> None:
    """Until the rows and the count are in (the table measures its columns as rows are
    added: no later pass to wait for)."""
    console = pilot.app
    for _ in range(500):
        await console.workers.wait_for_complete()
        await pilot.pause()
        if not console.loading and console.as_of is not None and console.total is not None:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the console did not settle")


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("view", list(VIEWS["en"]))
def test_view_snapshot(
    province: tuple[App, dict[str, int]],
    snap_compare: Any,
    view: str,
    lang: str,
    size: tuple[int, int],
) -> None:
    app, _ = province
    if view in ("jobs", "jobruns"):
        Govcloud.acting_as(app, "ops-li").run_job("health")  # one queued run to show
    if view in ("overview", "tiles"):
        dashboard(app)  # probes and violations: the overview's figures
    console = ConsoleApp(
        Govcloud.acting_as(app, _READERS.get(view, "bdb-zhang")),
        lang=lang,  # type: ignore[arg-type]
        start=view,
        refresh_seconds=3600,
        clock=FakeClock(),
    )
    assert snap_compare(console, terminal_size=size, run_before=_settle)
