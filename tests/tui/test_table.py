"""The console's table repaints cells at the widths it measured, not the header's."""

from __future__ import annotations

import pytest
from textual import events
from textual.app import App, ComposeResult

from tui.table import Table


class _One(App[None]):
    def compose(self) -> ComposeResult:
        yield Table(cursor_type="row")


@pytest.mark.anyio
async def test_a_line_painted_before_measuring_is_not_served_after_it() -> None:
    app = _One()
    async with app.run_test(size=(60, 10)) as pilot:
        table = app.query_one(Table)
        table.add_column("AB", key="a")
        await pilot.pause()
        table.add_row("a long value", key="r1")
        # A frame painted before the idle pass measures the new row: cut to "AB"'s width.
        assert table.render_line(1).text.strip() == "a"
        await table._on_idle(events.Idle())  # the measuring pass, and nothing after it
        assert table.render_line(1).text.strip() == "a long value"
