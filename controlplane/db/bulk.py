"""Bulk writes and reads through the engine's own fast path, inside the session's
transaction: inserts by ``COPY`` on PostgreSQL and ``executemany`` on SQLite
(``BulkInsert``); many rows read straight off the driver's cursor (``driver_rows``). A
first load into a (nearly) empty table builds its indexes after the rows with
``controlplane.db.deferred_indexes``.

Values go through each column type's bind processing once per distinct value of a
write (so a timestamp is stored exactly as an ORM insert stores it), except columns
named *raw*: their values are already what the driver takes (a JSON column given its
serialized text). Converted columns' values must be hashable.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Sequence
from itertools import count
from typing import Any

from sqlalchemy import Select, Table
from sqlmodel import Session

__all__ = ["BulkInsert", "driver_rows"]


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
            # column by column, once per distinct value: a batch's rows share their stamps
            columns: list[Sequence[Any]] = list(zip(*rows, strict=True))
            for index, processor in self._convert:
                distinct = {v: processor(v) for v in set(columns[index]) if v is not None}
                distinct[None] = None
                columns[index] = list(map(distinct.__getitem__, columns[index]))
            rows = list(zip(*columns, strict=True))
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


_CURSORS = count(1)


def driver_rows(session: Session, query: Select[Any], *, size: int = 5000) -> Iterator[Any]:
    """The rows of ``query`` as the driver returns them, ``size`` at a time.

    For reads of a whole table's worth of rows: no result row objects and no result
    processing (a SQLite boolean comes back as 0/1, a timestamp as the driver gives it),
    so select columns that need none. Parameters still get their types' bind
    processing. PostgreSQL reads through a server-side cursor (memory is ``size`` rows,
    not the result); SQLite's cursor steps through its result anyway.
    """
    connection = session.connection()
    dialect = connection.dialect
    compiled = query.compile(dialect=dialect)
    values = dict(compiled.params)
    for name, value in values.items():
        kind = compiled.binds[name].type
        processor = kind.dialect_impl(dialect).bind_processor(dialect)
        if processor is not None and value is not None:
            values[name] = processor(value)
    arguments: Any = values
    if compiled.positiontup is not None:
        arguments = tuple(values[name] for name in compiled.positiontup)
    driver = connection.connection.driver_connection
    assert driver is not None
    postgresql = dialect.name == "postgresql"
    cursor = driver.cursor(f"govcloud_rows_{next(_CURSORS)}") if postgresql else driver.cursor()
    try:
        cursor.execute(str(compiled), arguments)
        while rows := cursor.fetchmany(size):
            yield from rows
    finally:
        cursor.close()
