"""Bulk inserts through the engine's own fast path: ``COPY`` on PostgreSQL,
``executemany`` on SQLite, inside the session's transaction.

Values go through each column type's bind processing once per value (so a timestamp
is stored exactly as an ORM insert stores it), except columns named *raw*: their values
are already what the driver takes (a JSON column given its serialized text).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from typing import Any

from sqlalchemy import Table
from sqlmodel import Session

__all__ = ["BulkInsert"]


class BulkInsert:
    """Rows of ``columns`` (tuples, in that order) into ``table`` in one driver call."""

    def __init__(
        self,
        session: Session,
        table: Table,
        columns: Sequence[str],
        *,
        raw: Collection[str] = (),
    ) -> None:
        self._session = session
        dialect = session.connection().dialect
        self.postgresql = dialect.name == "postgresql"
        self._convert: list[tuple[int, Callable[[Any], Any]]] = []
        for index, name in enumerate(columns):
            if name in raw:
                continue
            processor = table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
            if processor is not None:
                self._convert.append((index, processor))
        names = ", ".join(columns)
        if self.postgresql:
            self._statement = f"COPY {table.name} ({names}) FROM STDIN"
        else:
            marks = ", ".join("?" * len(columns))
            self._statement = f"INSERT INTO {table.name} ({names}) VALUES ({marks})"

    def write(self, rows: Sequence[Sequence[Any]]) -> int:
        """Insert ``rows``; returns how many."""
        if not rows:
            return 0
        if self._convert:
            converted = []
            for row in rows:
                values = list(row)
                for index, processor in self._convert:
                    if values[index] is not None:
                        values[index] = processor(values[index])
                converted.append(values)
            rows = converted
        driver = self._session.connection().connection.driver_connection
        assert driver is not None
        cursor = driver.cursor()
        try:
            if self.postgresql:
                with cursor.copy(self._statement) as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                cursor.executemany(self._statement, rows)
        finally:
            cursor.close()
        return len(rows)
