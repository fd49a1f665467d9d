"""Persistence: engines, column types, table models and migrations.

Core tables live in :mod:`controlplane.db.models`; each area of the control plane adds
its own tables in a ``controlplane/db/tables_<area>.py`` module. :func:`load_tables`
imports them all so SQLModel's metadata (and Alembic) sees every table.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy import Table
    from sqlmodel import SQLModel

__all__ = ["load_tables", "table_of"]


def load_tables() -> None:
    """Import every table module (idempotent)."""
    importlib.import_module("controlplane.db.models")
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("tables_"):
            importlib.import_module(f"{__name__}.{info.name}")


def table_of(model: type[SQLModel]) -> Table:
    """A table model's Core ``Table`` (bulk statements through Core skip per-row ORM work)."""
    from sqlalchemy import Table

    table = getattr(model, "__table__", None)
    if not isinstance(table, Table):
        raise TypeError(f"{model.__name__} is not a table model")
    return table
