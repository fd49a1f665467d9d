"""The console's table: a lean line-API widget over one page of rows at a time.

Textual's DataTable keeps every row behind several caches and measures new cells on its
next idle pass; a filter of the console's (a hundred rows replaced) cost ~150 ms of CPU
in it, and a frame painted before that pass showed cells cut to the header's widths.
This table holds the rows it is given (the console adds a page of the facade's at a
time), measures each column as rows are added (``rich.cells.cell_len`` of a one-line
text, so the widths are right before any frame is drawn), and draws only the lines on
screen: a line is the cells of a row cut and padded to their columns, one segment per
run of one style, kept in a cache keyed by the row, its cursor and hover state, the
scroll and the widget's width. Any change of a width, a row or a style empties it, so a
cell is never shown cut to a width it no longer has.

It looks as DataTable does with a row cursor and zebra stripes (the same component
styles under ``table--`` names): one cell of padding each side, a bold header fixed on
top (with ``↑``/``↓`` beside the column the list is sorted by, in the header's right
padding when the label fills its column), the cursor row, the mouse's hover row. A cell
is a ``Text`` (its style and spans kept) or a ``str`` (shown as written, never parsed as
markup); one line each: a line break or a tab in a cell shows as a space.

Keys: ``up``/``down``, ``pageup``/``pagedown``, ``ctrl+home``/``ctrl+end`` move the
cursor; ``left``/``right``, ``home``/``end`` scroll sideways; ``enter`` selects. A click
moves the cursor, a click on the cursor row selects it, a click on the header posts
:class:`Table.HeaderSelected`. Messages: :class:`Table.RowHighlighted` when the cursor
lands on another row, :class:`Table.RowSelected`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import ClassVar

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual._segment_tools import line_crop
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.geometry import Region, Size, Spacing
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

__all__ = ["Cell", "Column", "Table"]

#: what a cell holds: a ``Text``, or a ``str`` shown as written
Cell = Text | str

#: the header's place in row numbers (the body's rows are 0, 1, …)
_HEADER = -1
#: cells of padding on each side of a column
_PADDING = 1
_ARROWS = {False: "↑", True: "↓"}


@dataclass
class Column:
    """A column: its key, its label, and its width inside the padding (``fixed``: set
    when added, else the widest of the label and the cells, measured as rows come)."""

    key: str
    label: Text
    width: int
    fixed: bool = False

    @property
    def render_width(self) -> int:
        return self.width + 2 * _PADDING


#: a line break or a tab shows as a space; another control character (an escape that
#: would reach the terminal) as U+FFFD; one character for one: a text's spans stay put
_CONTROLS: dict[int, str] = dict.fromkeys((*range(0x20), 0x7F, *range(0x80, 0xA0)), "\ufffd") | {
    ord("\n"): " ",
    ord("\t"): " ",
}


def _one_line(cell: object) -> Cell:
    """The cell as it is kept: ``Text`` or ``str``, on one line, no control codes."""
    if isinstance(cell, Text):
        plain = cell.plain
        safe = plain.translate(_CONTROLS)
        if safe != plain:
            cell = cell.copy()
            cell.plain = safe
        return cell
    return (cell if isinstance(cell, str) else str(cell)).translate(_CONTROLS)


def _width(cell: Cell) -> int:
    return cell_len(cell.plain if isinstance(cell, Text) else cell)


class _TableMessage(Message):
    def __init__(self, table: Table) -> None:
        super().__init__()
        self.table = table

    @property
    def control(self) -> Table:
        return self.table


class _RowMessage(_TableMessage):
    def __init__(self, table: Table, cursor_row: int, row_key: str) -> None:
        super().__init__(table)
        self.cursor_row = cursor_row
        self.row_key = row_key


class Table(ScrollView, can_focus=True):
    """A table of one-line rows with a row cursor (see the module's docstring)."""

    ALLOW_SELECT = False

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "select_cursor", "Select", show=False),
        Binding("up", "cursor_up", "Cursor up", show=False),
        Binding("down", "cursor_down", "Cursor down", show=False),
        Binding("right", "scroll_right", "Scroll right", show=False),
        Binding("left", "scroll_left", "Scroll left", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("ctrl+home", "cursor_top", "Top", show=False),
        Binding("ctrl+end", "cursor_bottom", "Bottom", show=False),
        Binding("home", "scroll_home", "Home", show=False),
        Binding("end", "scroll_end", "End", show=False),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "table--cursor",
        "table--hover",
        "table--header",
        "table--header-hover",
        "table--odd-row",
        "table--even-row",
    }

    DEFAULT_CSS = """
    Table {
        background: $surface;
        color: $foreground;
        height: auto;
        max-height: 100%;

        &:focus {
            background-tint: $foreground 5%;
            & > .table--cursor {
                background: $block-cursor-background;
                color: $block-cursor-foreground;
                text-style: $block-cursor-text-style;
            }
            & > .table--header {
                background-tint: $foreground 5%;
            }
        }
        &:dark {
            & > .table--even-row {
                background: $surface-darken-1 40%;
            }
        }
        & > .table--header {
            text-style: bold;
            background: $panel;
            color: $foreground;
        }
        &:ansi > .table--header {
            background: ansi_bright_blue;
            color: ansi_default;
        }
        & > .table--odd-row {
        }
        & > .table--even-row {
            background: $surface-lighten-1 50%;
        }
        & > .table--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
        & > .table--header-hover {
            background: $accent 30%;
        }
        & > .table--hover {
            background: $block-hover-background;
        }
    }
    """

    class RowHighlighted(_RowMessage):
        """The cursor landed on another row."""

    class RowSelected(_RowMessage):
        """The cursor's row was selected (``enter``, or a click on it)."""

    class HeaderSelected(_TableMessage):
        """A column's label was clicked."""

        def __init__(self, table: Table, column_key: str, column_index: int) -> None:
            super().__init__(table)
            self.column_key = column_key
            self.column_index = column_index

    def __init__(
        self,
        *,
        zebra_stripes: bool = False,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
        disabled: bool = False,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes, disabled=disabled)
        self.zebra_stripes = zebra_stripes
        self.columns: list[Column] = []
        self._keys: list[str] = []
        self._rows: list[list[Cell]] = []
        self._index: dict[str, int] = {}
        self._cursor = 0
        #: the row under the mouse (``_HEADER``: the header), shown while the mouse moves
        self._hover: int | None = None
        self._sort: tuple[str, bool] | None = None
        self._lines: LRUCache[tuple[object, ...], Strip] = LRUCache(1024)
        #: combined styles: (row's, cell's, component's) -> one Style
        self._styles: dict[tuple[Style, Style | str | None, Style], Style] = {}
        self._base: Style | None = None

    # ---- the data ------------------------------------------------------------------

    @property
    def row_count(self) -> int:
        return len(self._rows)

    @property
    def cursor_row(self) -> int:
        return self._cursor

    def add_column(self, label: Cell, *, width: int | None = None, key: str | None = None) -> str:
        """Add a column (``width``: fixed, inside the padding; else measured) and return
        its key (its position, as text, unless given)."""
        text = _one_line(label)
        text = text if isinstance(text, Text) else Text(text)
        key = str(len(self.columns)) if key is None else key
        fixed = width is not None
        # the rows already in have a blank cell in it: the label is the widest
        self.columns.append(Column(key, text, width if width is not None else text.cell_len, fixed))
        for row in self._rows:
            row.append("")
        self._changed()
        return key

    def add_row(self, *cells: object, key: str | None = None) -> str:
        """Add a row of cells (missing ones are blank) and return its key."""
        return self.add_rows([cells], keys=None if key is None else [key])[0]

    def add_rows(
        self, rows: Iterable[Iterable[object]], keys: Iterable[str] | None = None
    ) -> list[str]:
        """Add rows, keyed by ``keys`` (else by their position), measuring their cells."""
        columns = self.columns
        count = len(columns)
        new = [[_one_line(cell) for cell in cells][:count] for cells in rows]
        start = len(self._rows)
        added = [str(start + n) for n in range(len(new))] if keys is None else list(keys)
        if (
            len(added) != len(new)
            or len(set(added)) != len(added)
            or set(added) & self._index.keys()
        ):
            raise ValueError("each row needs a key of its own, not one already in the table")
        widths = [c.width for c in columns]
        for row in new:
            row.extend("" for _ in range(count - len(row)))
            for index, cell in enumerate(row):
                if not columns[index].fixed:
                    widths[index] = max(widths[index], _width(cell))
        self._index.update((key, start + n) for n, key in enumerate(added))
        self._rows.extend(new)
        self._keys.extend(added)
        widened = False
        for column, width in zip(columns, widths, strict=True):
            widened |= column.width != width
            column.width = width
        if widened:
            self._lines.clear()
        self._resize()
        self.refresh()
        return added

    def clear(self, columns: bool = False) -> None:
        """Remove every row (and every column with ``columns``); the cursor goes to the
        top, the columns back to their labels' widths."""
        self._rows.clear()
        self._keys.clear()
        self._index.clear()
        if columns:
            self.columns.clear()
            self._sort = None
        for column in self.columns:
            if not column.fixed:
                column.width = column.label.cell_len
        self._cursor = 0
        self._hover = None
        self._changed()
        self.scroll_to(0, 0, animate=False, immediate=True)

    def update_cell(self, row_key: str, column_key: str, value: object) -> None:
        """Replace one cell, widening (or narrowing) its column to fit."""
        row = self._index[row_key]
        index = self._column_index(column_key)
        self._rows[row][index] = _one_line(value)
        column = self.columns[index]
        if not column.fixed:
            width = max([column.label.cell_len, *(_width(r[index]) for r in self._rows)])
            if width != column.width:
                column.width = width
                self._changed()
                return
        self._lines.clear()  # a mark toggled: the lines on screen are soon drawn again
        self._refresh_row(row)

    def get_row_at(self, row: int) -> list[Cell]:
        return list(self._rows[row])

    def show_sort(self, column_key: str | None, *, descending: bool = False) -> None:
        """Mark the column the rows are sorted by (``None``: none) in the header."""
        wanted = None if column_key is None else (column_key, descending)
        if wanted != self._sort:
            self._sort = wanted
            self._lines.clear()
            self._refresh_row(_HEADER)

    def _column_index(self, column_key: str) -> int:
        for index, column in enumerate(self.columns):
            if column.key == column_key:
                return index
        raise KeyError(column_key)

    def _changed(self) -> None:
        """Widths, rows or columns changed: every cached line is stale."""
        self._lines.clear()
        self._resize()
        self.refresh()

    def _resize(self) -> None:
        width = sum(c.render_width for c in self.columns)
        self.virtual_size = Size(width, len(self._rows) + 1)
        if self._cursor >= len(self._rows):
            self._cursor = max(0, len(self._rows) - 1)

    def _refresh_row(self, row: int) -> None:
        """Repaint one row where it is on screen (the header stays on top)."""
        y = 0 if row == _HEADER else row + 1 - int(self.scroll_y)
        if y >= 0 and (row == _HEADER or y > 0):
            self.refresh(Region(0, y, max(self.virtual_size.width, self.size.width), 1))

    # ---- the cursor ----------------------------------------------------------------

    def move_cursor(self, *, row: int, scroll: bool = True) -> None:
        """Put the cursor on ``row`` (kept within the rows); posts
        :class:`RowHighlighted` when that is another row."""
        old = self._cursor
        new = max(0, min(row, len(self._rows) - 1))
        self._cursor = new
        if new != old:
            self._refresh_row(old)
            self._refresh_row(new)
            if new < len(self._rows):
                self.post_message(self.RowHighlighted(self, new, self._keys[new]))
        if scroll:
            self._scroll_cursor_into_view()

    def _scroll_cursor_into_view(self) -> None:
        x = int(self.scroll_x)
        region = Region(x, self._cursor + 1, max(1, self.size.width), 1)
        self.scroll_to_region(region, animate=False, spacing=Spacing(1, 0, 0, 0), force=True)

    def _set_hover(self, row: int | None) -> None:
        if row != self._hover:
            for old in (self._hover, row):
                if old is not None:
                    self._refresh_row(old)
            self._hover = row

    def _body_height(self) -> int:
        return max(1, self.scrollable_content_region.height - 1)

    def action_cursor_up(self) -> None:
        self._set_hover(None)
        self.move_cursor(row=self._cursor - 1)

    def action_cursor_down(self) -> None:
        self._set_hover(None)
        self.move_cursor(row=self._cursor + 1)

    def action_page_down(self) -> None:
        self._set_hover(None)
        height = self._body_height()
        self.scroll_relative(y=height, animate=False, force=True)
        self.move_cursor(row=self._cursor + height, scroll=False)

    def action_page_up(self) -> None:
        self._set_hover(None)
        height = self._body_height()
        self.scroll_relative(y=-height, animate=False, force=True)
        self.move_cursor(row=self._cursor - height, scroll=False)

    def action_cursor_top(self) -> None:
        self._set_hover(None)
        self.move_cursor(row=0)

    def action_cursor_bottom(self) -> None:
        self._set_hover(None)
        self.move_cursor(row=len(self._rows) - 1)

    def action_scroll_home(self) -> None:
        self.scroll_to(x=0, animate=False)

    def action_scroll_end(self) -> None:
        self.scroll_to(x=self.max_scroll_x, animate=False)

    def action_select_cursor(self) -> None:
        self._set_hover(None)
        if self._rows:
            self.post_message(self.RowSelected(self, self._cursor, self._keys[self._cursor]))

    # ---- the mouse -----------------------------------------------------------------

    def _row_at(self, event: events.MouseEvent) -> int | None:
        """The row under the mouse (``_HEADER`` for the header), or ``None``."""
        offset = event.get_content_offset(self)
        view = self.scrollable_content_region
        if offset is None or offset.x >= view.width or offset.y >= view.height:
            return None
        if offset.y == 0:
            return _HEADER
        row = offset.y - 1 + int(self.scroll_y)
        return row if row < len(self._rows) else None

    def _on_mouse_move(self, event: events.MouseMove) -> None:
        self._set_hover(self._row_at(event))

    def _on_leave(self, event: events.Leave) -> None:
        super()._on_leave(event)
        self._set_hover(None)

    async def _on_click(self, event: events.Click) -> None:
        row = self._row_at(event)
        if row is None:
            return
        event.stop()
        if row == _HEADER:
            x = (event.get_content_offset_capture(self).x) + int(self.scroll_x)
            for index, column in enumerate(self.columns):
                x -= column.render_width
                if x < 0:
                    self.post_message(self.HeaderSelected(self, column.key, index))
                    return
            return
        if row == self._cursor:
            self.post_message(self.RowSelected(self, row, self._keys[row]))
        else:
            self.move_cursor(row=row)

    # ---- drawing -------------------------------------------------------------------

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._lines.clear()
        self._styles.clear()
        self.refresh()

    def render_lines(self, crop: Region) -> list[Strip]:
        self._base = self.rich_style  # once per paint, not per line: it is not cheap
        try:
            return super().render_lines(crop)
        finally:
            self._base = None

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        scroll_x, scroll_y = self.scroll_offset
        row = _HEADER if y == 0 else y - 1 + scroll_y
        base = self._base if self._base is not None else self.rich_style
        if row >= len(self._rows):
            row = len(self._rows)  # past the last row: one blank line for all
        cursor = row == self._cursor and row != _HEADER
        hover = row == self._hover
        key = (row, cursor, hover, scroll_x, width, base)
        strip = self._lines.get(key)
        if strip is None:
            if row == len(self._rows):
                strip = Strip.blank(width, base)
            else:
                segments, length = self._segments(row, cursor, hover, width)
                cropped = line_crop(segments, scroll_x, scroll_x + width, length)
                if length - scroll_x >= width:  # as long as the view (the usual case)
                    strip = Strip(cropped, width)
                else:
                    strip = Strip(cropped).adjust_cell_length(width, base)
            self._lines[key] = strip
        return strip

    def _styled(self, row_style: Style, cell_style: Style | str | None, on: Style) -> Style:
        """A cell's style over its row's, under the cursor's or the hover's (``on``)."""
        key = (row_style, cell_style, on)
        style = self._styles.get(key)
        if style is None:
            own = (
                self.app.console.get_style(cell_style)
                if isinstance(cell_style, str)
                else cell_style
            )
            # as DataTable layers them: the row, the component, the cell; the cursor's
            # colour again on top (the cursor's colour wins over a cell's)
            style = row_style + on + (own or Style.null()) + Style.from_color(on.color)
            self._styles[key] = style
        return style

    def _segments(self, row: int, cursor: bool, hover: bool,
                  width: int) -> tuple[list[Segment], int]:  # fmt: skip
        """The whole line of ``row`` (not yet cut to the view) and its length in cells."""
        component = self.get_component_rich_style
        on = Style()
        if row == _HEADER:
            row_style = component("table--header")
            if hover:
                on = component("table--hover") + component("table--header-hover")
            cells: list[Cell] = [column.label for column in self.columns]
        else:
            if not self.zebra_stripes:
                row_style = self._base if self._base is not None else self.rich_style
            else:
                row_style = component("table--odd-row" if row % 2 else "table--even-row")
            if hover:
                on += component("table--hover")
            if cursor:
                on += component("table--cursor")
            cells = self._rows[row]
        plain = self._styled(row_style, None, on)
        runs: list[tuple[str, Style]] = []  # text and style, adjacent runs of one style joined

        def put(text: str, style: Style) -> None:
            if runs and runs[-1][1] is style:
                runs[-1] = (runs[-1][0] + text, style)
            elif text:
                runs.append((text, style))

        sorted_by = self._sort
        for column, cell in zip(self.columns, cells, strict=True):
            inner = column.width
            put(" " * _PADDING, plain)
            right = " " * _PADDING
            if row == _HEADER and sorted_by is not None and sorted_by[0] == column.key:
                # beside the label: in the column when there is room, else in the right
                # padding (a label is never wider than its column: no width changes)
                arrow = _ARROWS[sorted_by[1]]
                if _width(cell) < inner:
                    cell = cell + arrow if isinstance(cell, str) else Text.assemble(cell, arrow)
                else:
                    right = arrow + " " * (_PADDING - 1)
            if isinstance(cell, str):
                text = cell if cell_len(cell) == inner else set_cell_size(cell, inner)
                put(text, plain)
            elif not cell.spans:
                text = cell.plain
                length = cell_len(text)
                if length > inner:
                    cut = cell.copy()
                    cut.truncate(inner, overflow=cell.overflow or "fold")
                    text, length = cut.plain, cut.cell_len
                put(text, self._styled(row_style, cell.style or None, on))
                put(" " * (inner - length), plain)
            else:
                cut = cell.copy()
                cut.truncate(inner, overflow=cell.overflow or "fold")
                for segment in cut.render(self.app.console, end=""):
                    put(segment.text, self._styled(row_style, segment.style, on))
                put(" " * (inner - cut.cell_len), plain)
            put(right, plain)
        length = sum(c.render_width for c in self.columns)
        remaining = max(0, width - length)
        if remaining:
            put(" " * remaining, row_style + on)
        return [Segment(text, style) for text, style in runs], length + remaining
