"""Bulk writes and reads through the engine's own fast path, inside the session's
transaction: inserts by ``COPY`` on PostgreSQL and ``executemany`` on SQLite
(``BulkInsert``); many rows read straight off the driver's cursor (``driver_rows``); a
load into a (nearly) empty PostgreSQL table with its secondary indexes built once after
it (``indexes_built_after``).

Values go through each column type's bind processing once per distinct value of a
write (so a timestamp is stored exactly as an ORM insert stores it), except columns
named *raw*: their values are already what the driver takes (a JSON column given its
serialized text). Converted columns' values must be hashable.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from itertools import count
from typing import Any

from sqlalchemy import Select, Table, text
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

__all__ = ["NEARLY_EMPTY", "BulkInsert", "driver_rows", "indexes_built_after"]

#: :func:`indexes_built_after` takes a table holding fewer rows than this
NEARLY_EMPTY = 1000
_LOCK_NOT_AVAILABLE = "55P03"
#: a table's indexes that no constraint needs (not unique, not a primary key, in the
#: default tablespace, which ``pg_get_indexdef`` leaves unnamed), with their definitions
_SECONDARY = text(
    "SELECT index.relname, pg_get_indexdef(pg_index.indexrelid) FROM pg_index"
    " JOIN pg_class AS index ON index.oid = pg_index.indexrelid"
    " WHERE pg_index.indrelid = CAST(:table AS regclass) AND NOT pg_index.indisunique"
    " AND NOT pg_index.indisprimary AND NOT pg_index.indisexclusion AND pg_index.indisvalid"
    " AND index.reltablespace = 0"
    " AND NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conindid = pg_index.indexrelid)"
)


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


@contextmanager
def indexes_built_after(session: Session, table: str) -> Iterator[bool]:
    """Build ``table``'s secondary indexes once after the block's inserts, if it holds
    fewer than :data:`NEARLY_EMPTY` rows: yields whether it does (``False``: nothing was
    changed; the caller writes as usual, in transactions of its own).

    Inserting row by row into each index costs a first load of 100k resources more
    server time than the rows themselves (nine indexes: five six-column list orders and
    two trigram GINs); one ``CREATE INDEX`` each after the load sorts once and leaves
    compact indexes (bench/README.md). The price is ``table``'s ACCESS EXCLUSIVE lock
    until the caller's transaction ends: readers and writers of the table wait for the
    load. So only a (nearly) empty table qualifies — a later load would rebuild
    everyone's rows and hold everyone up — and the lock is asked for with ``NOWAIT``
    (another transaction in the table means ``False`` at once, not a queue behind the
    load). Unique indexes and primary keys stay, so the load can neither duplicate a
    row nor skip a check. The others are dropped and re-created from their own
    definitions (``pg_get_indexdef``) inside a savepoint of the caller's transaction:
    no other transaction ever sees them missing, and an error in the block takes back
    the drop and the block's rows together. PostgreSQL only.
    """
    if session.get_bind().dialect.name != "postgresql":
        yield False
        return
    few = text(f'SELECT count(*) FROM (SELECT 1 FROM "{table}" LIMIT :n) AS head')
    definitions = dict(session.execute(_SECONDARY, {"table": table}).tuples().all())
    if not definitions or session.execute(few, {"n": NEARLY_EMPTY}).scalar_one() >= NEARLY_EMPTY:
        yield False
        return
    try:
        with session.begin_nested():
            session.execute(text(f'LOCK TABLE "{table}" IN ACCESS EXCLUSIVE MODE NOWAIT'))
    except OperationalError as exc:
        if getattr(exc.orig, "sqlstate", None) != _LOCK_NOT_AVAILABLE:
            raise
        yield False  # another transaction is reading or writing it
        return
    # counted again under the lock: another writer may have filled it meanwhile
    if session.execute(few, {"n": NEARLY_EMPTY}).scalar_one() >= NEARLY_EMPTY:
        yield False
        return
    with session.begin_nested():
        for name in sorted(definitions):
            session.execute(text(f'DROP INDEX "{name}"'))
        yield True
        for name in sorted(definitions):
            session.execute(text(definitions[name]))
