"""SQL for "these (kind, resource_id) pairs", shaped to use the unique indexes.

Every inventory table is unique on ``(provider_id, kind, resource_id)``; filtering on
``resource_id`` alone would use only the provider prefix of that index and scan the
provider's whole inventory per batch. Grouping the ids by kind keeps each lookup an
index range on both engines.

A disjunction over kinds is not enough where a single-column ``provider_id`` index
exists (``resource``): SQLite then probes that index and filters the provider's whole
inventory, whatever the statistics. :func:`keyed_rows` asks one kind per arm of a
``UNION ALL``, so every arm pins all three columns of the unique index on both engines.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, CompoundSelect, Select, false, or_, union_all

__all__ = ["keyed_rows", "keys_clause"]


def _by_kind(keys: Iterable[tuple[str, str]]) -> dict[str, set[str]]:
    by_kind: dict[str, set[str]] = defaultdict(set)
    for key_kind, key_id in keys:
        by_kind[key_kind].add(key_id)
    return by_kind


def keyed_rows(
    query: Select[Any], kind: Any, resource_id: Any, keys: Iterable[tuple[str, str]]
) -> Select[Any] | CompoundSelect[Any]:
    """``query`` restricted to ``keys``: one ``kind = k AND resource_id IN (...)`` arm per
    kind, joined by ``UNION ALL`` (``query`` must already pin the provider)."""
    arms = [
        query.where(kind == name, resource_id.in_(sorted(ids)))
        for name, ids in sorted(_by_kind(keys).items())
    ]
    if not arms:
        return query.where(false())
    return arms[0] if len(arms) == 1 else union_all(*arms)


def keys_clause(
    kind: Any, resource_id: Any, keys: Iterable[tuple[str, str]]
) -> ColumnElement[bool]:
    """``(kind = k1 AND resource_id IN (...)) OR (kind = k2 AND ...)`` for ``keys``."""
    by_kind = _by_kind(keys)
    if not by_kind:
        return false()
    return or_(
        *((kind == name) & resource_id.in_(sorted(ids)) for name, ids in sorted(by_kind.items()))
    )
