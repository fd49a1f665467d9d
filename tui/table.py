"""The console's table: Textual's DataTable, minus one stale-frame bug.

DataTable measures the cells of newly added rows when it is next idle and widens its
columns then, but its line cache is keyed by an update counter that measuring does not
move. A frame painted between ``add_row`` and that idle pass (which happens under load)
is cached with the header's widths, and the table keeps showing cells cut to them
("云平" for "云平台") until something else changes. Measuring that changes a width
therefore moves the counter and repaints.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from textual.widgets import DataTable
from textual.widgets.data_table import RowKey

__all__ = ["Table"]


class Table(DataTable[Any]):
    def _update_dimensions(self, new_rows: Iterable[RowKey]) -> None:
        before = [column.content_width for column in self.columns.values()]
        super()._update_dimensions(new_rows)
        if before != [column.content_width for column in self.columns.values()]:
            self._update_count += 1  # the cached lines were cut at the old widths
            self.refresh()
