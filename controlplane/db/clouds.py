"""Which clouds a tier holds: the one definition every list scoped to a tier filters by.

A tier's clouds are the providers whose ``tier`` is that tier (``provincial``,
``municipal``, ``sector``). The violations list
(:mod:`controlplane.compliance.listing`), the requests list
(:mod:`controlplane.requests.service`) and the drift list
(:mod:`controlplane.inventory.query`) take a ``tier`` through :func:`tier_clouds`, and
the overview (:mod:`controlplane.overview`) totals a tier over the same providers, so a
tier's figure is the length of the list it opens.
"""

from __future__ import annotations

from sqlalchemy import Select, select
from sqlmodel import col

from controlplane.db.models import Provider

__all__ = ["tier_clouds"]


def tier_clouds(tier: str) -> Select[tuple[str]]:
    """The names of ``tier``'s clouds, as a subquery (``name.in_(tier_clouds(tier))``)."""
    return select(col(Provider.name)).where(col(Provider.tier) == tier)
