"""The plan of an inventory page's statement, as each engine would run it (for tests that
hold pages to their indexes)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import text

from controlplane.app import App
from controlplane.inventory import ResourceFilter
from controlplane.inventory.query import page_query


def page_plan(app: App, flt: ResourceFilter, *, switched_off: Sequence[str] = ()) -> str:
    """SQLite's ``EXPLAIN QUERY PLAN`` or PostgreSQL's ``EXPLAIN`` of ``flt``'s page, one
    step a line; on PostgreSQL with the planner methods ``switched_off`` (``seqscan``,
    ``sort``…: on a table as small as a test's, the index a page should use is not the
    cheapest way, so a test asks whether it can serve)."""
    with app.sessions() as session:
        query = page_query(session, flt).compile(
            dialect=app.engine.dialect, compile_kwargs={"literal_binds": True}
        )
        if app.engine.dialect.name == "sqlite":
            rows = session.execute(text(f"EXPLAIN QUERY PLAN {query}")).all()
            return "\n".join(str(row[-1]) for row in rows)
        for method in switched_off:
            session.execute(text(f"SET LOCAL enable_{method} = off"))
        return "\n".join(str(r[0]) for r in session.execute(text(f"EXPLAIN {query}")))
