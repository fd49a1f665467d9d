"""Statement totals grouped by tier or by platform (reports of the 1+M+N estate).

A line is counted under its own tier (as rated) or under the platform of its provider;
adjustments belong to no provider and are kept apart, so the groups plus the
adjustments always add up to the statements' totals.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from controlplane.billing.statements import Statement

GroupBy = Literal["tier", "platform"]


@dataclass(frozen=True)
class GroupTotals:
    """Line totals per group, the adjustments apart, and the grand total."""

    by: GroupBy
    groups: dict[str, Decimal]
    adjustments: Decimal
    total: Decimal


def group_totals(
    statements: Iterable[Statement], by: GroupBy, platforms: Mapping[str, str]
) -> GroupTotals:
    """Totals of ``statements`` per tier or per platform; ``platforms`` maps a provider to
    its platform (a provider no longer in the estate counts as a platform of its own)."""
    groups: dict[str, Decimal] = {}
    adjustments = total = Decimal("0.00")
    for statement in statements:
        for line in statement.lines:
            key = str(line.tier) if by == "tier" else platforms.get(line.provider, line.provider)
            groups[key] = groups.get(key, Decimal("0.00")) + line.amount
        adjustments += statement.adjustments_total
        total += statement.total
    return GroupTotals(by, dict(sorted(groups.items())), adjustments, total)
