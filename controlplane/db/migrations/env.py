"""Alembic environment: runs on the connection govcloud hands in (no alembic.ini)."""

from __future__ import annotations

from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlmodel import SQLModel

from controlplane.db import load_tables
from controlplane.db.text_search import is_search_object

load_tables()
config = context.config
connection = config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through controlplane.db.migrate, which passes a connection")


def _render_item(type_: str, obj: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    """Render SQLModel's AutoString as plain sa.String so migrations need no sqlmodel."""
    if type_ == "type" and type(obj).__name__ == "AutoString":
        length = getattr(obj, "length", None)
        return f"sa.String(length={length})" if length else "sa.String()"
    return False


def _include_name(name: str | None, type_: str, parent_names: Any) -> bool:
    """The trigram indexes live outside the table models (see db/text_search.py)."""
    return not is_search_object(name)


context.configure(
    connection=connection,
    render_item=_render_item,
    include_name=_include_name,
    target_metadata=SQLModel.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
