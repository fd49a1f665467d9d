"""The simulator driver's apply/delete/inventory/health behaviour.

Cases: it satisfies the Driver protocol; apply creates, re-apply is a no-op and a
changed spec is an update naming the changed keys (keeping the resource id); a
second request for the same system adopts instead of duplicating; delete removes
exactly one system's resources and a repeated delete reports "absent"; a crash after
k creates (``fail_after_creates``) resumes without duplicates; tenant quotas and
provider capacity are enforced on create and on update deltas with
``ProviderQuotaExceeded`` while other resources proceed; injected per-resource
failures are temporary; outage and auth faults raise the right error and show in
health; inventory reports unmanaged resources and out-of-band changes; ids and
latencies are deterministic from the seed; bulk populate is idempotent.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from providers.base import Driver
from providers.errors import (
    ProviderAuthError,
    ProviderConflict,
    ProviderNotFound,
    ProviderQuotaExceeded,
    ProviderUnavailable,
)
from providers.sim.clock import ManualClock
from providers.simulator import SimulatedCrash, SimulatorDriver, SimulatorFaults
from providers.types import DesiredResource, QuotaSet, SystemRef

START = datetime(2026, 3, 1, tzinfo=UTC)
PORTAL = SystemRef("hrss", "portal", "req-1", 3)
OTHER = SystemRef("hrss", "jobs", "req-9", 2)


def web(vcpu: int = 4, name: str = "web") -> DesiredResource:
    return DesiredResource(
        "server", name, {"flavor": f"c{vcpu}", "vcpu": vcpu, "memory_mib": vcpu * 2048}
    )


def stack() -> list[DesiredResource]:
    return [
        DesiredResource("network", "net", {"cidr": "10.0.0.0/24"}),
        DesiredResource("volume", "data", {"size_gib": 100, "type": "ssd"}),
        DesiredResource(
            "server",
            "web",
            {"flavor": "c4m8", "vcpu": 4, "memory_mib": 8192},
            ("net", "volume/data"),
        ),
        DesiredResource("floating_ip", "ip", {}, ("server/web",)),
    ]


def actions(outcomes: Sequence[object]) -> dict[str, str]:
    return {f"{o.kind}/{o.name}": o.action for o in outcomes}  # type: ignore[attr-defined]


def test_satisfies_the_protocol(sim: SimulatorDriver) -> None:
    assert isinstance(sim, Driver)
    assert sim.kind == "simulator"
    assert sim.name == "sim-a"


def test_apply_is_idempotent(sim: SimulatorDriver) -> None:
    first = sim.apply(PORTAL, stack())
    assert set(actions(first).values()) == {"created"}
    ids = {o.name: o.resource_id for o in first}
    second = sim.apply(PORTAL, stack())
    assert set(actions(second).values()) == {"unchanged"}
    assert {o.name: o.resource_id for o in second} == ids
    assert sim.resource_count == 4
    observed = list(sim.list_inventory())
    assert all(r.managed and r.tenant == "hrss" and r.system == "portal" for r in observed)


def test_changed_spec_is_an_update(sim: SimulatorDriver) -> None:
    (created,) = sim.apply(PORTAL, [web(4)])
    (updated,) = sim.apply(PORTAL, [web(8)])
    assert updated.action == "updated"
    assert updated.resource_id == created.resource_id
    assert updated.changes == ("flavor", "memory_mib", "vcpu")
    (server,) = list(sim.list_inventory())
    assert server.spec["vcpu"] == 8
    assert sim.quota_usage("hrss")["vcpu"] == 8


def test_later_request_adopts(sim: SimulatorDriver) -> None:
    sim.apply(PORTAL, [web()])
    later = SystemRef("hrss", "portal", "req-2", 3)
    (outcome,) = sim.apply(later, [web(vcpu=2)])
    assert outcome.action == "updated"
    assert sim.resource_count == 1
    assert next(sim.list_inventory()).request_id == "req-2"


def test_delete_is_scoped_and_ignores_missing(sim: SimulatorDriver) -> None:
    sim.apply(PORTAL, stack())
    sim.apply(OTHER, [web()])
    deleted = sim.delete(PORTAL)
    assert set(actions(deleted).values()) == {"deleted"}
    assert len(deleted) == 4
    remaining = list(sim.list_inventory())
    assert [(r.system, r.name) for r in remaining] == [("jobs", "web")]
    again = sim.delete(PORTAL)
    assert set(actions(again).values()) == {"absent"}
    assert {o.resource_id for o in again} == {o.resource_id for o in deleted}
    assert sim.delete(SystemRef("nobody", "nothing", "r", 2)) == []


def test_resume_after_crash_without_duplicates(sim: SimulatorDriver) -> None:
    sim.faults = SimulatorFaults(fail_after_creates=2)
    with pytest.raises(SimulatedCrash) as crash:
        sim.apply(PORTAL, stack())
    assert crash.value.created == 2
    assert sim.resource_count == 2
    sim.faults = SimulatorFaults()
    resumed = actions(sim.apply(PORTAL, stack()))
    assert sorted(resumed.values()) == ["created", "created", "unchanged", "unchanged"]
    names = sorted(r.name for r in sim.list_inventory())
    assert names == ["data", "ip", "net", "web"]


@settings(max_examples=25, deadline=None)
@given(st.integers(min_value=0, max_value=4), st.integers(min_value=0, max_value=3))
def test_any_crash_point_converges(crash_after: int, retries: int) -> None:
    sim = SimulatorDriver("p", clock=ManualClock(START), seed=1)
    sim.faults = SimulatorFaults(fail_after_creates=crash_after)
    for _ in range(retries):
        with contextlib.suppress(SimulatedCrash):
            sim.apply(PORTAL, stack())
    sim.faults = SimulatorFaults()
    sim.apply(PORTAL, stack())
    assert sorted(r.key for r in stack()) == sorted(
        f"{r.kind}/{r.name}" for r in sim.list_inventory()
    )


def test_tenant_quota_enforced(sim: SimulatorDriver) -> None:
    sim.set_quotas("hrss", QuotaSet(vcpu=10, storage_gib=50))
    outcomes = {o.name: o for o in sim.apply(PORTAL, [web(4, "a"), web(4, "b"), web(4, "c")])}
    assert [outcomes[n].action for n in "abc"] == ["created", "created", "failed"]
    assert isinstance(outcomes["c"].error, ProviderQuotaExceeded)
    assert "vcpu" in outcomes["c"].error.detail
    # The quota bounds the tenant, not each system; other tenants are free.
    (jobs,) = sim.apply(OTHER, [web(4)])
    assert jobs.action == "failed"
    (elsewhere,) = sim.apply(SystemRef("edu", "s", "r", 2), [web(8)])
    assert elsewhere.action == "created"
    # An update is checked on its delta.
    (grow,) = sim.apply(PORTAL, [web(7, "a")])  # 8 + 3 > 10
    assert isinstance(grow.error, ProviderQuotaExceeded)
    (shrink,) = sim.apply(PORTAL, [web(2, "a")])
    assert shrink.action == "updated"
    assert sim.quota_usage("hrss")["vcpu"] == 6


def test_capacity_enforced(clock: ManualClock) -> None:
    sim = SimulatorDriver("small", clock=clock, capacity=QuotaSet(public_ips=1))
    first = sim.apply(PORTAL, [DesiredResource("floating_ip", "ip1", {})])
    second = sim.apply(OTHER, [DesiredResource("floating_ip", "ip2", {})])
    assert first[0].action == "created"
    assert isinstance(second[0].error, ProviderQuotaExceeded)
    assert "capacity" in second[0].error.detail


def test_injected_resource_failure_is_temporary(sim: SimulatorDriver) -> None:
    sim.faults = SimulatorFaults(fail_resources=frozenset({"volume/data"}), retry_after=5.0)
    result = {o.name: o for o in sim.apply(PORTAL, stack())}
    assert result["net"].action == "created"
    assert isinstance(result["data"].error, ProviderConflict)
    assert result["data"].error.temporary
    assert result["data"].error.retry_after == 5.0
    assert result["web"].action == "failed"  # depends on the failed volume
    assert result["ip"].action == "failed"


def test_unknown_kind_and_bad_spec_fail_per_resource(sim: SimulatorDriver) -> None:
    outcomes = sim.apply(
        PORTAL,
        [
            DesiredResource("bucket", "b", {}),
            DesiredResource("server", "s", {"vcpu": "many"}),
            web(),
        ],
    )
    assert [o.action for o in outcomes] == ["failed", "failed", "created"]
    assert "bucket" in str(outcomes[0].error)


def test_outage_and_auth_faults(sim: SimulatorDriver) -> None:
    sim.faults = SimulatorFaults(unavailable=True, retry_after=3.0)
    for call in (
        lambda: sim.apply(PORTAL, stack()),
        lambda: sim.delete(PORTAL),
        lambda: sim.list_inventory(),
        lambda: sim.set_quotas("hrss", QuotaSet()),
    ):
        with pytest.raises(ProviderUnavailable) as caught:
            call()
        assert caught.value.temporary
        assert caught.value.retry_after == 3.0
    report = sim.health()
    assert (report.reachable, report.auth_ok, report.latency_ms) == (False, False, None)
    sim.faults = SimulatorFaults(auth_failure=True)
    with pytest.raises(ProviderAuthError):
        sim.apply(PORTAL, stack())
    report = sim.health()
    assert report.reachable
    assert not report.auth_ok
    sim.faults = SimulatorFaults()
    assert sim.health().healthy
    assert sim.resource_count == 0


def test_unmanaged_and_out_of_band_drift(sim: SimulatorDriver, clock: ManualClock) -> None:
    (server,) = sim.apply(PORTAL, [web()])
    (stray,) = sim.add_unmanaged([DesiredResource("volume", "left-over", {"size_gib": 10})])
    by_id = {r.resource_id: r for r in sim.list_inventory()}
    assert not by_id[stray].managed
    assert by_id[stray].tenant is None
    clock.advance(hours=1)
    assert server.resource_id is not None
    sim.tamper(server.resource_id, {"vcpu": 16, "memory_mib": 4096})
    assert next(r for r in sim.list_inventory() if r.name == "web").spec["vcpu"] == 16
    (back,) = sim.apply(PORTAL, [web()])
    assert back.action == "updated"
    sim.remove_out_of_band(stray)
    assert stray not in {r.resource_id for r in sim.list_inventory()}
    with pytest.raises(ProviderNotFound):
        sim.remove_out_of_band(stray)


def test_inventory_spec_is_read_only(sim: SimulatorDriver) -> None:
    sim.apply(PORTAL, [web()])
    (server,) = list(sim.list_inventory())
    with pytest.raises(TypeError):
        server.spec["vcpu"] = 99  # type: ignore[index]


def test_deterministic_from_seed(clock: ManualClock) -> None:
    def run(seed: int) -> tuple[list[str | None], list[float | None]]:
        sim = SimulatorDriver("p", clock=clock, seed=seed)
        ids = [o.resource_id for o in sim.apply(PORTAL, stack())]
        return ids, [sim.health().latency_ms for _ in range(3)]

    assert run(1) == run(1)
    assert run(1)[0] != run(2)[0]
    assert len(set(run(1)[0])) == 4


def test_populate_bulk_and_idempotent(sim: SimulatorDriver) -> None:
    spec = {"flavor": "c2m4", "vcpu": 2, "memory_mib": 4096}
    systems = [
        (SystemRef(f"t{i % 3}", f"s{i}", f"r{i}", 2), [DesiredResource("server", "vm", spec)])
        for i in range(30)
    ]
    assert sim.populate(systems) == 30
    assert sim.populate(systems) == 0
    assert sim.quota_usage("t0")["vcpu"] == 20
    (outcome,) = sim.apply(systems[0][0], systems[0][1])
    assert outcome.action == "unchanged"
