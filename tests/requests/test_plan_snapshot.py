"""The planner's snapshot sums allocation in the database exactly as row by row.

Cases, on SQLite and PostgreSQL: live resources of every metered kind with quantities
spelt as numbers, numeric strings and Kubernetes quantities ("500m", "2Gi"), volumes
with and without a type, deleted rows, rows with no department or system, and kinds
that allocate nothing: each provider's used amounts, each department's holdings per
provider and each system's monthly cost equal a plain Python pass over the same rows
(``KINDS[kind].usage_of`` per row, as planning meters a plan); departments not asked
for are not loaded; a usage rule reads only the spec keys it declares.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlmodel import col, select

from controlplane.app import App
from controlplane.db.engine import transaction
from controlplane.db.models import PolicyBindingDoc, Provider, Resource, System, Tenant
from controlplane.estate.schema import parse_estate
from controlplane.planning import amounts_of, load_snapshot
from controlplane.planning.snapshot import load_owned
from providers.kinds import KINDS
from tenants import ResourceAmounts, load_yaml_file

ESTATE = Path(__file__).parent / "estates" / "province.yaml"
SPECS: list[tuple[str, dict[str, object]]] = [
    ("server", {"vcpu": 4, "memory_mib": 8192, "flavor": "c4m8", "image": "x"}),
    ("server", {"vcpu": "2", "memory_mib": "3072"}),
    ("server", {"vcpu": 8, "memory_mib": 32768, "flavor": "c8m32"}),
    ("volume", {"size_gib": 100, "type": "ssd", "encrypted": True}),
    ("volume", {"size_gib": "50", "type": "hdd"}),
    ("volume", {"size_gib": 20}),
    ("floating_ip", {"network": "ext"}),
    ("namespace", {}),
    ("namespace_quota", {"cpu": "500m", "memory": "2Gi", "pods": 10}),
    ("namespace_quota", {"cpu": 2, "memory": "512Mi"}),
    ("network", {"cidr": "10.0.0.0/24"}),
    ("security_group", {}),
]


def _seed(app: App) -> None:
    app.estate.apply(parse_estate(load_yaml_file(str(ESTATE)), str(ESTATE)), actor="ops")
    now = datetime(2026, 3, 1, tzinfo=UTC)
    with transaction(app.sessions) as session:
        providers = session.exec(select(Provider).order_by(col(Provider.id))).all()
        tenants = session.exec(select(Tenant).order_by(col(Tenant.id))).all()
        systems = []
        for t in tenants[:3]:
            for k in range(2):
                system = System(
                    tenant_id=t.id or 0,
                    name=f"sys-{k}",
                    provider_id=providers[k % len(providers)].id,
                    level=2,
                    data_classification="general",
                    created_at=now,
                    updated_at=now,
                )
                session.add(system)
                session.flush()
                systems.append(system)
        for i in range(240):
            kind, spec = SPECS[i % len(SPECS)]
            owner = systems[i % len(systems)] if i % 5 else None
            tenant_id = owner.tenant_id if owner else (tenants[i % 4].id if i % 3 else None)
            provider_id = owner.provider_id if owner else providers[i % 2].id
            assert provider_id is not None
            session.add(
                Resource(
                    provider_id=provider_id,
                    tenant_id=tenant_id,
                    system_id=owner.id if owner else None,
                    provider_name=session.get_one(Provider, provider_id).name,
                    tenant_code=session.get_one(Tenant, tenant_id).code if tenant_id else "",
                    system_name=owner.name if owner else "",
                    kind=kind,
                    resource_id=f"r-{i}",
                    name=f"n-{i}",
                    status="ACTIVE",
                    spec=spec,
                    created_at=now,
                    observed_at=now,
                    deleted_at=now if i % 7 == 0 else None,
                )
            )


def _row_by_row(
    app: App, prices: dict[str, dict[str, Decimal]]
) -> tuple[
    dict[str, ResourceAmounts], dict[tuple[int, str], ResourceAmounts], dict[object, Decimal]
]:
    usage: dict[str, ResourceAmounts] = {}
    held: dict[tuple[int, str], ResourceAmounts] = {}
    cost: dict[object, Decimal] = {}
    zero = ResourceAmounts()
    with app.sessions() as session:
        names = {p.id: (p.name, p.tier) for p in session.exec(select(Provider)).all()}
        for row in session.exec(select(Resource)).all():
            if row.deleted_at is not None:
                continue
            name, tier = names[row.provider_id]
            meters = dict(KINDS[row.kind].usage_of(row.spec))
            amounts = amounts_of(meters, 1 if row.kind == "namespace" else 0)
            usage[name] = usage.get(name, zero) + amounts
            if row.tenant_id is None:
                continue
            held[row.tenant_id, name] = held.get((row.tenant_id, name), zero) + amounts
            tier_prices = prices.get(tier, {})
            c = sum((q * tier_prices.get(m, Decimal(0)) for m, q in meters.items()), Decimal(0))
            key = (row.tenant_id, row.system_id)
            cost[key] = cost.get(key, Decimal(0)) + c
    return usage, held, cost


def test_grouped_allocation_equals_row_by_row(app: App) -> None:
    _seed(app)
    with app.sessions() as session:
        stored = session.get(PolicyBindingDoc, 1)
        snap = load_snapshot(session, app.clock(), stored.document if stored else None)
        assert snap.tenant_usage == {} and snap.system_cost == {} and not snap.owners
        ids = sorted(t.id for t in snap.tenants.values())
        load_owned(session, snap, ids[:2])
        part = (dict(snap.tenant_usage), dict(snap.system_cost))
        load_owned(session, snap, ids)
    assert snap.rates is not None
    prices = {p.tier: dict(snap.rates.tier_prices(p.tier)) for p in snap.providers.values()}
    usage, held, cost = _row_by_row(app, prices)
    assert {n: p.used for n, p in snap.providers.items() if n in usage} == usage
    assert all(p.used == ResourceAmounts() for n, p in snap.providers.items() if n not in usage)
    assert any(a.vcpu % 1 for a in usage.values())  # 500m counted as 0.5
    assert dict(snap.tenant_usage) == held
    assert dict(snap.system_cost) == cost and any(cost.values())
    assert part[0] == {k: v for k, v in held.items() if k[0] in ids[:2]}
    assert part[1] == {k: v for k, v in cost.items() if isinstance(k, tuple) and k[0] in ids[:2]}


@pytest.mark.parametrize("kind", [k for k in KINDS.values() if k.usage])
def test_usage_rules_read_only_the_keys_they_declare(kind: object) -> None:
    from providers.kinds import ResourceKind

    assert isinstance(kind, ResourceKind)
    seen: list[str] = []

    class Spy(dict[str, object]):
        def get(self, key: str, default: object = None) -> object:
            seen.append(key)
            return super().get(key, default)

        def __getitem__(self, key: str) -> object:
            seen.append(key)
            return super().__getitem__(key)

    full = Spy({"vcpu": 2, "memory_mib": 1024, "size_gib": 10, "type": "ssd", "cpu": "1",
                "memory": "1Gi", "other": 1})  # fmt: skip
    kind.usage_of(full)
    assert set(seen) <= set(kind.usage_reads)
