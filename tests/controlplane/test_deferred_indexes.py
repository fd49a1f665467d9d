"""``defer_indexes``: a (nearly) empty table's secondary indexes (and, when asked,
PostgreSQL foreign keys) dropped for a bulk load and built again from their own
definitions, on both engines. (Its callers: tests/inventory/test_first_load.py,
tests/compliance/test_audit_store.py.)

Cases:
- after ``build()`` the table's indexes and constraints are exactly those it had (names,
  columns, partial conditions, expressions, PostgreSQL operator classes and storage
  parameters, the foreign key's ``ON DELETE``), and the rows loaded meanwhile are in
  the indexes (a query the index answers finds them);
- between the drop and the build the secondary indexes (and PostgreSQL foreign keys)
  are gone; the primary key and the unique index stay (a duplicate is refused mid-load);
- without ``foreign_keys`` the foreign keys stay;
- a transaction that drops them and then fails leaves the table as it was (also when
  the drop is the transaction's first statement: SQLite's driver would otherwise run
  it outside any transaction); as a context manager, an error in the block takes back
  the drop and the block's rows but not the transaction's earlier work;
- a foreign key rebuilt over rows that break it refuses the load (PostgreSQL checks the
  rows at ``build()``; SQLite never dropped it and refuses the row itself);
- a table holding ``NEARLY_EMPTY`` rows is left as it is (``active`` false);
- PostgreSQL: a table another transaction is reading — or, with ``foreign_keys``, a
  table its foreign key references — is left as it is at once (``NOWAIT``), the load
  then maintains the indexes; the table is analyzed after the commit, not after a
  rollback.
"""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from controlplane.app import App
from controlplane.db.deferred_indexes import NEARLY_EMPTY, defer_indexes
from controlplane.db.engine import transaction

from .dbdump import definitions

_PARENT = "CREATE TABLE defer_parent (id INTEGER PRIMARY KEY)"
_CHILD = (
    "CREATE TABLE defer_child (id {key} PRIMARY KEY, parent INTEGER NOT NULL"
    " REFERENCES defer_parent (id) ON DELETE CASCADE, name VARCHAR(20), gone INTEGER,"
    " code VARCHAR(20))"
)
_INDEXES = (
    "CREATE INDEX ix_defer_child_name ON defer_child (name, parent)",
    "CREATE INDEX ix_defer_child_live ON defer_child (parent) WHERE gone IS NULL",
    "CREATE INDEX ix_defer_child_lower ON defer_child (lower(name))",
    "CREATE UNIQUE INDEX ux_defer_child_code ON defer_child (code)",
)
_PG_INDEXES = (
    "CREATE INDEX ix_defer_child_pattern ON defer_child (name varchar_pattern_ops)"
    " WITH (fillfactor = 70)",
)


class _Refused(Exception):
    """The failure that rolls the load back."""


def _postgresql(app: App) -> bool:
    return app.engine.dialect.name == "postgresql"


def _schema(app: App) -> list[str]:
    return definitions(app.engine, "defer_child")


def _deferred_count(app: App, *, foreign_keys: bool = True) -> int:
    """How many definitions a deferral drops: the secondary indexes (not the unique one),
    and on PostgreSQL the foreign key when asked."""
    return 4 + foreign_keys if _postgresql(app) else 3


@pytest.fixture
def tables(app: App) -> list[str]:
    with app.engine.begin() as connection:
        key = "SERIAL" if _postgresql(app) else "INTEGER"
        extra = _PG_INDEXES if _postgresql(app) else ()
        for statement in (_PARENT, _CHILD.format(key=key), *_INDEXES, *extra):
            connection.exec_driver_sql(statement)
        connection.exec_driver_sql("INSERT INTO defer_parent (id) VALUES (1)")
    return _schema(app)


def _insert(session: Session, parent: int, rows: int = 50, start: int = 0) -> None:
    session.execute(
        text("INSERT INTO defer_child (parent, name, code) VALUES (:parent, :name, :code)"),
        [{"parent": parent, "name": f"n{i}", "code": f"c{i}"} for i in range(start, start + rows)],
    )


def _load(app: App, parent: int, fail: bool = False) -> None:
    with transaction(app.sessions) as session:
        deferred = defer_indexes(session, "defer_child", foreign_keys=True)
        assert deferred.active and len(deferred.statements) == _deferred_count(app)
        _insert(session, parent)
        deferred.build()
        if fail:
            raise _Refused


def _count(app: App, table: str = "defer_child") -> int:
    with app.engine.connect() as connection:
        return int(connection.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar_one())


def _schema_in(session: Session) -> list[str]:
    """The child table's indexes and foreign keys as the open transaction sees them."""
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        rows = connection.exec_driver_sql(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'defer_child'"
            " UNION ALL SELECT conname FROM pg_constraint"
            " WHERE conrelid = 'defer_child'::regclass AND contype = 'f'"
        )
    else:
        rows = connection.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'defer_child'"
            " AND sql IS NOT NULL"
        )
    return sorted(str(row) for (row,) in rows)


def test_build_restores_the_same_indexes_and_constraints(app: App, tables: list[str]) -> None:
    with transaction(app.sessions) as session:
        deferred = defer_indexes(session, "defer_child", foreign_keys=True)
        # the primary key and the unique index stay
        kept = ["defer_child_pkey"] if _postgresql(app) else []
        assert _schema_in(session) == [*kept, "ux_defer_child_code"]
        _insert(session, 1, rows=1)
        with pytest.raises(IntegrityError), session.begin_nested():
            _insert(session, 1, rows=1)  # the same code again: refused mid-load
        deferred.build()
    assert _schema(app) == tables
    with transaction(app.sessions) as session:
        session.execute(text("DELETE FROM defer_child"))
    _load(app, 1)
    assert _schema(app) == tables
    if _postgresql(app):
        assert any("varchar_pattern_ops" in s and "fillfactor='70'" in s for s in tables)
    with app.engine.connect() as connection:
        found = connection.exec_driver_sql(
            "SELECT count(*) FROM defer_child WHERE name = 'n7' AND parent = 1"
        ).scalar_one()
        lowered = connection.exec_driver_sql(
            "SELECT count(*) FROM defer_child WHERE lower(name) = 'n8'"
        ).scalar_one()
    assert (found, lowered) == (1, 1)


def test_foreign_keys_stay_unless_asked(app: App, tables: list[str]) -> None:
    with transaction(app.sessions) as session:
        deferred = defer_indexes(session, "defer_child")
        assert len(deferred.statements) == _deferred_count(app, foreign_keys=False)
        if _postgresql(app):
            assert "defer_child_parent_fkey" in _schema_in(session)
        with pytest.raises(IntegrityError), session.begin_nested():
            _insert(session, 2, rows=1)  # no parent 2: refused at once
        deferred.build()
    assert _schema(app) == tables


def test_a_failed_load_leaves_the_table_as_it_was(app: App, tables: list[str]) -> None:
    with pytest.raises(_Refused):
        _load(app, 1, fail=True)
    assert _schema(app) == tables
    assert _count(app) == 0


def test_an_error_in_the_block_takes_back_the_drop_and_its_rows(
    app: App, tables: list[str]
) -> None:
    with transaction(app.sessions) as session:
        session.execute(text("INSERT INTO defer_parent (id) VALUES (3)"))
        before = _schema_in(session)
        deferred = defer_indexes(session, "defer_child")
        assert deferred.active
        with pytest.raises(_Refused), deferred:  # noqa: PT012 (the block is the case)
            _insert(session, 3)
            raise _Refused
        assert _schema_in(session) == before
    assert _schema(app) == tables
    assert (_count(app), _count(app, "defer_parent")) == (0, 2)  # the earlier insert stays


def test_rows_that_break_the_foreign_key_are_refused(app: App, tables: list[str]) -> None:
    with pytest.raises(IntegrityError):
        _load(app, 2)  # no parent 2
    assert _schema(app) == tables
    assert _count(app) == 0


def test_a_table_holding_rows_is_left_as_it_is(app: App, tables: list[str]) -> None:
    with transaction(app.sessions) as session:
        _insert(session, 1, rows=NEARLY_EMPTY)
    with transaction(app.sessions) as session:
        before = _schema_in(session)
        deferred = defer_indexes(session, "defer_child", foreign_keys=True)
        assert not deferred.active and deferred.statements == ()
        assert _schema_in(session) == before
        _insert(session, 1, rows=5, start=NEARLY_EMPTY)
        deferred.build()  # nothing to build
    assert _schema(app) == tables
    assert _count(app) == NEARLY_EMPTY + 5


@pytest.mark.parametrize("busy", ["defer_child", "defer_parent"])
def test_a_table_in_use_is_left_as_it_is_at_once(app: App, tables: list[str], busy: str) -> None:
    if not _postgresql(app):
        pytest.skip("PostgreSQL's table locks: SQLite readers never wait for a writer")
    with app.engine.connect() as reader:
        reader.exec_driver_sql(f"SELECT count(*) FROM {busy}").scalar_one()  # holds its lock
        with transaction(app.sessions) as session:
            session.execute(text("SET LOCAL lock_timeout = '5s'"))  # a wait fails the test
            before = _schema_in(session)
            deferred = defer_indexes(session, "defer_child", foreign_keys=True)
            assert not deferred.active
            assert _schema_in(session) == before
            _insert(session, 1)
            deferred.build()
        reader.rollback()
    assert _schema(app) == tables
    assert _count(app) == 50


def test_analyzed_after_the_commit_only(app: App, tables: list[str]) -> None:
    if not _postgresql(app):
        pytest.skip("PostgreSQL's planner statistics")

    def analyzed() -> object:
        with app.engine.connect() as connection:
            return connection.exec_driver_sql(
                "SELECT last_analyze FROM pg_stat_user_tables WHERE relname = 'defer_child'"
            ).scalar_one()

    with pytest.raises(_Refused):
        _load(app, 1, fail=True)
    assert analyzed() is None
    _load(app, 1)
    assert analyzed() is not None
    with app.engine.connect() as connection:
        tuples = connection.exec_driver_sql(
            "SELECT reltuples FROM pg_class WHERE relname = 'defer_child'"
        ).scalar_one()
    assert tuples == 50
