"""Filter, then weigh: one system at a time, or a batch that consumes capacity.

:class:`Scheduler` indexes the estate's providers once (by tier, city and sector), so
a request only runs the filters on the providers that can reach its department; every
other provider gets its precomputed reach refusal. Deciding one request is therefore
O(providers) and a batch O(providers × requests) — nothing grows with the batch
beyond that. The scheduler keeps what a batch has consumed per provider so later
requests see the capacity earlier ones took.

Imports only :mod:`controlplane.placement` and :mod:`tenants`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from controlplane.placement.facts import ProviderFacts, SystemNeeds
from controlplane.placement.filters import (
    FILTERS,
    FILTERS_BY_NAME,
    Exclusion,
    first_refusal,
    reach_reason,
)
from controlplane.placement.weighers import WEIGHERS, normalise
from tenants import ResourceAmounts

__all__ = ["Decision", "Scheduler", "Weighed", "place"]

_ZERO = ResourceAmounts()
_PIN = FILTERS_BY_NAME["pin"]
# the index stands in for the pin and reach filters, which run first
_AFTER_REACH = next(i for i, f in enumerate(FILTERS) if f.name == "reach") + 1


@dataclass(frozen=True, slots=True)
class Weighed:
    """One admitted provider with its total weight and each weigher's share."""

    provider: str
    weight: float
    parts: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Decision:
    """Where a system goes (``chosen is None``: nowhere) and why every other did not."""

    tenant: str
    system: str
    chosen: str | None
    exclusions: tuple[Exclusion, ...]
    ranking: tuple[Weighed, ...] = ()

    @property
    def placed(self) -> bool:
        return self.chosen is not None


class Scheduler:
    """Placement over a fixed set of providers; ``place`` is pure, ``commit`` consumes."""

    def __init__(self, providers: Iterable[ProviderFacts]) -> None:
        self._providers: tuple[ProviderFacts, ...] = tuple(sorted(providers, key=lambda p: p.name))
        self._by_name = {p.name: p for p in self._providers}
        self._provincial = tuple(p for p in self._providers if p.tier == "provincial")
        self._by_city: dict[str, list[ProviderFacts]] = {}
        self._by_sector: dict[str, list[ProviderFacts]] = {}
        for p in self._providers:
            if p.tier == "municipal" and p.city is not None:
                self._by_city.setdefault(p.city, []).append(p)
            elif p.tier == "sector" and p.sector is not None:
                self._by_sector.setdefault(p.sector, []).append(p)
        self._reach_refusals = {
            p.name: Exclusion(p.name, "reach", *reach_reason(p))
            for p in self._providers
            if p.tier != "provincial"
        }
        self._consumed: dict[str, ResourceAmounts] = {}

    @property
    def providers(self) -> tuple[ProviderFacts, ...]:
        return self._providers

    def consumed(self, provider: str) -> ResourceAmounts:
        """What this scheduler's commits have taken from ``provider``."""
        return self._consumed.get(provider, _ZERO)

    def free(self, provider: ProviderFacts, needs: SystemNeeds) -> ResourceAmounts:
        """Free capacity for ``needs``: its own current allocation there counts as free."""
        free = provider.headroom(self._consumed.get(provider.name))
        if provider.name == needs.current_provider:
            free = free + needs.current_amounts
        return free

    def _reachable(self, needs: SystemNeeds) -> set[str]:
        names = {p.name for p in self._provincial}
        if needs.tenant_city is not None:
            names.update(p.name for p in self._by_city.get(needs.tenant_city, ()))
        if needs.tenant_sector is not None:
            names.update(p.name for p in self._by_sector.get(needs.tenant_sector, ()))
        return names

    def place(self, needs: SystemNeeds) -> Decision:
        """Decide for one system without consuming anything."""
        reachable = self._reachable(needs)
        exclusions: list[Exclusion] = []
        admitted: list[tuple[ProviderFacts, ResourceAmounts]] = []
        for provider in self._providers:
            # pin and reach need no capacity arithmetic: most providers stop here
            if needs.pin_provider or needs.pin_tier:
                pinned = _PIN.check(provider, needs, ResourceAmounts())
                if pinned is not None:
                    exclusions.append(Exclusion(provider.name, _PIN.name, *pinned))
                    continue
            if provider.name not in reachable:
                exclusions.append(self._reach_refusals[provider.name])
                continue
            free = self.free(provider, needs)
            refusal = first_refusal(provider, needs, free, _AFTER_REACH)
            if refusal is not None:
                exclusions.append(refusal)
            else:
                admitted.append((provider, free))
        ranking = _rank(admitted, needs)
        chosen = ranking[0].provider if ranking else None
        return Decision(needs.tenant, needs.system, chosen, tuple(exclusions), tuple(ranking))

    def commit(self, decision: Decision, needs: SystemNeeds) -> None:
        """Record that ``needs`` now occupies the chosen provider (a batch's bookkeeping)."""
        if decision.chosen is None:
            return
        taken = needs.amounts
        if decision.chosen == needs.current_provider:
            taken = taken - needs.current_amounts
        elif needs.current_provider in self._by_name:
            # moving away frees the old place
            old = needs.current_provider
            self._consumed[old] = self._consumed.get(old, _ZERO) - needs.current_amounts
        self._consumed[decision.chosen] = self._consumed.get(decision.chosen, _ZERO) + taken

    def place_batch(self, batch: Iterable[SystemNeeds]) -> list[Decision]:
        """Place each system in order, each seeing the capacity the earlier ones took."""
        decisions: list[Decision] = []
        for needs in batch:
            decision = self.place(needs)
            self.commit(decision, needs)
            decisions.append(decision)
        return decisions


def _rank(
    admitted: Sequence[tuple[ProviderFacts, ResourceAmounts]], needs: SystemNeeds
) -> list[Weighed]:
    if not admitted:
        return []
    totals = [0.0] * len(admitted)
    parts: list[dict[str, float]] = [{} for _ in admitted]
    for weigher in WEIGHERS:
        scores = normalise([weigher.score(p, needs, free) for p, free in admitted])
        for i, score in enumerate(scores):
            share = weigher.multiplier * score
            totals[i] += share
            parts[i][weigher.name] = round(share, 4)
    order = sorted(range(len(admitted)), key=lambda i: (-totals[i], admitted[i][0].name))
    return [Weighed(admitted[i][0].name, round(totals[i], 4), parts[i]) for i in order]


def place(needs: SystemNeeds, providers: Iterable[ProviderFacts]) -> Decision:
    """One decision against ``providers`` (builds a throw-away :class:`Scheduler`)."""
    return Scheduler(providers).place(needs)
