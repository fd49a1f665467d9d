"""Planner statistics kept current after bulk writes (PostgreSQL; a no-op elsewhere).

PostgreSQL plans from the statistics ``ANALYZE`` gathers; autovacuum gathers them only
some time after a bulk load, and until then a table filled in the same hour looks empty
or small to the planner. A lookup that should be an index probe then scans. Callers that
bulk-load a table ask here after writing; the check reads the server's own counters of
rows changed since the last analysis, so tables that did not grow much are left alone.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import bindparam, text
from sqlmodel import Session

__all__ = ["refresh_statistics"]

#: Analyze once the rows changed since the last analysis reach this share of the table
#: (or ``_FLOOR`` rows, whichever is more): statistics at most a doubling out of date.
_SHARE = 0.5
_FLOOR = 1000

_STALE = text(
    "SELECT relname FROM pg_stat_user_tables WHERE relname IN :names"
    " AND n_mod_since_analyze >= GREATEST(:floor, :share * n_live_tup)"
).bindparams(bindparam("names", expanding=True))


def refresh_statistics(session: Session, tables: Sequence[str]) -> list[str]:
    """``ANALYZE`` those of ``tables`` whose statistics are stale; returns their names."""
    if session.connection().dialect.name != "postgresql":
        return []
    stale = [
        str(name)
        for (name,) in session.execute(
            _STALE, {"names": list(tables), "floor": _FLOOR, "share": _SHARE}
        )
    ]
    for name in sorted(stale):
        session.execute(text(f'ANALYZE "{name}"'))
    return stale
