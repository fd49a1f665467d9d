"""Time conventions: UTC in storage and arithmetic, Asia/Shanghai for people.

A single injectable clock is what services receive, so tests can move time without
monkeypatching anything deep inside.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

__all__ = ["SHANGHAI", "Clock", "as_utc", "system_clock"]

SHANGHAI = ZoneInfo("Asia/Shanghai")

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    """The wall clock, timezone-aware UTC."""
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """A naive value is refused: every time that enters govcloud carries its offset."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"naive datetime {value.isoformat()} has no timezone")
    return value.astimezone(UTC)
