"""Facade results as JSON values: exact money, ISO times, both languages for errors.

One recursive encoder for every result type the facade returns (read models, the
services' frozen dataclasses, pages): ``Decimal`` becomes a string (never a float: bills
are exact to the fen), times ISO-8601 with offset, enums their value, a provider error
its zh/en text. Objects offering ``to_record()`` (plans) are encoded by it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from pydantic import BaseModel

from controlplane.facade.paging import Page
from providers import ProviderError

__all__ = ["to_json"]


def to_json(value: Any) -> Any:
    """``value`` as JSON-ready data (dict, list, str, int, float, bool, None)."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return to_json(value.value)
    if isinstance(value, Page):
        return {
            "items": [to_json(i) for i in value.items],
            "continue": value.continue_token,
            "total": value.total,
        }
    if isinstance(value, BaseModel):
        return {k: to_json(getattr(value, k)) for k in type(value).model_fields}
    if isinstance(value, ProviderError):
        return {"code": type(value).__name__, "message_zh": value.message_zh,
                "message_en": value.message_en, "temporary": value.temporary}  # fmt: skip
    record = getattr(value, "to_record", None)
    if callable(record):
        return to_json(record())
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_json(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_json(v) for v in value]
    raise TypeError(f"cannot encode {type(value).__name__} as JSON")
