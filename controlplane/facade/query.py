"""List filters and sorts by field: what ``/`` and the column sort of the console send.

A query is whitespace-separated terms, all of which must hold: ``text`` (the record's
name-like fields contain it), ``field:value`` (that field contains it), each negated by a
leading ``!``. Matching is case-insensitive substring. A sort names a field, ``-field``
for descending; ties fall back to the list's own order (reversed with it), so paging
stays total.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from operator import attrgetter
from typing import Any, TypeVar

from controlplane.errors import InvalidInput

__all__ = [
    "Fields",
    "Term",
    "field_getters",
    "matcher",
    "parse_query",
    "parse_sort",
    "split_query",
]

T = TypeVar("T")
#: field name -> how to read it from a list item
Fields = Mapping[str, Callable[[Any], object]]


@dataclass(frozen=True)
class Term:
    """One condition: ``field`` (``None``: the record's text) contains ``value``."""

    field: str | None
    value: str
    invert: bool = False


def parse_query(text: str | None, fields: Sequence[str]) -> tuple[Term, ...]:
    """The terms of ``text``; :class:`InvalidInput` naming the fields for an unknown one."""
    if not text or not text.strip():
        return ()
    terms: list[Term] = []
    for raw in text.split():
        invert = raw.startswith("!")
        body = raw[1:] if invert else raw
        name, sep, value = body.partition(":")
        if sep and name:
            if name not in fields:
                raise InvalidInput(
                    f"无法按字段 {name!r} 过滤，可选：{', '.join(fields)}",
                    f"cannot filter on {name!r}; fields: {', '.join(fields)}",
                    details=("query",),
                )
            terms.append(Term(name, value, invert))
        elif body:
            terms.append(Term(None, body, invert))
    return tuple(terms)


def split_query(
    text: str | None, fields: Sequence[str], name: str
) -> tuple[tuple[Term, ...], str | None]:
    """The ``name:…`` terms of ``text`` (for a list that runs them in the database) and
    the rest of it, as text; :class:`InvalidInput` for an unknown field, as
    :func:`parse_query` says."""
    terms = parse_query(text, fields)
    taken = tuple(t for t in terms if t.field == name)
    if not taken:
        return (), text

    def named(raw: str) -> bool:  # as parse_query reads a term: one leading "!" inverts
        field, sep, _ = raw[1 if raw.startswith("!") else 0 :].partition(":")
        return bool(sep) and field == name

    rest = [raw for raw in (text or "").split() if not named(raw)]
    return taken, " ".join(rest) or None


def parse_sort(sort: str, fields: Sequence[str]) -> tuple[str, bool] | None:
    """``(field, descending)`` when ``sort`` names a field (``-field``: descending)."""
    descending = sort.startswith("-")
    name = sort[1:] if descending else sort
    return (name, descending) if name in fields else None


def field_getters(
    model: type[Any], extra: Fields | None = None
) -> dict[str, Callable[[Any], object]]:
    """Getters for every declared field of a read model or dataclass, plus ``extra``."""
    if dataclasses.is_dataclass(model):
        names = [f.name for f in dataclasses.fields(model)]
    else:  # a pydantic read model (not imported here: a list need not load pydantic)
        names = list(model.model_fields)
    getters: dict[str, Callable[[Any], object]] = {name: attrgetter(name) for name in names}
    getters.update(extra or {})
    return getters


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, tuple | list):
        return " ".join(_text(v) for v in value)
    return str(value)


def matcher(
    terms: Sequence[Term], fields: Fields, text_fields: Sequence[str]
) -> Callable[[T], bool]:
    """A predicate for items that satisfy every term."""

    def holds(item: T, term: Term) -> bool:
        needle = term.value.lower()
        names = text_fields if term.field is None else (term.field,)
        found = any(needle in _text(fields[name](item)).lower() for name in names)
        return found != term.invert

    return lambda item: all(holds(item, term) for term in terms)
