"""The estate as planning reads it, loaded once: providers, tenants, catalogue, the rate
card in force, the policy binding and what is already allocated.

Read-only; built from one database session and reused across every plan of a file or
a benchmark batch (a province's 10,000 plans read the estate once). Allocation comes
from the live inventory (``resource`` rows not deleted), metered with
:data:`providers.kinds.KINDS` exactly as plans are. Imports :mod:`controlplane.db`,
:mod:`policies`, :mod:`providers.kinds`, :mod:`tenants` and the planning helpers.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, func, literal_column
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from controlplane.db.models import (
    EstateRevision,
    Flavor,
    Image,
    Provider,
    Rate,
    RateCard,
    Resource,
    Tenant,
)
from controlplane.placement import ProviderFacts
from controlplane.planning.admission import CatalogImage, SiteFacts
from controlplane.planning.desired import FlavorSize, amounts_of
from controlplane.planning.pricing import RateTable
from controlplane.records import kms_certified, provider_assessment_facts
from controlplane.timeutil import SHANGHAI
from policies import EstatePolicy, load_policy_binding
from providers.kinds import KINDS
from tenants import LocatedDocument, Location, ResourceAmounts

__all__ = [
    "EstateSnapshot",
    "TenantInfo",
    "allocation",
    "load_owned",
    "load_snapshot",
    "policy_from_document",
]

_ZERO = ResourceAmounts()
POLICY_FILE = "<estate policy>"


@dataclass(frozen=True, slots=True)
class TenantInfo:
    id: int
    code: str
    level: str
    city: str | None
    sector: str | None
    budget: Decimal


@dataclass(frozen=True)
class EstateSnapshot:
    province: str
    as_of: datetime
    providers: Mapping[str, ProviderFacts]
    sites: Mapping[str, SiteFacts]
    provider_ids: Mapping[str, int]
    tenants: Mapping[str, TenantInfo]
    flavors: Mapping[str, FlavorSize]
    images: Mapping[str, CatalogImage]
    rates: RateTable | None
    policy: EstatePolicy
    tenant_usage: Mapping[tuple[int, str], ResourceAmounts]
    """(tenant id, provider) → what the department already holds there."""
    system_cost: Mapping[tuple[int, int | None], Decimal]
    """(tenant id, system id) → monthly cost of what it holds now, at its tiers' prices."""
    address_pools: Mapping[str, str] = field(default_factory=dict)
    """provider → its address pool (providers without one are absent)."""
    owners: set[int] = field(default_factory=set)
    """The departments whose ``tenant_usage`` and ``system_cost`` are loaded
    (:func:`load_owned`); the estate-wide figures are always complete."""


def policy_from_document(document: Mapping[str, Any] | None) -> EstatePolicy:
    """Resolve the stored policy section (validated when the estate was applied).

    Without a section every system still gets the 等保 floor of its level.
    """
    if document is None:
        return EstatePolicy()
    located = LocatedDocument(dict(document), POLICY_FILE, Location(POLICY_FILE, 1, 1))
    return load_policy_binding(located, ())


def _rate_table(session: Session, as_of: datetime) -> RateTable | None:
    today = as_of.astimezone(SHANGHAI).date()
    cards = session.exec(select(RateCard).where(col(RateCard.effective_from) <= today)).all()
    live = [c for c in cards if c.effective_to is None or today < c.effective_to]
    if not live:
        return None
    card = max(live, key=lambda c: c.effective_from)
    rates = session.exec(select(Rate).where(Rate.rate_card_id == card.id)).all()
    return RateTable(
        card.version, card.currency, {(r.meter, r.tier): (r.unit, r.price) for r in rates}
    )


def _site(p: Provider) -> SiteFacts:
    return SiteFacts(
        p.name,
        p.tier,
        p.city,
        p.sector,
        p.certified_level,
        p.xinchuang,
        p.arch,
        p.cpu_vendor,
        p.in_province,
        p.region,
        **provider_assessment_facts(p.assessment),
        kms_gm_certified=kms_certified(p.assessment),
    )


def _spec_value(dialect: str, key: str) -> ColumnElement[Any]:
    """The JSON text of ``spec[key]`` (NULL when absent), groupable on both databases."""
    if dialect == "postgresql":
        return literal_column(f"CAST(resource.spec -> '{key}' AS TEXT)")
    return literal_column(f"(resource.spec -> '$.\"{key}\"')")


def _groups(
    session: Session, *, owned: bool, tenant_ids: Sequence[int] | None
) -> Iterator[tuple[int, int | None, int | None, str, dict[str, Any], int]]:
    """Live resources grouped by what their usage depends on, with their counts.

    ``(provider id, tenant id, system id, kind, the spec keys usage reads, count)``;
    without ``owned`` only metered kinds and namespaces, tenant and system ``None``.
    """
    dialect = session.get_bind().dialect.name
    metered = [k for k in KINDS.values() if k.usage]
    plain = [k.name for k in KINDS.values() if not k.usage and (owned or k.name == "namespace")]
    live = col(Resource.deleted_at).is_(None)
    owner: list[Any] = [Resource.tenant_id, Resource.system_id] if owned else []
    scopes: list[Any] = [None]
    if tenant_ids is not None:
        ids = sorted(tenant_ids)
        scopes = [col(Resource.tenant_id).in_(ids[i : i + 2000]) for i in range(0, len(ids), 2000)]
    for scope in scopes:
        where = [live] if scope is None else [live, scope]
        for kind in [*metered, None]:
            keys = kind.usage_reads if kind is not None else ()
            values = [_spec_value(dialect, key).label(f"k{i}") for i, key in enumerate(keys)]
            group = [Resource.provider_id, *owner, Resource.kind, *values]
            kinds = [kind.name] if kind is not None else plain
            query = (
                sa_select(*group, func.count())
                .where(*where, col(Resource.kind).in_(kinds))
                .group_by(*group)
            )
            for row in session.execute(query):
                provider_id, rest = row[0], row[1:]
                tenant_id, system_id = (rest[0], rest[1]) if owned else (None, None)
                rest = rest[2:] if owned else rest
                spec = {
                    key: json.loads(v)
                    for key, v in zip(keys, rest[1:-1], strict=True)
                    if v is not None
                }
                yield provider_id, tenant_id, system_id, rest[0], spec, rest[-1]


def _times(amounts: ResourceAmounts, n: int) -> ResourceAmounts:
    if n == 1:
        return amounts
    return ResourceAmounts(
        amounts.vcpu * n,
        amounts.memory_gib * n,
        amounts.storage_gib * n,
        amounts.public_ips * n,
        amounts.namespaces * n,
    )


def allocation(
    session: Session, tenant_ids: Sequence[int] | None = None
) -> dict[int, ResourceAmounts]:
    """Provider id → what its live resources allocate (those of ``tenant_ids`` only, when
    given), metered as plans meter them; summed in the database by :func:`_groups`."""
    usage: dict[int, ResourceAmounts] = {}
    for provider_id, _, _, kind_name, spec, n in _groups(
        session, owned=False, tenant_ids=tenant_ids
    ):
        kind = KINDS.get(kind_name)
        if kind is None:
            continue
        meters = dict(kind.usage_of(spec))
        amounts = _times(amounts_of(meters, 1 if kind_name == "namespace" else 0), n)
        usage[provider_id] = usage.get(provider_id, _ZERO) + amounts
    return usage


def _allocation(session: Session, by_id: Mapping[int, Provider]) -> dict[str, ResourceAmounts]:
    """Provider name → what its live resources allocate."""
    return {by_id[i].name: used for i, used in allocation(session).items() if i in by_id}


def load_owned(session: Session, snapshot: EstateSnapshot, tenant_ids: Collection[int]) -> None:
    """Add what the departments ``tenant_ids`` hold to ``snapshot`` (those not there yet).

    Their usage per provider and each system's monthly cost, read through the tenant
    index: a plan reads its own department's resources, not the whole inventory.
    """
    new = [t for t in tenant_ids if t not in snapshot.owners]
    if not new:
        return
    by_id = {i: name for name, i in snapshot.provider_ids.items()}
    rates = snapshot.rates
    tenant_usage, system_cost = snapshot.tenant_usage, snapshot.system_cost
    assert isinstance(tenant_usage, dict) and isinstance(system_cost, dict)
    for provider_id, tenant_id, system_id, kind_name, spec, n in _groups(
        session, owned=True, tenant_ids=new
    ):
        kind, provider = KINDS.get(kind_name), by_id.get(provider_id)
        if kind is None or provider is None or tenant_id is None:
            continue
        meters = dict(kind.usage_of(spec))
        amounts = _times(amounts_of(meters, 1 if kind_name == "namespace" else 0), n)
        key = (tenant_id, provider)
        tenant_usage[key] = tenant_usage.get(key, _ZERO) + amounts
        prices = rates.tier_prices(snapshot.providers[provider].tier) if rates else {}
        cost = sum((q * prices.get(m, Decimal(0)) for m, q in meters.items()), Decimal(0)) * n
        system_cost[tenant_id, system_id] = (
            system_cost.get((tenant_id, system_id), Decimal(0)) + cost
        )
    snapshot.owners.update(new)


def load_snapshot(
    session: Session,
    as_of: datetime,
    policy_document: Mapping[str, Any] | None,
    tenant_ids: Collection[int] = (),
) -> EstateSnapshot:
    """Read the estate and the live allocation in one session.

    What each provider has allocated is summed in the database, grouped by the spec
    keys usage reads; what departments hold comes only for ``tenant_ids`` (more are
    added with :func:`load_owned`).
    """
    revision = session.exec(
        select(EstateRevision).order_by(col(EstateRevision.id).desc()).limit(1)
    ).first()
    rows = session.exec(select(Provider).order_by(Provider.name)).all()
    rates = _rate_table(session, as_of)
    by_id = {p.id: p for p in rows if p.id is not None}
    usage = _allocation(session, by_id)
    providers = {
        p.name: ProviderFacts(
            name=p.name,
            tier=p.tier,
            kind=p.kind,
            engine=p.engine,
            city=p.city,
            sector=p.sector,
            certified_level=p.certified_level,
            xinchuang=p.xinchuang,
            arch=p.arch,
            in_province=p.in_province,
            capacity=ResourceAmounts(
                Decimal(p.capacity_vcpu or 0),
                Decimal(p.capacity_memory_gib or 0),
                Decimal(p.capacity_storage_gib or 0),
                p.capacity_public_ips or 0,
            ),
            tracked=frozenset(
                key
                for key, declared in (
                    ("vcpu", p.capacity_vcpu),
                    ("memory_gib", p.capacity_memory_gib),
                    ("storage_gib", p.capacity_storage_gib),
                    ("public_ips", p.capacity_public_ips),
                )
                if declared is not None
            ),
            used=usage.get(p.name, _ZERO),
            prices=rates.tier_prices(p.tier) if rates else {},
        )
        for p in rows
    }
    tenants = {
        t.code: TenantInfo(t.id or 0, t.code, t.level, t.city, t.sector, t.budget)
        for t in session.exec(select(Tenant)).all()
    }
    snapshot = EstateSnapshot(
        province=revision.name if revision else "province",
        as_of=as_of,
        providers=providers,
        sites={p.name: _site(p) for p in rows},
        provider_ids={p.name: p.id for p in rows if p.id is not None},
        tenants=tenants,
        flavors={f.name: (f.vcpu, f.memory_gib) for f in session.exec(select(Flavor)).all()},
        images={
            i.name: CatalogImage(
                i.name,
                i.os,
                i.xinchuang,
                i.hardened,
                tuple(i.arches),
                i.checksum,
                i.signature,
                i.patched_on,
            )
            for i in session.exec(select(Image)).all()
        },
        rates=rates,
        policy=policy_from_document(policy_document),
        tenant_usage={},
        system_cost={},
        address_pools={p.name: p.address_pool for p in rows if p.address_pool is not None},
    )
    load_owned(session, snapshot, tenant_ids)
    return snapshot
