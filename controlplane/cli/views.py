"""Records and table columns for estate entities (one description per entity)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from controlplane.cli.output import Column
from controlplane.i18n import Lang, tr

if TYPE_CHECKING:
    from controlplane.facade.embedded import ProviderRow
    from controlplane.facade.models import ProviderInfo, RateCardInfo, RateInfo, TenantInfo

__all__ = [
    "PROVIDER_COLUMNS",
    "TENANT_COLUMNS",
    "denial_lines",
    "excluded_lines",
    "provider_record",
    "rate_card_record",
    "tenant_record",
]


def provider_record(p: ProviderInfo | ProviderRow) -> dict[str, Any]:
    return {
        "name": p.name,
        "tier": p.tier,
        "platform": p.platform,
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
    Column("name", lambda r: r["name"]),
    Column("tier", lambda r: r["tier"]),
    Column("platform", lambda r: r["platform"], wide=True),
    Column("kind", lambda r: r["kind"]),
    Column("serves", _serves),
    Column("cert_level", lambda r: r["certified_level"], justify="right"),
    Column("xinchuang", lambda r: r["xinchuang"]),
    Column("arch", lambda r: r["arch"], wide=True),
    Column("vcpu", lambda r: r["capacity"]["vcpu"], justify="right"),
    Column("memory", lambda r: r["capacity"]["memory_gib"], justify="right"),
    Column("storage", lambda r: r["capacity"]["storage_gib"], justify="right", wide=True),
)


def tenant_record(t: TenantInfo) -> dict[str, Any]:
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
    Column("code", lambda r: r["code"]),
    Column("name", lambda r: r["name"]),
    Column("tier", lambda r: r["level"]),
    Column("serves", lambda r: r["city"] or r["sector"]),
    Column("budget", lambda r: r["budget"], justify="right"),
    Column("name_en", lambda r: r["name_en"], wide=True),
)


def rate_card_record(card: RateCardInfo, rates: Sequence[RateInfo]) -> dict[str, Any]:
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


def excluded_lines(excluded: Sequence[Mapping[str, Any]], lang: Lang) -> list[str]:
    """Why providers were excluded, each filter and reason said once with the providers
    it excluded (a pinned request excludes every other cloud for the same reason).

    ``excluded`` holds a plan record's ``placement.excluded`` entries.
    """
    groups: dict[tuple[str, str], list[str]] = {}
    titles: dict[str, str] = {}
    for entry in excluded:
        reason = entry["reason"]["zh" if lang == "zh" else "en"]
        groups.setdefault((entry["filter"], reason), []).append(entry["provider"])
        titles[entry["filter"]] = entry["filter_title"]["zh" if lang == "zh" else "en"]
    return [
        f"{titles[name]}: {reason} — {', '.join(sorted(providers))}"
        for (name, reason), providers in groups.items()
    ]


def denial_lines(plan: Mapping[str, Any], lang: Lang) -> list[str]:
    """The real reasons a stored plan denied its request: placement, then policy."""
    lines: list[str] = []
    placement = plan.get("placement") or {}
    if placement.get("provider") is None and placement.get("excluded"):
        lines.append(tr("no_eligible_provider", lang))
        lines += ["  " + line for line in excluded_lines(placement["excluded"], lang)]
    message = "message_zh" if lang == "zh" else "message_en"
    for verdict in (plan.get("policy") or {}).get("verdicts", []):
        if verdict.get("outcome") == "fail" and verdict.get("enforcement") == "enforce":
            lines.append(f"{verdict['rule_id']}: {verdict[message]}")
    return lines
