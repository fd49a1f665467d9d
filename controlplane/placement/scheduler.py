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
from tenants import ResourceAmounts, quick_init

__all__ = ["Decision", "Scheduler", "Weighed", "place"]

_ZERO = ResourceAmounts()
_PIN = FILTERS_BY_NAME["pin"]
# the index stands in for the pin and reach filters, which run first
_AFTER_REACH = next(i for i, f in enumerate(FILTERS) if f.name == "reach") + 1

_Route = tuple[tuple[tuple[Exclusion, ...], ProviderFacts | None], ...]


@quick_init
@dataclass(frozen=True, slots=True)
class Weighed:
    """One admitted provider with its total weight and each weigher's share."""

    provider: str
    weight: float
    parts: Mapping[str, float] = field(default_factory=dict)


@quick_init
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
        # each provider's headroom net of this scheduler's commits (dropped on commit)
        self._headroom: dict[str, ResourceAmounts] = {}
        # per department (city, sector): the providers it reaches, each after the run of
        # reach refusals of the providers before it (see :meth:`_route`)
        self._routes: dict[tuple[str | None, str | None], _Route] = {}

    @property
    def providers(self) -> tuple[ProviderFacts, ...]:
        return self._providers

    def consumed(self, provider: str) -> ResourceAmounts:
        """What this scheduler's commits have taken from ``provider``."""
        return self._consumed.get(provider, _ZERO)

    def free(self, provider: ProviderFacts, needs: SystemNeeds) -> ResourceAmounts:
        """Free capacity for ``needs``: its own current allocation there counts as free."""
        free = self._headroom.get(provider.name)
        if free is None:
            free = provider.headroom(self._consumed.get(provider.name))
            self._headroom[provider.name] = free
        if provider.name == needs.current_provider:
            free = free + needs.current_amounts
        return free

    def _reachable(self, city: str | None, sector: str | None) -> set[str]:
        names = {p.name for p in self._provincial}
        if city is not None:
            names.update(p.name for p in self._by_city.get(city, ()))
        if sector is not None:
            names.update(p.name for p in self._by_sector.get(sector, ()))
        return names

    def _route(self, needs: SystemNeeds) -> _Route:
        """The providers a department reaches, in order, each after the reach refusals
        of the providers before it (the trailing refusals last, with no provider): the
        same exclusions in the same order as running the reach filter on every one."""
        key = (needs.tenant_city, needs.tenant_sector)
        route = self._routes.get(key)
        if route is None:
            reachable = self._reachable(*key)
            steps: list[tuple[tuple[Exclusion, ...], ProviderFacts | None]] = []
            refused: list[Exclusion] = []
            for provider in self._providers:
                if provider.name in reachable:
                    steps.append((tuple(refused), provider))
                    refused = []
                else:
                    refused.append(self._reach_refusals[provider.name])
            steps.append((tuple(refused), None))
            route = self._routes[key] = tuple(steps)
        return route

    def place(self, needs: SystemNeeds) -> Decision:
        """Decide for one system without consuming anything."""
        exclusions: list[Exclusion] = []
        admitted: list[tuple[ProviderFacts, ResourceAmounts]] = []
        if needs.pin_provider or needs.pin_tier:
            reachable = self._reachable(needs.tenant_city, needs.tenant_sector)
            for provider in self._providers:
                # pin and reach need no capacity arithmetic: most providers stop here
                pinned = _PIN.check(provider, needs, _ZERO)
                if pinned is not None:
                    exclusions.append(Exclusion(provider.name, _PIN.name, *pinned))
                elif provider.name not in reachable:
                    exclusions.append(self._reach_refusals[provider.name])
                else:
                    self._judge(provider, needs, exclusions, admitted)
        else:
            for refused, reached in self._route(needs):
                exclusions.extend(refused)
                if reached is not None:
                    self._judge(reached, needs, exclusions, admitted)
        ranking = _rank(admitted, needs)
        chosen = ranking[0].provider if ranking else None
        return Decision(needs.tenant, needs.system, chosen, tuple(exclusions), tuple(ranking))

    def _judge(
        self,
        provider: ProviderFacts,
        needs: SystemNeeds,
        exclusions: list[Exclusion],
        admitted: list[tuple[ProviderFacts, ResourceAmounts]],
    ) -> None:
        """The filters after pin and reach on one provider the department reaches."""
        free = self.free(provider, needs)
        refusal = first_refusal(provider, needs, free, _AFTER_REACH)
        if refusal is not None:
            exclusions.append(refusal)
        else:
            admitted.append((provider, free))

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
            self._headroom.pop(old, None)
        self._consumed[decision.chosen] = self._consumed.get(decision.chosen, _ZERO) + taken
        self._headroom.pop(decision.chosen, None)

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
    if len(admitted) == 1:
        # min-max normalising one score gives 0 whatever it is: no weigher need run
        only = admitted[0][0].name
        return [Weighed(only, 0.0, {w.name: round(w.multiplier * 0.0, 4) for w in WEIGHERS})]
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
