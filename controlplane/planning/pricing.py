"""The monthly price estimate of a plan from the rate card in force.

Pure. A :class:`RateTable` is one rate-card version as plain data; :func:`estimate`
prices metered quantities at one tier: each line is quantity × monthly unit price,
rounded half-up to the fen once (as bill lines are), and the total is the sum of the
rounded lines. A meter the card does not price is listed with no amount and named in
``unpriced`` — never silently free. Imports only :func:`tenants.quick_init`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from tenants import quick_init

__all__ = ["PriceEstimate", "PriceLine", "RateTable", "estimate"]

FEN = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class RateTable:
    """One rate-card version: (meter, tier) → (unit, monthly price per unit)."""

    version: str
    currency: str
    prices: Mapping[tuple[str, str], tuple[str, Decimal]] = field(default_factory=dict)

    def tier_prices(self, tier: str) -> dict[str, Decimal]:
        return {meter: price for (meter, t), (_, price) in self.prices.items() if t == tier}


@quick_init
@dataclass(frozen=True, slots=True)
class PriceLine:
    meter: str
    unit: str | None
    quantity: Decimal
    unit_price: Decimal | None
    amount: Decimal | None

    def to_record(self) -> dict[str, Any]:
        return {
            "meter": self.meter,
            "unit": self.unit,
            "quantity": str(self.quantity),
            "unit_price": None if self.unit_price is None else str(self.unit_price),
            "amount": None if self.amount is None else str(self.amount),
        }


@quick_init
@dataclass(frozen=True, slots=True)
class PriceEstimate:
    """``monthly is None`` when there is nothing to price against (no card, no tier)."""

    rate_card: str | None
    tier: str | None
    currency: str
    lines: tuple[PriceLine, ...]
    monthly: Decimal | None
    unpriced: tuple[str, ...] = ()

    @property
    def annual(self) -> Decimal | None:
        return None if self.monthly is None else self.monthly * 12

    def to_record(self) -> dict[str, Any]:
        return {
            "rate_card": self.rate_card,
            "tier": self.tier,
            "currency": self.currency,
            "monthly": None if self.monthly is None else str(self.monthly),
            "annual": None if self.annual is None else str(self.annual),
            "lines": [line.to_record() for line in self.lines],
            "unpriced": list(self.unpriced),
        }


def estimate(
    meters: Mapping[str, Decimal], tier: str | None, table: RateTable | None
) -> PriceEstimate:
    """Price ``meters`` at ``tier`` with ``table``; no table or tier gives no total."""
    if table is None or tier is None:
        lines = tuple(PriceLine(m, None, q, None, None) for m, q in sorted(meters.items()))
        return PriceEstimate(
            table.version if table else None, tier, "CNY", lines, None, tuple(meters)
        )
    out: list[PriceLine] = []
    unpriced: list[str] = []
    for meter, quantity in sorted(meters.items()):
        rate = table.prices.get((meter, tier))
        if rate is None:
            unpriced.append(meter)
            out.append(PriceLine(meter, None, quantity, None, None))
            continue
        unit, price = rate
        amount = (quantity * price).quantize(FEN, rounding=ROUND_HALF_UP)
        out.append(PriceLine(meter, unit, quantity, price, amount))
    total = sum((line.amount for line in out if line.amount is not None), Decimal("0.00"))
    return PriceEstimate(table.version, tier, table.currency, tuple(out), total, tuple(unpriced))
