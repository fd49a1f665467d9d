"""Observations → intervals, and coverage gaps.

Cases covered:
- replaying a batch 1–5 times in any order gives the same intervals (hypothesis);
- duplicates by natural key collapse; the same key with another payload is refused;
- overlapping observations of one resource+meter take the maximum, never the sum;
  adjacent equal quantities merge; lineage keeps the winning observations; intervals
  and lineage equal an hour-by-hour oracle, for overlapping series and for series whose
  records only touch or leave gaps (hypothesis);
- quantities convert to integer base units (GiB→MiB, cores→millicores), fractional
  base units and naive / sub-second times are refused;
- coverage gaps: a provider with no data at all, a hole in the middle, windows with
  no observations count as covered, gaps are named in their text.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from controlplane.billing import (
    CollectionWindow,
    ConflictingObservation,
    Month,
    Observation,
    ObservationError,
    build_intervals,
    coverage_gaps,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def obs(
    key: str,
    quantity: str,
    start_h: int,
    end_h: int,
    *,
    meter: str = "compute.vcpu",
    resource: str = "vm1",
    provider: str = "prov-main",
    source: str = "poll",
) -> Observation:
    return Observation(
        provider,
        source,
        key,
        resource,
        "hrss",
        "portal",
        meter,
        Decimal(quantity),
        T0 + timedelta(hours=start_h),
        T0 + timedelta(hours=end_h),
    )


batches = st.lists(
    st.builds(
        lambda k, q, a, d, r: obs(f"k{k}", str(q), a, a + d, resource=f"vm{r}"),
        st.integers(0, 30),
        st.integers(0, 8),
        st.integers(0, 100),
        st.integers(1, 50),
        st.integers(0, 2),
    ),
    max_size=25,
    unique_by=lambda o: o.natural_key,
)


def _hourly_envelope(batch: list[Observation]) -> list[tuple[str, int, int, int, list[str]]]:
    """(resource, start h, end h, quantity, lineage) hour by hour: the highest quantity
    wins each hour, ties to the smallest key; equal neighbouring hours join."""
    out: list[tuple[str, int, int, int, list[str]]] = []
    for resource in sorted({o.resource_id for o in batch}):
        own = [o for o in batch if o.resource_id == resource]
        for hour in range(160):
            at = T0 + timedelta(hours=hour)
            active = [o for o in own if o.start <= at < o.end]
            if not active:
                continue
            win = min(active, key=lambda o: (-o.quantity, o.source_key))
            last = out[-1] if out else None
            if last and last[0] == resource and last[2] == hour and last[3] == win.quantity:
                out[-1] = (resource, last[1], hour + 1, last[3], sorted({*last[4], win.source_key}))
            else:
                out.append((resource, hour, hour + 1, int(win.quantity), [win.source_key]))
    return out


@settings(max_examples=200)
@given(batches, st.booleans())
def test_intervals_equal_the_hourly_oracle(batch: list[Observation], apart: bool) -> None:
    if apart:  # records of a resource touch or leave gaps, never overlap
        ends: dict[str, timedelta] = {}
        spread = []
        for o in batch:
            start = ends.get(o.resource_id, timedelta(0)) + (o.start - T0) % timedelta(hours=3)
            ends[o.resource_id] = (
                start + (o.end - o.start) % timedelta(hours=5) + timedelta(hours=1)
            )
            spread.append(replace(o, start=T0 + start, end=T0 + ends[o.resource_id]))
        batch = [o for o in spread if o.end <= T0 + timedelta(hours=160)]
    got = [
        (iv.resource_id, int((iv.start - T0) / timedelta(hours=1)),
         int((iv.end - T0) / timedelta(hours=1)), iv.quantity,
         [key for _, _, key in iv.observations])
        for iv in build_intervals(batch)
    ]  # fmt: skip
    assert got == _hourly_envelope(batch)


@settings(max_examples=150)
@given(batches, st.integers(1, 5), st.randoms(use_true_random=False))
def test_replay_is_idempotent(batch: list[Observation], times: int, rnd: random.Random) -> None:
    replayed = batch * times
    rnd.shuffle(replayed)
    once = build_intervals(batch)
    assert build_intervals(replayed) == once
    assert [i.observations for i in build_intervals(replayed)] == [i.observations for i in once]
    for left, right in itertools.pairwise(once):
        same_series = (left.provider, left.resource_id, left.meter) == (
            right.provider,
            right.resource_id,
            right.meter,
        )
        if same_series:
            assert left.end <= right.start  # never overlapping
            assert left.end < right.start or left.quantity != right.quantity  # maximal


def test_conflicting_payload_is_refused() -> None:
    with pytest.raises(ConflictingObservation, match="prov-main/poll/k1"):
        build_intervals([obs("k1", "4", 0, 10), obs("k1", "8", 0, 10)])


def test_overlap_takes_the_maximum_not_the_sum() -> None:
    intervals = build_intervals(
        [
            obs("a", "4", 0, 10),
            obs("b", "8", 5, 7, source="import"),
            obs("c", "4", 10, 12),  # adjacent, same quantity: merged with "a"
        ]
    )
    assert [(i.quantity, i.start.hour, i.end.hour) for i in intervals] == [
        (4, 0, 5),
        (8, 5, 7),
        (4, 7, 12),
    ]
    assert intervals[2].observations == (("prov-main", "poll", "a"), ("prov-main", "poll", "c"))
    assert sum(i.base_unit_seconds for i in intervals) == (4 * 10 + 8 * 2) * 3600


def test_base_units() -> None:
    (memory,) = build_intervals([obs("m", "1.5", 0, 1, meter="compute.memory")])
    assert memory.quantity == 1536  # MiB
    (cores,) = build_intervals([obs("c", "0.25", 0, 1, meter="k8s.cpu")])
    assert cores.quantity == 250  # millicores
    (other,) = build_intervals([obs("g", "0.125", 0, 1, meter="gpu.card")])
    assert other.quantity == 125  # milli-units
    with pytest.raises(ObservationError, match=r"not a whole number of vCPU"):
        obs("x", "0.5", 0, 1)
    with pytest.raises(ObservationError, match="no timezone"):
        Observation("p", "s", "k", "r", "t", "s", "compute.vcpu", Decimal(1),
                    datetime(2026, 1, 1), datetime(2026, 1, 2))  # fmt: skip
    with pytest.raises(ObservationError, match="sub-second"):
        Observation("p", "s", "k", "r", "t", "s", "compute.vcpu", Decimal(1),
                    T0 + timedelta(microseconds=5), T0 + timedelta(hours=1))  # fmt: skip
    with pytest.raises(ObservationError, match="not before end"):
        obs("x", "1", 2, 2)


def test_coverage_gaps_are_explicit_and_named() -> None:
    month = Month.parse("2026-01")
    start = month.start
    data = [
        obs("a", "1", -8, 100),  # 2025-12-31T16:00Z is the month's start
        obs("b", "1", 200, 900),
    ]
    windows = [
        CollectionWindow("prov-main", "poll", T0 + timedelta(hours=100), T0 + timedelta(hours=150))
    ]
    gaps = coverage_gaps(["prov-main", "water-k8s"], month.start, month.end, data, windows)
    assert [(g.provider, g.start, g.end) for g in gaps] == [
        ("prov-main", T0 + timedelta(hours=150), T0 + timedelta(hours=200)),
        ("water-k8s", start, month.end),
    ]
    assert "water-k8s" in str(gaps[1])
    assert "no usage data" in str(gaps[1])
    full = coverage_gaps(["prov-main"], month.start, month.end, [obs("z", "1", -8, 800)])
    assert full == []
