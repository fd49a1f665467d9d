"""Row-for-row snapshots of a whole database, for "nothing changed" assertions; a table's
index and constraint definitions, for "the schema is as it was" ones."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, MetaData, select, text


def snapshot(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (alembic_version included), in primary-key order."""
    meta = MetaData()
    meta.reflect(engine)
    out: dict[str, list[tuple[Any, ...]]] = {}
    with engine.connect() as conn:
        for table in meta.sorted_tables:
            order = list(table.primary_key.columns) or list(table.columns)
            out[table.name] = [tuple(row) for row in conn.execute(select(table).order_by(*order))]
    return out


def definitions(engine: Engine, table: str) -> list[str]:
    """``table``'s index and constraint definitions as the database holds them, sorted
    (SQLite: the table's own statement and its indexes'; PostgreSQL: every index, and
    every constraint by name)."""
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            found = connection.execute(
                text(
                    "SELECT indexdef FROM pg_indexes WHERE tablename = :table UNION ALL"
                    " SELECT conname || ' ' || pg_get_constraintdef(oid) FROM pg_constraint"
                    " WHERE conrelid = CAST(:table AS regclass)"
                ),
                {"table": table},
            )
        else:
            found = connection.execute(
                text("SELECT sql FROM sqlite_master WHERE tbl_name = :table AND sql IS NOT NULL"),
                {"table": table},
            )
        return sorted(str(row) for (row,) in found)
