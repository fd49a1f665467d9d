"""Bulk writes and reads through the engine's own fast path, inside the session's
transaction: inserts by ``COPY`` on PostgreSQL and ``executemany`` on SQLite
(``BulkInsert``); many rows read straight off the driver's cursor (``driver_rows``). A
first load into a (nearly) empty table builds its indexes after the rows with
``controlplane.db.deferred_indexes``.

A streaming ``BulkInsert`` (PostgreSQL) keeps its ``COPY`` open between writes, so the
server takes in the rows while the caller goes on producing the next ones (each write
otherwise waits for the server to finish the last). The open ``COPY`` holds the
connection: it ends — and an error in its rows surfaces — at :meth:`BulkInsert.end`, or
before anything else uses the connection: any statement SQLAlchemy runs on it, a
commit or rollback (a rollback discards the rows), :func:`driver_rows`, another
``BulkInsert``'s write, the pool's reset.

Values go through each column type's bind processing once per distinct value of a
write (so a timestamp is stored exactly as an ORM insert stores it), except columns
named *raw*: their values are already what the driver takes (a JSON column given its
serialized text). Converted columns' values must be hashable.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Sequence
from itertools import count
from typing import Any

from sqlalchemy import Connection, Engine, Select, Table, event
from sqlmodel import Session

__all__ = ["BulkInsert", "CopyText", "driver_rows", "end_copy"]

#: where a connection (its pool record's ``info``) keeps its open ``COPY``
_OPEN = "govcloud.open_copy"


class _OpenCopy:
    """A ``COPY ... FROM STDIN`` left open on one driver connection between writes."""

    def __init__(self, driver: Any, statement: str) -> None:
        self.statement = statement
        self._cursor = driver.cursor()
        self._context = self._cursor.copy(statement)
        self.copy = self._context.__enter__()

    def end(self, error: BaseException | None) -> None:
        """Send the end of the data (the server checks the rows), or, given ``error``,
        abandon it (the server discards them)."""
        try:
            if error is None:
                self._context.__exit__(None, None, None)
            else:
                self._context.__exit__(type(error), error, error.__traceback__)
        finally:
            self._cursor.close()


#: the characters ``COPY``'s text format escapes in a field
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


class CopyText:
    """Values as fields of PostgreSQL's ``COPY`` text format, as the driver itself writes
    them in a ``COPY`` (each value by its own type's text dumper, then escaped; ``None``
    as ``\\N``), for rows made up ahead of :meth:`BulkInsert.write_text`."""

    def __init__(self, session: Session) -> None:
        connection = session.connection()
        if connection.dialect.name != "postgresql":
            raise TypeError("COPY text is PostgreSQL's")
        self._driver: Any = connection.connection.driver_connection

    def field(self, value: Any) -> str:
        """One value as one field."""
        if value is None:
            return "\\N"
        if type(value) is str:
            return value.translate(_COPY_ESCAPES)
        from psycopg.adapt import PyFormat

        kind = type(value)
        dumper = self._driver.adapters.get_dumper(kind, PyFormat.TEXT)(kind, self._driver)
        dumped = dumper.upgrade(value, PyFormat.TEXT).dump(value)
        return bytes(dumped).decode().translate(_COPY_ESCAPES) if dumped is not None else "\\N"

    def fields(self, values: Sequence[Any]) -> str:
        """Values as consecutive fields (tab-separated, no end of line)."""
        return "\t".join([self.field(value) for value in values])


class _Abandoned(Exception):
    """Why an open ``COPY`` is abandoned: its transaction is rolled back."""


def _end(info: dict[Any, Any], error: BaseException | None = None) -> None:
    stream: _OpenCopy | None = info.pop(_OPEN, None)
    if stream is not None:
        stream.end(error)


def end_copy(session: Session) -> None:
    """End the ``COPY`` a streaming ``BulkInsert`` left open on ``session``'s connection,
    if any (raises what the server found wrong in its rows)."""
    _end(session.connection().info)


def _before_statement(connection: Connection, *_: Any) -> None:
    _end(connection.info)


def _before_rollback(connection: Connection) -> None:
    _end(connection.info, _Abandoned("rolled back"))


def _on_reset(dbapi_connection: Any, connection_record: Any, reset_state: Any) -> None:
    _end(connection_record.info, _Abandoned("connection reset"))


def _watch(engine: Engine) -> None:
    """Have ``engine`` end a connection's open ``COPY`` before the connection is used."""
    if event.contains(engine, "before_cursor_execute", _before_statement):
        return
    event.listen(engine, "before_cursor_execute", _before_statement)
    event.listen(engine, "commit", _before_statement)
    event.listen(engine, "rollback", _before_rollback)
    event.listen(engine.pool, "reset", _on_reset)


class BulkInsert:
    """Rows of ``columns`` (tuples, in that order) into ``table`` in one driver call."""

    def __init__(
        self,
        session: Session,
        table: Table,
        columns: Sequence[str],
        *,
        raw: Collection[str] = (),
        stream: bool = False,
    ) -> None:
        self._session = session
        dialect = session.connection().dialect
        self.postgresql = dialect.name == "postgresql"
        #: PostgreSQL: the ``COPY`` stays open between writes (see the module)
        self.stream = stream and self.postgresql
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
        connection = self._session.connection()
        driver = connection.connection.driver_connection
        assert driver is not None
        if self.stream:
            write_row = self._open_copy().copy.write_row
            for row in rows:
                write_row(row)
            return len(rows)
        _end(connection.info)
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

    def write_text(self, text: str, rows: int) -> int:
        """Insert ``rows`` rows given as ``COPY`` text (each line's fields in ``columns``
        order, made by :class:`CopyText`, each line ending in a newline); PostgreSQL
        only. Returns ``rows``."""
        if not self.postgresql:
            raise TypeError("COPY text is PostgreSQL's")
        if not text:
            return 0
        if self.stream:
            self._open_copy().copy.write(text)
            return rows
        connection = self._session.connection()
        _end(connection.info)
        driver = connection.connection.driver_connection
        assert driver is not None
        with driver.cursor() as cursor, cursor.copy(self._statement) as copy:
            copy.write(text)
        return rows

    def _open_copy(self) -> _OpenCopy:
        """This writer's ``COPY``, opened (and left open) on the session's connection."""
        connection = self._session.connection()
        info = connection.info
        open_copy: _OpenCopy | None = info.get(_OPEN)
        if open_copy is None or open_copy.statement != self._statement:
            _end(info)
            _watch(connection.engine)
            driver = connection.connection.driver_connection
            open_copy = info[_OPEN] = _OpenCopy(driver, self._statement)
        return open_copy

    def end(self) -> None:
        """End this session's open ``COPY`` (a streaming write's), if any."""
        if self.stream:
            end_copy(self._session)


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
    info = connection.info
    _end(info)
    cursor = driver.cursor(f"govcloud_rows_{next(_CURSORS)}") if postgresql else driver.cursor()
    try:
        cursor.execute(str(compiled), arguments)
        while True:
            _end(info)  # the caller may have streamed rows since the last fetch
            rows = cursor.fetchmany(size)
            if not rows:
                break
            yield from rows
    finally:
        _end(info)  # closing a server-side cursor is a statement too
        cursor.close()
