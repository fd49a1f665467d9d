"""Observations → usage intervals, and coverage gaps.

Owns the two metering rules that make collection idempotent:

* **Duplicates collapse.** Observations are keyed by ``(provider, source, source_key)``;
  the same record seen again (a replayed batch, a re-run import) is dropped, and the
  same key with a different payload raises ``ConflictingObservation``.
* **Overlaps never add up.** Where several observations of one resource and meter
  cover the same instant (a live poll and an import of the same usage, a late event),
  the quantity at that instant is the **maximum** of them: the usage is the same, only
  reported twice, and the maximum is what any of the sources vouches was in use. The
  winner per instant is the highest quantity, ties going to the smallest natural key,
  and only winners are kept as lineage.

The result per (provider, resource, meter) is the canonical, non-overlapping list of
maximal intervals of constant quantity (adjacent equal quantities are merged), so the
output depends only on the *set* of observations — never on their order or multiplicity.

Coverage: a provider's covered time is the union of its collection windows and its
observations; the rest of the billing window is returned as ``CoverageGap``s.
No I/O; imports only the billing value modules.
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from itertools import pairwise

from controlplane.billing.errors import ConflictingObservation
from controlplane.billing.period import epoch_seconds, from_epoch
from controlplane.billing.usage import (
    CollectionWindow,
    CoverageGap,
    NaturalKey,
    Observation,
    UsageInterval,
)

SeriesKey = tuple[str, str, str]


def deduplicate(observations: Iterable[Observation]) -> list[Observation]:
    """Unique observations by natural key, sorted by it (replays collapse)."""
    seen: dict[NaturalKey, Observation] = {}
    for obs in observations:
        key = obs.natural_key
        known = seen.get(key)
        if known is None:
            seen[key] = obs
        elif known != obs:
            raise ConflictingObservation(
                f"observation {'/'.join(key)} was recorded twice with different content: "
                f"{_describe(known)} vs {_describe(obs)}"
            )
    return [seen[key] for key in sorted(seen)]


def _describe(obs: Observation) -> str:
    return (
        f"{obs.resource_id} {obs.meter}={obs.quantity} {obs.tenant}/{obs.system} "
        f"[{obs.start.isoformat()}, {obs.end.isoformat()})"
    )


def build_intervals(observations: Iterable[Observation]) -> list[UsageInterval]:
    """Canonical usage intervals, sorted by (provider, resource, meter, start)."""
    series: dict[SeriesKey, list[tuple[int, int, int, NaturalKey]]] = defaultdict(list)
    for obs in deduplicate(observations):
        series[(obs.provider, obs.resource_id, obs.meter)].append(
            (epoch_seconds(obs.start), epoch_seconds(obs.end), obs.base_quantity, obs.natural_key)
        )
    intervals: list[UsageInterval] = []
    for key in sorted(series):
        provider, resource_id, meter_name = key
        for start, end, quantity, lineage in _max_envelope(series[key]):
            intervals.append(
                UsageInterval.from_epoch(
                    provider, resource_id, meter_name, quantity, start, end, lineage
                )
            )
    return intervals


def _max_envelope(
    records: list[tuple[int, int, int, NaturalKey]],
) -> list[tuple[int, int, int, tuple[NaturalKey, ...]]]:
    """Sweep the records of one series into maximal constant-quantity intervals."""
    if len(records) == 1:
        start, end, quantity, key = records[0]
        return [(start, end, quantity, (key,))]
    records.sort()
    if all(before[1] <= after[0] for before, after in pairwise(records)):
        return _touching(records)
    cuts = sorted({t for start, end, _, _ in records for t in (start, end)})
    active: list[tuple[int, NaturalKey, int]] = []  # (-quantity, key, end): max-heap
    out: list[tuple[int, int, int, tuple[NaturalKey, ...]]] = []
    lineage: set[NaturalKey] = set()
    next_record = 0
    for left, right in pairwise(cuts):
        while next_record < len(records) and records[next_record][0] <= left:
            start, end, quantity, key = records[next_record]
            heapq.heappush(active, (-quantity, key, end))
            next_record += 1
        while active and active[0][2] <= left:
            heapq.heappop(active)
        if not active:
            continue
        quantity, key = -active[0][0], active[0][1]
        if out and out[-1][1] == left and out[-1][2] == quantity:
            out[-1] = (out[-1][0], right, quantity, ())
            lineage.add(key)
        else:
            if out:
                out[-1] = (*out[-1][:3], tuple(sorted(lineage)))
            out.append((left, right, quantity, ()))
            lineage = {key}
    out[-1] = (*out[-1][:3], tuple(sorted(lineage)))
    return out


def _touching(
    records: list[tuple[int, int, int, NaturalKey]],
) -> list[tuple[int, int, int, tuple[NaturalKey, ...]]]:
    """``_max_envelope`` of sorted records that do not overlap: each wins its own span,
    and a record that starts where the previous one ends at the same quantity joins it."""
    out: list[tuple[int, int, int, tuple[NaturalKey, ...]]] = []
    for start, end, quantity, key in records:
        if out and out[-1][1] == start and out[-1][2] == quantity:
            out[-1] = (out[-1][0], end, quantity, tuple(sorted((*out[-1][3], key))))
        else:
            out.append((start, end, quantity, (key,)))
    return out


def coverage_gaps(
    providers: Iterable[str],
    start: datetime,
    end: datetime,
    observations: Iterable[Observation] = (),
    windows: Iterable[CollectionWindow] = (),
) -> list[CoverageGap]:
    """Spans of ``[start, end)`` for which no source vouches for each provider.

    A provider expected in ``providers`` with no window and no observation at all gets
    one gap covering the whole span. Sorted by (provider, start).
    """
    covered: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for window in windows:
        covered[window.provider].append((epoch_seconds(window.start), epoch_seconds(window.end)))
    for obs in observations:
        covered[obs.provider].append((epoch_seconds(obs.start), epoch_seconds(obs.end)))
    lo, hi = epoch_seconds(start), epoch_seconds(end)
    gaps: list[CoverageGap] = []
    for provider in sorted(set(providers)):
        cursor = lo
        for span_start, span_end in sorted(covered.get(provider, [])):
            if span_start > cursor and cursor < hi:
                gaps.append(
                    CoverageGap(provider, from_epoch(cursor), from_epoch(min(span_start, hi)))
                )
            cursor = max(cursor, span_end)
            if cursor >= hi:
                break
        if cursor < hi:
            gaps.append(CoverageGap(provider, from_epoch(cursor), from_epoch(hi)))
    return gaps
