"""Declarative resource kinds, meters and quantity parsing.

Cases: every kind names only known meters and has its usage rules cover exactly its
meters; every contract meter is described; usage derivation for servers (MiB to
GiB), volumes by type, floating IPs and Kubernetes quotas; rows follow the columns;
allowed actions come from the table; unknown kinds fail with the known list;
platform filtering; Kubernetes quantities parse exactly (property-tested) and floats
are refused.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from providers.kinds import KINDS, METERS, kinds_for_platform, lookup_kind
from providers.quantity import parse_quantity, to_decimal
from providers.types import ObservedResource

CONTRACT_METERS = {
    "compute.vcpu",
    "compute.memory",
    "storage.ssd",
    "storage.hdd",
    "network.public_ip",
    "k8s.cpu",
    "k8s.memory",
}


def test_meters_cover_the_contract() -> None:
    assert set(METERS) == CONTRACT_METERS
    for meter in METERS.values():
        assert meter.unit
        assert meter.title_zh != meter.title_en


@pytest.mark.parametrize("kind", list(KINDS.values()), ids=list(KINDS))
def test_kind_is_consistent(kind: object) -> None:
    from providers.kinds import ResourceKind

    assert isinstance(kind, ResourceKind)
    assert {rule.meter for rule in kind.usage} == set(kind.meters)
    assert kind.columns[0].key == "name"
    assert len({c.key for c in kind.columns}) == len(kind.columns)
    assert "create" in kind.actions


def test_usage_derivation() -> None:
    server = lookup_kind("server")
    assert server.usage_of({"vcpu": 4, "memory_mib": 8192}) == [
        ("compute.vcpu", Decimal(4)),
        ("compute.memory", Decimal(8)),
    ]
    volume = lookup_kind("volume")
    assert volume.usage_of({"size_gib": 100, "type": "hdd"}) == [("storage.hdd", Decimal(100))]
    assert volume.usage_of({"size_gib": 50}) == [("storage.ssd", Decimal(50))]
    assert lookup_kind("floating_ip").usage_of({}) == [("network.public_ip", Decimal(1))]
    quota = lookup_kind("namespace_quota")
    assert quota.usage_of({"cpu": "1500m", "memory": "512Mi", "pods": 10}) == [
        ("k8s.cpu", Decimal("1.5")),
        ("k8s.memory", Decimal("0.5")),
    ]
    assert lookup_kind("network").usage_of({"cidr": "10.0.0.0/24"}) == []


def test_row_follows_columns() -> None:
    resource = ObservedResource(
        provider="p",
        kind="volume",
        resource_id="v-1",
        name="data",
        tenant="hrss",
        system="portal",
        request_id="r",
        status="available",
        spec={"size_gib": 100, "type": "ssd", "encrypted": True},
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
        managed=True,
    )
    assert lookup_kind("volume").row(resource) == (
        "data",
        "hrss",
        "portal",
        "available",
        "100",
        "ssd",
        "yes",
    )


def test_actions_and_lookup() -> None:
    assert lookup_kind("server").allows("reboot")
    assert not lookup_kind("volume").allows("reboot")
    with pytest.raises(KeyError, match="server"):
        lookup_kind("bucket")


def test_platform_filter() -> None:
    k8s = {kind.name for kind in kinds_for_platform("kubernetes")}
    assert k8s == {"namespace", "namespace_quota", "network_policy"}
    assert {kind.name for kind in kinds_for_platform("any")} == set(KINDS)


@given(st.integers(min_value=0, max_value=10**9))
def test_binary_and_milli_quantities(n: int) -> None:
    assert parse_quantity(f"{n}Mi") == n * 2**20
    assert parse_quantity(f"{n}Gi") == n * 2**30
    assert parse_quantity(f"{n}m") * 1000 == n
    assert parse_quantity(str(n)) == n


def test_quantity_rejects_floats_and_garbage() -> None:
    with pytest.raises(ValueError, match="exact"):
        to_decimal(1.5)
    with pytest.raises(ValueError, match="boolean"):
        to_decimal(True)
    with pytest.raises(ValueError, match="number"):
        parse_quantity("lots")
    with pytest.raises(ValueError, match="finite"):
        to_decimal("NaN")
