"""Rating a month from plain records in one integer pass: the bulk path of ``bill run``.

Owns ``EpochRecord`` (one usage record as plain values: times in epoch seconds,
quantity also in integer base units), ``EpochInterval`` (a usage interval the same way,
with its lineage and content id) and ``rate_records``. ``rate_records`` applies exactly
the rules of ``build_intervals`` → ``ownership_from_observations`` → ``rate_month`` —
the same deduplication and conflict error, the same max envelope, the same ownership
merge, the same ``_Rater`` and rounding — to records that were never turned into
``Observation``s or datetimes: a province's month close converts no timestamp per
record. ``tests/billing/test_rating_oracle.py`` holds both paths to one oracle.
Imports only the billing value modules; no I/O.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from controlplane.billing.errors import ConflictingObservation
from controlplane.billing.intervals import SeriesKey, _describe, _max_envelope
from controlplane.billing.ownership import OwnershipTimeline, Span
from controlplane.billing.period import Month, epoch_seconds, from_epoch
from controlplane.billing.ratecard import RateCard, Tier
from controlplane.billing.rating import Rating, rate_epoch_intervals
from controlplane.billing.usage import NaturalKey, Observation, interval_id

__all__ = ["EpochInterval", "EpochRecord", "RatedRecords", "rate_records"]


class EpochRecord(NamedTuple):
    """An ``Observation`` as plain values; ``base`` is ``quantity`` in base units."""

    provider: str
    source: str
    source_key: str
    resource_id: str
    tenant: str
    system: str
    meter: str
    quantity: Decimal
    base: int
    start: int
    end: int

    @classmethod
    def of(cls, obs: Observation) -> EpochRecord:
        return cls(obs.provider, obs.source, obs.source_key, obs.resource_id, obs.tenant,
                   obs.system, obs.meter, obs.quantity, obs.base_quantity,
                   epoch_seconds(obs.start), epoch_seconds(obs.end))  # fmt: skip

    def observation(self) -> Observation:
        return Observation(self.provider, self.source, self.source_key, self.resource_id,
                           self.tenant, self.system, self.meter, self.quantity,
                           from_epoch(self.start), from_epoch(self.end))  # fmt: skip


class EpochInterval(NamedTuple):
    """A ``UsageInterval`` as plain values (epoch seconds), with its content id."""

    provider: str
    resource_id: str
    meter: str
    quantity: int
    start: int
    end: int
    observations: tuple[NaturalKey, ...]
    interval_id: str


@dataclass(frozen=True)
class RatedRecords:
    """The canonical intervals of the records and the month's rating."""

    intervals: tuple[EpochInterval, ...]
    rating: Rating


def _conflict(key: NaturalKey, known: EpochRecord, record: EpochRecord) -> ConflictingObservation:
    """The error ``intervals.deduplicate`` raises for the same two records."""
    return ConflictingObservation(
        f"observation {'/'.join(key)} was recorded twice with different content: "
        f"{_describe(known.observation())} vs {_describe(record.observation())}"
    )


def rate_records(
    month: Month,
    records: Iterable[EpochRecord],
    card: RateCard,
    provider_tiers: Mapping[str, Tier],
) -> RatedRecords:
    """Intervals and rating of ``records``, as the pure core gives for their Observations."""
    series: dict[SeriesKey, list[tuple[int, int, int, NaturalKey]]] = defaultdict(list)
    spans: set[Span] = set()  # a resource's meters share their spans: each once
    # one pass deduplicates (as ``intervals.deduplicate``: the first conflict in input
    # order is the one named), groups the series and collects the owners they state
    seen: dict[NaturalKey, EpochRecord] = {}
    for record in records:
        provider, source, source_key, resource_id, tenant, system, meter_name, _, base, start, end = record  # fmt: skip
        key = (provider, source, source_key)
        known = seen.setdefault(key, record)
        if known is not record:
            if known != record:
                raise _conflict(key, known, record)
            continue
        series[(provider, resource_id, meter_name)].append((start, end, base, key))
        spans.add((provider, resource_id, tenant, system, start, end))
    intervals: list[EpochInterval] = []
    add = intervals.append
    for series_key in sorted(series):
        provider, resource_id, meter_name = series_key
        for start, end, quantity, lineage in _max_envelope(series[series_key]):
            add(EpochInterval(provider, resource_id, meter_name, quantity, start, end, lineage,
                              interval_id(provider, resource_id, meter_name, quantity, start, end)))  # fmt: skip
    rating = rate_epoch_intervals(
        month,
        ((iv, iv.start, iv.end) for iv in intervals),
        OwnershipTimeline.from_spans(spans),
        card,
        provider_tiers,
    )
    return RatedRecords(tuple(intervals), rating)
