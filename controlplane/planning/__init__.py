"""controlplane.planning — ``govcloud plan``: what a SystemRequest would do, computed
without writing anything.

Owns the desired resources of a request (:mod:`~controlplane.planning.desired`), the
diff against the inventory (:mod:`~controlplane.planning.diff`), the price estimate
(:mod:`~controlplane.planning.pricing`), the policy view and admission
(:mod:`~controlplane.planning.admission`), the estate snapshot
(:mod:`~controlplane.planning.snapshot`), the :class:`Plan` value
(:mod:`~controlplane.planning.model`) and :class:`PlanService`
(:mod:`~controlplane.planning.service`). Placement is :mod:`controlplane.placement`.

Reads the database, never writes it; must not import drivers, cloud SDKs or the CLI.
"""

from controlplane.planning.admission import PolicyOutcome
from controlplane.planning.desired import amounts_of, desired_resources, for_platform, meters_of
from controlplane.planning.diff import ExistingResource, ResourceChange, diff
from controlplane.planning.model import BudgetImpact, CapacityImpact, Plan
from controlplane.planning.pricing import PriceEstimate, PriceLine, RateTable, estimate
from controlplane.planning.service import Planner, PlanService
from controlplane.planning.snapshot import EstateSnapshot, load_snapshot

__all__ = [
    "BudgetImpact",
    "CapacityImpact",
    "EstateSnapshot",
    "ExistingResource",
    "Plan",
    "PlanService",
    "Planner",
    "PolicyOutcome",
    "PriceEstimate",
    "PriceLine",
    "RateTable",
    "ResourceChange",
    "amounts_of",
    "desired_resources",
    "diff",
    "estimate",
    "for_platform",
    "load_snapshot",
    "meters_of",
]
