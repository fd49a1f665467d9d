"""``bulk_sessions``: the sessions of a run of bulk-writing transactions, on both engines.

Cases:
- each transaction still commits or rolls back on its own (a failed one undoes only
  itself; the ones before it stay);
- SQLite: every session of the block uses one connection whose page cache is
  ``BULK_CACHE_KIB`` for the block, and that pooled connection goes back with the cache
  it had;
- PostgreSQL: the sessions are the factory's own (the server keeps its cache).
"""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from controlplane.app import App
from controlplane.db.engine import BULK_CACHE_KIB, bulk_sessions, transaction


class _Refused(Exception):
    """The failure that rolls the second transaction back."""


def _insert_then_fail(sessions: sessionmaker[Session], n: int) -> None:
    with transaction(sessions) as session:
        session.execute(text("INSERT INTO bulk_probe (n) VALUES (:n)"), {"n": n})
        raise _Refused


def test_each_transaction_commits_on_its_own(app: App) -> None:
    with app.engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE bulk_probe (n INTEGER NOT NULL)")
    with bulk_sessions(app.sessions) as sessions:
        with transaction(sessions) as session:
            session.execute(text("INSERT INTO bulk_probe (n) VALUES (1)"))
        with pytest.raises(_Refused):
            _insert_then_fail(sessions, 2)
        with transaction(sessions) as session:
            session.execute(text("INSERT INTO bulk_probe (n) VALUES (3)"))
    with app.engine.connect() as connection:
        stored = connection.exec_driver_sql("SELECT n FROM bulk_probe ORDER BY n").scalars()
        assert list(stored) == [1, 3]


def test_sqlite_sessions_share_one_connection_with_a_larger_cache(app: App) -> None:
    if app.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's page cache is the connection's own")
    pragma = "PRAGMA cache_size"
    with app.engine.connect() as connection:
        before = connection.exec_driver_sql(pragma).scalar_one()
    assert before != -BULK_CACHE_KIB
    with bulk_sessions(app.sessions) as sessions:
        drivers = set()
        for _ in range(3):
            with transaction(sessions) as session:
                assert session.execute(text(pragma)).scalar_one() == -BULK_CACHE_KIB
                drivers.add(id(session.connection().connection.driver_connection))
        assert len(drivers) == 1
    # the pool hands back the connection the block held (the only one it has idle)
    with app.engine.connect() as connection:
        assert id(connection.connection.driver_connection) in drivers
        assert connection.exec_driver_sql(pragma).scalar_one() == before


def test_postgresql_sessions_are_the_factorys(app: App) -> None:
    if app.engine.dialect.name != "postgresql":
        pytest.skip("SQLite holds one connection (the test above)")
    with bulk_sessions(app.sessions) as sessions:
        assert sessions is app.sessions
