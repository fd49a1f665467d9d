"""controlplane.placement — the 1+M+N scheduler: hard filters, then weighers.

Owns the facts placement reads (:mod:`~controlplane.placement.facts`), the registered
hard filters with their zh/en reasons (:mod:`~controlplane.placement.filters`), the
weighers (:mod:`~controlplane.placement.weighers`) and the scheduler for one request
or a capacity-consuming batch (:mod:`~controlplane.placement.scheduler`).

Pure: plain frozen dataclasses in, a :class:`Decision` out. Must not import the
database, the CLI, drivers or any cloud SDK; imports only :mod:`tenants`.
"""

from controlplane.placement.facts import NO_PRICES, ProviderFacts, SystemNeeds, home_tier_of
from controlplane.placement.filters import FILTERS, FILTERS_BY_NAME, Exclusion, HardFilter
from controlplane.placement.scheduler import Decision, Scheduler, Weighed, place
from controlplane.placement.weighers import WEIGHERS, Weigher

__all__ = [
    "FILTERS",
    "FILTERS_BY_NAME",
    "NO_PRICES",
    "WEIGHERS",
    "Decision",
    "Exclusion",
    "HardFilter",
    "ProviderFacts",
    "Scheduler",
    "SystemNeeds",
    "Weighed",
    "Weigher",
    "home_tier_of",
    "place",
]
