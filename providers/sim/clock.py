"""A manual clock for deterministic runs of the simulator (demos, tests, benches).

Owns ``ManualClock``: a ``Clock`` that returns a fixed, timezone-aware instant and
moves only when told to. Must not import anything internal outside ``providers``.
"""

from __future__ import annotations

from datetime import datetime, timedelta

__all__ = ["ManualClock"]


class ManualClock:
    """Returns ``now``; ``advance(hours=1)`` moves it forward."""

    def __init__(self, now: datetime) -> None:
        if now.tzinfo is None or now.utcoffset() is None:
            raise ValueError("ManualClock needs a timezone-aware start")
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(
        self, *, days: float = 0, hours: float = 0, minutes: float = 0, seconds: float = 0
    ) -> datetime:
        step = timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)
        if step < timedelta(0):
            raise ValueError("a ManualClock never goes backwards")
        self.now += step
        return self.now
