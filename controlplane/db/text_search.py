"""The trigram indexes of the resources' name and provider id (migration
``resource_text_search``), as the query layer and autogenerate see them.

They are not in the table models: PostgreSQL's are ``pg_trgm`` GIN indexes, SQLite's is
an FTS5 table (with its shadow tables and triggers), and either may be missing where
the engine could not build it. :func:`is_search_object` tells autogenerate (and the
test that holds models to migrations) to leave them alone; :func:`fts_table` says
whether a SQLite database has its FTS table (remembered per engine once found).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING
from weakref import WeakKeyDictionary

if TYPE_CHECKING:
    from sqlalchemy import Connection, Engine

__all__ = [
    "BULK_TABLE",
    "FTS_TABLE",
    "MIN_TERM",
    "SEARCHED",
    "fts_table",
    "indexed_in_bulk",
    "is_search_object",
]

#: the SQLite FTS5 table (trigram tokenizer, external content ``resource``)
FTS_TABLE = "resource_trgm"
#: while it holds a row, the insert trigger leaves indexing to :func:`indexed_in_bulk`
BULK_TABLE = f"{FTS_TABLE}_bulk"
#: the columns indexed, on both engines
SEARCHED = ("name", "resource_id")
#: a trigram index finds terms of at least this many characters
MIN_TERM = 3
_PG_INDEXES = frozenset(f"ix_resource_{column}_trgm" for column in SEARCHED)

_found: WeakKeyDictionary[Engine, bool] = WeakKeyDictionary()


def is_search_object(name: str | None) -> bool:
    """Whether ``name`` (a table or index) is one of these indexes or their parts."""
    return name is not None and (name in _PG_INDEXES or name.startswith(FTS_TABLE))


def fts_table(connection: Connection) -> bool:
    """Whether this SQLite database has :data:`FTS_TABLE`: looked up until found (a
    database migrated later gains it), then remembered for the engine."""
    engine = connection.engine
    if _found.get(engine):
        return True
    from sqlalchemy import text

    query = text("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = :name")
    found = connection.execute(query, {"name": FTS_TABLE}).first() is not None
    if found:
        _found[engine] = True
    return found


@contextmanager
def indexed_in_bulk(connection: Connection) -> Iterator[None]:
    """Index the resources inserted inside the block with one statement after them.

    The per-row insert trigger costs about four times what one ``INSERT … SELECT`` of
    the same rows does (59 against 14 µs a row, 100k rows): a first sync of a province
    would spend seconds in it. The mark in :data:`BULK_TABLE` lives in the caller's
    transaction only, so no other writer ever sees it and a rollback takes it away with
    the rows; rows get ids above the largest before the block (SQLite's rowid), which is
    how the statement finds them. A no-op on PostgreSQL (its GIN indexes take rows as
    they come) and where the FTS table is missing.
    """
    if connection.dialect.name != "sqlite" or not fts_table(connection):
        yield
        return
    from sqlalchemy import text

    last = connection.execute(text("SELECT coalesce(max(id), 0) FROM resource")).scalar_one()
    connection.execute(text(f"INSERT INTO {BULK_TABLE} (active) VALUES (1)"))
    try:
        yield
        connection.execute(
            text(
                f"INSERT INTO {FTS_TABLE} (rowid, {', '.join(SEARCHED)})"
                f" SELECT id, {', '.join(SEARCHED)} FROM resource WHERE id > :last"
            ),
            {"last": last},
        )
    finally:
        # never left behind, even by a caller that goes on after an error: a lingering
        # mark would leave every later insert unindexed
        connection.execute(text(f"DELETE FROM {BULK_TABLE}"))
