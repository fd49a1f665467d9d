"""Rating: usage intervals × rate card → bill lines for one month.

Owns the pricing rule of DESIGN.md. For a month ``[start, end)`` of H hours / D days
(Asia/Shanghai), every interval is clipped to the month and split at every ownership,
rate-card-version and discount boundary. Each resulting *piece* is priced by its
version's rate for the resource's tier:

* ``hour``: ``price × quantity × h / H``, h = the piece's duration rounded **up** to
  whole hours (a piece is one usage interval inside one month, owner, version and
  discount, so a resize or an ownership change starts a new piece);
* ``day``: the same with whole days (duration rounded up) over D;
* ``month``: the whole monthly price for any use. A resource+meter is charged **once**
  per month at its peak quantity, to the owner, version and discount in force where
  that peak first occurs, so a mid-month split never charges a month twice.

**One bill line** is one (tenant, system, provider, meter, rate version, discount):
exactly one unit price, one proration and one discount, so finance can check it as
``amount = round(unit_price × billed_quantity / period_units × (100 − discount%) / 100)``
where ``billed_quantity`` is Σ quantity × h (unit·hours, unit·days or units) and
``period_units`` is H, D or 1. The exact amount is a Fraction, rounded half-up to the
fen once. Each line keeps its lineage: the interval ids and the rate version.

Usage that cannot be priced (no owner, unknown provider, no version in force, meter or
tier without a price) is never dropped silently: it is returned as ``UnratedUsage``.
Lines come out sorted, so the same inputs in any order give identical output.
Imports only the billing value modules; no I/O.
"""

from __future__ import annotations

import bisect
import hashlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from functools import cached_property
from itertools import pairwise
from operator import attrgetter
from typing import Any, Protocol

from controlplane.billing.meters import meter as meter_of
from controlplane.billing.money import exact_ratio_decimal, round_ratio_half_up_fen
from controlplane.billing.ownership import Ownership, OwnershipTimeline
from controlplane.billing.period import Month, epoch_seconds, from_epoch
from controlplane.billing.ratecard import Discount, Proration, Rate, RateCard, RateCardVersion, Tier
from controlplane.billing.usage import UsageInterval


class UnratedReason(StrEnum):
    NO_OWNER = "no-owner"
    UNKNOWN_PROVIDER = "unknown-provider"
    NO_RATE_VERSION = "no-rate-version"
    NO_RATE = "no-rate-for-meter"
    NO_TIER_PRICE = "no-price-for-tier"


@dataclass(frozen=True, order=True)
class UnratedUsage:
    """A piece of usage in the month that no line accounts for, and why."""

    provider: str
    resource_id: str
    meter: str
    start: datetime
    end: datetime
    reason: UnratedReason
    interval_id: str
    tenant: str = ""


@dataclass(frozen=True)
class BillLine:
    """One rated line; see the module docstring for what makes a line."""

    month: str
    tenant: str
    system: str
    provider: str
    tier: Tier
    meter: str
    unit: str
    proration: Proration
    rate_version: str
    approval_ref: str
    unit_price: Decimal
    period_units: int
    billed_quantity: Decimal
    discount_percent: Decimal
    discount_ref: str
    amount: Decimal
    interval_ids: tuple[str, ...]

    @cached_property  # hashed content and the line writer both ask for it
    def line_id(self) -> str:
        text = "\x1f".join(
            (
                *(self.month, self.tenant, self.system, self.provider, self.meter),
                *(self.rate_version, str(self.discount_percent), self.discount_ref),
            )
        )
        return hashlib.sha256(text.encode()).hexdigest()[:20]


def _line_of(values: dict[str, Any]) -> BillLine:
    """``BillLine(**values)`` for the rater's own values, every field given (the
    oracle and statement tests compare such lines field by field with built ones).

    The frozen dataclass's ``__init__`` sets its 17 fields by one ``object.__setattr__``
    each, several times the cost of this (timeit, 2026-12-06) for each of a province's
    ~40,000 lines. A frozen dataclass
    without ``__post_init__`` is exactly its ``__dict__``, so this fills it at once;
    assigning to the line afterwards still raises ``FrozenInstanceError``.
    """
    line = object.__new__(BillLine)
    line.__dict__.update(values)
    return line


@dataclass(frozen=True)
class Rating:
    """The result of rating one month."""

    month: Month
    lines: tuple[BillLine, ...]
    unrated: tuple[UnratedUsage, ...]


_LineKey = tuple[str, str, str, str, str, Decimal, str]  # tenant system provider meter ver % ref
_SECONDS = {Proration.HOUR: 3600, Proration.DAY: 86400}
# tier, rate, approval ref, unit price, period units, scale, amount numerator per base
# unit, amount denominator: what every line of one version/meter/provider/discount shares
_Terms = tuple[Tier, Rate, str, Decimal, int, int, int, int]


class _Span(Protocol):
    """What rating reads of an interval besides its bounds (a ``UsageInterval`` or
    ``EpochInterval``)."""

    @property
    def provider(self) -> str: ...
    @property
    def resource_id(self) -> str: ...
    @property
    def meter(self) -> str: ...
    @property
    def quantity(self) -> int: ...
    @property
    def interval_id(self) -> str: ...


class _EpochSpan(_Span, Protocol):
    """An interval with its bounds in epoch seconds (an ``EpochInterval``)."""

    @property
    def start(self) -> int: ...
    @property
    def end(self) -> int: ...


def _ceil_div(numerator: int, denominator: int) -> int:
    return -(-numerator // denominator)


@dataclass
class _Priced:
    key: _LineKey
    tier: Tier
    proration: Proration


class _Rater:
    def __init__(
        self,
        month: Month,
        card: RateCard,
        ownership: OwnershipTimeline,
        provider_tiers: Mapping[str, Tier],
    ) -> None:
        self.month = month
        self.card = card
        self.ownership = ownership
        self.tiers = provider_tiers
        self.start = epoch_seconds(month.start)
        self.end = epoch_seconds(month.end)
        self.version_cuts = card.version_boundaries()
        self.sums: dict[_LineKey, int] = defaultdict(int)
        self.lineage: dict[_LineKey, set[str]] = defaultdict(set)
        self.monthly: dict[tuple[str, str, str], list[tuple[int, int, _LineKey, str]]] = (
            defaultdict(list)
        )
        self.unrated: list[UnratedUsage] = []
        self.versions: dict[str, RateCardVersion] = {}
        self.period_units = {Proration.HOUR: month.hours, Proration.DAY: month.days,
                             Proration.MONTH: 1}  # fmt: skip
        self.discount_cuts: dict[str, tuple[int, ...]] = {}
        self.rates: dict[tuple[str, str, int], tuple[Tier, str, Proration] | UnratedReason] = {}
        self.discounts: dict[tuple[str, int], Discount] = {}
        self.pieces: dict[tuple[str, str, str, str, int, int], tuple[_LineKey, int] | UnratedReason]
        self.pieces = {}
        self._month_uncut = self._uncut(self.version_cuts)
        # per tenant: (version span, discount span) when no boundary cuts the month, or None
        self.uncut: dict[str, tuple[int, int] | None] = {}

    def rate(self, interval: UsageInterval) -> None:
        self.rate_span(interval, epoch_seconds(interval.start), epoch_seconds(interval.end))

    def rate_span(self, interval: _Span, start: int, end: int) -> None:
        """Rate ``interval`` over ``[start, end)`` (epoch seconds)."""
        # conditional expressions, not max()/min(): this runs once per interval and piece
        lo = start if start > self.start else self.start
        hi = end if end < self.end else self.end
        if lo >= hi:
            return
        cursor = lo
        for seg_start, seg_end, (tenant, system) in self.ownership.segments(
            interval.provider, interval.resource_id
        ):
            if seg_end <= cursor or seg_start >= hi:
                continue
            if seg_start > cursor:
                self._unrated(interval, cursor, seg_start, UnratedReason.NO_OWNER)
            owned_start = seg_start if seg_start > cursor else cursor
            owned_end = seg_end if seg_end < hi else hi
            self._rate_owned(interval, tenant, system, owned_start, owned_end)
            cursor = owned_end
            if cursor >= hi:
                break
        if cursor < hi:
            self._unrated(interval, cursor, hi, UnratedReason.NO_OWNER)

    def rate_owned_series(self, intervals: Sequence[_EpochSpan], tenant: str, system: str) -> None:
        """``rate_span`` of each interval of one provider/resource/meter (bounds in epoch
        seconds) that ``tenant``/``system`` owned over all of its usage.

        Ownership splits none of them. When no rate-version or discount boundary of
        ``tenant`` falls inside the month either, one lookup prices the whole series and
        only the periods are counted per interval; otherwise each goes through
        ``_rate_owned`` as ``rate_span`` would send it.
        """
        start, end = self.start, self.end
        if tenant in self.uncut:
            at = self.uncut[tenant]
        else:
            cuts = self._discount_cuts(tenant)
            at = self.uncut[tenant] = (
                (bisect.bisect_right(self.version_cuts, start), bisect.bisect_right(cuts, start))
                if self._month_uncut and self._uncut(cuts)
                else None
            )
        if at is None:
            for interval in intervals:
                lo = interval.start if interval.start > start else start
                hi = interval.end if interval.end < end else end
                if lo < hi:
                    self._rate_owned(interval, tenant, system, lo, hi)
            return
        first = intervals[0]
        provider, meter_name = first.provider, first.meter
        found = self.pieces.get((provider, meter_name, tenant, system, at[0], at[1]))
        if found is None:  # what is in force anywhere in the month is what is at its start
            found = self._piece(provider, meter_name, tenant, system, start,
                                self.discount_cuts[tenant])  # fmt: skip
        if isinstance(found, tuple) and found[1]:  # hour or day proration
            key, seconds = found
            total, inside, lineage = 0, False, self.lineage[key]
            for iv in intervals:
                lo = iv.start if iv.start > start else start
                hi = iv.end if iv.end < end else end
                if lo < hi:
                    total += iv.quantity * -((lo - hi) // seconds)  # whole periods, up
                    inside = True
                    lineage.add(iv.interval_id)
            if inside:
                self.sums[key] += total
            return
        for iv in intervals:
            lo = iv.start if iv.start > start else start
            hi = iv.end if iv.end < end else end
            if lo < hi:
                self._charge_piece(iv, tenant, found, lo, hi)

    def _uncut(self, boundaries: tuple[int, ...]) -> bool:
        """No boundary strictly inside the month: what is in force is the same all month."""
        at = bisect.bisect_right(boundaries, self.start)
        return at == len(boundaries) or boundaries[at] >= self.end

    def _discount_cuts(self, tenant: str) -> tuple[int, ...]:
        discount_cuts = self.discount_cuts.get(tenant)
        if discount_cuts is None:
            discount_cuts = self.discount_cuts[tenant] = self.card.discount_boundaries(tenant)
        return discount_cuts

    def _piece(
        self,
        provider: str,
        meter_name: str,
        tenant: str,
        system: str,
        lo: int,
        discount_cuts: tuple[int, ...],
    ) -> tuple[_LineKey, int] | UnratedReason:
        """The line key and period seconds (0: month) of usage at ``lo`` that no boundary
        splits: constant between two boundaries, so it is looked up once per (provider,
        meter, owner, version span, discount span)."""
        at_version = bisect.bisect_right(self.version_cuts, lo)
        at_discount = bisect.bisect_right(discount_cuts, lo)
        memo = (provider, meter_name, tenant, system, at_version, at_discount)
        found = self.pieces.get(memo)
        if found is None:
            priced = self._priced(provider, meter_name, tenant, system, lo)
            found = self.pieces[memo] = (
                priced
                if isinstance(priced, UnratedReason)
                else (priced.key, _SECONDS.get(priced.proration, 0))
            )
        return found

    def _rate_owned(self, interval: _Span, tenant: str, system: str, lo: int, hi: int) -> None:
        discount_cuts = self._discount_cuts(tenant)
        version_cuts = self.version_cuts
        # the first boundary after lo of each kind: one inside (lo, hi) splits the span
        at_version = bisect.bisect_right(version_cuts, lo)
        at_discount = bisect.bisect_right(discount_cuts, lo)
        if (at_version < len(version_cuts) and version_cuts[at_version] < hi) or (
            at_discount < len(discount_cuts) and discount_cuts[at_discount] < hi
        ):
            self._rate_pieces(interval, tenant, system, lo, hi, discount_cuts)
            return
        # the common case, one piece
        found = self._piece(interval.provider, interval.meter, tenant, system, lo, discount_cuts)
        self._charge_piece(interval, tenant, found, lo, hi)

    def _charge_piece(
        self,
        interval: _Span,
        tenant: str,
        found: tuple[_LineKey, int] | UnratedReason,
        lo: int,
        hi: int,
    ) -> None:
        """Charge ``[lo, hi)`` of ``interval``, owned by ``tenant``, to the piece that
        prices it (``_piece``'s answer: no rate-version or discount boundary inside)."""
        if isinstance(found, UnratedReason):
            self._unrated(interval, lo, hi, found, tenant)
            return
        key, seconds = found
        if not seconds:  # month proration
            series = (interval.provider, interval.resource_id, interval.meter)
            self.monthly[series].append((-interval.quantity, lo, key, interval.interval_id))
            return
        self.sums[key] += interval.quantity * -((lo - hi) // seconds)  # whole periods, up
        self.lineage[key].add(interval.interval_id)

    def _rate_pieces(
        self,
        interval: _Span,
        tenant: str,
        system: str,
        lo: int,
        hi: int,
        discount_cuts: tuple[int, ...],
    ) -> None:
        """Rate ``[lo, hi)`` split at every rate-version and discount boundary inside it."""
        inner: list[int] = []  # boundaries strictly inside (lo, hi)
        for boundaries in (self.version_cuts, discount_cuts):
            first = bisect.bisect_right(boundaries, lo)
            last = bisect.bisect_left(boundaries, hi)
            inner += boundaries[first:last]
        interval_id = interval.interval_id
        points = sorted({lo, hi, *inner})
        # A boundary where nothing priced changes (e.g. two back-to-back discounts with the
        # same percent and reference) must not cost an extra rounded-up hour: join runs.
        run: tuple[_Priced, int, int] | None = None
        for piece_start, piece_end in pairwise(points):
            priced = self._price(interval, tenant, system, piece_start, piece_end)
            if run is not None and priced is not None and run[0].key == priced.key:
                run = (run[0], run[1], piece_end)
                continue
            if run is not None:
                self._charge(interval, interval_id, *run)
            run = None if priced is None else (priced, piece_start, piece_end)
        if run is not None:
            self._charge(interval, interval_id, *run)

    def _charge(self, interval: _Span, interval_id: str, priced: _Priced, lo: int, hi: int) -> None:
        if priced.proration is Proration.MONTH:
            series = (interval.provider, interval.resource_id, interval.meter)
            self.monthly[series].append((-interval.quantity, lo, priced.key, interval_id))
            return
        units = _ceil_div(hi - lo, _SECONDS[priced.proration])
        self.sums[priced.key] += interval.quantity * units
        self.lineage[priced.key].add(interval_id)

    def _price(self, interval: _Span, tenant: str, system: str, lo: int, hi: int) -> _Priced | None:
        priced = self._priced(interval.provider, interval.meter, tenant, system, lo)
        if isinstance(priced, UnratedReason):
            self._unrated(interval, lo, hi, priced, tenant)
            return None
        return priced

    def _priced(
        self, provider: str, meter_name: str, tenant: str, system: str, lo: int
    ) -> _Priced | UnratedReason:
        """What prices usage of ``provider``/``meter_name`` owned by tenant/system at ``lo``."""
        # what is in force is constant between two boundaries: look each one up once
        memo = (provider, meter_name, bisect.bisect_right(self.version_cuts, lo))
        found = self.rates.get(memo)
        if found is None:
            found = self.rates[memo] = self._look_up(provider, meter_name, lo)
        if not isinstance(found, tuple):
            return found
        tier, version, proration = found
        at = (tenant, bisect.bisect_right(self.discount_cuts[tenant], lo))
        discount = self.discounts.get(at)
        if discount is None:
            discount = self.discounts[at] = self.card.discount_at(tenant, lo) or _NO_DISCOUNT
        key = (tenant, system, provider, meter_name, version, discount.percent,
               discount.reference)  # fmt: skip
        return _Priced(key, tier, proration)

    def _look_up(
        self, provider: str, meter_name: str, lo: int
    ) -> tuple[Tier, str, Proration] | UnratedReason:
        tier = self.tiers.get(provider)
        version = self.card.version_at(lo)
        rate = None if version is None else version.rate(meter_name)
        if tier is None:
            return UnratedReason.UNKNOWN_PROVIDER
        if version is None:
            return UnratedReason.NO_RATE_VERSION
        if rate is None:
            return UnratedReason.NO_RATE
        if rate.price(tier) is None:
            return UnratedReason.NO_TIER_PRICE
        self.versions[version.version] = version
        return tier, version.version, rate.proration

    def _unrated(
        self, interval: _Span, lo: int, hi: int, reason: UnratedReason, tenant: str = ""
    ) -> None:
        self.unrated.append(
            UnratedUsage(
                interval.provider,
                interval.resource_id,
                interval.meter,
                from_epoch(lo),
                from_epoch(hi),
                reason,
                interval.interval_id,
                tenant,
            )
        )

    def rating(self) -> Rating:
        """The month's ``Rating``, once every interval has been rated."""
        self.settle_monthly()
        return Rating(self.month, tuple(self.lines()), tuple(sorted(self.unrated)))

    def settle_monthly(self) -> None:
        """Charge each month-prorated resource+meter once, at its first peak."""
        for pieces in self.monthly.values():
            negative_peak, _, key, _ = min(pieces)
            self.sums[key] += -negative_peak
            self.lineage[key].update(interval_id for _, _, _, interval_id in pieces)

    def lines(self) -> list[BillLine]:
        month = str(self.month)
        out = []
        terms: dict[tuple[str, str, str, Decimal], _Terms] = {}  # the same for many lines
        for key, base_units in self.sums.items():
            tenant, system, provider, meter_name, label, percent, reference = key
            found = terms.get((label, meter_name, provider, percent))
            if found is None:
                found = terms[(label, meter_name, provider, percent)] = self._terms(
                    label, meter_name, provider, percent
                )
            tier, rate, approval_ref, price, period_units, scale, per_unit, denominator = found
            out.append(
                _line_of(
                    {
                        "month": month,
                        "tenant": tenant,
                        "system": system,
                        "provider": provider,
                        "tier": tier,
                        "meter": meter_name,
                        "unit": rate.unit,
                        "proration": rate.proration,
                        "rate_version": label,
                        "approval_ref": approval_ref,
                        "unit_price": price,
                        "period_units": period_units,
                        "billed_quantity": (
                            Decimal(base_units)
                            if scale == 1
                            else exact_ratio_decimal(base_units, scale)
                        ),
                        "discount_percent": percent,
                        "discount_ref": reference,
                        "amount": round_ratio_half_up_fen(per_unit * base_units, denominator),
                        "interval_ids": tuple(sorted(self.lineage[key])),
                    }
                )
            )
        out.sort(key=line_sort_key)
        return out

    def _terms(self, label: str, meter_name: str, provider: str, percent: Decimal) -> _Terms:
        """What prices a line besides its quantity: the amount is
        ``per_unit × base units / denominator``, i.e. price × (base / scale) / period ×
        (100 − pct) / 100 as one integer ratio."""
        version = self.versions[label]
        rate = version.rate(meter_name)
        tier = self.tiers[provider]
        assert rate is not None
        price = rate.price(tier)
        assert price is not None
        period_units = self.period_units[rate.proration]
        scale = meter_of(meter_name).scale
        price_num, price_den = price.as_integer_ratio()
        pct_num, pct_den = percent.as_integer_ratio()
        per_unit = price_num * (100 * pct_den - pct_num)
        denominator = price_den * scale * period_units * 100 * pct_den
        return tier, rate, version.approval_ref, price, period_units, scale, per_unit, denominator


_NO_DISCOUNT = Discount("", Decimal(0), Month(1970, 1).first_day)


# The canonical order of lines: tenant, system, provider, meter, version, discount (one
# C call per line: a month close sorts ~40,000 lines twice).
line_sort_key: Callable[[BillLine], tuple[str, str, str, str, str, Decimal, str]] = attrgetter(
    "tenant", "system", "provider", "meter", "rate_version", "discount_percent", "discount_ref"
)


def rate_month(
    month: Month,
    intervals: Iterable[UsageInterval],
    ownership: OwnershipTimeline | Iterable[Ownership],
    card: RateCard,
    provider_tiers: Mapping[str, Tier],
) -> Rating:
    """Rate every interval's part inside ``month``; see the module docstring."""
    timeline = (
        ownership if isinstance(ownership, OwnershipTimeline) else OwnershipTimeline(ownership)
    )
    rater = _Rater(month, card, timeline, provider_tiers)
    for interval in intervals:
        rater.rate(interval)
    return rater.rating()
