"""A bulk first load into a (nearly) empty table with its secondary indexes built once
after the rows instead of row by row (``defer_indexes``), on PostgreSQL and SQLite.

The one way the control plane does this: the inventory sync's first load of a provider
into ``resource`` and a first audit into ``policy_result`` both go through here.
Imports only SQLAlchemy and ``controlplane.db.statistics``.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any

from sqlalchemy import Connection, Engine, event, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import SessionTransaction
from sqlmodel import Session

from controlplane.db.statistics import analyze

__all__ = ["NEARLY_EMPTY", "DeferredIndexes", "defer_indexes"]

#: only a table holding fewer rows than this has its indexes deferred
NEARLY_EMPTY = 1000
_LOCK_NOT_AVAILABLE = "55P03"
#: a table's indexes that no constraint needs (not unique, not a primary key or an
#: exclusion constraint, in the default tablespace, which ``pg_get_indexdef`` leaves
#: unnamed), with their definitions
_PG_SECONDARY = text(
    "SELECT index.relname, pg_get_indexdef(pg_index.indexrelid) FROM pg_index"
    " JOIN pg_class AS index ON index.oid = pg_index.indexrelid"
    " WHERE pg_index.indrelid = CAST(:table AS regclass) AND NOT pg_index.indisunique"
    " AND NOT pg_index.indisprimary AND NOT pg_index.indisexclusion AND pg_index.indisvalid"
    " AND index.reltablespace = 0"
    " AND NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conindid = pg_index.indexrelid)"
)
_PG_FOREIGN = text(
    "SELECT conname, pg_get_constraintdef(oid), CAST(CAST(confrelid AS regclass) AS text)"
    " FROM pg_constraint WHERE conrelid = CAST(:table AS regclass) AND contype = 'f'"
)
#: SQLite's own indexes (primary key, unique constraints) have no ``sql``; a
#: ``CREATE UNIQUE INDEX`` has, and stays too
_SQLITE_SECONDARY = text(
    "SELECT master.name, master.sql FROM sqlite_master AS master"
    " JOIN pragma_index_list(:table) AS listed ON listed.name = master.name"
    " WHERE master.type = 'index' AND master.sql IS NOT NULL AND NOT listed.\"unique\""
)


class DeferredIndexes:
    """What :func:`defer_indexes` dropped from a table, and how to put it back.

    ``active`` says whether anything was dropped (``False``: the table was left as it
    was, and the load maintains its indexes row by row as usual). :meth:`build` creates
    the indexes (and foreign keys) again; as a context manager, the block's normal end
    builds them and an error in it rolls back to before the drop — the block's rows go
    with it, the indexes come back.
    """

    def __init__(
        self,
        session: Session,
        table: str,
        statements: tuple[str, ...] = (),
        savepoint: SessionTransaction | None = None,
    ) -> None:
        self._session = session
        self.table = table
        #: the definitions to run again, in order: indexes, then foreign keys
        self.statements = statements
        self._savepoint = savepoint
        #: whether the indexes were dropped for this load
        self.active = savepoint is not None

    def build(self) -> None:
        """Create what was dropped, from its own stored definitions, in the load's
        transaction; on PostgreSQL, the table is analyzed once that transaction commits
        (analyzed inside it, the server would count the load's rows as changed since,
        and the next bulk write would analyze them again)."""
        savepoint, self._savepoint = self._savepoint, None
        if savepoint is None:
            return
        connection = self._session.connection()
        for statement in self.statements:
            connection.exec_driver_sql(statement)
        savepoint.commit()
        if connection.dialect.name == "postgresql":
            _analyze_after_commit(self._session, self.table)

    def __enter__(self) -> DeferredIndexes:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if error is None:
            self.build()
        elif self._savepoint is not None:
            savepoint, self._savepoint = self._savepoint, None
            if savepoint.is_active:
                savepoint.rollback()


def defer_indexes(session: Session, table: str, *, foreign_keys: bool = False) -> DeferredIndexes:
    """Drop ``table``'s secondary indexes — and with ``foreign_keys``, on PostgreSQL, its
    foreign keys, which check every inserted row one by one — for a bulk load into it, if
    it holds fewer than :data:`NEARLY_EMPTY` rows; build them again with the answer's
    ``build()`` (or as a context manager) after the load, in the same transaction.

    Each index is then sorted once instead of updated row by row, and leaves compact
    (bench/README.md: a first load of 100k resources spends more server time in its
    nine indexes than in the rows); the foreign keys are checked by one join
    (PostgreSQL's "Populating a Database"). The guarantees:

    - only a (nearly) empty table qualifies — a later load would rebuild everyone's
      rows — and the count is taken again once the table is locked (another writer
      may have filled it meanwhile);
    - readers never queue behind the load's lock: on PostgreSQL the table (and each
      table a dropped foreign key references, which its drop locks too) is locked
      ``ACCESS EXCLUSIVE NOWAIT``; if another transaction is using one, nothing is
      dropped (``active`` is ``False``) and the load maintains the indexes as usual.
      Once locked, readers of the table wait for the load's commit rather than see
      part of it. On SQLite (WAL) readers never wait for a writer;
    - unique indexes, the primary key and exclusion constraints are never dropped: the
      load can neither duplicate a row nor skip a check;
    - definitions come back exactly as stored (``pg_get_indexdef`` /
      ``pg_get_constraintdef``, SQLite's own statement): operator classes, storage
      parameters such as ``gin_pending_list_limit``, partial and expression indexes,
      a foreign key's actions;
    - the drop is in a savepoint of the caller's transaction: no other transaction ever
      sees the indexes missing, and an error or crash before the commit takes back the
      drop together with the rows (on SQLite, whose driver would run the DDL outside any
      transaction, a ``BEGIN`` is issued first);
    - after the commit the table is analyzed (PostgreSQL).
    """
    connection = session.connection()
    postgresql = connection.dialect.name == "postgresql"
    if not postgresql:
        driver = connection.connection.driver_connection
        assert driver is not None
        if not driver.in_transaction:
            # pysqlite begins a transaction only before a data change: DDL first would
            # run (and commit) on its own
            connection.exec_driver_sql("BEGIN")
    skipped = DeferredIndexes(session, table)
    params = {"table": table}
    indexes = dict(
        session.execute(_PG_SECONDARY if postgresql else _SQLITE_SECONDARY, params).tuples().all()
    )
    foreign: dict[str, tuple[str, str]] = {}
    if foreign_keys and postgresql:
        foreign = {name: (ddl, to) for name, ddl, to in session.execute(_PG_FOREIGN, params)}
    if not (indexes or foreign) or not _nearly_empty(session, table):
        return skipped
    savepoint = session.begin_nested()
    connection = session.connection()  # emits the SAVEPOINT (begin_nested() defers it)
    try:
        if postgresql:
            for locked in [table, *sorted({to for _, to in foreign.values()} - {table})]:
                connection.exec_driver_sql(
                    f"LOCK TABLE {_quoted(locked)} IN ACCESS EXCLUSIVE MODE NOWAIT"
                )
    except OperationalError as exc:
        savepoint.rollback()
        if getattr(exc.orig, "sqlstate", None) != _LOCK_NOT_AVAILABLE:
            raise
        return skipped  # another transaction is reading or writing it
    for name in sorted(foreign):
        connection.exec_driver_sql(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
    for name in sorted(indexes):
        connection.exec_driver_sql(f'DROP INDEX "{name}"')
    # counted again under the lock (on SQLite: the drop's write lock)
    if not _nearly_empty(session, table):
        savepoint.rollback()
        return skipped
    statements = tuple(indexes[name] for name in sorted(indexes)) + tuple(
        f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {foreign[name][0]}'
        for name in sorted(foreign)
    )
    return DeferredIndexes(session, table, statements, savepoint)


def _quoted(name: str) -> str:
    """A ``regclass`` text (already quoted where needed, maybe schema-qualified) or a
    bare table name."""
    return name if name.startswith('"') or "." in name else f'"{name}"'


def _nearly_empty(session: Session, table: str) -> bool:
    head = text(f'SELECT count(*) FROM (SELECT 1 FROM "{table}" LIMIT :n) AS head')
    return bool(session.execute(head, {"n": NEARLY_EMPTY}).scalar_one() < NEARLY_EMPTY)


def _analyze_after_commit(session: Session, table: str) -> None:
    """``ANALYZE`` ``table`` in a transaction of its own once ``session``'s transaction
    commits (nothing if it rolls back)."""
    pending: set[str] | None = session.info.get(_PENDING)
    if pending is None:
        pending = session.info[_PENDING] = set()
        event.listen(session, "after_commit", _analyze_pending)
        event.listen(session, "after_transaction_end", _forget_pending)
    pending.add(table)


_PENDING = "govcloud.analyze_after_commit"


def _analyze_pending(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint released, not the transaction
    pending: set[str] = session.info.get(_PENDING, set())
    tables = sorted(pending)
    pending.clear()
    if not tables:
        return
    bind: Any = session.get_bind()
    engine: Engine = bind.engine if isinstance(bind, Connection) else bind
    with Session(engine) as fresh, fresh.begin():
        for table in tables:
            analyze(fresh, table)


def _forget_pending(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # rolled back (a commit analyzed them already)
        session.info.get(_PENDING, set()).clear()
