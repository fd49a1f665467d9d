"""The rate card (服务目录): versioned unit prices and per-department discounts.

Owns ``Rate`` (a meter's monthly price per tier and its proration rule),
``RateCardVersion`` (effective dates in Asia/Shanghai, approval reference 文号 and
approver), ``Discount`` (a department's percentage off, effective-dated) and
``RateCard`` (lookup of what is in force at an instant). Pure values; imports only the
billing value modules.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from functools import cached_property
from types import MappingProxyType

from controlplane.billing.effective import Timeline
from controlplane.billing.errors import RateCardError
from controlplane.billing.money import decimal_places
from controlplane.billing.period import epoch_seconds


class Tier(StrEnum):
    """The three kinds of cloud of a 1+M+N estate."""

    PROVINCIAL = "provincial"
    MUNICIPAL = "municipal"
    SECTOR = "sector"


class Proration(StrEnum):
    """How a monthly price is charged for partial use (DESIGN.md, "Pricing rule")."""

    HOUR = "hour"
    DAY = "day"
    MONTH = "month"


def _price(value: Decimal | str, where: str) -> Decimal:
    price = Decimal(value)
    if not price.is_finite() or price < 0:
        raise RateCardError(f"{where}: price {value} must be a finite amount ≥ 0")
    if decimal_places(price) > 4:
        raise RateCardError(f"{where}: price {value} has more than 4 decimal places")
    return price


@dataclass(frozen=True)
class Rate:
    """Price per ``unit`` per calendar month of ``meter``, by tier."""

    meter: str
    unit: str
    prices: Mapping[Tier, Decimal]
    proration: Proration = Proration.HOUR

    def __post_init__(self) -> None:
        where = f"rate {self.meter}"
        checked = {Tier(tier): _price(price, where) for tier, price in self.prices.items()}
        object.__setattr__(self, "prices", MappingProxyType(dict(sorted(checked.items()))))
        object.__setattr__(self, "proration", Proration(self.proration))

    def price(self, tier: Tier) -> Decimal | None:
        return self.prices.get(tier)


@dataclass(frozen=True)
class RateCardVersion:
    """One approved version of the rate card.

    In force from ``effective_from`` (inclusive) to ``effective_to`` (exclusive) or, if
    that is open, until the next version takes effect; dates are Asia/Shanghai.
    """

    version: str
    effective_from: date
    rates: tuple[Rate, ...]
    approval_ref: str = ""
    approver: str = ""
    effective_to: date | None = None
    currency: str = "CNY"

    def __post_init__(self) -> None:
        object.__setattr__(self, "rates", tuple(sorted(self.rates, key=lambda r: r.meter)))
        meters = [rate.meter for rate in self.rates]
        if len(set(meters)) != len(meters):
            raise RateCardError(f"rate card {self.version}: a meter is priced twice")
        if self.currency != "CNY":
            raise RateCardError(f"rate card {self.version}: currency must be CNY")

    @cached_property
    def _by_meter(self) -> dict[str, Rate]:
        return {rate.meter: rate for rate in self.rates}

    def rate(self, meter: str) -> Rate | None:
        return self._by_meter.get(meter)


@dataclass(frozen=True)
class Discount:
    """``percent`` off a department's charges while in force (e.g. ``Decimal("10")``)."""

    tenant: str
    percent: Decimal
    effective_from: date
    effective_to: date | None = None
    reference: str = ""

    def __post_init__(self) -> None:
        percent = Decimal(self.percent)
        if not percent.is_finite() or not 0 <= percent <= 100:
            raise RateCardError(f"discount for {self.tenant}: percent {percent} not in 0..100")
        object.__setattr__(self, "percent", percent)


@dataclass(frozen=True)
class RateCard:
    """All versions and discounts; answers "what was in force at this instant"."""

    versions: tuple[RateCardVersion, ...]
    discounts: tuple[Discount, ...] = ()
    _versions: Timeline[RateCardVersion] = field(init=False, repr=False, compare=False)
    _discounts: Mapping[str, Timeline[Discount]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        labels = [v.version for v in self.versions]
        if len(set(labels)) != len(labels):
            raise RateCardError("rate card: a version label is used twice")
        object.__setattr__(
            self,
            "_versions",
            Timeline.build(
                self.versions,
                lambda v: (v.effective_from, v.effective_to),
                lambda v: f"rate card {v.version}",
            ),
        )
        by_tenant: dict[str, list[Discount]] = {}
        for discount in self.discounts:
            by_tenant.setdefault(discount.tenant, []).append(discount)
        object.__setattr__(
            self,
            "_discounts",
            {
                tenant: Timeline.build(
                    items,
                    lambda d: (d.effective_from, d.effective_to),
                    lambda d: f"discount {d.tenant} from {d.effective_from}",
                )
                for tenant, items in by_tenant.items()
            },
        )

    @classmethod
    def of(
        cls, versions: Iterable[RateCardVersion], discounts: Iterable[Discount] = ()
    ) -> RateCard:
        return cls(tuple(versions), tuple(discounts))

    def version_at(self, instant: datetime | int) -> RateCardVersion | None:
        """The version in force at ``instant`` (aware datetime or epoch seconds)."""
        return self._versions.at(_epoch(instant))

    def discount_at(self, tenant: str, instant: datetime | int) -> Discount | None:
        timeline = self._discounts.get(tenant)
        return None if timeline is None else timeline.at(_epoch(instant))

    def version_boundaries(self) -> tuple[int, ...]:
        return self._versions.boundaries()

    def discount_boundaries(self, tenant: str) -> tuple[int, ...]:
        timeline = self._discounts.get(tenant)
        return () if timeline is None else timeline.boundaries()


def _epoch(instant: datetime | int) -> int:
    return instant if isinstance(instant, int) else epoch_seconds(instant)
