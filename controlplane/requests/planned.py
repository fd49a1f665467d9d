"""What the lifecycle needs from a plan, and how a plan is stored on a request.

The planner (``controlplane.planning.PlanService``) computes the full plan; the
lifecycle records it and acts on a few of its facts — admitted or not, the provider, the
quota amounts it holds there, whether it goes over the department's budget, and the
desired resources handed to the driver at provisioning. :class:`PlanSummary` is that
narrow view; :class:`Planner` is the seam the request service receives, so tests and
the CLI hand in the planner they have.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol, runtime_checkable

from providers import DesiredResource
from providers.types import spec_record
from tenants import ParsedRequest, ResourceAmounts

__all__ = [
    "BatchPlanner",
    "BatchPlanning",
    "PlanSummary",
    "Planner",
    "desired_from_json",
    "desired_to_json",
    "plan_outcome",
]


def desired_to_json(desired: Iterable[DesiredResource]) -> list[dict[str, Any]]:
    return [
        {
            "kind": d.kind,
            "name": d.name,
            "spec": spec_record(d.spec),
            "dependsOn": list(d.depends_on),
        }
        for d in desired
    ]


def desired_from_json(items: Iterable[Mapping[str, Any]]) -> list[DesiredResource]:
    return [
        DesiredResource(
            kind=str(i["kind"]),
            name=str(i["name"]),
            spec=dict(i.get("spec", {})),
            depends_on=tuple(i.get("dependsOn", ())),
        )
        for i in items
    ]


def plan_outcome(plan: Mapping[str, Any]) -> dict[str, Any]:
    """Of a stored plan, what the caller of ``apply`` is told: where the request goes
    (the placement's provider and engine), why it was denied (the providers placement
    excluded when it found none, the policy verdicts that failed), nothing else — a
    file of 10,000 returns no plans (``request show`` has the whole one)."""
    out: dict[str, Any] = {}
    placement = plan.get("placement")
    if isinstance(placement, Mapping):
        placed = placement.get("provider")
        out["placement"] = {"provider": placed, "engine": placement.get("engine")}
        if placed is None:
            out["placement"]["excluded"] = list(placement.get("excluded") or ())
    policy = plan.get("policy")
    if isinstance(policy, Mapping):
        verdicts = policy.get("verdicts") or ()
        out["policy"] = {"verdicts": [v for v in verdicts if v.get("outcome") == "fail"]}
    return out


@dataclass(frozen=True)
class PlanSummary:
    """The facts of a plan the lifecycle acts on, plus the whole plan as JSON to store.

    ``exit_status`` follows ``govcloud plan``: 0 admitted, 1 denied (``reasons`` say
    why). Invalid input never gets here — the planner raises ``ManifestError``.
    """

    exit_status: int
    provider: str | None
    amounts: ResourceAmounts
    monthly_price: Decimal
    over_budget: bool
    desired: Sequence[DesiredResource]
    reasons: Sequence[str] = ()
    document: Mapping[str, Any] = field(default_factory=dict)
    # 12 × the synced monthly cost of the department's other systems, by system name
    synced_annual: Mapping[str, Decimal] = field(default_factory=dict)

    @property
    def admitted(self) -> bool:
        return self.exit_status == 0

    def stored(self) -> dict[str, Any]:
        """The JSON kept on the request: the planner's document plus what provisioning needs."""
        return {
            **dict(self.document),
            "govcloud": {
                "exitStatus": self.exit_status,
                "provider": self.provider,
                "monthlyPrice": str(self.monthly_price),
                "overBudget": self.over_budget,
                "amounts": {
                    "vcpu": str(self.amounts.vcpu),
                    "memoryGiB": str(self.amounts.memory_gib),
                    "storageGiB": str(self.amounts.storage_gib),
                    "publicIPs": self.amounts.public_ips,
                    "namespaces": self.amounts.namespaces,
                },
                "reasons": list(self.reasons),
                "desired": desired_to_json(self.desired),
            },
        }


class Planner(Protocol):
    """Plans one parsed request for a principal, changing nothing."""

    def plan(self, parsed: ParsedRequest, *, principal: str) -> PlanSummary: ...


@runtime_checkable
class BatchPlanning(Protocol):
    """A planner that plans the documents of one file together (optional)."""

    def batch(self, parsed: Sequence[ParsedRequest]) -> BatchPlanner: ...


@runtime_checkable
class BatchPlanner(Planner, Protocol):
    """Plans the documents of one file; told what each planned document will reserve.

    The file's documents are all planned before any is recorded, so the planner is told
    the yearly cost ``system`` of ``tenant`` will hold once recorded (``None``: none, it
    is not admitted): the department's later documents see it, as they would have had
    the request been recorded before they were planned.
    """

    def recorded(self, tenant: str, system: str, annual: Decimal | None) -> None: ...
