"""Case-blind substring conditions for the lists that filter in the database.

A user's filter text is a substring, not a pattern: LIKE's own wildcards (``%``, ``_``)
and the escape character in it match themselves. ``ILIKE`` on PostgreSQL (its trigram
indexes serve it as it is), ``lower(…) LIKE lower(…)`` on SQLite.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, func, not_, or_
from sqlalchemy.orm import Mapped

__all__ = ["contains", "ilike_contains"]


def ilike_contains(column: Any, needle: str) -> ColumnElement[bool]:
    """``column`` contains ``needle``, case-insensitively."""
    escaped = needle.replace("/", "//").replace("%", "/%").replace("_", "/_")
    condition: ColumnElement[bool] = column.ilike(f"%{escaped}%", escape="/")
    return condition


def contains(
    columns: Sequence[ColumnElement[Any] | Mapped[Any]], value: str, *, invert: bool = False
) -> ColumnElement[bool]:
    """Any of ``columns`` contains ``value`` (case-blind); all of them lack it if ``invert``.

    A NULL column contains nothing, so an inverted term keeps rows where it is NULL.
    """
    found = or_(*(ilike_contains(func.coalesce(c, ""), value) for c in columns))
    return not_(found) if invert else found
