"""Keyset pages: a list is read in pages of ``limit`` items after a continue token.

A token encodes the sort it was issued for and the sort key of the last item served, so
the next page starts strictly after it however many rows were inserted or deleted in
between (no offsets: nothing is skipped or served twice when the list moves). Tokens are
opaque to callers: base64url of a small JSON document, refused if tampered with or used
with another sort.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Generic, TypeVar

from controlplane.errors import InvalidInput
from controlplane.facade.query import Fields, matcher, parse_query, parse_sort

__all__ = [
    "DEFAULT_LIMIT",
    "MAX_LIMIT",
    "Key",
    "Page",
    "decode_token",
    "encode_token",
    "keyset",
    "typed_part",
]

T = TypeVar("T")
#: A sort key: strings and integers only, so tokens round-trip through JSON exactly.
Key = tuple[str | int, ...]

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list; ``continue_token`` is ``None`` on the last page."""

    items: tuple[T, ...]
    continue_token: str | None = None
    total: int | None = None

    def __iter__(self) -> Iterator[T]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


def key_part(value: object) -> str | int:
    """A value as a sortable key part; ``None`` sorts first (as the empty string)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return str(value)


def bad_token(why: str) -> InvalidInput:
    """The error for a continue token that is not one of ours (``why`` says how)."""
    return InvalidInput(
        f"续页令牌无效（{why}）：请从第一页重新读取",
        f"invalid continue token ({why}): read again from the first page",
        details=("continue",),
    )


def encode_token(sort: str, key: Key) -> str:
    raw = json.dumps({"s": sort, "k": list(key)}, separators=(",", ":"), ensure_ascii=False)
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_token(token: str, sort: str) -> Key:
    """The key a token continues after; :class:`InvalidInput` if it is not one of ours."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        doc = json.loads(raw)
    except (binascii.Error, ValueError) as exc:
        raise bad_token("not a token") from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("k"), list):
        raise bad_token("not a token")
    if doc.get("s") != sort:
        raise bad_token(f"issued for sort {doc.get('s')!r}, not {sort!r}")
    parts = doc["k"]
    if not all(isinstance(p, str | int) and not isinstance(p, bool) for p in parts):
        raise bad_token("not a token")
    return tuple(parts)


def check_limit(limit: int) -> int:
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(
            f"limit 须在 1 到 {MAX_LIMIT} 之间，收到 {limit}",
            f"limit must be between 1 and {MAX_LIMIT}, got {limit}",
            details=("limit",),
        )
    return limit


def typed_part(value: object) -> str | int:
    """A sort key part that orders like the value: money and other decimals as integer
    ten-thousandths (their text would put 10 before 9)."""
    if isinstance(value, Decimal):
        return int(value.scaleb(4))
    return key_part(value)


def keyset(
    items: Iterable[T],
    sorts: dict[str, Callable[[T], Sequence[object]]],
    *,
    sort: str,
    limit: int,
    token: str | None,
    query: str | None = None,
    fields: Fields | None = None,
    text_fields: Sequence[str] = (),
) -> Page[T]:
    """A page of ``items`` (already authorised) in the order ``sort`` names.

    ``sort`` is one of ``sorts`` or, given ``fields``, a field name (``-name``:
    descending) with the first of ``sorts`` breaking ties; ``query`` keeps the items that
    match it (:mod:`.query`; bare text searches ``text_fields``). For lists a service
    reads whole (tens to thousands of rows); the resource list, which grows to hundreds
    of thousands, pages in SQL instead.
    """
    getters = fields or {}
    by_field = parse_sort(sort, list(getters)) if sort not in sorts else None
    if sort not in sorts and by_field is None:
        choices = [*sorts, *getters]
        raise InvalidInput(
            f"不支持的排序 {sort!r}，可选：{', '.join(choices)}",
            f"unknown sort {sort!r}; expected one of: {', '.join(choices)}",
            details=("sort",),
        )
    check_limit(limit)
    terms = parse_query(query, list(getters))
    if terms:
        items = filter(matcher(terms, getters, text_fields), items)
    descending = False
    if by_field is not None:
        name, descending = by_field
        tie = sorts[next(iter(sorts))]

        def key(item: T) -> Key:
            return (typed_part(getters[name](item)), *(key_part(v) for v in tie(item)))

    else:

        def key(item: T) -> Key:
            return tuple(key_part(v) for v in sorts[sort](item))

    ordered = sorted(((key(i), i) for i in items), key=_comparable, reverse=descending)
    total = len(ordered)
    if token is not None:
        after = _comparable((decode_token(token, sort), None))
        ordered = [
            pair
            for pair in ordered
            if (_comparable(pair) < after if descending else _comparable(pair) > after)
        ]
    chosen = ordered[:limit]
    more = len(ordered) > limit
    return Page(
        items=tuple(item for _, item in chosen),
        continue_token=encode_token(sort, chosen[-1][0]) if more and chosen else None,
        total=total,
    )


def _comparable(pair: tuple[Key, object]) -> tuple[tuple[int, str | int], ...]:
    # Mixed str/int parts in one position never compare in Python: tag each by type.
    return tuple((0, p) if isinstance(p, int) else (1, p) for p in pair[0])
