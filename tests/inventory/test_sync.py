"""Inventory sync against the simulator, on SQLite and PostgreSQL.

Cases:
- a first sync stores every observed resource once (tenant/system codes mapped to ids,
  unmanaged kept with managed=False), a health probe row, a finished run, an open
  ``unmanaged`` drift row, and audit events whose chain verifies;
- a second sync with nothing changed creates/updates nothing, adds no drift and no
  inventory audit event beyond the run's own, and writes no resource row (not even the
  observation stamp), while ``get resources`` reads every live row as observed by it;
- a spec tampered out of band is ``changed`` drift naming only desired keys (a key the
  cloud adds is ignored); a resource removed out of band is marked gone and becomes
  ``missing``; re-applying resolves both, and the resolved rows stay as history;
- an unmanaged resource that disappears resolves its drift;
- a sync that dies mid-stream (after some batches) leaves committed batches, marks
  nothing gone and leaves the run ``running``; the next sync converges with no duplicate;
- a provider error mid-stream marks the run failed and records the error on health;
- wrong credentials and an outage (simulator faults) raise ProviderAuthError /
  ProviderUnavailable, are recorded as health rows with the error code, and change no
  inventory; availability is computed from the health rows;
- the sync stamp strictly increases even when the clock stands still;
- an unknown provider name raises UnknownProvider;
- a system deleted through govcloud (applied records forgotten, system retired) leaves
  gone resources but no ``missing`` drift;
- a spec recorded after a sync (the cloud's row unchanged) is judged by the next one
  and is ``changed`` drift.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import func
from sqlmodel import col, select

from controlplane import audit
from controlplane.db.engine import transaction
from controlplane.db.models import AuditEvent, Resource, System
from controlplane.db.tables_inventory import AppliedResource, Drift, ProviderHealth, SyncRun
from controlplane.inventory import (
    UnknownProvider,
    availability,
    list_drift,
    list_resources,
    record_applied,
)
from providers import (
    DesiredResource,
    ProviderAuthError,
    ProviderUnavailable,
    SimulatorFaults,
)

from .conftest import PORTAL, Watched, World, breaks, server


def _resources(world: World) -> list[Resource]:
    with world.app.sessions() as session:
        return list(session.exec(select(Resource).order_by(col(Resource.resource_id))))


def _drift(world: World, kind: str | None = None, *, resolved: bool = False) -> list[Drift]:
    with world.app.sessions() as session:
        query = select(Drift).order_by(col(Drift.id))
        if kind is not None:
            query = query.where(col(Drift.drift) == kind)
        if not resolved:
            query = query.where(col(Drift.resolved_at).is_(None))
        return list(session.exec(query))


def _audit_actions(world: World) -> list[str]:
    with world.app.sessions() as session:
        return list(session.exec(select(AuditEvent.action).order_by(col(AuditEvent.seq))))


def _seed(world: World) -> tuple[list[str], str]:
    outcomes = world.apply([server(f"web-{i}") for i in range(5)])
    (rogue,) = world.sim.add_unmanaged([DesiredResource("server", "hand-made", {"vcpu": 1})])
    return [o.resource_id or "" for o in outcomes], rogue


def test_first_sync_stores_inventory_health_and_unmanaged_drift(world: World) -> None:
    managed, rogue = _seed(world)
    report = world.service().sync("sim-health")

    assert (report.observed, report.created, report.updated, report.gone) == (6, 6, 0, 0)
    assert report.batches == 2  # 6 resources in batches of 3
    assert report.health.healthy
    assert report.drift_opened == {"unmanaged": 1}
    assert report.drift_open == {"unmanaged": 1}
    rows = {r.resource_id: r for r in _resources(world)}
    assert set(rows) == {*managed, rogue}
    web = rows[managed[0]]
    assert (web.tenant_id, web.system_id, web.managed, web.deleted_at) == (
        world.tenant_id,
        world.system_id,
        True,
        None,
    )
    assert web.spec["vcpu"] == 2
    # the owners' names beside the ids: the list's order is the row's own columns
    assert (web.provider_name, web.tenant_code, web.system_name) == (
        "sim-health", PORTAL.tenant, PORTAL.system,
    )  # fmt: skip
    assert (rows[rogue].managed, rows[rogue].tenant_id) == (False, None)
    assert (rows[rogue].tenant_code, rows[rogue].system_name) == ("", "")
    (drift,) = _drift(world)
    assert (drift.drift, drift.resource_id, drift.name) == ("unmanaged", rogue, "hand-made")
    with world.app.sessions() as session:
        probe = session.exec(select(ProviderHealth)).one()
        run = session.exec(select(SyncRun)).one()
        assert (probe.reachable, probe.auth_ok, probe.error_code) == (True, True, None)
        assert probe.latency_ms is not None
        assert run.state == "done"
        assert run.counts["created"] == 6
        assert audit.verify(session) == []
    assert _audit_actions(world)[-1] == "provider.sync"
    assert "inventory.batch" in _audit_actions(world)


def test_second_sync_with_nothing_changed_changes_nothing(world: World) -> None:
    _seed(world)
    service = world.service()
    service.sync("sim-health")
    before_rows = [
        (r.id, r.name, r.status, r.spec, r.observed_at, r.deleted_at) for r in _resources(world)
    ]
    before_drift = [(d.id, d.first_seen, d.resolved_at) for d in _drift(world, resolved=True)]
    before_audit = _audit_actions(world)
    world.app.clock.advance(hours=1)  # type: ignore[attr-defined]

    again = service.sync("sim-health")

    assert (again.created, again.updated, again.unchanged, again.gone) == (0, 0, 6, 0)
    assert again.drift_opened == {} and again.drift_resolved == {}
    assert [
        (r.id, r.name, r.status, r.spec, r.observed_at, r.deleted_at) for r in _resources(world)
    ] == before_rows
    views, total = list_resources(world.app.sessions)
    assert total == 6
    assert {v.observed_at for v in views} == {world.app.clock()}
    assert [(d.id, d.first_seen, d.resolved_at) for d in _drift(world, resolved=True)] == (
        before_drift
    )
    assert _audit_actions(world) == [*before_audit, "provider.sync"]
    (drift,) = _drift(world)
    assert drift.last_seen == world.app.clock()  # still there, seen again now


def test_tamper_and_removal_are_drift_and_reapply_resolves_them(world: World) -> None:
    managed, _ = _seed(world)
    service = world.service()
    service.sync("sim-health")
    world.app.clock.advance(hours=1)  # type: ignore[attr-defined]

    tampered = {**server("web-0").spec, "vcpu": 8, "console": "enabled"}
    world.sim.tamper(managed[0], tampered)
    world.sim.remove_out_of_band(managed[1])
    report = service.sync("sim-health")

    assert (report.updated, report.gone) == (1, 1)
    assert report.drift_opened == {"changed": 1, "missing": 1}
    (changed,) = _drift(world, "changed")
    assert changed.resource_id == managed[0]
    # only keys of the desired spec count; "console" is the cloud's own addition
    assert changed.detail["keys"] == {"vcpu": {"desired": 2, "observed": 8}}
    (missing,) = _drift(world, "missing")
    assert (missing.resource_id, missing.system_id) == (managed[1], world.system_id)
    gone = {r.resource_id: r for r in _resources(world)}[managed[1]]
    assert gone.deleted_at is not None

    world.app.clock.advance(hours=1)  # type: ignore[attr-defined]
    outcomes = world.apply([server(f"web-{i}") for i in range(5)])
    assert {o.action for o in outcomes} == {"created", "updated", "unchanged"}
    healed = service.sync("sim-health")

    assert healed.drift_resolved == {"changed": 1, "missing": 1}
    assert healed.drift_open == {"unmanaged": 1}
    history = list_drift(world.app.sessions, provider="sim-health", include_resolved=True)
    resolved = [d for d in history if d.resolved_at is not None]
    assert {(d.drift, d.resource_id) for d in resolved} == {
        ("changed", managed[0]),
        ("missing", managed[1]),
    }
    assert all(d.first_seen < d.resolved_at for d in resolved if d.resolved_at)  # type: ignore[operator]


def test_unmanaged_resource_that_disappears_resolves_its_drift(world: World) -> None:
    _, rogue = _seed(world)
    service = world.service()
    service.sync("sim-health")
    world.sim.remove_out_of_band(rogue)
    report = service.sync("sim-health")
    assert report.gone == 1
    assert report.drift_resolved == {"unmanaged": 1}
    assert report.drift_open == {}  # an unmanaged resource going away is not "missing"


def test_crash_mid_sync_loses_nothing_and_next_run_converges(world: World) -> None:
    _seed(world)
    world.service().sync("sim-health")
    world.apply([server(f"api-{i}") for i in range(7)])  # 13 resources now
    dying = Watched(world.sim, 8, breaks(RuntimeError("process killed")))

    with pytest.raises(RuntimeError, match="process killed"):
        world.service(driver=dying).sync("sim-health")

    rows = _resources(world)
    assert all(r.deleted_at is None for r in rows)  # no sweep ran: nothing wrongly gone
    assert len(rows) >= 6
    with world.app.sessions() as session:
        states = list(session.exec(select(SyncRun.state).order_by(col(SyncRun.id))))
    assert states == ["done", "running"]

    report = world.service().sync("sim-health")
    assert report.gone == 0
    rows = _resources(world)
    assert len(rows) == len({(r.kind, r.resource_id) for r in rows}) == 13
    assert world.sim.resource_count == 13


def test_provider_error_mid_stream_fails_the_run_and_is_recorded(world: World) -> None:
    _seed(world)
    dying = Watched(world.sim, 4, breaks(ProviderUnavailable("sim-health", "connection reset")))
    with pytest.raises(ProviderUnavailable):
        world.service(driver=dying).sync("sim-health")
    with world.app.sessions() as session:
        run = session.exec(select(SyncRun)).one()
        probes = list(session.exec(select(ProviderHealth).order_by(col(ProviderHealth.id))))
    assert run.state == "failed"
    assert run.error is not None and "connection reset" in run.error
    assert [p.error_code for p in probes] == [None, "unavailable"]
    assert _audit_actions(world)[-1] == "provider.sync.failed"


@pytest.mark.parametrize(
    ("faults", "error", "code", "reachable"),
    [
        (SimulatorFaults(auth_failure=True), ProviderAuthError, "auth", True),
        (SimulatorFaults(unavailable=True), ProviderUnavailable, "unavailable", False),
    ],
)
def test_wrong_credentials_and_outage_are_recorded_and_raised(
    world: World,
    faults: SimulatorFaults,
    error: type[Exception],
    code: str,
    reachable: bool,
) -> None:
    _seed(world)
    world.sim.faults = faults
    with pytest.raises(error) as raised:
        world.service().sync("sim-health")
    assert raised.value.provider == "sim-health"  # type: ignore[attr-defined]
    assert _resources(world) == []
    with world.app.sessions() as session:
        probe = session.exec(select(ProviderHealth)).one()
        assert session.exec(select(func.count()).select_from(SyncRun)).one() == 0
    assert (probe.reachable, probe.auth_ok, probe.error_code) == (reachable, False, code)
    assert _audit_actions(world)[-1] == "provider.sync.failed"


def test_availability_is_the_share_of_healthy_probes(world: World) -> None:
    service = world.service()
    start = world.app.clock()
    service.sync("sim-health")
    world.app.clock.advance(minutes=5)  # type: ignore[attr-defined]
    service.sync("sim-health")
    world.app.clock.advance(minutes=5)  # type: ignore[attr-defined]
    world.sim.faults = SimulatorFaults(unavailable=True)
    with pytest.raises(ProviderUnavailable):
        service.sync("sim-health")
    end = datetime(2027, 1, 1, tzinfo=UTC)
    with world.app.sessions() as session:
        assert availability(session, world.provider_id, start, end) == Decimal("66.6667")
        assert availability(session, world.provider_id, end, end.replace(year=2028)) is None


def test_stamp_increases_when_the_clock_stands_still(world: World) -> None:
    _seed(world)
    service = world.service()
    service.sync("sim-health")
    world.sim.remove_out_of_band(_resources(world)[0].resource_id)
    report = service.sync("sim-health")  # same clock reading as the first run
    assert report.gone == 1
    with world.app.sessions() as session:
        stamps = list(session.exec(select(SyncRun.stamp).order_by(col(SyncRun.id))))
    assert stamps[0] < stamps[1]


def test_unknown_provider(world: World) -> None:
    with pytest.raises(UnknownProvider, match="nowhere"):
        world.service().sync("nowhere")


def test_deleting_a_system_through_govcloud_is_not_drift(world: World) -> None:
    _seed(world)
    service = world.service()
    service.sync("sim-health")
    outcomes = world.sim.delete(PORTAL)
    with transaction(world.app.sessions) as session:
        forgotten = record_applied(
            session, provider_id=world.provider_id, system_id=world.system_id, system=PORTAL,
            desired=[], outcomes=outcomes, at=world.app.clock(), actor="test-provisioner",
        )  # fmt: skip
        system = session.get(System, world.system_id)
        assert system is not None
        system.status = "deleted"
        session.add(system)
    assert forgotten == 5
    with world.app.sessions() as session:
        assert session.exec(select(func.count()).select_from(AppliedResource)).one() == 0
    report = service.sync("sim-health")
    assert report.gone == 5
    assert report.drift_open == {"unmanaged": 1}  # nothing "missing": govcloud removed them


def test_spec_recorded_after_a_sync_is_judged_though_the_cloud_row_is_unchanged(
    world: World,
) -> None:
    managed, _ = _seed(world)
    service = world.service()
    service.sync("sim-health")
    world.app.clock.advance(hours=1)  # type: ignore[attr-defined]
    # govcloud records a new desired spec; the cloud still runs the old one
    with transaction(world.app.sessions) as session:
        row = session.exec(
            select(AppliedResource).where(col(AppliedResource.resource_id) == managed[0])
        ).one()
        row.spec, row.applied_at = {**row.spec, "vcpu": 8}, world.app.clock()
        session.add(row)
    world.app.clock.advance(minutes=5)  # type: ignore[attr-defined]

    again = service.sync("sim-health")

    assert (again.created, again.updated, again.unchanged) == (0, 0, 6)
    assert again.drift_opened == {"changed": 1}
    (changed,) = _drift(world, "changed")
    assert changed.resource_id == managed[0]
    assert changed.detail["keys"]["vcpu"] == {"desired": 8, "observed": 2}
