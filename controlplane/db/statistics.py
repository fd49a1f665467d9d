"""Planner statistics kept current after bulk writes (PostgreSQL; a no-op elsewhere).

PostgreSQL plans from the statistics ``ANALYZE`` gathers; autovacuum gathers them only
some time after a bulk load, and until then a table filled in the same hour looks empty
or small to the planner. A lookup that should be an index probe then scans. Callers that
bulk-load a table ask here after writing; the check reads the server's own counters of
rows changed since the last analysis, so tables that did not grow much are left alone.

A table analyzed here also has its GIN indexes' pending lists merged into them (as a
VACUUM would): rows inserted in bulk wait there, and until they are merged the planner
prices the index so high that it scans the table (the resources' trigram indexes).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import bindparam, text
from sqlmodel import Session

__all__ = ["analyze", "refresh_statistics"]

#: Analyze once the rows changed since the last analysis reach this share of the table
#: (or ``_FLOOR`` rows, whichever is more): statistics at most a doubling out of date.
_SHARE = 0.5
_FLOOR = 1000

_STALE = text(
    "SELECT relname FROM pg_stat_user_tables WHERE relname IN :names"
    " AND n_mod_since_analyze >= GREATEST(:floor, :share * n_live_tup)"
).bindparams(bindparam("names", expanding=True))


#: the GIN indexes of a table, by name
_GIN = text(
    "SELECT index.relname FROM pg_index JOIN pg_class AS index ON index.oid = pg_index.indexrelid"
    " JOIN pg_am ON pg_am.oid = index.relam JOIN pg_class AS owner ON owner.oid = pg_index.indrelid"
    " WHERE owner.relname = :table AND pg_am.amname = 'gin'"
)


def refresh_statistics(session: Session, tables: Sequence[str]) -> list[str]:
    """``ANALYZE`` those of ``tables`` whose statistics are stale (and merge their GIN
    indexes' pending lists); returns their names."""
    if session.connection().dialect.name != "postgresql":
        return []
    stale = [
        str(name)
        for (name,) in session.execute(
            _STALE, {"names": list(tables), "floor": _FLOOR, "share": _SHARE}
        )
    ]
    for name in sorted(stale):
        analyze(session, name)
    return stale


def analyze(session: Session, table: str) -> None:
    """``ANALYZE`` ``table`` now and merge its GIN indexes' pending lists (PostgreSQL)."""
    session.execute(text(f'ANALYZE "{table}"'))
    for (index,) in session.execute(_GIN, {"table": table}):
        session.execute(text("SELECT gin_clean_pending_list(CAST(:index AS regclass))"),
                        {"index": index})  # fmt: skip
