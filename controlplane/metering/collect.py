"""Live collection: a driver's usage over a window, as records and the window itself.

Owns how one provider's ``observe_usage(since, until)`` becomes a batch: each
``providers.UsageObservation`` becomes a ``RawUsage`` of source ``collect`` (its natural
key is the driver's stable ``source_key``), and the window ``[since, until)`` is recorded
even when nothing was used, so an empty hour is *covered* rather than a gap. Times are
floored to whole seconds (the billing core's resolution); a sliver shorter than a second
disappears. Where the next window starts is the service's business. Imports the
``providers`` protocol and types only, no database.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from controlplane.billing import CollectionWindow
from controlplane.metering.records import RawUsage
from providers import Driver
from providers.types import UsageObservation

__all__ = ["COLLECT_SOURCE", "collect_window", "whole_second"]

COLLECT_SOURCE = "collect"


def whole_second(instant: datetime) -> datetime:
    return instant.replace(microsecond=0)


def _records(observed: Iterable[UsageObservation]) -> list[RawUsage]:
    out = []
    for obs in observed:
        start, end = whole_second(obs.start), whole_second(obs.end)
        if start < end:
            out.append(
                RawUsage(obs.provider, COLLECT_SOURCE, obs.source_key, obs.resource_id,
                         obs.tenant, obs.system, obs.meter, obs.quantity, start, end)
            )  # fmt: skip
    return out


def collect_window(
    driver: Driver, provider: str, since: datetime, until: datetime
) -> tuple[list[RawUsage], CollectionWindow]:
    """The usage ``driver`` reports over ``[since, until)`` and the window vouched for."""
    records = _records(driver.observe_usage(since, until))
    return records, CollectionWindow(provider, COLLECT_SOURCE, since, until)
