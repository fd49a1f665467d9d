"""The ``budget_alert`` table: a department's projected spend crossed a threshold.

One row per (department, budget year, threshold): the unique key makes raising an
alert idempotent — a re-firing of the job, or two replicas firing at once, insert
nothing more (``ON CONFLICT DO NOTHING`` on both engines).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from controlplane.db.types import Money, UTCDateTime

__all__ = ["BudgetAlert"]


def _money() -> Any:
    return Field(sa_type=Money(), nullable=False)


class BudgetAlert(SQLModel, table=True):
    """A threshold (percent of the annual budget) the year's projection crossed."""

    __tablename__ = "budget_alert"
    __table_args__ = (UniqueConstraint("tenant", "year", "threshold"),)

    id: int | None = Field(default=None, primary_key=True)
    tenant: str = Field(max_length=63, index=True)
    year: int
    threshold: int  # percent of the annual budget
    annual_budget: Decimal = _money()
    projected: Decimal = _money()  # committed + reserved yearly spend when raised
    raised_at: datetime = Field(sa_type=UTCDateTime(), nullable=False)
    raised_by: str = Field(max_length=128)
