"""The reconciler and request leases, on SQLite and PostgreSQL, with a controllable clock.

Cases: approved requests (and a deletion) reach Ready/Deleted with nobody running
``request provision``, as the system principal; a request leased by someone else is
refused to the CLI and skipped by the reconciler until the lease expires, then resumed
without duplicate cloud resources; a temporary failure is retried only after its
back-off, which honours the provider's ``retry_after`` and grows per attempt; a
permanent failure is recorded on the request and never retried by the reconciler; a
stopping replica gives its claims back.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from controlplane.app import App
from controlplane.db.engine import transaction
from controlplane.db.models import Request, RequestEvent
from controlplane.errors import Conflict
from controlplane.facade import Govcloud
from controlplane.requests import Provisioner, RequestService, claims
from controlplane.scheduler.daemon import Replica
from providers import SimulatorFaults
from tests.conftest import FakeClock
from tests.governance.support import manifest

from .conftest import simulators


def _apply(service: RequestService, name: str) -> int:
    result = service.apply(manifest(name), actor="hrss-wang")
    assert result.request is not None and result.request.state == "Approved"
    return result.request.id or 0


def _request(app: App, request_id: int) -> Request:
    with app.sessions() as session:
        found = session.get(Request, request_id)
        assert found is not None
        return found


def _servers(app: App) -> list[str]:
    sim = simulators(app)(_provider(app))
    return sorted(r.name for r in sim.list_inventory() if r.kind == "server")


def _provider(app: App):  # type: ignore[no-untyped-def]
    from controlplane.db.models import Provider

    with app.sessions() as session:
        return session.exec(select(Provider).where(Provider.name == "prov-sim")).one()


def _drain(replica: Replica) -> int:
    done = 0
    while replica.reconcile_once():
        done += 1
    return done


def test_approved_requests_and_a_deletion_reach_their_end_by_themselves(
    app: App, service: RequestService, replica: Replica
) -> None:
    ids = [_apply(service, f"sys-{i}") for i in range(3)]
    assert _drain(replica) == 3
    assert [_request(app, i).state for i in ids] == ["Ready"] * 3
    assert all(_request(app, i).claimed_by is None for i in ids)
    with app.sessions() as session:
        actors = {e.actor for e in session.exec(select(RequestEvent)).all()
                  if e.to_state in ("Provisioning", "Ready")}  # fmt: skip
    assert actors == {"system:scheduler"}
    deletion = service.delete(manifest("sys-1"), actor="hrss-wang").request
    assert deletion is not None
    assert _drain(replica) == 1
    assert _request(app, deletion.id or 0).state == "Deleted"
    assert len(_servers(app)) == 4  # 2 servers each of sys-0 and sys-2, none twice
    assert not replica.reconcile_once()


def test_a_leased_request_is_refused_then_resumed_after_the_lease_expires(
    app: App, service: RequestService, replica: Replica, clock: FakeClock
) -> None:
    rid = _apply(service, "leased")
    with transaction(app.sessions) as session:
        assert claims.claim(session, rid, "cli:someone", clock(), timedelta(minutes=5))
        assert not claims.claim(session, rid, "replica-b", clock(), timedelta(minutes=5))
    operator = Govcloud.acting_as(app, "ops-li")
    with pytest.raises(Conflict, match="cli:someone"):
        operator.provision(rid)
    assert not replica.reconcile_once()
    assert _request(app, rid).state == "Approved"
    clock.advance(minutes=6)
    assert replica.reconcile_once()
    assert _request(app, rid).state == "Ready"
    assert _servers(app) == ["web-0", "web-1"]


def test_a_crashed_holder_is_resumed_without_duplicates(
    app: App, service: RequestService, replica: Replica, clock: FakeClock
) -> None:
    rid = _apply(service, "crashed")
    # a holder that created one server, then died mid-apply (its lease left behind)
    crashing = Provisioner(
        app.sessions, app.clock, simulators(app, SimulatorFaults(fail_after_creates=1))
    )
    with pytest.raises(Exception, match=r"(?i)crash"):
        crashing.provision(rid, actor="ops-li", holder="replica-dead", lease=timedelta(seconds=30))
    stuck = _request(app, rid)
    assert stuck.state == "Provisioning" and stuck.claimed_by == "replica-dead"
    assert not replica.reconcile_once()  # still leased
    clock.advance(seconds=31)
    assert replica.reconcile_once()
    assert _request(app, rid).state == "Ready"
    assert _servers(app) == ["web-0", "web-1"]


def test_temporary_failures_back_off_honouring_retry_after(
    app: App, service: RequestService, replica: Replica, clock: FakeClock
) -> None:
    rid = _apply(service, "flaky")
    faults = SimulatorFaults(fail_resources=frozenset({"server/web-1"}), retry_after=40)
    app.__dict__["provisioner"] = Provisioner(app.sessions, app.clock, simulators(app, faults))
    assert replica.reconcile_once()
    first = _request(app, rid)
    assert first.state == "Failed" and first.retry_at is not None
    assert first.retry_at - clock() == timedelta(seconds=40)  # retry_after beats 5 s
    clock.advance(seconds=39)
    assert not replica.reconcile_once()
    clock.advance(seconds=1)
    assert replica.reconcile_once()
    second = _request(app, rid)
    assert second.state == "Failed" and second.attempts == 2
    assert second.retry_at is not None and second.retry_at - clock() == timedelta(seconds=40)
    app.__dict__["provisioner"] = Provisioner(
        app.sessions,
        app.clock,
        simulators(app, SimulatorFaults(fail_resources=frozenset({"server/web-1"}))),
    )
    clock.advance(seconds=40)
    assert replica.reconcile_once()
    third = _request(app, rid)
    assert third.retry_at is not None and third.retry_at - clock() == timedelta(seconds=20)
    del app.__dict__["provisioner"]
    clock.advance(seconds=20)
    assert replica.reconcile_once()
    assert _request(app, rid).state == "Ready"
    assert _servers(app) == ["web-0", "web-1"]


def test_a_permanent_failure_is_recorded_and_left_to_the_operator(
    app: App, service: RequestService, replica: Replica, clock: FakeClock
) -> None:
    rid = _apply(service, "refused")
    app.__dict__["provisioner"] = Provisioner(
        app.sessions, app.clock, simulators(app, SimulatorFaults(auth_failure=True))
    )
    assert replica.reconcile_once()
    failed = _request(app, rid)
    assert failed.state == "Failed" and failed.retry_at is None
    with app.sessions() as session:
        last = session.exec(
            select(RequestEvent)
            .where(RequestEvent.request_id == rid)
            .order_by(RequestEvent.id.desc())  # type: ignore[union-attr]
        ).first()
    assert last is not None and last.to_state == "Failed" and last.reason
    assert "retryable" not in last.reason
    clock.advance(days=30)
    assert not replica.reconcile_once()


def test_stop_gives_the_claims_back(
    app: App, service: RequestService, replica: Replica, clock: FakeClock
) -> None:
    rid = _apply(service, "held")
    with transaction(app.sessions) as session:
        assert claims.claim(session, rid, replica.name, clock(), timedelta(minutes=5))
    replica.stop(timeout=0)
    assert _request(app, rid).claimed_by is None
    other = Govcloud.acting_as(app, "ops-li").provision(rid)
    assert other.state == "Ready"
