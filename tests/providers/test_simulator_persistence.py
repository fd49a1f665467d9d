"""Simulator state shared through a file by separate driver instances.

Cases: a second instance on the same file sees the first's resources, quotas, ids
and usage history, and re-apply there is a no-op; a crash mid-apply leaves the
created resources on disk so another process resumes without duplicates; new ids
keep coming from the persisted seed and counter (no collisions); the file is replaced
atomically (no temporary left behind); a corrupt file is a clear ProviderError;
without ``state_path`` nothing is written; two live instances on one file see each
other's writes and never overwrite them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from providers.errors import ProviderInvalidRequest, ProviderQuotaExceeded
from providers.sim.clock import ManualClock
from providers.simulator import SimulatedCrash, SimulatorDriver, SimulatorFaults
from providers.types import DesiredResource, QuotaSet, SystemRef

PORTAL = SystemRef("hrss", "portal", "req-1", 3)
DESIRED = [
    DesiredResource("volume", "data", {"size_gib": 40, "type": "ssd", "encrypted": True}),
    DesiredResource("server", "web", {"vcpu": 2, "memory_mib": 4096}, ("volume/data",)),
    DesiredResource("floating_ip", "ip", {}, ("server/web",)),
]


def test_second_instance_sees_the_same_cloud(tmp_path: Path, clock: ManualClock) -> None:
    path = tmp_path / "cloud.json"
    first = SimulatorDriver("sim", clock=clock, seed=5, state_path=path)
    created = first.apply(PORTAL, DESIRED)
    first.set_quotas("hrss", QuotaSet(vcpu=3))
    first.add_unmanaged([DesiredResource("network", "hand-made", {"cidr": "10.9.0.0/16"})])
    since = clock.now
    clock.advance(hours=2)

    second = SimulatorDriver("sim", clock=clock, seed=999, state_path=path)
    assert sorted(r.resource_id for r in second.list_inventory()) == sorted(
        r.resource_id for r in first.list_inventory()
    )
    assert [o.action for o in second.apply(PORTAL, DESIRED)] == ["unchanged"] * 3
    assert [o.resource_id for o in second.apply(PORTAL, DESIRED)] == [
        o.resource_id for o in created
    ]
    assert list(second.observe_usage(since, clock.now)) == list(
        first.observe_usage(since, clock.now)
    )
    (over,) = second.apply(PORTAL, [DesiredResource("server", "extra", {"vcpu": 2})])
    assert isinstance(over.error, ProviderQuotaExceeded)
    second.delete(PORTAL)
    third = SimulatorDriver("sim", clock=clock, state_path=path)
    assert [r.name for r in third.list_inventory()] == ["hand-made"]
    assert {o.action for o in third.delete(PORTAL)} == {"absent"}
    assert not path.with_name(path.name + ".tmp").exists()


def test_crash_is_durable_and_resumable(tmp_path: Path, clock: ManualClock) -> None:
    path = tmp_path / "cloud.json"
    crashing = SimulatorDriver(
        "sim", clock=clock, state_path=path, faults=SimulatorFaults(fail_after_creates=1)
    )
    with pytest.raises(SimulatedCrash):
        crashing.apply(PORTAL, DESIRED)
    resumed = SimulatorDriver("sim", clock=clock, state_path=path)
    assert [o.action for o in resumed.apply(PORTAL, DESIRED)] == [
        "unchanged",
        "created",
        "created",
    ]
    ids = [r.resource_id for r in resumed.list_inventory()]
    assert len(ids) == len(set(ids)) == 3


def test_corrupt_file_is_a_provider_error(tmp_path: Path, clock: ManualClock) -> None:
    path = tmp_path / "cloud.json"
    path.write_text('{"format": 0}', encoding="utf-8")
    with pytest.raises(ProviderInvalidRequest, match="state"):
        SimulatorDriver("sim", clock=clock, state_path=path)


def test_in_memory_writes_nothing(tmp_path: Path, clock: ManualClock) -> None:
    driver = SimulatorDriver("sim", clock=clock)
    driver.apply(PORTAL, DESIRED)
    assert list(tmp_path.iterdir()) == []


def test_live_instances_do_not_clobber_each_other(tmp_path: Path, clock: ManualClock) -> None:
    path = tmp_path / "cloud.json"
    server = SimulatorDriver("sim", clock=clock, state_path=path)
    cli = SimulatorDriver("sim", clock=clock, state_path=path)
    other = SystemRef("edu", "exam", "req-7", 2)
    cli.apply(PORTAL, DESIRED)
    # The long-lived instance sees the other's write before its own, and keeps it.
    assert server.resource_count == 3
    server.apply(other, [DesiredResource("server", "exam", {"vcpu": 2})])
    assert cli.resource_count == 4
    ids = [r.resource_id for r in cli.list_inventory()]
    assert len(set(ids)) == 4
    assert {o.action for o in server.apply(PORTAL, DESIRED)} == {"unchanged"}
