"""Usage observation by the simulator.

Cases: a live resource yields one observation per meter clipped to the window;
resources outside the window yield nothing; a deleted resource ends at its deletion;
a spec change splits usage into two adjacent periods; the same window observed twice
gives identical observations and keys; keys are unique within a call; splitting a
window into contiguous pieces never overlaps and conserves resource-hours (property
test); unmanaged resources are observed without a tenant; naive or empty windows are
refused; usage stays observable after the resource is gone.
"""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from providers.sim.clock import ManualClock
from providers.simulator import SimulatorDriver
from providers.types import DesiredResource, SystemRef, UsageObservation

PORTAL = SystemRef("hrss", "portal", "req-1", 3)
SERVER = DesiredResource("server", "web", {"vcpu": 4, "memory_mib": 8192})
VOLUME = DesiredResource("volume", "data", {"size_gib": 100, "type": "hdd"})


def by_meter(observations: list[UsageObservation]) -> dict[str, list[UsageObservation]]:
    found: dict[str, list[UsageObservation]] = {}
    for item in observations:
        found.setdefault(item.meter, []).append(item)
    return found


def test_live_resource_is_clipped(sim: SimulatorDriver, clock: ManualClock) -> None:
    start = clock.now
    sim.apply(PORTAL, [SERVER])
    clock.advance(days=3)
    window = (start - timedelta(days=1), start + timedelta(hours=5))
    meters = by_meter(list(sim.observe_usage(*window)))
    assert set(meters) == {"compute.vcpu", "compute.memory"}
    (vcpu,) = meters["compute.vcpu"]
    assert (vcpu.start, vcpu.end, vcpu.quantity) == (start, window[1], Decimal(4))
    assert meters["compute.memory"][0].quantity == Decimal(8)
    assert (vcpu.tenant, vcpu.system, vcpu.provider) == ("hrss", "portal", "sim-a")
    assert list(sim.observe_usage(start - timedelta(days=2), start)) == []


def test_deleted_and_updated_resources(sim: SimulatorDriver, clock: ManualClock) -> None:
    t0 = clock.now
    sim.apply(PORTAL, [SERVER, VOLUME])
    t1 = clock.advance(hours=10)
    sim.apply(PORTAL, [DesiredResource("server", "web", {"vcpu": 8, "memory_mib": 8192}), VOLUME])
    t2 = clock.advance(hours=5)
    sim.delete(PORTAL)
    clock.advance(days=1)
    meters = by_meter(list(sim.observe_usage(t0, clock.now)))
    assert [(o.start, o.end, o.quantity) for o in meters["compute.vcpu"]] == [
        (t0, t1, Decimal(4)),
        (t1, t2, Decimal(8)),
    ]
    # Memory did not change, yet the server's usage period was split at the update.
    assert sum(((o.end - o.start) for o in meters["compute.memory"]), timedelta()) == t2 - t0
    (hdd,) = meters["storage.hdd"]
    assert (hdd.start, hdd.end, hdd.quantity) == (t0, t2, Decimal(100))


def test_repeatable_and_unique_keys(sim: SimulatorDriver, clock: ManualClock) -> None:
    sim.apply(PORTAL, [SERVER, VOLUME])
    sim.add_unmanaged([DesiredResource("floating_ip", "stray", {})])
    until = clock.advance(hours=7)
    since = until - timedelta(days=1)
    first = list(sim.observe_usage(since, until))
    second = list(sim.observe_usage(since, until))
    assert first == second
    keys = [o.source_key for o in first]
    assert len(keys) == len(set(keys)) == 4
    stray = [o for o in first if o.meter == "network.public_ip"]
    assert stray[0].tenant is None


def test_window_validation(sim: SimulatorDriver, clock: ManualClock) -> None:
    with pytest.raises(ValueError, match="empty"):
        list(sim.observe_usage(clock.now, clock.now))
    with pytest.raises(ValueError, match="timezone"):
        sim.observe_usage(datetime(2026, 1, 1), clock.now)


@settings(max_examples=40, deadline=None)
@given(
    lifetimes=st.lists(
        st.tuples(st.integers(0, 200), st.integers(1, 200), st.booleans()),
        min_size=1,
        max_size=6,
    ),
    cuts=st.lists(st.integers(1, 499), max_size=5, unique=True),
)
def test_contiguous_windows_conserve_usage(
    lifetimes: list[tuple[int, int, bool]], cuts: list[int]
) -> None:
    """However [0h, 500h) is cut into windows, usage neither overlaps nor gets lost."""
    start = datetime.fromisoformat("2026-01-01T00:00:00+00:00")
    clock = ManualClock(start)
    sim = SimulatorDriver("p", clock=clock, seed=3)
    events: list[tuple[int, str, int]] = []
    for index, (born, life, deleted) in enumerate(lifetimes):
        events.append((born, "create", index))
        if deleted:
            events.append((born + life, "delete", index))
    for hour, action, index in sorted(events):
        clock.now = start + timedelta(hours=hour)
        system = SystemRef("t", f"s{index}", "r", 2)
        if action == "create":
            sim.apply(system, [SERVER])
        else:
            sim.delete(system)
    clock.now = start + timedelta(hours=600)
    bounds = [0, *sorted(cuts), 500]
    pieces = [
        o
        for low, high in itertools.pairwise(bounds)
        for o in sim.observe_usage(start + timedelta(hours=low), start + timedelta(hours=high))
        if o.meter == "compute.vcpu"
    ]
    whole = [
        o
        for o in sim.observe_usage(start, start + timedelta(hours=500))
        if o.meter == "compute.vcpu"
    ]

    def hours(items: list[UsageObservation]) -> Decimal:
        total = sum(((o.end - o.start) * int(o.quantity) for o in items), timedelta())
        return Decimal(total.total_seconds()) / 3600

    assert hours(pieces) == hours(whole)
    expected = sum(
        4 * (min(born + life, 500) - born if deleted else 500 - born)
        for born, life, deleted in lifetimes
    )
    assert hours(whole) == expected
    per_resource: dict[str, list[UsageObservation]] = {}
    for o in pieces:
        per_resource.setdefault(o.resource_id, []).append(o)
    for items in per_resource.values():
        items.sort(key=lambda o: o.start)
        for earlier, later in itertools.pairwise(items):
            assert earlier.end <= later.start
    assert len({o.source_key for o in pieces}) == len(pieces)
