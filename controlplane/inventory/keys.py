"""SQL for "these (kind, resource_id) pairs", shaped to use the unique indexes.

Every inventory table is unique on ``(provider_id, kind, resource_id)``; filtering on
``resource_id`` alone would use only the provider prefix of that index and scan the
provider's whole inventory per batch. Grouping the ids by kind keeps each lookup an
index range on both engines.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, false, or_

__all__ = ["keys_clause"]


def keys_clause(
    kind: Any, resource_id: Any, keys: Iterable[tuple[str, str]]
) -> ColumnElement[bool]:
    """``(kind = k1 AND resource_id IN (...)) OR (kind = k2 AND ...)`` for ``keys``."""
    by_kind: dict[str, set[str]] = defaultdict(set)
    for key_kind, key_id in keys:
        by_kind[key_kind].add(key_id)
    if not by_kind:
        return false()
    return or_(
        *((kind == name) & resource_id.in_(sorted(ids)) for name, ids in sorted(by_kind.items()))
    )
