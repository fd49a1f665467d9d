"""Billing months and Asia/Shanghai calendar arithmetic.

Owns ``Month`` (a calendar month in Asia/Shanghai with its hour and day counts) and the
conversion of local dates to UTC instants. Bills are in Asia/Shanghai, storage is UTC;
Asia/Shanghai has had no DST since 1991, so a month has 24 × days hours. Imports nothing
internal.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
_MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def local_midnight(day: date) -> datetime:
    """The UTC instant at which ``day`` begins in Asia/Shanghai."""
    return datetime(day.year, day.month, day.day, tzinfo=SHANGHAI).astimezone(UTC)


def epoch_seconds(instant: datetime) -> int:
    """Whole seconds since the Unix epoch (floored); ``instant`` must be timezone-aware."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"naive datetime {instant.isoformat()} (a timezone is required)")
    delta = instant - _EPOCH
    return delta.days * 86400 + delta.seconds


def from_epoch(seconds: int) -> datetime:
    """The UTC datetime of ``seconds`` since the epoch."""
    return _EPOCH + timedelta(seconds=seconds)


@dataclass(frozen=True, order=True)
class Month:
    """A calendar month in Asia/Shanghai, e.g. ``Month.parse("2026-02")``."""

    year: int
    month: int

    def __post_init__(self) -> None:
        if not 1 <= self.month <= 12 or not 1970 <= self.year <= 9998:
            raise ValueError(f"not a billing month: {self.year}-{self.month}")

    @classmethod
    def parse(cls, text: str) -> Month:
        """Parse ``YYYY-MM``."""
        match = _MONTH_RE.match(text.strip())
        if match is None:
            raise ValueError(f"month must be YYYY-MM, got {text!r}")
        return cls(int(match.group(1)), int(match.group(2)))

    @classmethod
    def containing(cls, instant: datetime) -> Month:
        """The Asia/Shanghai month that contains ``instant``."""
        local = instant.astimezone(SHANGHAI)
        return cls(local.year, local.month)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def next(self) -> Month:
        return Month(self.year + self.month // 12, self.month % 12 + 1)

    @property
    def previous(self) -> Month:
        return Month(self.year - (self.month == 1), (self.month - 2) % 12 + 1)

    @property
    def start(self) -> datetime:
        """First instant of the month (UTC)."""
        return local_midnight(self.first_day)

    @property
    def end(self) -> datetime:
        """First instant after the month (UTC); the month is ``[start, end)``."""
        return self.next.start

    @property
    def days(self) -> int:
        return (self.next.first_day - self.first_day).days

    @property
    def hours(self) -> int:
        """H of the pricing rule: 672, 696, 720 or 744."""
        return (epoch_seconds(self.end) - epoch_seconds(self.start)) // 3600
