"""Which steps of the estate's approval chain a request must pass (pure).

A step applies when its condition holds: ``minLevel`` — the system's 等保 level is at
least N; ``overBudget`` — the plan's yearly cost takes the department over its
remaining budget; ``always``. Steps are decided in chain order. When no step applies
the request is approved automatically (the decision is recorded as
:data:`AUTO_APPROVER`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["AUTO_APPROVER", "ChainStep", "applicable_steps"]

AUTO_APPROVER = "govcloud:auto-approve"


@dataclass(frozen=True)
class ChainStep:
    name: str
    position: int
    role: str
    condition: Mapping[str, Any]

    def applies(self, *, level: int, over_budget: bool) -> bool:
        if self.condition.get("always"):
            return True
        if self.condition.get("overBudget"):
            return over_budget
        min_level = self.condition.get("minLevel")
        return isinstance(min_level, int) and level >= min_level


def applicable_steps(
    chain: Iterable[ChainStep], *, level: int, over_budget: bool
) -> list[ChainStep]:
    """The steps a request must pass, in chain order (empty: auto-approve)."""
    return sorted(
        (s for s in chain if s.applies(level=level, over_budget=over_budget)),
        key=lambda s: s.position,
    )
