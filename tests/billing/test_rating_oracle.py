"""Rating against an independent oracle (hypothesis).

Cases covered:
- random observations (overlapping, duplicated, straddling the month), ownership
  timelines with changes and gaps, rate-card versions with gaps and open ends, random
  prices in every tier, hour/day/month proration and effective-dated discounts, for
  February (leap and not), 30- and 31-day months: every line amount and every
  department total equals the oracle's to the fen;
- the same inputs in any order give identical lines in identical order;
- the bulk path (``rate_records`` over epoch records, as ``bill run`` uses it) gives
  exactly the intervals, lines and unrated usage of ``build_intervals`` →
  ``ownership_from_observations`` → ``rate_month`` on the same observations (replays
  and shuffles included), or the same error when the owners they state conflict.

The oracle shares no code with the core: it walks the month in 30-minute slots with
Python datetimes in Asia/Shanghai, finds what is in force in each slot by linear scans,
groups equal consecutive slots into runs, and prices runs with Fractions, rounding with
``Decimal.quantize(ROUND_HALF_UP)``.
"""

from __future__ import annotations

import random
import re
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from controlplane.billing import (
    BillingError,
    Discount,
    EpochRecord,
    Month,
    Observation,
    Ownership,
    Proration,
    Rate,
    RateCard,
    RateCardVersion,
    Tier,
    build_intervals,
    build_statements,
    ownership_from_observations,
    rate_month,
    rate_records,
)
from controlplane.billing.columnar import _sorted_keys
from controlplane.billing.period import epoch_seconds

TZ = ZoneInfo("Asia/Shanghai")
SLOT = timedelta(minutes=30)
PROVIDERS = {"p-prov": Tier.PROVINCIAL, "p-city": Tier.MUNICIPAL, "p-sector": Tier.SECTOR}
# meter → how many of the meter's units one step of generated quantity is
METERS = {
    "compute.vcpu": Decimal(1),
    "compute.memory": Decimal("0.5"),
    "k8s.cpu": Decimal("0.25"),
    "gpu.card": Decimal("0.125"),
}
TENANTS = {"hrss": "省人力资源和社会保障厅", "edu": "甲市教育局", "water": "省水利厅"}
MONTHS = ["2024-02", "2026-02", "2026-04", "2026-01", "2026-12"]


@dataclass
class Case:
    month: Month
    observations: list[Observation]
    ownership: list[Ownership]
    card: RateCard


@st.composite
def cases(draw: st.DrawFn) -> Case:
    month = Month.parse(draw(st.sampled_from(MONTHS)))
    local_start = datetime(month.year, month.month, 1, tzinfo=TZ)
    first_day = local_start.date()

    def instant(slot: int) -> datetime:
        return local_start + slot * SLOT

    span = draw(st.integers(min_value=0, max_value=2))  # slots up to ~month end + 2 days
    top = 31 * 48 + 96 * span
    resources = draw(
        st.lists(
            st.tuples(st.sampled_from(sorted(PROVIDERS)), st.sampled_from(sorted(METERS))),
            min_size=1,
            max_size=3,
        )
    )
    observations: list[Observation] = []
    ownership: list[Ownership] = []
    for index, (provider, meter) in enumerate(resources):
        rid = f"r{index}"
        for n in range(draw(st.integers(1, 4))):
            a = draw(st.integers(-96, top))
            b = a + draw(st.integers(1, 20 * 48))
            steps = draw(st.integers(0, 16))
            observations.append(
                Observation(
                    provider,
                    draw(st.sampled_from(["poll", "import"])),
                    f"{rid}-{n}",
                    rid,
                    "ignored",
                    "ignored",
                    meter,
                    METERS[meter] * steps,
                    instant(a),
                    instant(b),
                )
            )
        cuts = sorted({-48, *draw(st.sets(st.integers(-48, top), max_size=3))})
        for a, b in zip(cuts, [*cuts[1:], None], strict=True):
            if draw(st.integers(0, 5)) != 5 or b is None:
                tenant = draw(st.sampled_from(sorted(TENANTS)))
                system = draw(st.sampled_from(["portal", "ods"]))
                ownership.append(
                    Ownership(
                        provider, rid, tenant, system, instant(a), None if b is None else instant(b)
                    )
                )
    day_offsets = sorted(
        {draw(st.integers(-35, 0)), *draw(st.sets(st.integers(-35, 35), max_size=2))}
    )
    versions = []
    for n, offset in enumerate(day_offsets):
        following = day_offsets[n + 1] if n + 1 < len(day_offsets) else None
        until = None
        if draw(st.booleans()):
            limit = following if following is not None else 60
            until = first_day + timedelta(days=draw(st.integers(offset + 1, limit)))
        rates = []
        for meter in sorted(METERS):
            if draw(st.integers(0, 5)) == 5:
                continue  # a version without this meter: usage stays unrated
            prices = {
                tier: Decimal(draw(st.integers(0, 10**6))).scaleb(-draw(st.sampled_from([2, 4])))
                for tier in Tier
                if draw(st.integers(0, 6)) != 6
            }
            rates.append(Rate(meter, "unit", prices, draw(st.sampled_from(list(Proration)))))
        versions.append(
            RateCardVersion(
                f"v{n}",
                first_day + timedelta(days=offset),
                tuple(rates),
                f"财〔2026〕{n}号",
                "approver",
                until,
            )
        )
    discounts = []
    for tenant in sorted(TENANTS):
        offsets = sorted(draw(st.sets(st.integers(-35, 35), max_size=2)))
        for n, offset in enumerate(offsets):
            discounts.append(
                Discount(
                    tenant,
                    Decimal(draw(st.integers(0, 400))) / 4,
                    first_day + timedelta(days=offset),
                    reference=f"{tenant}-d{n}",
                )
            )
    return Case(month, observations, ownership, RateCard.of(versions, discounts))


# ---------------------------------------------------------------- the oracle


def _local(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=TZ)


def _in_force(items: list[tuple[date, date | None, object]], t: datetime) -> object | None:
    for begin, until, item in items:
        if until is None:
            later = [b for b, _, _ in items if b > begin]
            until = min(later) if later else None
        if _local(begin) <= t and (until is None or t < _local(until)):
            return item
    return None


def oracle(case: Case) -> dict[tuple[str, ...], Decimal]:
    """Line key → amount, keyed like (tenant, system, provider, meter, version, %, ref)."""
    start = datetime(case.month.year, case.month.month, 1, tzinfo=TZ)
    end = datetime(
        case.month.year + case.month.month // 12, case.month.month % 12 + 1, 1, tzinfo=TZ
    )
    hours = int((end - start).total_seconds()) // 3600
    days = hours // 24
    slots = [start + i * SLOT for i in range(int((end - start) / SLOT))]
    versions = [(v.effective_from, v.effective_to, v) for v in case.card.versions]
    unique = {o.natural_key: o for o in case.observations}.values()
    series: dict[tuple[str, str, str], list[Observation]] = defaultdict(list)
    for o in unique:
        series[(o.provider, o.resource_id, o.meter)].append(o)
    exact: dict[tuple[str, ...], Fraction] = defaultdict(Fraction)
    for (provider, rid, meter), observations in series.items():
        state = []
        for t in slots:
            covering = [o.quantity for o in observations if o.start <= t < o.end]
            owners = [
                w
                for w in case.ownership
                if w.provider == provider
                and w.resource_id == rid
                and w.start <= t
                and (w.end is None or t < w.end)
            ]
            if not covering or not owners:
                state.append(None)
                continue
            version = _in_force(versions, t)
            owner = owners[0]
            discounts = [
                (d.effective_from, d.effective_to, d)
                for d in case.card.discounts
                if d.tenant == owner.tenant
            ]
            discount = _in_force(discounts, t)
            rate = None
            if isinstance(version, RateCardVersion):
                rate = next((r for r in version.rates if r.meter == meter), None)
            price = None if rate is None else rate.prices.get(PROVIDERS[provider])
            if price is None or rate is None or not isinstance(version, RateCardVersion):
                state.append(None)
                continue
            percent, ref = (
                (discount.percent, discount.reference)
                if isinstance(discount, Discount)
                else (Decimal(0), "")
            )
            key = (
                owner.tenant,
                owner.system,
                provider,
                meter,
                version.version,
                str(Decimal(percent).normalize()),
                ref,
            )
            state.append((max(covering), key, rate.proration, price))
        runs = []
        for t, s in zip(slots, state, strict=True):
            if s is not None and runs and runs[-1][1] == s and runs[-1][2] == t:
                runs[-1][0] += 1
                runs[-1][2] = t + SLOT
            elif s is not None:
                runs.append([1, s, t + SLOT, t])
        monthly_best = None
        for count, (quantity, key, proration, price), _, first in runs:
            if proration == Proration.HOUR:
                units, period = -(-count // 2), hours
            elif proration == Proration.DAY:
                units, period = -(-count // 48), days
            else:
                if monthly_best is None or (quantity, -first.timestamp()) > (
                    monthly_best[0],
                    -monthly_best[3].timestamp(),
                ):
                    monthly_best = (quantity, key, price, first)
                continue
            exact[key] += _piece(price, quantity, units, period, key)
        if monthly_best is not None:
            quantity, key, price, _ = monthly_best
            exact[key] += _piece(price, quantity, 1, 1, key)
    out = {}
    with localcontext() as ctx:
        ctx.prec = 80
        for key, value in exact.items():
            out[key] = (Decimal(value.numerator) / Decimal(value.denominator)).quantize(
                Decimal("0.01"), ROUND_HALF_UP
            )
    return out


def _piece(
    price: Decimal, quantity: Decimal, units: int, period: int, key: tuple[str, ...]
) -> Fraction:
    percent = Fraction(Decimal(key[5]))
    return Fraction(price) * Fraction(quantity) * units / period * (100 - percent) / 100


# ---------------------------------------------------------------- the properties


def _rate(case: Case, observations: list[Observation], ownership: list[Ownership]):  # type: ignore[no-untyped-def]
    intervals = build_intervals(observations)
    return rate_month(case.month, intervals, ownership, case.card, PROVIDERS)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_lines_and_totals_equal_the_oracle(case: Case) -> None:
    rating = _rate(case, case.observations, case.ownership)
    got = {
        (
            line.tenant,
            line.system,
            line.provider,
            line.meter,
            line.rate_version,
            str(line.discount_percent.normalize()),
            line.discount_ref,
        ): line.amount
        for line in rating.lines
    }
    expected = oracle(case)
    # the oracle has no notion of a zero-quantity line; the core keeps them (lineage)
    assert {k: v for k, v in got.items() if v or k in expected} == expected
    statements = build_statements(case.month, rating.lines, [], TENANTS, case.card)
    for statement in statements:
        want = sum((v for k, v in expected.items() if k[0] == statement.tenant), Decimal("0.00"))
        assert statement.total == want


@settings(max_examples=40, deadline=None)
@given(cases(), st.randoms(use_true_random=False))
def test_input_order_does_not_matter(case: Case, rnd: random.Random) -> None:
    first = _rate(case, case.observations, case.ownership)
    shuffled_obs = case.observations * 2
    rnd.shuffle(shuffled_obs)
    shuffled_owners = list(case.ownership)
    rnd.shuffle(shuffled_owners)
    again = _rate(case, shuffled_obs, shuffled_owners)
    assert again == first


def _core(case: Case, observations: list[Observation]):  # type: ignore[no-untyped-def]
    intervals = build_intervals(observations)
    owners = ownership_from_observations(observations)
    return intervals, rate_month(case.month, intervals, owners, case.card, PROVIDERS)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases(), st.randoms(use_true_random=False))
def test_bulk_path_equals_the_core(case: Case, rnd: random.Random) -> None:
    # owners stated by the records: per resource, or per record (splits and conflicts)
    per_resource = rnd.random() < 0.5
    owners = {o.resource_id: rnd.choice(sorted(TENANTS)) for o in case.observations}
    stated = [
        replace(o, tenant=owners[o.resource_id] if per_resource else rnd.choice(sorted(TENANTS)),
                system=rnd.choice(["a", "b"]) if not per_resource else "a")
        for o in case.observations
    ]  # fmt: skip
    observations = stated + rnd.sample(stated, len(stated) // 3)
    rnd.shuffle(observations)
    records = [EpochRecord.of(o) for o in observations]
    try:
        intervals, rating = _core(case, observations)
    except BillingError as exc:
        refusal: BillingError | None = exc
    else:
        refusal = None
    if refusal is not None:  # the same error, word for word
        with pytest.raises(type(refusal), match=f"^{re.escape(str(refusal))}$"):
            rate_records(case.month, records, case.card, PROVIDERS)
        return
    bulk = rate_records(case.month, records, case.card, PROVIDERS)
    assert bulk.rating == rating
    assert [(iv.provider, iv.resource_id, iv.meter, iv.quantity, iv.start, iv.end,
             iv.observations, iv.interval_id) for iv in bulk.intervals] == [
        (iv.provider, iv.resource_id, iv.meter, iv.quantity, epoch_seconds(iv.start),
         epoch_seconds(iv.end), iv.observations, iv.interval_id) for iv in intervals
    ]  # fmt: skip


@given(st.lists(st.tuples(*[st.text(alphabet="ab\x00\x01", max_size=3)] * 3), unique=True))
def test_series_keys_sort_as_tuples(keys: list[tuple[str, str, str]]) -> None:
    # the bulk path sorts NUL-joined strings; a part holding a NUL must not reorder them
    assert _sorted_keys(dict.fromkeys(keys)) == sorted(keys)
    assert _sorted_keys({("a", "b", "m"): 0, ("a\x00", "\x00z", "m"): 0}) == [
        ("a", "b", "m"),
        ("a\x00", "\x00z", "m"),
    ]
