"""Records and table columns for estate entities (one description per entity)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from controlplane.cli.output import Column
from controlplane.db.models import Provider, Rate, RateCard, Tenant

__all__ = [
    "PROVIDER_COLUMNS",
    "TENANT_COLUMNS",
    "provider_record",
    "rate_card_record",
    "tenant_record",
]


def provider_record(p: Provider) -> dict[str, Any]:
    return {
        "name": p.name,
        "tier": p.tier,
        "kind": p.kind,
        "engine": p.engine,
        "credentials": {"cloud": p.cloud}
        if p.cloud
        else {"context": p.context}
        if p.context
        else {},
        "region": p.region,
        "city": p.city,
        "sector": p.sector,
        "certified_level": p.certified_level,
        "xinchuang": p.xinchuang,
        "arch": p.arch,
        "cpu_vendor": p.cpu_vendor,
        "in_province": p.in_province,
        "capacity": {
            "vcpu": p.capacity_vcpu,
            "memory_gib": p.capacity_memory_gib,
            "storage_gib": p.capacity_storage_gib,
            "public_ips": p.capacity_public_ips,
        },
        "availability_target": p.availability_target,
        "updated_at": p.updated_at,
    }


def _serves(r: Mapping[str, Any]) -> str:
    return str(r["city"] or r["sector"] or r["region"])


PROVIDER_COLUMNS = (
    Column("name", lambda r: r["name"], max_width=18),
    Column("tier", lambda r: r["tier"]),
    Column("kind", lambda r: r["kind"]),
    Column("serves", _serves, max_width=12),
    Column("level", lambda r: r["certified_level"], justify="right"),
    Column("xinchuang", lambda r: r["xinchuang"]),
    Column("vcpu", lambda r: r["capacity"]["vcpu"], justify="right"),
    Column("memory", lambda r: r["capacity"]["memory_gib"], justify="right"),
)


def tenant_record(t: Tenant) -> dict[str, Any]:
    return {
        "code": t.code,
        "name": t.name,
        "name_en": t.name_en,
        "level": t.level,
        "city": t.city,
        "sector": t.sector,
        "budget": t.budget,
        "updated_at": t.updated_at,
    }


TENANT_COLUMNS = (
    Column("code", lambda r: r["code"], max_width=20),
    Column("name", lambda r: r["name"], max_width=24),
    Column("tier", lambda r: r["level"]),
    Column("city", lambda r: r["city"] or r["sector"]),
    Column("budget", lambda r: r["budget"], justify="right"),
)


def rate_card_record(card: RateCard, rates: list[Rate]) -> dict[str, Any]:
    meters: dict[str, dict[str, Any]] = {}
    for rate in rates:
        entry = meters.setdefault(
            rate.meter,
            {"meter": rate.meter, "unit": rate.unit, "proration": rate.proration, "prices": {}},
        )
        entry["prices"][rate.tier] = rate.price
    return {
        "version": card.version,
        "effective_from": card.effective_from,
        "effective_to": card.effective_to,
        "currency": card.currency,
        "approval_ref": card.approval_ref,
        "approved_by": card.approved_by,
        "rates": list(meters.values()),
    }
