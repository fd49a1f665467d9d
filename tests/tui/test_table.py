"""The console's table: it repaints cells at the widths it measured, not the header's,
and its direct rendering of one-line cells gives DataTable's own segments (plain, empty,
padded, cut, double-width, styled, spans, ellipsis, the mark string, a two-line cell
that falls back; with the cursor and the hover on them)."""

from __future__ import annotations

import pytest
from rich.text import Text
from textual import events
from textual.app import App, ComposeResult
from textual.strip import Strip
from textual.widgets import DataTable
from textual.widgets.data_table import ColumnKey

from tui.status import status_text
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


_CELLS = [
    Text("plain"),
    Text(""),
    Text("trailing  "),
    Text("exactly-ten"),
    Text("a value much longer than its column"),
    Text("云平台与部门资源清单"),  # double-width: cut on a cell boundary
    Text("a云平台b"),
    status_text("failed"),
    status_text("active"),
    Text.assemble(("bold", "bold"), " and ", ("red", "red on white")),
    Text("ellipsis cut here please", overflow="ellipsis"),
    "*",  # the mark column: a plain string
    " ",
    Text("two\nlines"),  # not one line: DataTable's own way
]


@pytest.mark.anyio
@pytest.mark.parametrize("width", [0, 2, 5, 12, 40])
async def test_a_one_line_cell_renders_as_datatable_renders_it(width: int) -> None:
    app = _One()
    async with app.run_test(size=(80, 20)) as pilot:
        table = app.query_one(Table)
        table.add_column("CELL", key="c")
        for index, cell in enumerate(_CELLS):
            table.add_row(cell, key=f"r{index}")
        await pilot.pause()
        base = table.get_component_styles("datatable--even-row").rich_style
        for row in range(len(_CELLS)):
            # the direct way is taken unless a cell must be cut to under 2 cells, or has
            # two lines
            cell = _CELLS[row]
            length = Text(cell).cell_len if isinstance(cell, str) else cell.cell_len
            direct = table._one_line(table._row_locations.get_key(row), ColumnKey("c"), width)
            assert (direct is None) == ((width < 4 and length > width - 2) or "\n" in str(cell)), (
                cell,
                width,
            )
            for cursor, hover in [(False, False), (True, False), (False, True)]:
                table._cell_render_cache.clear()
                stock = DataTable._render_cell(table, row, 0, base, width, cursor, hover)
                table._cell_render_cache.clear()
                ours = table._render_cell(row, 0, base, width, cursor, hover)
                assert [Strip(line).simplify()._segments for line in ours] == [
                    Strip(line).simplify()._segments for line in stock
                ], (_CELLS[row], width, cursor, hover)
