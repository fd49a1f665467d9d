"""The key line is rebuilt when the keys it shows change, not when focus passes through
the prompt (where Textual drops the printable keys) and back."""

from __future__ import annotations

import pytest
from textual.app import App, ComposeResult
from textual.widgets import Input
from textual.widgets._footer import FooterKey

from tui.footer import KeyFooter
from tui.table import Table


class _Keys(App[None]):
    ENABLE_COMMAND_PALETTE = False
    BINDINGS = [("s", "sort", "sort"), ("d", "describe", "describe")]  # noqa: RUF012

    def compose(self) -> ComposeResult:
        yield Table(id="table")
        yield Input(id="prompt")
        yield KeyFooter(hold_for=(Input,))

    def action_sort(self) -> None:
        self.sorted = True


def _keys(app: App[None]) -> list[FooterKey]:
    return list(app.query(FooterKey))


@pytest.mark.anyio
async def test_focus_through_the_prompt_keeps_the_key_line() -> None:
    app = _Keys()
    async with app.run_test(size=(80, 10)) as pilot:
        app.query_one(Table).focus()
        await pilot.pause()
        built = _keys(app)
        assert [k.key for k in built] == ["s", "d"]
        app.query_one(Input).focus()
        await pilot.pause()
        # in the prompt the printable keys are not active, yet the line stays as it was
        assert "s" not in app.screen.active_bindings
        assert _keys(app) == built
        app.query_one(Table).focus()
        await pilot.pause()
        assert _keys(app) == built  # the very same widgets: nothing was rebuilt
        app.bind("w", "write", description="write")
        app.screen.refresh_bindings()
        await pilot.pause()
        rebuilt = _keys(app)
        assert [k.key for k in rebuilt] == ["s", "d", "w"]
        assert not set(map(id, rebuilt)) & set(map(id, built))
