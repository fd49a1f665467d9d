"""Shared sample data for the billing tests: a small estate's rate card and a month."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from controlplane.billing import (
    SHANGHAI,
    Discount,
    Observation,
    Proration,
    Rate,
    RateCard,
    RateCardVersion,
    Tier,
)

TIERS = {"prov-main": Tier.PROVINCIAL, "city-a": Tier.MUNICIPAL, "water-k8s": Tier.SECTOR}
TENANTS = {"hrss": "省人力资源和社会保障厅", "city-a-edu": "甲市教育局", "water-dept": "省水利厅"}


def prices(provincial: str, municipal: str, sector: str) -> dict[Tier, Decimal]:
    return {
        Tier.PROVINCIAL: Decimal(provincial),
        Tier.MUNICIPAL: Decimal(municipal),
        Tier.SECTOR: Decimal(sector),
    }


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)  # type: ignore[misc]


@pytest.fixture
def tiers() -> dict[str, Tier]:
    return dict(TIERS)


@pytest.fixture
def tenants() -> dict[str, str]:
    return dict(TENANTS)


@pytest.fixture
def card() -> RateCard:
    v1 = RateCardVersion(
        "2026.1",
        date(2026, 1, 1),
        (
            Rate("compute.vcpu", "vCPU", prices("45.00", "40.00", "42.00")),
            Rate("compute.memory", "GiB", prices("20.00", "18.00", "19.00")),
            Rate("storage.ssd", "GiB", prices("0.80", "0.70", "0.75"), Proration.DAY),
            Rate("network.public_ip", "IP", prices("30.00", "30.00", "30.00"), Proration.MONTH),
        ),
        approval_ref="省数管〔2025〕12号",
        approver="王主任",
    )
    v2 = RateCardVersion(
        "2026.2",
        date(2026, 3, 16),
        (
            Rate("compute.vcpu", "vCPU", prices("40.00", "36.00", "38.00")),
            Rate("compute.memory", "GiB", prices("18.00", "16.00", "17.00")),
            Rate("storage.ssd", "GiB", prices("0.70", "0.60", "0.65"), Proration.DAY),
            Rate("network.public_ip", "IP", prices("30.00", "30.00", "30.00"), Proration.MONTH),
        ),
        approval_ref="省数管〔2026〕3号",
        approver="王主任",
    )
    return RateCard.of(
        [v1, v2],
        [Discount("city-a-edu", Decimal("10"), date(2026, 3, 1), reference="教育优惠〔2026〕1号")],
    )


@pytest.fixture
def march_usage() -> list[Observation]:
    """March 2026: a VM across the 16 March price change, a municipal VM, a sector pod."""

    def o(key: str, provider: str, rid: str, tenant: str, system: str, meter: str,
          qty: str, start: datetime, end: datetime) -> Observation:  # fmt: skip
        return Observation(
            provider, "poll", key, rid, tenant, system, meter, Decimal(qty), start, end
        )

    return [
        o("1", "prov-main", "vm-1", "hrss", "portal", "compute.vcpu", "4", local(2026, 2, 20), local(2026, 4, 2)),
        o("2", "prov-main", "vm-1", "hrss", "portal", "compute.memory", "8", local(2026, 2, 20), local(2026, 4, 2)),
        o("3", "prov-main", "vol-1", "hrss", "portal", "storage.ssd", "100", local(2026, 3, 1), local(2026, 3, 10, 0, 30)),
        o("4", "prov-main", "ip-1", "hrss", "portal", "network.public_ip", "1", local(2026, 3, 5), local(2026, 3, 6)),
        o("5", "city-a", "vm-2", "city-a-edu", "exam", "compute.vcpu", "2", local(2026, 3, 10), local(2026, 3, 10, 1, 1)),
        o("6", "water-k8s", "ns-1", "water-dept", "flood", "compute.vcpu", "8", local(2026, 3, 1), local(2026, 4, 1)),
    ]  # fmt: skip
