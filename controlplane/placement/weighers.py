"""The weighers: among the providers every filter admitted, which is best.

Like nova-scheduler's, each weigher gives every candidate a raw score; scores are
normalised to 0..1 across the candidates (so no weigher dominates by its units) and
summed with the weigher's multiplier. Registered by name with a zh/en title.
Imports only :mod:`controlplane.placement.facts` and :mod:`tenants`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from controlplane.placement.facts import ProviderFacts, SystemNeeds, home_tier_of
from tenants import ResourceAmounts

__all__ = ["WEIGHERS", "Weigher", "normalise"]

Score = Callable[[ProviderFacts, SystemNeeds, ResourceAmounts], float]


@dataclass(frozen=True, slots=True)
class Weigher:
    name: str
    title_zh: str
    title_en: str
    multiplier: float
    score: Score


def _fraction_left(part: Decimal | int, whole: Decimal | int) -> float:
    return float(part) / float(whole) if whole else 1.0


_WEIGHED = ("vcpu", "memory_gib", "storage_gib")


def _headroom(p: ProviderFacts, n: SystemNeeds, free: ResourceAmounts) -> float:
    """The tightest dimension's free share after placing the system (spread the load)."""
    # ``free - n.amounts`` in the dimensions weighed only (no other is read)
    asked, capacity, tracked = n.amounts, p.capacity, p.tracked
    shares = [
        _fraction_left(getattr(free, key) - getattr(asked, key), getattr(capacity, key))
        for key in _WEIGHED
        if key in tracked
    ]
    return min(shares, default=1.0)


def _home(p: ProviderFacts, n: SystemNeeds, _free: ResourceAmounts) -> float:
    return 1.0 if home_tier_of(n, p) else 0.0


def _cheap(p: ProviderFacts, n: SystemNeeds, _free: ResourceAmounts) -> float:
    return -float(n.monthly_cost(p))


def _incumbent(p: ProviderFacts, n: SystemNeeds, _free: ResourceAmounts) -> float:
    # moving a running system means rebuilding it elsewhere: only when it must
    return 1.0 if p.name == n.current_provider else 0.0


WEIGHERS: tuple[Weigher, ...] = (
    Weigher("incumbent", "系统已在此平台运行", "the system already runs here", 10.0, _incumbent),
    Weigher("home", "部门的本级云", "the department's home cloud", 3.0, _home),
    Weigher("headroom", "剩余容量", "capacity headroom", 1.0, _headroom),
    Weigher("price", "价格", "price", 1.0, _cheap),
)


def normalise(raw: Sequence[float]) -> list[float]:
    """Min-max to 0..1; equal scores all become 0 (they decide nothing)."""
    if not raw:
        return []
    low, high = min(raw), max(raw)
    if high == low:
        return [0.0] * len(raw)
    return [(value - low) / (high - low) for value in raw]
