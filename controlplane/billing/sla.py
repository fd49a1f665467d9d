"""Service-level (服务水平考核) deductions from measured provider availability.

Owns ``SlaRule`` (a provider's monthly availability target and the estate's deduction
tiers, taken as data), ``AvailabilityMeasurement`` (measured availability with an
evidence reference) and ``sla_adjustments``: for a provider below target, each
department is credited the tier's percentage of its charges on that provider that
month — the sum of its fen-rounded lines there, times the percentage, rounded half-up
once. Imports only the billing value modules; no I/O.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from controlplane.billing.errors import RateCardError
from controlplane.billing.money import round_half_up_fen
from controlplane.billing.period import Month
from controlplane.billing.rating import BillLine
from controlplane.billing.statements import Adjustment, AdjustmentKind


def _percent(value: Any, where: str) -> Decimal:
    text = str(value).strip().removesuffix("%")
    try:
        number = Decimal(text)
    except ArithmeticError as exc:
        raise RateCardError(f"{where}: {value!r} is not a percentage") from exc
    if not number.is_finite() or not 0 <= number <= 100:
        raise RateCardError(f"{where}: {value!r} is not between 0 and 100")
    return number


@dataclass(frozen=True)
class SlaTier:
    """Availability strictly below ``below`` (percent) deducts ``deduct_percent``."""

    below: Decimal
    deduct_percent: Decimal


@dataclass(frozen=True)
class SlaRule:
    """A provider's availability target and deduction tiers (both in percent)."""

    target: Decimal
    tiers: tuple[SlaTier, ...]

    def __post_init__(self) -> None:
        for tier in self.tiers:
            if tier.below > self.target:
                raise RateCardError(
                    f"SLA tier below {tier.below}% is above the target {self.target}%"
                )
        object.__setattr__(self, "tiers", tuple(sorted(self.tiers, key=lambda t: t.below)))

    @classmethod
    def from_data(cls, target: Any, tiers: Sequence[Mapping[str, Any]]) -> SlaRule:
        """Build from estate data, e.g. ``[{below: "99.9", deduct: "5%"}]``."""
        return cls(
            _percent(target, "SLA target"),
            tuple(
                SlaTier(
                    _percent(item["below"], f"SLA tier {index}.below"),
                    _percent(item["deduct"], f"SLA tier {index}.deduct"),
                )
                for index, item in enumerate(tiers)
            ),
        )

    def deduction_percent(self, availability: Decimal) -> Decimal:
        """The deduction for a measured availability: the largest tier it falls under."""
        if availability >= self.target:
            return Decimal(0)
        return max(
            (t.deduct_percent for t in self.tiers if availability < t.below), default=Decimal(0)
        )


@dataclass(frozen=True)
class AvailabilityMeasurement:
    """Measured availability (percent) of a provider over a month, with its evidence."""

    provider: str
    month: str
    availability: Decimal
    evidence: str


def sla_adjustments(
    month: Month,
    lines: Iterable[BillLine],
    measurements: Iterable[AvailabilityMeasurement],
    rules: Mapping[str, SlaRule],
    approver: str,
) -> tuple[Adjustment, ...]:
    """Credits for every department with charges on a provider that missed its target."""
    charges: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for line in lines:
        if line.month == str(month):
            charges[(line.provider, line.tenant)] += line.amount
    out: list[Adjustment] = []
    for measured in sorted(measurements, key=lambda m: m.provider):
        rule = rules.get(measured.provider)
        if measured.month != str(month) or rule is None:
            continue
        percent = rule.deduction_percent(measured.availability)
        if percent == 0:
            continue
        for (provider, tenant), amount in sorted(charges.items()):
            if provider != measured.provider or amount == 0:
                continue
            credit = round_half_up_fen(-Fraction(amount) * Fraction(percent) / 100)
            out.append(
                Adjustment(
                    tenant=tenant,
                    kind=AdjustmentKind.SLA,
                    reason=(
                        f"服务水平考核扣减 SLA deduction: {provider} {month} 可用率 availability "
                        f"{measured.availability}% < {rule.target}%, 扣减 deduct {percent}% "
                        f"of {amount}"
                    ),
                    approver=approver,
                    amount=credit,
                    relates_to=str(month),
                    provider=provider,
                    evidence=measured.evidence,
                )
            )
    return tuple(out)
