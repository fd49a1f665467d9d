"""Rating by worked examples a finance clerk can check by hand.

Cases covered:
- a VM straddling February→March→April is billed only its March hours, split at the
  16 March price change (two lines, two versions, each with its 文号 and lineage);
- hourly rounding up (61 minutes → 2 hours) and municipal prices with a discount;
- daily proration (9 days 30 minutes → 10 days over 31) and monthly (any use → a month);
- month proration never charges twice when the owner changes mid-month;
- usage without owner, version, meter rate or tier price comes back as unrated;
- a rated line (filled without the dataclass's ``__init__``) is the line its fields
  build: equal, same hash, same ``line_id``, still frozen;
- rate card lookups: versions in force, open ends, gaps, overlap and same-day errors,
  discounts effective-dated per department.
"""

from __future__ import annotations

from dataclasses import FrozenInstanceError, fields
from datetime import date, datetime
from decimal import Decimal

import pytest

from controlplane.billing import (
    SHANGHAI,
    BillLine,
    Month,
    Observation,
    Ownership,
    Rate,
    RateCard,
    RateCardError,
    RateCardVersion,
    Tier,
    UnratedReason,
    build_intervals,
    ownership_from_observations,
    rate_month,
)

MARCH = Month.parse("2026-03")  # 744 hours, 31 days
TIERS = {"prov-main": Tier.PROVINCIAL, "city-a": Tier.MUNICIPAL, "water-k8s": Tier.SECTOR}


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)  # type: ignore[misc]


def rate(card: RateCard, usage: list[Observation], month: Month = MARCH):  # type: ignore[no-untyped-def]
    return rate_month(
        month, build_intervals(usage), ownership_from_observations(usage), card, TIERS
    )


def test_march_by_hand(card: RateCard, march_usage: list[Observation]) -> None:
    rating = rate(card, march_usage)
    assert rating.unrated == ()
    got = {(l.tenant, l.meter, l.rate_version): l for l in rating.lines}  # noqa: E741
    # vm-1 vCPU: 1 Mar 00:00 → 16 Mar 00:00 = 360 h at 45.00; 16 Mar → 1 Apr = 384 h at 40.00
    before = got[("hrss", "compute.vcpu", "2026.1")]
    assert before.billed_quantity == 4 * 360
    assert before.amount == Decimal("87.10")  # 45 × 1440 / 744 = 87.096…
    after = got[("hrss", "compute.vcpu", "2026.2")]
    assert after.amount == Decimal("82.58")  # 40 × 1536 / 744 = 82.580…
    assert before.approval_ref == "省数管〔2025〕12号"
    assert after.approval_ref == "省数管〔2026〕3号"
    assert before.interval_ids == after.interval_ids and len(before.interval_ids) == 1
    # memory 8 GiB: 20 × 8 × 360 / 744 = 77.419… ; 18 × 8 × 384 / 744 = 74.322…
    assert got[("hrss", "compute.memory", "2026.1")].amount == Decimal("77.42")
    assert got[("hrss", "compute.memory", "2026.2")].amount == Decimal("74.32")
    # 100 GiB ssd, 9 days 30 min → 10 days: 0.80 × 100 × 10 / 31 = 25.806…
    ssd = got[("hrss", "storage.ssd", "2026.1")]
    assert (ssd.billed_quantity, ssd.period_units, ssd.amount) == (1000, 31, Decimal("25.81"))
    # public IP for one day: the whole month
    assert got[("hrss", "network.public_ip", "2026.1")].amount == Decimal("30.00")
    # municipal 2 vCPU for 61 minutes → 2 h; 40 × 4 / 744 × 0.9 = 0.1935… → 0.19
    edu = got[("city-a-edu", "compute.vcpu", "2026.1")]
    assert (edu.billed_quantity, edu.discount_percent, edu.amount) == (4, 10, Decimal("0.19"))
    assert edu.discount_ref == "教育优惠〔2026〕1号"
    # sector 8 vCPU the whole month, split at 16 Mar: 42 × 8 × 360/744 + 38 × 8 × 384/744
    assert got[("water-dept", "compute.vcpu", "2026.1")].amount == Decimal("162.58")
    assert got[("water-dept", "compute.vcpu", "2026.2")].amount == Decimal("156.90")


def test_rated_lines_are_the_lines_their_fields_build(
    card: RateCard, march_usage: list[Observation]
) -> None:
    for line in rate(card, march_usage).lines:
        built = BillLine(**{f.name: getattr(line, f.name) for f in fields(BillLine)})
        assert built == line and hash(built) == hash(line) and built.line_id == line.line_id
        assert set(vars(line)) - {"line_id"} == {f.name for f in fields(BillLine)}
        with pytest.raises(FrozenInstanceError):
            line.amount = Decimal(0)  # type: ignore[misc]


def test_february_has_672_hours(card: RateCard, march_usage: list[Observation]) -> None:
    rating = rate(card, march_usage, Month.parse("2026-02"))
    (vcpu,) = [l for l in rating.lines if l.meter == "compute.vcpu"]  # noqa: E741
    # 20 Feb 00:00 → 1 Mar 00:00 = 216 h of 672: 45 × 4 × 216 / 672 = 57.857…
    assert (vcpu.period_units, vcpu.billed_quantity, vcpu.amount) == (672, 864, Decimal("57.86"))


def test_month_proration_charges_once_across_an_owner_change(card: RateCard) -> None:
    ip = [Observation("prov-main", "poll", "ip", "ip-9", "x", "x", "network.public_ip", Decimal(1),
                      local(2026, 3, 1), local(2026, 4, 1))]  # fmt: skip
    owners = [
        Ownership("prov-main", "ip-9", "hrss", "portal", local(2026, 3, 1), local(2026, 3, 20)),
        Ownership("prov-main", "ip-9", "water-dept", "flood", local(2026, 3, 20)),
    ]
    rating = rate_month(MARCH, build_intervals(ip), owners, card, TIERS)
    assert [(l.tenant, l.amount) for l in rating.lines] == [("hrss", Decimal("30.00"))]  # noqa: E741


def test_unrated_usage_is_reported(card: RateCard) -> None:
    usage = [
        Observation("prov-main", "poll", "a", "vm", "hrss", "portal", "gpu.card", Decimal(1),
                    local(2026, 3, 1), local(2026, 3, 2)),
        Observation("nowhere", "poll", "b", "vm", "hrss", "portal", "compute.vcpu", Decimal(1),
                    local(2026, 3, 1), local(2026, 3, 2)),
    ]  # fmt: skip
    owners = ownership_from_observations(usage)
    extra = build_intervals(
        [
            Observation(
                "prov-main",
                "poll",
                "c",
                "orphan",
                "hrss",
                "p",
                "compute.vcpu",
                Decimal(1),
                local(2026, 3, 1),
                local(2026, 3, 2),
            )
        ]
    )
    early = RateCard.of([RateCardVersion("late", date(2026, 3, 2), ())])
    rating = rate_month(MARCH, [*build_intervals(usage), *extra], owners, card, TIERS)
    assert rating.lines == ()
    assert {u.reason for u in rating.unrated} == {
        UnratedReason.NO_RATE,
        UnratedReason.UNKNOWN_PROVIDER,
        UnratedReason.NO_OWNER,
    }
    no_version = rate_month(MARCH, build_intervals(usage[:1]), owners, early, TIERS)
    assert [u.reason for u in no_version.unrated] == [UnratedReason.NO_RATE_VERSION]
    partial = RateCard.of(
        [
            RateCardVersion(
                "p", date(2026, 1, 1), (Rate("gpu.card", "card", {"sector": Decimal(1)}),)
            )
        ]  # type: ignore[dict-item]
    )
    no_tier = rate_month(MARCH, build_intervals(usage[:1]), owners, partial, TIERS)
    assert [u.reason for u in no_tier.unrated] == [UnratedReason.NO_TIER_PRICE]


def test_rate_card_lookup(card: RateCard) -> None:
    assert card.version_at(local(2026, 3, 15, 23, 59)).version == "2026.1"  # type: ignore[union-attr]
    assert card.version_at(local(2026, 3, 16)).version == "2026.2"  # type: ignore[union-attr]
    assert card.version_at(local(2025, 12, 31, 23)) is None
    assert card.discount_at("city-a-edu", local(2026, 3, 1)).percent == 10  # type: ignore[union-attr]
    assert card.discount_at("city-a-edu", local(2026, 2, 28)) is None
    assert card.discount_at("hrss", local(2026, 3, 1)) is None
    gap = RateCard.of(
        [
            RateCardVersion("a", date(2026, 1, 1), (), effective_to=date(2026, 2, 1)),
            RateCardVersion("b", date(2026, 3, 1), ()),
        ]
    )
    assert gap.version_at(local(2026, 2, 10)) is None


@pytest.mark.parametrize(
    ("versions", "message"),
    [
        (
            [RateCardVersion("a", date(2026, 1, 1), (), effective_to=date(2026, 3, 1)),
             RateCardVersion("b", date(2026, 2, 1), ())],
            "overlaps",
        ),
        ([RateCardVersion("a", date(2026, 1, 1), ()), RateCardVersion("b", date(2026, 1, 1), ())], "same day"),
        ([RateCardVersion("a", date(2026, 1, 1), (), effective_to=date(2026, 1, 1))], "not after"),
        ([RateCardVersion("a", date(2026, 1, 1), ()), RateCardVersion("a", date(2026, 2, 1), ())], "twice"),
    ],
)  # fmt: skip
def test_rate_card_errors(versions: list[RateCardVersion], message: str) -> None:
    with pytest.raises(RateCardError, match=message):
        RateCard.of(versions)


def test_rate_validation() -> None:
    with pytest.raises(RateCardError, match="≥ 0"):
        Rate("compute.vcpu", "vCPU", {Tier.SECTOR: Decimal("-1")})
    with pytest.raises(RateCardError, match="priced twice"):
        RateCardVersion("x", date(2026, 1, 1), (Rate("m", "u", {}), Rate("m", "u", {})))
