"""The usage side of a month, rated from what is stored.

Owns ``rate_stored_month``: the month's stored usage → intervals and owners →
``rate_month`` with the estate's rate card and tiers → SLA deductions from measured
availability. Records without a department are counted as unattributed, never priced
silently; usage of a department the estate does not know refuses the run. Reads
through the caller's session, writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from controlplane.billing import (
    Adjustment,
    BillingError,
    EpochInterval,
    EpochRecord,
    Month,
    Rating,
    rate_records,
    sla_adjustments,
)
from controlplane.bills.availability import measured_availability
from controlplane.bills.errors import BillRunError
from controlplane.bills.inputs import EstateInputs
from controlplane.metering import load_usage
from controlplane.metering.store import StoredRecords, load_records

__all__ = ["MonthRating", "rate_stored_month"]


@dataclass(frozen=True)
class MonthRating:
    """The usage side of a month: lines, what could not be priced, SLA deductions."""

    month: Month
    records: int
    unattributed: int
    intervals: tuple[EpochInterval, ...]
    rating: Rating
    sla: tuple[Adjustment, ...]


def rate_stored_month(
    session: Session, month: Month, inputs: EstateInputs, approver: str
) -> MonthRating:
    """Rate ``month`` from the stored usage and estate (no writes)."""
    try:
        stored = load_records(session, month.start, month.end) or _checked(session, month)
        rated = rate_records(month, stored.records, inputs.card, inputs.tiers)
        rating = rated.rating
        sla = sla_adjustments(month, rating.lines, measured_availability(session, month),
                              inputs.sla_rules, approver)  # fmt: skip
    except BillingError as exc:
        raise BillRunError(f"{month} cannot be rated: {exc}") from exc
    strangers = sorted({line.tenant for line in rating.lines} - set(inputs.tenant_names))
    if strangers:
        raise BillRunError(
            f"{month} has usage of department(s) not in the estate: {', '.join(strangers)}"
        )
    return MonthRating(month, stored.total, stored.total - len(stored.records),
                       rated.intervals, rating, sla)  # fmt: skip


def _checked(session: Session, month: Month) -> StoredRecords:
    """The month's records through the core's ``Observation`` checks (which name a bad one)."""
    usage = load_usage(session, month.start, month.end)
    records = [EpochRecord.of(obs) for obs in (u.observation() for u in usage) if obs is not None]
    return StoredRecords(records, len(usage))
