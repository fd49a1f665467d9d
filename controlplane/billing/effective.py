"""Effective-dated timelines: which item is in force at an instant.

Owns the one rule shared by rate-card versions and discounts: an item is in force from
its ``effective_from`` (inclusive, Asia/Shanghai midnight) to its ``effective_to``
(exclusive) or, when that is open, until the next item begins. Items may leave gaps;
they may not overlap. Imports only ``errors`` and ``period``.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Generic, TypeVar

from controlplane.billing.errors import RateCardError
from controlplane.billing.period import epoch_seconds, local_midnight

T = TypeVar("T")
FOREVER = 2**62


@dataclass(frozen=True)
class Timeline(Generic[T]):
    """Non-overlapping ``[start, end)`` epoch-second spans, each carrying one item."""

    starts: tuple[int, ...]
    ends: tuple[int, ...]
    items: tuple[T, ...]

    @classmethod
    def build(
        cls,
        items: Sequence[T],
        span: Callable[[T], tuple[date, date | None]],
        label: Callable[[T], str],
    ) -> Timeline[T]:
        ordered = sorted(items, key=lambda item: span(item)[0])
        starts: list[int] = []
        ends: list[int] = []
        for index, item in enumerate(ordered):
            begin, until = span(item)
            if until is not None and until <= begin:
                raise RateCardError(f"{label(item)}: effective_to {until} is not after {begin}")
            following = span(ordered[index + 1])[0] if index + 1 < len(ordered) else None
            if following is not None and following == begin:
                raise RateCardError(
                    f"{label(item)} and {label(ordered[index + 1])} take effect on the same day"
                )
            if until is not None and following is not None and until > following:
                raise RateCardError(
                    f"{label(item)} (to {until}) overlaps {label(ordered[index + 1])} "
                    f"(from {following})"
                )
            stop = until if until is not None else following
            starts.append(epoch_seconds(local_midnight(begin)))
            ends.append(FOREVER if stop is None else epoch_seconds(local_midnight(stop)))
        return cls(tuple(starts), tuple(ends), tuple(ordered))

    def at(self, instant: int) -> T | None:
        """The item in force at ``instant`` (epoch seconds), if any."""
        index = bisect.bisect_right(self.starts, instant) - 1
        if index >= 0 and instant < self.ends[index]:
            return self.items[index]
        return None

    def boundaries(self) -> tuple[int, ...]:
        """Every instant at which the item in force may change."""
        return tuple(sorted({*self.starts, *(e for e in self.ends if e != FOREVER)}))
