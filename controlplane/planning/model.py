"""What ``govcloud plan`` answers, as values: :class:`Plan` and its parts.

Frozen dataclasses with one ``to_record()`` each: the stable JSON shape scripts read
(English snake_case keys, Decimal as text, times ISO-8601). Imports the planning
helpers, :mod:`controlplane.placement`, :mod:`providers.types` and :mod:`tenants`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from controlplane.placement import FILTERS_BY_NAME, Decision, Exclusion
from controlplane.placement.facts import CAPACITY_DIMENSIONS
from controlplane.planning.admission import PolicyOutcome
from controlplane.planning.diff import ResourceChange
from controlplane.planning.pricing import PriceEstimate
from providers.types import DesiredResource
from tenants import ResourceAmounts, SystemRequest, quick_init

__all__ = ["BudgetImpact", "CapacityImpact", "Plan", "SystemAction", "amounts_record"]

SystemAction = Literal["create", "update", "unchanged"]


def amounts_record(amounts: ResourceAmounts) -> dict[str, str]:
    return {
        "vcpu": str(amounts.vcpu),
        "memory_gib": str(amounts.memory_gib),
        "storage_gib": str(amounts.storage_gib),
        "public_ips": str(amounts.public_ips),
        "namespaces": str(amounts.namespaces),
    }


@quick_init
@dataclass(frozen=True, slots=True)
class CapacityImpact:
    """The chosen provider before and after: what the estate declares, what is used by
    everyone, what this plan adds (net of what the system holds there now), and what
    the department itself already holds there (for its per-provider quota)."""

    provider: str
    capacity: ResourceAmounts
    used: ResourceAmounts
    requested: ResourceAmounts
    department_used: ResourceAmounts
    tracked: frozenset[str] = CAPACITY_DIMENSIONS

    @property
    def free_after(self) -> ResourceAmounts:
        return self.capacity - self.used - self.requested

    def to_record(self) -> dict[str, Any]:
        """Amounts per dimension; an untracked one has no capacity and no free figure."""
        return {
            "provider": self.provider,
            "capacity": self._tracked_only(self.capacity),
            "used": amounts_record(self.used),
            "requested": amounts_record(self.requested),
            "free_after": self._tracked_only(self.free_after),
            "not_tracked": sorted(CAPACITY_DIMENSIONS - self.tracked),
            "department_used": amounts_record(self.department_used),
        }

    def _tracked_only(self, amounts: ResourceAmounts) -> dict[str, str | None]:
        return {
            key: value if key in self.tracked or key not in CAPACITY_DIMENSIONS else None
            for key, value in amounts_record(amounts).items()
        }


@quick_init
@dataclass(frozen=True, slots=True)
class BudgetImpact:
    """The department's annual budget against what it has committed and this plan adds.

    ``committed_annual`` is what the department's other systems hold: the yearly cost
    reserved when each was approved, or for a system without a reservation 12 × the
    monthly cost of what it holds now; ``plan_annual`` is 12 × this plan's estimate,
    ``delta_annual`` that minus what the system costs today (for an update). ``exceeds``
    is None when the plan could not be priced. ``synced_annual`` is the synced part per
    system, which the request lifecycle re-judges under the department's budget lock.
    """

    tenant: str
    annual_budget: Decimal
    committed_annual: Decimal
    plan_annual: Decimal | None
    current_annual: Decimal
    synced_annual: Mapping[str, Decimal] = field(default_factory=dict)

    @property
    def remaining(self) -> Decimal:
        return self.annual_budget - self.committed_annual

    @property
    def delta_annual(self) -> Decimal | None:
        return None if self.plan_annual is None else self.plan_annual - self.current_annual

    @property
    def exceeds(self) -> bool | None:
        return None if self.plan_annual is None else self.plan_annual > self.remaining

    def to_record(self) -> dict[str, Any]:
        def text(value: Decimal | None) -> str | None:
            return None if value is None else str(value)

        return {
            "tenant": self.tenant,
            "annual_budget": str(self.annual_budget),
            "committed_annual": str(self.committed_annual),
            "remaining": str(self.remaining),
            "plan_annual": text(self.plan_annual),
            "delta_annual": text(self.delta_annual),
            "exceeds": self.exceeds,
        }


@quick_init
@dataclass(frozen=True)
class Plan:
    """One SystemRequest planned against the estate; nothing was written to make it."""

    request: SystemRequest
    spec_hash: str
    principal: str
    as_of: datetime
    action: SystemAction
    placement: Decision
    desired: tuple[DesiredResource, ...]
    changes: tuple[ResourceChange, ...]
    price: PriceEstimate
    capacity: CapacityImpact | None
    budget: BudgetImpact
    policy: PolicyOutcome
    source: str | None = None
    """``file:line:col`` where the document starts."""
    engines: Mapping[str, str] = field(default_factory=dict)
    """Provider name → the engine that provisions there (``sdk`` | ``pulumi``), every provider."""

    @property
    def tenant(self) -> str:
        return self.request.metadata.tenant

    @property
    def system(self) -> str:
        return self.request.metadata.name

    @property
    def provider(self) -> str | None:
        return self.placement.chosen

    @property
    def admitted(self) -> bool:
        """Placed, and no enforced policy denies it."""
        return self.placement.placed and self.policy.admitted

    @property
    def exit_code(self) -> int:
        return 0 if self.admitted else 1

    def counts(self) -> dict[str, int]:
        out = {"create": 0, "update": 0, "delete": 0, "unchanged": 0}
        for change in self.changes:
            out[change.action] += 1
        return out

    def to_record(self) -> dict[str, Any]:
        decision = self.placement
        return {
            "tenant": self.tenant,
            "system": self.system,
            "source": self.source,
            "spec_hash": self.spec_hash,
            "principal": self.principal,
            "as_of": self.as_of.isoformat(),
            "action": self.action,
            "admitted": self.admitted,
            "exit_code": self.exit_code,
            "spec": self.request.spec.canonical(),
            "placement": {
                "provider": decision.chosen,
                "engine": self.engines.get(decision.chosen) if decision.chosen else None,
                "engines": _engines_record(self.engines),
                "ranking": [
                    {"provider": w.provider, "weight": w.weight, "parts": dict(w.parts)}
                    for w in decision.ranking
                ],
                "excluded": [_exclusion_record(e) for e in decision.exclusions],
            },
            "summary": self.counts(),
            "changes": [c.to_record() for c in self.changes],
            "price": self.price.to_record(),
            "capacity": None if self.capacity is None else self.capacity.to_record(),
            "budget": self.budget.to_record(),
            "policy": self.policy.to_record(),
        }


# The records of the parts many plans share, built once and shared by every plan record
# that shows them: a batch of 10,000 plans held for ``apply`` (and returned by it) would
# otherwise hold 42 provider exclusions and the 42 providers' engines in new dicts per
# plan, most of its memory. Plan records are read and serialised, never changed in place.
_SHARED_KEPT = 4096
_exclusion_records: dict[Exclusion, dict[str, Any]] = {}
_engine_records: list[tuple[Mapping[str, str], dict[str, str]]] = []


def _exclusion_record(e: Exclusion) -> dict[str, Any]:
    found = _exclusion_records.get(e)
    if found is None:
        hard = FILTERS_BY_NAME[e.filter]
        found = {
            "provider": e.provider,
            "filter": e.filter,
            "filter_title": {"zh": hard.title_zh, "en": hard.title_en},
            "reason": {"zh": e.reason_zh, "en": e.reason_en},
        }
        if len(_exclusion_records) >= _SHARED_KEPT:
            _exclusion_records.clear()
        _exclusion_records[e] = found
    return found


def _engines_record(engines: Mapping[str, str]) -> dict[str, str]:
    """``engines`` sorted by provider (the same dict for the same mapping: a planner
    hands every plan of its snapshot the one mapping)."""
    for seen, record in _engine_records:
        if seen is engines:
            return record
    record = dict(sorted(engines.items()))
    _engine_records[:] = [(engines, record)]
    return record
