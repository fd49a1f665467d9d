"""JSON from the API back into the facade's result types: the inverse of the encoder.

:func:`decode` reads a value the API wrote with ``controlplane.api.encode.to_json`` as the
type the facade's method is declared to return: read models (pydantic) validate their
own fields, frozen dataclasses are rebuilt field by field from their type hints,
``Decimal`` from its text (exact), times from ISO-8601, enums from their value, pages
from ``{"items", "continue", "total"}``. Results the encoder wrote with ``to_record()``
(plans) are not rebuilt: the caller keeps their record (:class:`PlanRecord`).
"""

from __future__ import annotations

import dataclasses
import sys
import types
import typing
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from functools import cache
from typing import Any, TypeVar, Union, cast, get_args, get_origin

from pydantic import BaseModel

from controlplane.facade.paging import Page

__all__ = ["PlanRecord", "decode", "decode_page"]

T = TypeVar("T")


@dataclasses.dataclass(frozen=True)
class PlanRecord:
    """A plan as the API answers it: its stable record (what ``plan -o json`` prints)."""

    record: Mapping[str, Any]

    @property
    def exit_code(self) -> int:
        return int(self.record["exit_code"])

    @property
    def admitted(self) -> bool:
        return bool(self.record["admitted"])

    def to_record(self) -> dict[str, Any]:
        return dict(self.record)


@cache
def _hints(cls: type) -> dict[str, Any]:
    module = sys.modules.get(cls.__module__)
    try:
        return typing.get_type_hints(cls, vars(module) if module else None)
    except (NameError, TypeError):  # a hint only importable for the type checker
        return {}


def decode_page(item: type[T], value: Mapping[str, Any]) -> Page[T]:
    return Page(
        items=tuple(_decode(item, v) for v in value["items"]),
        continue_token=value.get("continue"),
        total=value.get("total"),
    )


def decode(tp: type[T], value: Any) -> T:
    """``value`` (JSON) as an instance of ``tp``."""
    return cast(T, _decode(tp, value))


def _decode(tp: Any, value: Any) -> Any:
    if tp is Any or tp is object:
        return value
    origin = get_origin(tp)
    if origin is Union or origin is types.UnionType:
        return _union(get_args(tp), value)
    if origin is typing.Literal:
        return value
    if value is None:
        return None
    if origin is not None:
        return _generic(tp, origin, value)
    if isinstance(tp, type):
        return _plain(tp, value)
    return value


def _union(options: tuple[Any, ...], value: Any) -> Any:
    if value is None and type(None) in options:
        return None
    failures: list[Exception] = []
    for option in options:
        if option is type(None):
            continue
        try:
            return _decode(option, value)
        except (TypeError, ValueError, KeyError, ArithmeticError) as exc:
            failures.append(exc)
    raise TypeError(f"{value!r} matches none of {options}: {failures}")


def _generic(tp: Any, origin: Any, value: Any) -> Any:
    args = get_args(tp)
    if origin is Page:
        return decode_page(args[0] if args else Any, value)
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_decode(args[0], v) for v in value)
        if args:
            return tuple(_decode(a, v) for a, v in zip(args, value, strict=True))
        return tuple(value)
    if origin in (list, Sequence, typing.Sequence):
        return [_decode(args[0] if args else Any, v) for v in value]
    if origin in (frozenset, set):
        return origin(_decode(args[0] if args else Any, v) for v in value)
    if origin in (dict, Mapping, typing.Mapping):
        key, item = args if args else (Any, Any)
        return {_decode(key, k): _decode(item, v) for k, v in value.items()}
    if isinstance(origin, type) and dataclasses.is_dataclass(origin):
        return _plain(origin, value)
    return value


def _plain(tp: type, value: Any) -> Any:
    if tp is Decimal:
        return Decimal(str(value))
    if tp is datetime:
        return value if isinstance(value, datetime) else datetime.fromisoformat(value)
    if tp is date:
        return value if isinstance(value, date) else date.fromisoformat(value)
    if tp in (str, int, bool, float):
        if tp is int and isinstance(value, str):
            return int(value)
        if not isinstance(value, tp) and not (tp is float and isinstance(value, int)):
            raise TypeError(f"{value!r} is not {tp.__name__}")
        return value
    if issubclass(tp, Enum):
        return tp(value)
    if issubclass(tp, BaseModel):
        return tp.model_validate(value)
    if dataclasses.is_dataclass(tp):
        if not isinstance(value, Mapping):
            raise TypeError(f"{tp.__name__} from {value!r}")
        hints = _hints(tp)
        kwargs = {
            f.name: _decode(hints.get(f.name, Any), value[f.name])
            for f in dataclasses.fields(tp)
            if f.init and f.name in value
        }
        return tp(**kwargs)
    return value
