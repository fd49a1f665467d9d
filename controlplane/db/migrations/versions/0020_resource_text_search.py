"""resource text search: trigram indexes for substring filters on name and resource id

A filter term such as ``res-00042`` is a case-insensitive substring of the resource's
name or provider id (``ILIKE '%res-00042%'``), which no b-tree serves: a rare one read
every row of the table. Trigram indexes serve it on both engines:

* PostgreSQL: ``pg_trgm`` GIN indexes on ``name`` and ``resource_id`` (``ILIKE`` uses
  them as it is). Rows a sync inserts wait in GIN's pending list (cheap to write), which
  the planner prices so high that it scans the table instead; the statistics refresh
  after a bulk load merges them (``controlplane.db.statistics``). Inserting into the
  index row by row instead (``fastupdate = off``) tripled the insert time. Both columns
  keep a finer histogram (1000 entries), from which the planner tells a rare term. Where the extension cannot be created (not installed, no right to
  create it) the migration goes on without them and says so in the log: filters then
  read the table as before.
* SQLite: an FTS5 table with the ``trigram`` tokenizer over the same two columns,
  external content (the rows stay in ``resource``; the FTS table holds only the index),
  kept in step by triggers on insert, delete and an update of either column, except
  rows a bulk writer indexes itself in one statement (``text_search.indexed_in_bulk``,
  marked in ``resource_trgm_bulk`` inside its own transaction: 14 µs a row against the
  trigger's 59 µs, measured on 100k rows). A
  migration that rebuilds ``resource`` (``batch_alter_table``) must recreate the
  triggers. Without FTS5's trigram tokenizer (SQLite before 3.34) it is skipped and
  logged likewise; the query layer looks for the table before using it.

None of these is in the table models (``controlplane.db.text_search`` names them for
autogenerate to leave alone).

Revision ID: resource_text_search
Revises: audit_result_intervals
Create Date: 2026-12-06 03:20:00.000000
"""

import logging
import sqlite3
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "resource_text_search"
down_revision: str | None = "audit_result_intervals"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_log = logging.getLogger("alembic.runtime.migration")

_COLUMNS = ("name", "resource_id")
_STATISTICS = ", ".join(f"ALTER COLUMN {c} SET STATISTICS {{target}}" for c in _COLUMNS)
_FTS = "resource_trgm"
# a sync's batches append to GIN's pending list; at the default 4 MB the inserting
# backend merges the list into the index every few batches, at 64 MB a first sync of a
# province merges about once, and the statistics refresh after it merges the rest
_PENDING_KB = 65536
_NEW = "new.id, new.name, new.resource_id"
_OLD = "'delete', old.id, old.name, old.resource_id"
_INSERT = f"INSERT INTO {_FTS}(rowid, name, resource_id) VALUES ({_NEW});"
_DELETE = f"INSERT INTO {_FTS}({_FTS}, rowid, name, resource_id) VALUES ({_OLD});"
_BULK = f"{_FTS}_bulk"
_TRIGGERS = {
    # a bulk writer (the sync) marks its transaction in _BULK and indexes its rows with
    # one statement afterwards: per row, the trigger costs four times as much
    f"{_FTS}_insert": f"AFTER INSERT ON resource WHEN NOT EXISTS (SELECT 1 FROM {_BULK})"
    f" BEGIN {_INSERT} END",
    f"{_FTS}_delete": f"AFTER DELETE ON resource BEGIN {_DELETE} END",
    f"{_FTS}_update": f"AFTER UPDATE OF name, resource_id ON resource BEGIN {_DELETE} {_INSERT} END",
}


def _skipped(why: str) -> None:
    _log.warning(
        "资源文本检索未建索引（%s）：子串过滤将扫描全表 / "
        "resource text search not indexed (%s): substring filters scan the table",
        why,
        why,
    )


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        _upgrade_postgresql(bind)
    elif bind.dialect.name == "sqlite":
        _upgrade_sqlite(bind)


def _upgrade_postgresql(bind: sa.Connection) -> None:
    try:
        with bind.begin_nested():  # a refusal must not abort the migration's transaction
            bind.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
    except sa.exc.DBAPIError as exc:
        _skipped(f"CREATE EXTENSION pg_trgm failed: {str(exc.orig).strip()}")
        return
    for column in _COLUMNS:
        op.create_index(f"ix_resource_{column}_trgm", "resource", [column],
                        postgresql_using="gin", postgresql_ops={column: "gin_trgm_ops"},
                        postgresql_with={"gin_pending_list_limit": _PENDING_KB})  # fmt: skip
    # the planner prices ``ILIKE '%term%'`` by the share of the column's histogram that
    # matches: with the default 100 entries one that matches by chance puts a term found
    # in 0.1% of the rows at 1%, and the page walks the list's index through every row
    # instead of reading the trigram index; 1000 entries tell 0.1% from 1%
    op.execute(f"ALTER TABLE resource {_STATISTICS.format(target=1000)}")


def _upgrade_sqlite(bind: sa.Connection) -> None:
    try:
        with bind.begin_nested():
            bind.execute(sa.text(
                f"CREATE VIRTUAL TABLE {_FTS} USING fts5(name, resource_id, content='resource',"
                " content_rowid='id', tokenize='trigram case_sensitive 0')"
            ))  # fmt: skip
    except sa.exc.OperationalError as exc:
        _skipped(f"no FTS5 trigram tokenizer in SQLite {sqlite3.sqlite_version}: {exc.orig}")
        return
    bind.execute(sa.text(f"CREATE TABLE {_BULK} (active INTEGER NOT NULL)"))
    for name, body in _TRIGGERS.items():
        bind.execute(sa.text(f"CREATE TRIGGER {name} {body}"))
    bind.execute(sa.text(f"INSERT INTO {_FTS}({_FTS}) VALUES ('rebuild')"))


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute(f"ALTER TABLE resource {_STATISTICS.format(target=-1)}")
        for column in reversed(_COLUMNS):
            op.execute(f"DROP INDEX IF EXISTS ix_resource_{column}_trgm")
        # pg_trgm stays: it may have been there before, and other tables may use it
    elif bind.dialect.name == "sqlite":
        for name in reversed(_TRIGGERS):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute(f"DROP TABLE IF EXISTS {_FTS}")
        op.execute(f"DROP TABLE IF EXISTS {_BULK}")
