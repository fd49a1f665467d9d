"""The estate as planning reads it, loaded once: providers, tenants, catalogue, the rate
card in force, the policy binding and what is already allocated.

Read-only; built from one database session and reused across every plan of a file or
a benchmark batch (a province's 10,000 plans read the estate once). Allocation comes
from the live inventory (``resource`` rows not deleted), metered with
:data:`providers.kinds.KINDS` exactly as plans are. Imports :mod:`controlplane.db`,
:mod:`policies`, :mod:`providers.kinds`, :mod:`tenants` and the planning helpers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

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

__all__ = ["EstateSnapshot", "TenantInfo", "load_snapshot", "policy_from_document"]

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


def load_snapshot(
    session: Session, as_of: datetime, policy_document: Mapping[str, Any] | None
) -> EstateSnapshot:
    """Read the estate and the live allocation in one session."""
    revision = session.exec(
        select(EstateRevision).order_by(col(EstateRevision.id).desc()).limit(1)
    ).first()
    rows = session.exec(select(Provider).order_by(Provider.name)).all()
    rates = _rate_table(session, as_of)
    by_id = {p.id: p for p in rows if p.id is not None}
    usage: dict[str, ResourceAmounts] = {}
    tenant_usage: dict[tuple[int, str], ResourceAmounts] = {}
    system_cost: dict[tuple[int, int | None], Decimal] = {}
    live = session.exec(select(Resource).where(col(Resource.deleted_at).is_(None))).all()
    for row in live:
        provider_id, tenant_id, system_id = row.provider_id, row.tenant_id, row.system_id
        kind_name, spec = row.kind, row.spec
        kind, provider = KINDS.get(kind_name), by_id.get(provider_id)
        if kind is None or provider is None:
            continue
        meters = dict(kind.usage_of(spec))
        amounts = amounts_of(meters, 1 if kind_name == "namespace" else 0)
        usage[provider.name] = usage.get(provider.name, _ZERO) + amounts
        if tenant_id is None:
            continue
        key = (tenant_id, provider.name)
        tenant_usage[key] = tenant_usage.get(key, _ZERO) + amounts
        prices = rates.tier_prices(provider.tier) if rates else {}
        cost = sum((q * prices.get(m, Decimal(0)) for m, q in meters.items()), Decimal(0))
        system_cost[tenant_id, system_id] = (
            system_cost.get((tenant_id, system_id), Decimal(0)) + cost
        )
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
    return EstateSnapshot(
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
        tenant_usage=tenant_usage,
        system_cost=system_cost,
    )
