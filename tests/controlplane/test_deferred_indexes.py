"""``defer_indexes``: a table's secondary indexes (and PostgreSQL foreign keys) dropped
for a bulk load and built again from their own definitions, on both engines.

Cases:
- after ``build()`` the table's indexes and constraints are exactly those it had (names,
  columns, partial conditions, the foreign key's ``ON DELETE``), and the rows loaded
  meanwhile are in the indexes (a query the index answers finds them);
- between the drop and the build the indexes (and PostgreSQL foreign keys) are gone;
- a transaction that drops them and then fails leaves the table as it was (also when
  the drop is the transaction's first statement: SQLite's driver would otherwise run
  it outside any transaction);
- a foreign key rebuilt over rows that break it refuses the load (PostgreSQL checks the
  rows at ``build()``; SQLite never dropped it and refuses the row itself).
"""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from controlplane.app import App
from controlplane.db.bulk import defer_indexes
from controlplane.db.engine import transaction

from .dbdump import definitions

_PARENT = "CREATE TABLE defer_parent (id INTEGER PRIMARY KEY)"
_CHILD = (
    "CREATE TABLE defer_child (id {key} PRIMARY KEY, parent INTEGER NOT NULL"
    " REFERENCES defer_parent (id) ON DELETE CASCADE, name VARCHAR(20), gone INTEGER)"
)
_INDEXES = (
    "CREATE INDEX ix_defer_child_name ON defer_child (name, parent)",
    "CREATE INDEX ix_defer_child_live ON defer_child (parent) WHERE gone IS NULL",
)


class _Refused(Exception):
    """The failure that rolls the load back."""


def _schema(app: App) -> list[str]:
    return definitions(app.engine, "defer_child")


@pytest.fixture
def tables(app: App) -> list[str]:
    with app.engine.begin() as connection:
        key = "SERIAL" if app.engine.dialect.name == "postgresql" else "INTEGER"
        for statement in (_PARENT, _CHILD.format(key=key), *_INDEXES):
            connection.exec_driver_sql(statement)
        connection.exec_driver_sql("INSERT INTO defer_parent (id) VALUES (1)")
    return _schema(app)


def _load(app: App, parent: int, fail: bool = False) -> None:
    with transaction(app.sessions) as session:
        deferred = defer_indexes(session, "defer_child")
        assert len(deferred.statements) == (3 if app.engine.dialect.name == "postgresql" else 2)
        session.execute(
            text("INSERT INTO defer_child (parent, name) VALUES (:parent, :name)"),
            [{"parent": parent, "name": f"n{i}"} for i in range(50)],
        )
        deferred.build()
        if fail:
            raise _Refused


def test_build_restores_the_same_indexes_and_constraints(app: App, tables: list[str]) -> None:
    with transaction(app.sessions) as session:
        deferred = defer_indexes(session, "defer_child")
        assert _schema_in(session) == []
        deferred.build()
    assert _schema(app) == tables
    _load(app, 1)
    assert _schema(app) == tables
    with app.engine.connect() as connection:
        found = connection.exec_driver_sql(
            "SELECT count(*) FROM defer_child WHERE name = 'n7' AND parent = 1"
        ).scalar_one()
    assert found == 1


def _schema_in(session: Session) -> list[str]:
    """The child table's secondary indexes and foreign keys as the open transaction
    sees them."""
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        rows = connection.exec_driver_sql(
            "SELECT indexdef FROM pg_indexes WHERE tablename = 'defer_child'"
            " AND indexname <> 'defer_child_pkey' UNION ALL SELECT conname FROM pg_constraint"
            " WHERE conrelid = 'defer_child'::regclass AND contype = 'f'"
        )
    else:
        rows = connection.exec_driver_sql(
            "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'defer_child'"
            " AND sql IS NOT NULL"
        )
    return [str(row) for (row,) in rows]


def test_a_failed_load_leaves_the_table_as_it_was(app: App, tables: list[str]) -> None:
    with pytest.raises(_Refused):
        _load(app, 1, fail=True)
    assert _schema(app) == tables
    with app.engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT count(*) FROM defer_child").scalar_one() == 0


def test_rows_that_break_the_foreign_key_are_refused(app: App, tables: list[str]) -> None:
    with pytest.raises(IntegrityError):
        _load(app, 2)  # no parent 2
    assert _schema(app) == tables
    with app.engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT count(*) FROM defer_child").scalar_one() == 0
