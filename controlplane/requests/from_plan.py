"""The lifecycle's planner over ``controlplane.planning.PlanService``.

Turns a full :class:`~controlplane.planning.Plan` into the :class:`PlanSummary` the
lifecycle acts on: the quota amounts are the system's whole desired footprint (a
reservation replaces the system's previous one), over-budget is the plan's budget
impact, and a denial's reasons are the placement exclusions and the policy denials.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from controlplane.planning import Plan, PlanService, amounts_of, meters_of
from controlplane.planning.service import Planner as BatchPlanner
from controlplane.requests.planned import PlanSummary
from tenants import ParsedRequest

__all__ = ["PlanServicePlanner", "summarize"]


def summarize(plan: Plan) -> PlanSummary:
    reasons: list[str] = []
    if plan.placement.chosen is None:
        # each filter's reason once, with the providers it excluded (a pin excludes
        # every other cloud for the same reason)
        excluded: dict[tuple[str, str], list[str]] = {}
        for e in plan.placement.exclusions:
            excluded.setdefault((e.filter, e.reason_en), []).append(e.provider)
        reasons += [
            f"{name}: {reason} ({', '.join(providers)})"
            for (name, reason), providers in excluded.items()
        ]
    reasons += [f"{v.rule_id}: {v.message_en}" for v in plan.policy.denials]
    namespaces = sum(1 for d in plan.desired if d.kind == "namespace")
    return PlanSummary(
        exit_status=plan.exit_code,
        provider=plan.provider,
        amounts=amounts_of(meters_of(plan.desired), namespaces),
        monthly_price=plan.price.monthly if plan.price.monthly is not None else Decimal(0),
        over_budget=bool(plan.budget.exceeds),
        desired=plan.desired,
        reasons=tuple(reasons),
        document=plan.to_record(),
        synced_annual=plan.budget.synced_annual,
    )


class PlanServicePlanner:
    """:class:`~controlplane.requests.planned.Planner` backed by ``PlanService``."""

    def __init__(self, service: PlanService) -> None:
        self._service = service

    def plan(self, parsed: ParsedRequest, *, principal: str) -> PlanSummary:
        return summarize(self._service.plan(parsed, principal=principal))

    def batch(self, parsed: Sequence[ParsedRequest]) -> _Batch:
        """One planner for the documents of a file: the estate read once, their
        departments' rows fetched together, each document planned as if alone."""
        return _Batch(self._service.planner(batch=parsed, independent=True))


class _Batch:
    def __init__(self, planner: BatchPlanner) -> None:
        self._planner = planner

    def plan(self, parsed: ParsedRequest, *, principal: str) -> PlanSummary:
        return summarize(self._planner.plan(parsed, principal=principal))

    def recorded(self, tenant: str, system: str, annual: Decimal | None) -> None:
        self._planner.will_reserve(tenant, system, annual)
