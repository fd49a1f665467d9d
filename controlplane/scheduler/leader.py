"""Who schedules: one leader among the ``govcloud serve`` replicas of a database.

On PostgreSQL the leader is whoever holds the advisory lock
:data:`controlplane.db.locks.SERVE_LEADER` on a dedicated connection (the idea of
kube-controller-manager's lease): the lock lives as long as that connection, so a
leader that dies — even by ``kill -9`` — loses it the moment the server sees the socket
close, and another replica's next try wins. On the embedded SQLite home only one
``serve`` may run at all: :class:`SingleServe` holds an exclusive file lock beside the
database and a second ``serve`` is refused with :class:`AnotherServeRunning`.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path
from typing import IO, Protocol

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError

from controlplane.db import locks
from controlplane.errors import GovcloudError

__all__ = ["AdvisoryLeader", "AnotherServeRunning", "Election", "SingleServe", "election_for"]


class AnotherServeRunning(GovcloudError):
    """The embedded SQLite home already has a ``govcloud serve``."""

    code = "serve_already_running"
    http_status = 409


class Election(Protocol):
    def try_lead(self) -> bool:
        """Whether this replica leads now (taking the lead when it is free)."""
        ...

    def release(self) -> None: ...


class AdvisoryLeader:
    """Leadership = holding a PostgreSQL session advisory lock on our own connection."""

    def __init__(self, engine: Engine, key: int = locks.SERVE_LEADER) -> None:
        self._engine = engine
        self._key = key
        self._connection: Connection | None = None
        self.leading = False

    def try_lead(self) -> bool:
        try:
            if self._connection is None:
                raw = self._engine.connect()
                self._connection = raw.execution_options(isolation_level="AUTOCOMMIT")
            if self.leading:
                self._connection.execute(text("SELECT 1"))  # still ours while it answers
                return True
            found = self._connection.execute(
                text("SELECT pg_try_advisory_lock(:k)"), {"k": self._key}
            ).scalar()
            self.leading = bool(found)
        except DBAPIError:
            self._drop()
        return self.leading

    def _drop(self) -> None:
        self.leading = False
        if self._connection is not None:
            with contextlib.suppress(DBAPIError):
                self._connection.invalidate()
                self._connection.close()
            self._connection = None

    def release(self) -> None:
        if self._connection is not None and self.leading:
            with contextlib.suppress(DBAPIError):
                self._connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": self._key})
        self.leading = False
        if self._connection is not None:
            self._connection.close()
            self._connection = None


class SingleServe:
    """The one ``serve`` of an SQLite database: an exclusive lock on ``<db>.serve.lock``."""

    def __init__(self, database: Path) -> None:
        self.path = database.with_name(database.name + ".serve.lock")
        self._file: IO[str] | None = None

    def acquire(self) -> None:
        handle = self.path.open("a+", encoding="utf-8")
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.seek(0)
            holder = handle.read().strip() or "?"
            handle.close()
            raise AnotherServeRunning(
                f"另一个 govcloud serve（{holder}）已在使用嵌入式 SQLite 数据库 {self.path.parent}；"
                "SQLite 只能运行一个 serve——多副本请使用 PostgreSQL（GOVCLOUD_DATABASE_URL）",
                f"another govcloud serve ({holder}) already runs on the embedded SQLite "
                f"database in {self.path.parent}; SQLite runs one serve only — use PostgreSQL "
                "(GOVCLOUD_DATABASE_URL) for replicas",
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}\n")
        handle.flush()
        self._file = handle

    def try_lead(self) -> bool:
        """The one serve always leads; taking the lock here when ``acquire`` was not called."""
        if self._file is None:
            try:
                self.acquire()
            except AnotherServeRunning:
                return False
        return True

    def release(self) -> None:
        if self._file is not None:
            fcntl.flock(self._file.fileno(), fcntl.LOCK_UN)
            self._file.close()
            self._file = None


def election_for(engine: Engine) -> AdvisoryLeader | SingleServe:
    """The election for this database: an advisory lock, or the single-serve file lock."""
    if engine.dialect.name == "postgresql":
        return AdvisoryLeader(engine)
    database = engine.url.database
    if not database or database == ":memory:":
        raise ValueError("govcloud serve needs a database file or PostgreSQL")
    return SingleServe(Path(database))
