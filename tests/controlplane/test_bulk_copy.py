"""``controlplane.db.bulk``: a streaming ``BulkInsert`` (one ``COPY`` left open between
writes, PostgreSQL) and rows given as ``COPY`` text (``CopyText``). (Their caller:
``controlplane.compliance.store.ResultWriter``, tests/compliance/test_audit_store.py.)

Cases:
- rows written as ``COPY`` text are stored exactly as the same rows written as values
  (text with tabs, newlines, carriage returns, backslashes, a literal ``\\N``, empty
  text, Chinese, ``None``, booleans, big integers, a time with a non-UTC offset);
- a streamed ``COPY`` ends before anything else uses the connection: a statement sees
  its rows, a ``driver_rows`` read interleaved with streamed writes reads all its rows
  and every streamed row is stored, another table's write, the commit;
- a row the server refuses fails the load when the ``COPY`` ends (at ``end()``, or at
  the statement that ends it) and nothing of the transaction is stored;
- an error while the ``COPY`` is open rolls back the transaction: the streamed rows are
  discarded and the connection serves the next transaction;
- a connection handed back to the pool with its ``COPY`` open and no rollback through
  SQLAlchemy (the pool's own reset) has the ``COPY`` abandoned first — the driver's
  rollback would otherwise wait on it for ever — and serves the next user;
- SQLite: ``stream`` writes at once (``executemany``); ``COPY`` text is refused.
"""

from __future__ import annotations

import sqlite3
import threading
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import psycopg
import pytest
from sqlalchemy import Column, Integer, MetaData, Table, select, text
from sqlmodel import Session

from controlplane.app import App
from controlplane.db.bulk import BulkInsert, CopyText, driver_rows, end_copy
from controlplane.db.engine import transaction

_COLUMNS = ("name", "note", "flag", "big", "at")
_CREATE = (
    "CREATE TABLE {name} (id SERIAL PRIMARY KEY, name VARCHAR(40) NOT NULL UNIQUE,"
    " note TEXT, flag BOOLEAN, big BIGINT, at TIMESTAMP WITH TIME ZONE)"
)
_ROWS: list[tuple[Any, ...]] = [
    ("tab\there", "line\nbreak\r\nend", True, 2**40, datetime(2026, 6, 1, tzinfo=UTC)),
    ("back\\slash", "\\N", False, -7, datetime(2026, 6, 1, 8, tzinfo=timezone(timedelta(hours=8)))),
    ("空", "", None, None, None),
    ("中文名称", "整改 / remediate\t(2)", True, 0, datetime(2025, 12, 31, 23, 59, 59, 1, UTC)),
]


def _postgresql(app: App) -> bool:
    return app.engine.dialect.name == "postgresql"


def _table(name: str) -> Table:
    return Table(name, MetaData(), Column("id", Integer, primary_key=True),
                 *(Column(c) for c in _COLUMNS))  # fmt: skip


@pytest.fixture
def tables(app: App) -> None:
    with app.engine.begin() as connection:
        for name in ("copy_a", "copy_b", "copy_c"):
            statement = _CREATE.format(name=name)
            if not _postgresql(app):
                statement = statement.replace("SERIAL", "INTEGER")
            connection.exec_driver_sql(statement)


def _stored(app: App, table: str) -> list[tuple[Any, ...]]:
    with app.engine.connect() as connection:
        query = f"SELECT {', '.join(_COLUMNS)} FROM {table} ORDER BY id"
        return [tuple(row) for row in connection.exec_driver_sql(query)]


def _lines(copy: CopyText, rows: list[tuple[Any, ...]]) -> str:
    return "".join(f"{copy.fields(row)}\n" for row in rows)


@pytest.mark.usefixtures("tables")
def test_copy_text_stores_what_values_store(app: App) -> None:
    if not _postgresql(app):
        pytest.skip("COPY is PostgreSQL's")
    with transaction(app.sessions) as session:
        BulkInsert(session, _table("copy_a"), _COLUMNS).write(_ROWS)
        writer = BulkInsert(session, _table("copy_b"), _COLUMNS)
        assert writer.write_text(_lines(CopyText(session), _ROWS), len(_ROWS)) == len(_ROWS)
        streamed = BulkInsert(session, _table("copy_c"), _COLUMNS, stream=True)
        copy = CopyText(session)
        for row in _ROWS:  # one row a write, the COPY open throughout
            streamed.write_text(_lines(copy, [row]), 1)
        streamed.end()
    assert _stored(app, "copy_a") == _stored(app, "copy_b") == _stored(app, "copy_c")
    stored = _stored(app, "copy_a")
    assert [row[:3] for row in stored] == [row[:3] for row in _ROWS]
    assert stored[1][4] == _ROWS[1][4]  # the same instant, whatever the offset


@pytest.mark.usefixtures("tables")
def test_streamed_copy_ends_before_the_connection_is_used(app: App) -> None:
    source = _table("copy_a")
    with transaction(app.sessions) as session:
        BulkInsert(session, source, _COLUMNS).write(
            [(f"s{i}", None, None, i, None) for i in range(7)]
        )
    with transaction(app.sessions) as session:
        target = BulkInsert(session, _table("copy_b"), _COLUMNS, stream=True)
        other = BulkInsert(session, _table("copy_c"), _COLUMNS, stream=True)
        # rows streamed between the reads of a cursor two rows at a time
        query = select(source.c.name, source.c.big).order_by(source.c.id)
        read = []
        for name, big in driver_rows(session, query, size=2):
            read.append(name)
            target.write([(f"t-{name}", None, True, big, None)])
        assert read == [f"s{i}" for i in range(7)]
        # a statement sees what was streamed before it
        assert session.execute(text("SELECT count(*) FROM copy_b")).scalar_one() == 7
        target.write([("t-last", None, False, None, None)])
        other.write([("c-0", None, None, None, None)])  # another table's COPY ends this one
        target.write([("t-after", None, None, None, None)])
        # the commit ends the last one
    assert [row[0] for row in _stored(app, "copy_b")] == [
        *(f"t-s{i}" for i in range(7)),
        "t-last",
        "t-after",
    ]
    assert [row[0] for row in _stored(app, "copy_c")] == ["c-0"]


@pytest.mark.usefixtures("tables")
@pytest.mark.parametrize("ended_by", ["end", "statement"])
def test_a_refused_row_fails_the_load(app: App, ended_by: str) -> None:
    def load() -> None:
        with transaction(app.sessions) as session:
            session.execute(text("INSERT INTO copy_a (name) VALUES ('earlier')"))
            writer = BulkInsert(session, _table("copy_b"), _COLUMNS, stream=True)
            writer.write([("same", None, None, None, None)])
            writer.write([("same", None, None, None, None)])  # the unique name again
            if ended_by == "end":
                writer.end()
            else:
                session.execute(text("SELECT 1"))

    # the driver's own error, as an unstreamed write raises it
    with pytest.raises((psycopg.IntegrityError, sqlite3.IntegrityError)) as failed:
        load()
    assert "name" in str(failed.value)
    assert _stored(app, "copy_a") == _stored(app, "copy_b") == []


class _Failed(Exception):
    """An error of the caller's own while the COPY is open."""


@pytest.mark.usefixtures("tables")
def test_an_error_while_streaming_discards_the_rows(app: App) -> None:
    with pytest.raises(_Failed), transaction(app.sessions) as session:  # noqa: PT012 (the block is the case)
        writer = BulkInsert(session, _table("copy_b"), _COLUMNS, stream=True)
        writer.write([("gone", None, None, None, None)])
        raise _Failed
    assert _stored(app, "copy_b") == []
    with transaction(app.sessions) as session:  # the connection is usable again
        writer = BulkInsert(session, _table("copy_b"), _COLUMNS, stream=True)
        writer.write([("kept", None, None, None, None)])
        end_copy(session)
        assert session.execute(text("SELECT name FROM copy_b")).scalar_one() == "kept"
    assert [row[0] for row in _stored(app, "copy_b")] == ["kept"]


@pytest.mark.usefixtures("tables")
def test_a_connection_reset_by_the_pool_abandons_its_copy(app: App) -> None:
    if not _postgresql(app):
        pytest.skip("COPY is PostgreSQL's")
    session = Session(app.engine)
    pooled = session.connection().connection
    driver = pooled.driver_connection
    assert driver is not None
    writer = BulkInsert(session, _table("copy_b"), _COLUMNS, stream=True)
    writer.write([("gone", None, None, None, None)])
    # back to the pool directly: its reset rolls back, SQLAlchemy's rollback never runs;
    # in a thread, so a reset that waits on the open COPY fails the test, not hangs it
    returned = threading.Thread(target=pooled.close, daemon=True)
    returned.start()
    returned.join(timeout=30)
    assert not returned.is_alive(), "the pool's reset waited on the open COPY"
    assert driver.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
    with app.engine.connect() as again:  # the same connection, serving the next user
        assert again.connection.driver_connection is driver
        assert again.exec_driver_sql("SELECT count(*) FROM copy_b").scalar_one() == 0


@pytest.mark.usefixtures("tables")
def test_sqlite_writes_at_once_and_refuses_copy_text(app: App) -> None:
    if _postgresql(app):
        pytest.skip("SQLite's executemany")
    with transaction(app.sessions) as session:
        writer = BulkInsert(session, _table("copy_a"), _COLUMNS, stream=True)
        assert not writer.stream
        writer.write(_ROWS)
        assert session.execute(text("SELECT count(*) FROM copy_a")).scalar_one() == len(_ROWS)
        with pytest.raises(TypeError):
            writer.write_text("x\n", 1)
        with pytest.raises(TypeError):
            CopyText(session)
