"""The plain facts placement decides over: a provider's, and a system's needs.

Frozen dataclasses built once by the caller (from estate rows, or by a test or a
benchmark from nothing): placement never reads a database. Amounts are
:class:`tenants.ResourceAmounts` so capacity arithmetic is the same arithmetic quotas
use. Imports only :mod:`tenants`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from types import MappingProxyType

from tenants import ResourceAmounts, quick_init

__all__ = ["CAPACITY_DIMENSIONS", "NO_PRICES", "ProviderFacts", "SystemNeeds", "home_tier_of"]

CAPACITY_DIMENSIONS = frozenset({"vcpu", "memory_gib", "storage_gib", "public_ips"})

NO_PRICES: Mapping[str, Decimal] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class ProviderFacts:
    """One cloud of the 1+M+N estate as placement sees it.

    ``capacity`` is what the estate declares; ``used`` what is already allocated there
    (inventory plus reservations, as the caller counts them). ``tracked`` names the
    dimensions the estate declares: an undeclared one is not tracked, so placement never
    refuses for it (the provider's own quota still may). ``prices`` maps a meter to this
    provider's tier price per unit per month, from the rate card in force.
    """

    name: str
    tier: str  # provincial | municipal | sector
    kind: str = "simulator"  # openstack | kubernetes | simulator
    engine: str = "sdk"  # sdk | pulumi: shown by plans, not a placement criterion
    city: str | None = None
    sector: str | None = None
    certified_level: int = 4
    xinchuang: bool = False
    arch: str = "x86_64"
    in_province: bool = True
    capacity: ResourceAmounts = field(default_factory=ResourceAmounts)
    used: ResourceAmounts = field(default_factory=ResourceAmounts)
    prices: Mapping[str, Decimal] = field(default_factory=lambda: NO_PRICES)
    tracked: frozenset[str] = CAPACITY_DIMENSIONS

    def headroom(self, extra_used: ResourceAmounts | None = None) -> ResourceAmounts:
        """Capacity minus what is used (and ``extra_used`` consumed since)."""
        used = self.used if extra_used is None else self.used + extra_used
        return self.capacity - used


@quick_init
@dataclass(frozen=True, slots=True)
class SystemNeeds:
    """What one system asks of its provider.

    ``tenant_level``/``tenant_city``/``tenant_sector`` place the department; ``level`` is
    the system's 等保 level, ``data`` its GB/T 43697 grade. ``image_arches`` holds, per
    compute group, the architectures its image is built for (each group must run).
    ``amounts`` are the totals the system allocates and ``meters`` the monthly
    quantities per rate-card meter (for the price weigher). ``current_provider`` and
    ``current_amounts`` describe the system as it already runs, if it does: its own
    allocation is not counted twice when it stays where it is.
    """

    tenant: str
    system: str
    tenant_level: str = "provincial"
    tenant_city: str | None = None
    tenant_sector: str | None = None
    level: int = 2
    data: str = "general"
    xinchuang: bool = False
    image_arches: tuple[frozenset[str], ...] = ()
    needs_vms: bool = True
    needs_namespace: bool = False
    amounts: ResourceAmounts = field(default_factory=ResourceAmounts)
    meters: Mapping[str, Decimal] = field(default_factory=lambda: NO_PRICES)
    pin_provider: str | None = None
    pin_tier: str | None = None
    current_provider: str | None = None
    current_amounts: ResourceAmounts = field(default_factory=ResourceAmounts)

    def monthly_cost(self, provider: ProviderFacts) -> Decimal:
        """Σ quantity × price for the meters this system uses (unpriced meters cost 0)."""
        return sum(
            (q * provider.prices.get(m, Decimal(0)) for m, q in self.meters.items()), Decimal(0)
        )


def home_tier_of(needs: SystemNeeds, provider: ProviderFacts) -> bool:
    """Is ``provider`` the department's home cloud?

    A municipal department's home is its city's cloud, a sector department's its
    sector's cloud, everyone else's the provincial cloud.
    """
    if needs.tenant_city is not None and needs.tenant_level != "provincial":
        return provider.tier == "municipal" and provider.city == needs.tenant_city
    if needs.tenant_sector is not None:
        return provider.tier == "sector" and provider.sector == needs.tenant_sector
    return provider.tier == "provincial"
