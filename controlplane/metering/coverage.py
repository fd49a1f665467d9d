"""Coverage of a month: which spans no source vouches for, and which are acknowledged.

Owns the month's view of coverage: a provider is covered where a collection window, an
import window, an observation or an operator's acknowledgement says so; the rest, up to
the end of the month or the present (the future is not yet a gap), is a ``CoverageGap``.
``bill finalize`` refuses while any unacknowledged gap remains. Reads through the
caller's session; imports the billing core and tables.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from controlplane.billing import CollectionWindow, CoverageGap, Month, coverage_gaps
from controlplane.db.tables_billing import CoverageGapAck
from controlplane.metering.records import RawUsage
from controlplane.metering.store import load_windows

__all__ = ["MonthCoverage", "month_coverage"]


@dataclass(frozen=True)
class MonthCoverage:
    month: Month
    until: datetime
    gaps: tuple[CoverageGap, ...]  # before acknowledgements
    open_gaps: tuple[CoverageGap, ...]  # what finalize refuses on
    acknowledged: tuple[CoverageGapAck, ...]


def _as_windows(usage: Iterable[RawUsage]) -> list[CollectionWindow]:
    spans: dict[tuple[str, datetime, datetime], None] = {}
    for record in usage:
        spans[(record.provider, record.start, record.end)] = None
    return [CollectionWindow(p, "usage", s, e) for p, s, e in spans]


def month_coverage(
    session: Session,
    month: Month,
    providers: Iterable[str],
    usage: Iterable[RawUsage],
    now: datetime,
) -> MonthCoverage:
    """Gaps of ``month`` for ``providers`` given its stored ``usage``, as of ``now``."""
    until = min(month.end, max(now, month.start))
    names = sorted(set(providers))
    acks = tuple(
        session.exec(
            select(CoverageGapAck)
            .where(CoverageGapAck.start < month.end, CoverageGapAck.end > month.start)
            .order_by(col(CoverageGapAck.provider), col(CoverageGapAck.start))
        ).all()
    )
    if until <= month.start:
        return MonthCoverage(month, until, (), (), acks)
    windows = load_windows(session, month.start, until) + _as_windows(usage)
    gaps = coverage_gaps(names, month.start, until, windows=windows)
    ack_windows = [CollectionWindow(a.provider, "ack", a.start, a.end) for a in acks]
    open_gaps = coverage_gaps(names, month.start, until, windows=windows + ack_windows)
    return MonthCoverage(month, until, tuple(gaps), tuple(open_gaps), acks)
