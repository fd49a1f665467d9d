"""The console's table (``tui.table.Table``): columns measured as rows are added (no
frame shows a cell cut to a stale width), wide CJK text cut on a cell boundary in a
fixed-width column, the look of Textual's DataTable cell for cell (plain, empty, styled,
spans, status, CJK, ellipsis; the cursor row, zebra stripes, the hover, at several
widths and a sideways scroll), the cursor (keys, clamping, ``RowHighlighted``, paging),
the sort arrow in the header (beside the label, or in the padding of a full column,
widths unchanged), selection (``enter``, clicks on a row and on the header), and cells
replaced in place."""

from __future__ import annotations

from typing import Any

import pytest
from rich.style import Style
from rich.text import Text
from textual.app import App, ComposeResult
from textual.message import Message
from textual.strip import Strip
from textual.widgets import DataTable

from tui.status import status_text
from tui.table import Table


class _One(App[None]):
    AUTO_FOCUS = None

    def __init__(self, *, stock: bool = False) -> None:
        super().__init__()
        self.stock = stock
        self.seen: list[Message] = []

    def compose(self) -> ComposeResult:
        yield Table(id="table", zebra_stripes=True)
        if self.stock:
            yield DataTable(id="stock", cursor_type="row", zebra_stripes=True)

    def on_table_row_highlighted(self, message: Table.RowHighlighted) -> None:
        self.seen.append(message)

    def on_table_row_selected(self, message: Table.RowSelected) -> None:
        self.seen.append(message)

    def on_table_header_selected(self, message: Table.HeaderSelected) -> None:
        self.seen.append(message)


def _filled(app: _One, columns: list[Any], rows: list[list[Any]]) -> Table:
    """The app's table, focused, with these columns (a label, or a label and a fixed
    width; keyed ``c0``, ``c1``…) and rows (keyed ``k0``, ``k1``…)."""
    table = app.query_one(Table)
    table.focus()
    for index, column in enumerate(columns):
        label, width = column if isinstance(column, tuple) else (column, None)
        table.add_column(label, key=f"c{index}", width=width)
    for index, row in enumerate(rows):
        table.add_row(*row, key=f"k{index}")
    return table


def _text(table: Table, y: int) -> str:
    return table.render_line(y).text


def _cells(strip: Strip) -> list[tuple[str, Style]]:
    """Each cell of a line: its character and its look (no mouse metadata)."""
    out: list[tuple[str, Style]] = []
    for segment in strip:
        style = (segment.style or Style()).clear_meta_and_links()
        out.extend((char, style) for char in segment.text)
    return out


@pytest.mark.anyio
async def test_columns_fit_their_cells_in_the_first_frame_after_adding() -> None:
    app = _One()
    async with app.run_test(size=(60, 10)) as pilot:
        table = _filled(app, [(" ", 1), "AB", "C"], [])
        await pilot.pause()
        table.add_row("*", "a long value", Text("x"), key="r1")
        # no idle pass between: the frame drawn now has the measured widths
        assert _text(table, 0).rstrip() == "    AB            C"
        assert _text(table, 1).rstrip() == " *  a long value  x"
        assert table.virtual_size.width == 3 + 14 + 3
        assert table.virtual_size.height == 2  # the header and one row
        table.add_row(" ", "short", Text("云平台"), key="r2")
        assert _text(table, 1).rstrip() == " *  a long value  x"
        assert _text(table, 2).rstrip() == "    short         云平台"
        # cleared: the columns go back to their labels' widths for the next page
        table.clear()
        assert table.row_count == 0
        table.add_row(" ", "b", "c", key="r1")
        assert _text(table, 1).rstrip() == "    b   c"
        assert _text(table, 3) == " " * 60


@pytest.mark.anyio
async def test_wide_text_is_cut_on_a_cell_boundary_in_a_fixed_column() -> None:
    app = _One()
    async with app.run_test(size=(40, 6)) as pilot:
        table = _filled(
            app,
            [("ZH", 5), ("EN", 6)],
            [
                [Text("云平台与部门"), Text("ellipsis here", overflow="ellipsis")],
                ["a云平台b", "plain text cut"],
            ],
        )
        await pilot.pause()
        assert table.columns[0].render_width == 7  # the fixed width, plus the padding
        # "云平" is 4 cells: the next character does not fit in 5, a space fills it
        assert _text(table, 1).rstrip() == " 云平   ellip…"
        assert _text(table, 2).rstrip() == " a云平  plain"


@pytest.mark.anyio
@pytest.mark.parametrize("width", [30, 44, 80])
async def test_lines_look_as_datatable_draws_them(width: int) -> None:
    cells: list[Any] = [
        Text("plain"),
        Text(""),
        Text("trailing  "),
        Text("云平台与部门资源清单"),
        Text("a云平台b"),
        status_text("failed"),
        status_text("active"),
        Text.assemble(("bold", "bold"), " and ", ("red", "red on white")),
        Text("ellipsis cut here please", overflow="ellipsis"),
    ]
    app = _One(stock=True)
    async with app.run_test(size=(width, 30)) as pilot:
        ours, stock = app.query_one(Table), app.query_one("#stock", DataTable)
        for table in (ours, stock):
            table.styles.height = 12
            table.add_column(" ", key="mark", width=1)
            table.add_column("NAME", key="name")
            table.add_column("云平台", key="zh")
            table.add_column("CUT", key="cut", width=4)
            for index, cell in enumerate(cells):
                cut = Text("云平台") if index % 2 else Text("long", style="italic")
                table.add_row("*" if index == 2 else " ", cell, status_text("error"), cut,
                              key=f"r{index}")  # fmt: skip
        await pilot.pause()
        stock.move_cursor(row=3)
        ours.move_cursor(row=3)
        await pilot.pause()
        for scroll in (0, 5):
            stock.scroll_to(x=scroll, animate=False)
            ours.scroll_to(x=scroll, animate=False)
            await pilot.pause()
            assert ours.virtual_size == stock.virtual_size
            for y in range(12):
                assert _cells(ours.render_line(y)) == _cells(stock.render_line(y)), (y, scroll)
        # the mouse over a row: the hover style, as DataTable shows it
        before = _cells(ours.render_line(5))
        stock._set_hover_cursor(True)
        stock.hover_coordinate = stock.cursor_coordinate.down()
        await pilot.hover("#table", offset=(2, 5))
        await pilot.pause()
        assert _cells(ours.render_line(5)) == _cells(stock.render_line(5))
        assert _cells(ours.render_line(5)) != before


@pytest.mark.anyio
async def test_the_cursor_moves_clamps_and_says_where_it_is() -> None:
    app = _One()
    async with app.run_test(size=(40, 8)) as pilot:
        table = _filled(app, ["N"], [[f"row {n}"] for n in range(30)])
        await pilot.pause()
        cursor_look = _cells(table.render_line(1))[1][1]
        assert cursor_look != _cells(table.render_line(2))[1][1]
        app.set_focus(None)  # blurred: the cursor's other look, drawn again at once
        await pilot.pause()
        assert _cells(table.render_line(1))[1][1] not in (cursor_look, None)
        table.focus()
        await pilot.pause()
        assert _cells(table.render_line(1))[1][1] == cursor_look
        await pilot.press("down", "down")
        assert table.cursor_row == 2
        assert [(m.cursor_row, m.row_key) for m in app.seen] == [(1, "k1"), (2, "k2")]
        assert _cells(table.render_line(3))[1][1] == cursor_look
        table.move_cursor(row=99)
        await pilot.pause()
        assert table.cursor_row == 29
        assert table.scroll_y == 30 + 1 - 8  # the last row at the bottom, under the header
        assert _text(table, 7).strip() == "row 29"
        assert _text(table, 0).strip() == "N"  # the header stays on top
        table.move_cursor(row=-5)
        assert table.cursor_row == 0
        await pilot.press("pagedown")
        assert table.cursor_row == 7  # a screen of rows (8 lines less the header)
        await pilot.press("ctrl+end")
        assert table.cursor_row == 29
        await pilot.press("up")
        assert table.cursor_row == 28
        app.seen.clear()
        table.move_cursor(row=28)  # the same row: nothing to say
        await pilot.pause()
        assert app.seen == []


@pytest.mark.anyio
async def test_the_header_marks_the_sorted_column_without_widening_it() -> None:
    app = _One()
    async with app.run_test(size=(40, 6)) as pilot:
        table = _filled(app, ["NAME", "STATUS"], [["a long name", "ok"]])
        await pilot.pause()
        size = table.virtual_size
        assert _text(table, 0).rstrip() == " NAME         STATUS"
        table.show_sort("c0")
        await pilot.pause()
        assert _text(table, 0).rstrip() == " NAME↑        STATUS"
        table.show_sort("c1", descending=True)  # as wide as its label: in the padding
        await pilot.pause()
        assert _text(table, 0).rstrip() == " NAME         STATUS↓"
        table.show_sort(None)
        assert _text(table, 0).rstrip() == " NAME         STATUS"
        assert table.virtual_size == size
        # the arrow is drawn in the header's own style
        table.show_sort("c1")
        line = _cells(table.render_line(0))
        assert line[20] == ("↑", line[19][1])


@pytest.mark.anyio
async def test_enter_and_clicks_select() -> None:
    app = _One()
    async with app.run_test(size=(40, 8)) as pilot:
        table = _filled(app, ["NAME", "STATUS"], [[f"name {n}", "ok"] for n in range(4)])
        await pilot.pause()
        await pilot.press("enter")
        assert [(type(m), m.cursor_row, m.row_key) for m in app.seen] == [  # type: ignore[attr-defined]
            (Table.RowSelected, 0, "k0")
        ]
        app.seen.clear()
        await pilot.click("#table", offset=(3, 3))  # the third row: the cursor goes there
        assert table.cursor_row == 2
        await pilot.click("#table", offset=(3, 3))  # on the cursor: selected
        await pilot.click("#table", offset=(12, 0))  # the header, over "STATUS"
        await pilot.click("#table", offset=(3, 6))  # below the rows: nothing
        await pilot.pause()
        assert [type(m).__name__ for m in app.seen] == [
            "RowHighlighted",
            "RowSelected",
            "HeaderSelected",
        ]
        assert app.seen[1].row_key == "k2"  # type: ignore[attr-defined]
        assert app.seen[2].column_key == "c1"  # type: ignore[attr-defined]


@pytest.mark.anyio
async def test_a_cell_replaced_shows_at_once() -> None:
    app = _One()
    async with app.run_test(size=(40, 6)) as pilot:
        table = app.query_one(Table)
        table.add_column(" ", key="mark", width=1)
        table.add_column("NAME", key="c0")
        table.add_row(" ", "a", key="k0")
        await pilot.pause()
        assert table.render_line(1) is table.render_line(1)  # drawn once, then cached
        table.update_cell("k0", "mark", "*")
        assert _text(table, 1).rstrip() == " *  a"
        table.update_cell("k0", "c0", Text("a wider name"))
        assert _text(table, 1).rstrip() == " *  a wider name"
        assert _text(table, 0).rstrip() == "    NAME"
        assert [str(c) for c in table.get_row_at(0)] == ["*", "a wider name"]
        with pytest.raises(ValueError, match="already"):
            table.add_row(" ", "again, wider than a wider name", key="k0")
        with pytest.raises(ValueError, match="its own"):
            table.add_rows([[" ", "x"], [" ", "y"]], keys=["k7", "k7"])
        assert table.row_count == 1  # refused whole: no row in, no column widened
        assert table.columns[1].width == len("a wider name")
        table.add_row("x\ty", Text("two\nlines"), key="k1")  # one line each, no control codes
        assert _text(table, 2).rstrip() == " x  two lines"
        table.add_row(" ", "[bold]name[/] \x1b[31m", key="k2")  # a str is shown as written
        assert _text(table, 3).rstrip() == "    [bold]name[/] \ufffd[31m"
