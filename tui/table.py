"""The console's table: Textual's DataTable, minus one stale-frame bug and one hot spot.

DataTable measures the cells of newly added rows when it is next idle and widens its
columns then, but its line cache is keyed by an update counter that measuring does not
move. A frame painted between ``add_row`` and that idle pass (which happens under load)
is cached with the header's widths, and the table keeps showing cells cut to them
("云平" for "云平台") until something else changes. Measuring that changes a width
therefore moves the counter and repaints.

Two hot spots of a filter's repaint are cut here. DataTable renders each body cell
through Rich's generic pipeline (``Styled(Padding(cell))`` into ``render_lines``, each
layer splitting and cropping lines again); a one-line ``Text`` cell in a one-line row,
which is every cell of the console, is cut, padded and styled here directly into the
same segments (``tests/tui/test_table.py`` compares the two). And DataTable rebuilds its
ordered column list (a dict walk per column) whenever it is asked, once per row measured
and per line rendered; the list is kept here until a column is added or removed.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.widgets import DataTable
from textual.widgets._data_table import CellCacheKey, default_cell_formatter
from textual.widgets.data_table import Column, ColumnKey, RowKey

__all__ = ["Table"]


class Table(DataTable[Any]):
    _ordered: tuple[object, int, list[Column]] | None = None

    def _update_dimensions(self, new_rows: Iterable[RowKey]) -> None:
        before = [column.content_width for column in self.columns.values()]
        super()._update_dimensions(new_rows)
        if before != [column.content_width for column in self.columns.values()]:
            self._update_count += 1  # the cached lines were cut at the old widths
            self.refresh()

    @property
    def ordered_columns(self) -> list[Column]:
        # adding a column grows the location map; removing or clearing replaces it
        locations = self._column_locations
        cached = self._ordered
        if cached is None or cached[0] is not locations or cached[1] != len(locations):
            cached = (locations, len(locations), super().ordered_columns)
            self._ordered = cached
        return cached[2]

    def _render_cell(
        self,
        row_index: int,
        column_index: int,
        base_style: Style,
        width: int,
        cursor: bool = False,
        hover: bool = False,
    ) -> list[list[Segment]]:
        if min(row_index - self.fixed_rows, column_index - self.fixed_columns) < 0:
            # the header, row labels and fixed cells: DataTable's own way
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        row_key = self._row_locations.get_key(row_index)
        column_key = self._column_locations.get_key(column_index)
        if row_key is None or column_key is None:
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        cache_key: CellCacheKey = (row_key, column_key, base_style, cursor, hover,
                                   self._show_hover_cursor, self._update_count,
                                   self._pseudo_class_state)  # fmt: skip
        cached = self._cell_render_cache.get(cache_key)
        if cached is not None:
            return cached
        line = self._one_line(row_key, column_key, width)
        if line is None:
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        component_style, post_style = self._get_styles_to_render_cell(
            False, False, False, hover, cursor, self.show_cursor, self._show_hover_cursor,
            self.cursor_foreground_priority == "css", self.cursor_background_priority == "css",
        )  # fmt: skip
        # as DataTable layers them: its base, the cell's place, the component; the
        # cell's own styles; then the cursor's (``post``)
        pre_style = base_style + Style.from_meta({"row": row_index, "column": column_index})
        lines = [list(Segment.apply_style(line, pre_style + component_style, post_style))]
        self._cell_render_cache[cache_key] = lines
        return lines

    def _one_line(self, row_key: RowKey, column_key: ColumnKey, width: int) -> list[Segment] | None:
        """The cell's unstyled segments, padded and cut to ``width`` as Rich would for a
        one-line row; ``None`` for a cell that needs Rich's layout (several lines, tabs,
        a justification, a renderable that is not text, a column too narrow to cut in)."""
        row, values = self.rows.get(row_key), self._data.get(row_key)
        if row is None or row.height != 1 or values is None or column_key not in values:
            return None
        cell = default_cell_formatter(values[column_key], wrap=False, height=1)
        options = self.app.console_options
        inner = width - 2 * self.cell_padding
        if (not isinstance(cell, Text) or inner < 0 or "\n" in cell.plain or "\t" in cell.plain
                or (cell.justify or options.justify or "default") != "default"):  # fmt: skip
            return None
        overflow = cell.overflow or options.overflow or "fold"
        if cell.cell_len > inner:
            if overflow == "ignore" or inner < 2:  # Rich's cropping of these differs
                return None
            cell = cell.copy()
            cell.truncate(inner, overflow=overflow)
        blank = Style.null()  # Padding's "none" style, on its margins and on the fill
        padding = [Segment(" " * self.cell_padding, blank)] if self.cell_padding else []
        fill = inner - cell.cell_len
        console = self.app.console
        # Text.render drops the text's own style when it has no spans (Rich lays a line
        # out joined into a new Text, where that style becomes a span)
        body = (
            cell.render(console, end="")
            if cell.spans or not cell.plain
            else [Segment(cell.plain, console.get_style(cell.style, default=blank))]
        )
        return [
            *padding,
            *body,
            *([Segment(" " * fill, blank)] if fill > 0 else []),
            *padding,
        ]
