"""Engines and sessions: SQLite by default, PostgreSQL when configured.

Connection set-up that the engines need for govcloud's invariants lives here (SQLite
foreign keys and WAL, so concurrent readers don't block the writer), and the sessions of
a run of bulk-writing transactions (``bulk_sessions``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

__all__ = ["BULK_CACHE_KIB", "bulk_sessions", "make_engine", "session_factory", "transaction"]

#: SQLite page cache (KiB) of a connection that bulk-writes. A batch of inserts touches
#: pages all over the table's indexes; with SQLite's default 2 MiB they are evicted and
#: read back (and spilled to the WAL mid-transaction) again and again. An upper bound,
#: filled only by pages actually read, and held only while the writer runs.
BULK_CACHE_KIB = 64 * 1024


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """An engine for ``url`` with govcloud's per-dialect connection settings."""
    if url.startswith("sqlite"):
        engine = create_engine(url, echo=echo, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, echo=echo, pool_pre_ping=True)


def session_factory(engine: Engine, *, info: dict[str, Any] | None = None) -> sessionmaker[Session]:
    """Sessions that keep loaded objects usable after commit (services return them);
    ``info`` is copied into each session's ``Session.info``."""
    return sessionmaker(engine, class_=Session, expire_on_commit=False, info=info)


@contextmanager
def bulk_sessions(factory: sessionmaker[Session]) -> Iterator[sessionmaker[Session]]:
    """Sessions for a run of bulk-writing transactions (each still its own unit of work).

    On SQLite they all use one connection, held for the block, its page cache raised to
    ``BULK_CACHE_KIB`` so the index pages one transaction read are still there for the
    next (a pooled connection per transaction could start cold), and set back after.
    Elsewhere the server keeps its own cache: ``factory`` itself.
    """
    engine = factory.kw.get("bind")
    if not isinstance(engine, Engine) or engine.dialect.name != "sqlite":
        yield factory
        return
    with engine.connect() as connection:
        before = int(connection.exec_driver_sql("PRAGMA cache_size").scalar_one())
        connection.exec_driver_sql(f"PRAGMA cache_size = -{BULK_CACHE_KIB}")
        connection.commit()
        kw = {name: value for name, value in factory.kw.items() if name != "bind"}
        try:
            # a session bound to a connection outside a transaction begins and commits
            # its own on it, as one bound to the engine would
            yield sessionmaker(connection, class_=factory.class_, **kw)
        finally:
            connection.rollback()
            # the pooled connection goes back with the cache it had
            connection.exec_driver_sql(f"PRAGMA cache_size = {before}")
            connection.commit()


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back everything on any error."""
    with factory() as session, session.begin():
        yield session
