"""Case-blind substring conditions for the lists that filter in the database.

A user's filter text is a substring, not a pattern: LIKE's own wildcards (``%``, ``_``)
and the escape character in it match themselves.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, func, not_, or_
from sqlalchemy.orm import Mapped

__all__ = ["contains"]


def contains(
    columns: Sequence[ColumnElement[Any] | Mapped[Any]], value: str, *, invert: bool = False
) -> ColumnElement[bool]:
    """Any of ``columns`` contains ``value`` (case-blind); all of them lack it if ``invert``.

    A NULL column contains nothing, so an inverted term keeps rows where it is NULL.
    """
    text = value.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    needle = f"%{text}%"
    found = or_(*(func.coalesce(func.lower(c), "").like(needle, escape="\\") for c in columns))
    return not_(found) if invert else found
