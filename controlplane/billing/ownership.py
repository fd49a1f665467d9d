"""Who owned a resource when: the ownership timeline rating splits at.

Owns ``Ownership`` (a resource belonged to tenant/system over ``[start, end)``, ``end``
open for "still"), ``OwnershipTimeline`` (validated, per-resource lookup) and
``ownership_from_observations`` (the owners stated by imported/collected records, for
clouds whose inventory govcloud does not hold). A resource claimed by two owners at one
instant is an ``OwnershipConflict``. Imports only the billing value modules.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from controlplane.billing.effective import FOREVER
from controlplane.billing.errors import OwnershipConflict
from controlplane.billing.intervals import deduplicate
from controlplane.billing.period import epoch_seconds, from_epoch
from controlplane.billing.usage import Observation

ResourceKey = tuple[str, str]
Owner = tuple[str, str]
Segment = tuple[int, int, Owner]
Span = tuple[str, str, str, str, int, int]  # provider, resource, tenant, system, start, end


def _empty_span(provider: str, resource_id: str) -> OwnershipConflict:
    """The error for a span whose end is not after its start."""
    return OwnershipConflict(f"ownership of {provider}/{resource_id}: end is not after start")


def _timeline(spans: Iterable[Span]) -> dict[ResourceKey, list[Segment]]:
    by_resource: dict[ResourceKey, list[Segment]] = defaultdict(list)
    for provider, resource_id, tenant, system, start, end in spans:
        if end <= start:
            raise _empty_span(provider, resource_id)
        by_resource[(provider, resource_id)].append((start, end, (tenant, system)))
    try:
        return {key: _merge(key, segs) for key, segs in by_resource.items()}
    except OwnershipConflict:  # name the first conflict in resource order, whatever the input's
        for key in sorted(by_resource):
            _merge(key, by_resource[key])
        raise


@dataclass(frozen=True)
class Ownership:
    """``resource_id`` on ``provider`` belonged to ``tenant``/``system`` over the span."""

    provider: str
    resource_id: str
    tenant: str
    system: str
    start: datetime
    end: datetime | None = None


class OwnershipTimeline:
    """Per-resource owner segments sorted by start; overlapping claims are refused."""

    def __init__(self, records: Iterable[Ownership]) -> None:
        self._segments = _timeline(
            (
                record.provider,
                record.resource_id,
                record.tenant,
                record.system,
                epoch_seconds(record.start),
                FOREVER if record.end is None else epoch_seconds(record.end),
            )
            for record in records
        )

    @classmethod
    def from_spans(cls, spans: Iterable[Span]) -> OwnershipTimeline:
        """The timeline of (provider, resource, tenant, system, start, end) in epoch seconds."""
        timeline = cls(())
        timeline._segments = _timeline(spans)
        return timeline

    def segments(self, provider: str, resource_id: str) -> list[Segment]:
        return self._segments.get((provider, resource_id), [])

    def records(self) -> list[Ownership]:
        return [
            Ownership(
                provider,
                resource_id,
                tenant,
                system,
                from_epoch(start),
                None if end == FOREVER else from_epoch(end),
            )
            for (provider, resource_id), segs in sorted(self._segments.items())
            for start, end, (tenant, system) in segs
        ]


def _merge(key: ResourceKey, segments: list[Segment]) -> list[Segment]:
    """Sort, join touching/overlapping spans of one owner, refuse two owners at once."""
    merged: list[Segment] = []
    for start, end, owner in sorted(segments):
        if merged and start <= merged[-1][1]:
            last_start, last_end, last_owner = merged[-1]
            if last_owner == owner:
                merged[-1] = (last_start, max(last_end, end), owner)
                continue
            if start < last_end:
                raise OwnershipConflict(
                    f"{key[0]}/{key[1]} is claimed by {'/'.join(last_owner)} and "
                    f"{'/'.join(owner)} at {from_epoch(start).isoformat()}"
                )
        merged.append((start, end, owner))
    return merged


def ownership_from_observations(observations: Iterable[Observation]) -> OwnershipTimeline:
    """The owners stated by the observations themselves (tenant/system columns)."""
    return OwnershipTimeline(
        Ownership(obs.provider, obs.resource_id, obs.tenant, obs.system, obs.start, obs.end)
        for obs in deduplicate(observations)
    )
