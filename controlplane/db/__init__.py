"""Persistence: engines, column types, table models and migrations.

Core tables live in :mod:`controlplane.db.models`; each area of the control plane adds
its own tables in a ``controlplane/db/tables_<area>.py`` module. :func:`load_tables`
imports them all so SQLModel's metadata (and Alembic) sees every table.
"""

from __future__ import annotations

import importlib
import pkgutil

__all__ = ["load_tables"]


def load_tables() -> None:
    """Import every table module (idempotent)."""
    importlib.import_module("controlplane.db.models")
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("tables_"):
            importlib.import_module(f"{__name__}.{info.name}")
