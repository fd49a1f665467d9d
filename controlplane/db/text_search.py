"""The trigram indexes of the resources' name and provider id (migration
``resource_text_search``), as the query layer and autogenerate see them.

They are not in the table models: PostgreSQL's are ``pg_trgm`` GIN indexes, SQLite's is
an FTS5 table (with its shadow tables and triggers), and either may be missing where
the engine could not build it. :func:`is_search_object` tells autogenerate (and the
test that holds models to migrations) to leave them alone; :func:`fts_table` says
whether a SQLite database has its FTS table (remembered per engine once found).
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from weakref import WeakKeyDictionary

if TYPE_CHECKING:
    from sqlalchemy import Connection, Engine

__all__ = ["FTS_TABLE", "MIN_TERM", "SEARCHED", "fts_table", "is_search_object"]

#: the SQLite FTS5 table (trigram tokenizer, external content ``resource``)
FTS_TABLE = "resource_trgm"
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
