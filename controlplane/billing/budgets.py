"""Budget tracking: month-to-date spend and a linear projection against the annual budget.

Owns ``BudgetStatus`` and ``budget_status``. The projection is a run rate: this month's
spend so far, scaled linearly to the whole month, is assumed for every remaining month
of the calendar year, on top of what was billed in earlier months. A department whose
projected annual spend exceeds its budget is flagged. Imports only the billing value
modules; no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from fractions import Fraction

from controlplane.billing.money import round_half_up_fen
from controlplane.billing.period import Month, epoch_seconds


@dataclass(frozen=True)
class BudgetStatus:
    tenant: str
    annual_budget: Decimal
    spent_before_month: Decimal
    month_to_date: Decimal
    projected_month: Decimal
    projected_year: Decimal
    projected_overrun: bool

    @property
    def projected_utilisation_percent(self) -> Decimal:
        if self.annual_budget == 0:
            return Decimal(0) if self.projected_year == 0 else Decimal(100)
        return round_half_up_fen(Fraction(self.projected_year) * 100 / Fraction(self.annual_budget))


def budget_status(
    tenant: str,
    annual_budget: Decimal,
    month: Month,
    as_of: datetime,
    month_to_date: Decimal,
    spent_before_month: Decimal,
) -> BudgetStatus:
    """Project ``tenant``'s spend for the year from the month so far (at ``as_of``)."""
    start, end = epoch_seconds(month.start), epoch_seconds(month.end)
    elapsed = min(max(epoch_seconds(as_of) - start, 0), end - start)
    mtd = Fraction(month_to_date)
    # Before the month starts there is no run rate: the month so far is the projection.
    projected_month = mtd if elapsed == 0 else mtd * (end - start) / elapsed
    remaining_months = 12 - month.month
    projected_year = Fraction(spent_before_month) + projected_month * (1 + remaining_months)
    return BudgetStatus(
        tenant=tenant,
        annual_budget=annual_budget,
        spent_before_month=spent_before_month,
        month_to_date=month_to_date,
        projected_month=round_half_up_fen(projected_month),
        projected_year=round_half_up_fen(projected_year),
        projected_overrun=projected_year > Fraction(annual_budget),
    )
