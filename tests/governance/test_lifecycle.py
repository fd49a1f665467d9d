"""The request lifecycle on SQLite and PostgreSQL.

Cases: a level-2 request with no matching step is admitted, quota-reserved and
auto-approved, with one event per transition (who, when, why) and one audit event
each; re-applying the identical manifest is a no-op that says so and records nothing;
a changed manifest makes an update request with its own plan; a level-3 request waits
for the big-data bureau and is approved by an approver; an over-budget one also needs
finance, in chain order; nobody approves their own request; a principal without the
step's role cannot decide it; rejecting records the reason and gives the quota back;
a policy-denied request is recorded Denied with the verdicts; deciding a request that
is not pending is refused; provisioning hands the desired servers to the simulator
driver and ends Ready with per-resource outcomes; a simulated failure ends Failed with
the provider error marked retryable and a retry ends Ready without duplicating
resources; delete -f records a deletion that deprovisions to Deleted and frees quota.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest
from sqlmodel import col, select

from controlplane import quotas, rbac
from controlplane.app import App
from controlplane.db.models import AuditEvent, Provider, Request
from controlplane.requests import (
    AUTO_APPROVER,
    IllegalTransition,
    Provisioner,
    RequestService,
    SelfApproval,
    provisioner,
    request_service,
)
from providers import Driver, SimulatorDriver, SimulatorFaults

from .support import CataloguePlanner, apply_estate, manifest


@pytest.fixture
def planner(app: App) -> CataloguePlanner:
    apply_estate(app)
    return CataloguePlanner(app)


@pytest.fixture
def service(app: App, planner: CataloguePlanner) -> RequestService:
    return request_service(app, planner)


def _audit_count(app: App) -> int:
    with app.sessions() as session:
        return len(session.exec(select(AuditEvent)).all())


def _used(app: App, tenant: str = "hrss", provider: str = "prov-sim") -> Decimal:
    with app.sessions() as session:
        return Decimal(quotas.usage(session, tenant, provider).vcpu)


def test_auto_approved_with_history_and_audit(app: App, service: RequestService) -> None:
    before = _audit_count(app)
    result = service.apply(manifest(), actor="hrss-wang")
    assert result.request is not None and not result.noop
    detail = service.show(result.request.id or 0, actor="hrss-wang")
    assert detail.request.state == "Approved"
    assert [(e.from_state, e.to_state) for e in detail.events] == [
        (None, "Submitted"),
        ("Submitted", "Admitted"),
        ("Admitted", "Approved"),
    ]
    assert detail.events[0].actor == "hrss-wang"
    assert detail.events[-1].actor == AUTO_APPROVER and detail.events[-1].reason
    assert all(e.at.tzinfo is not None for e in detail.events)
    assert detail.request.requester == "hrss-wang"
    assert detail.request.spec_hash == manifest().spec_hash()
    assert detail.request.plan["govcloud"]["provider"] == "prov-sim"
    assert _audit_count(app) == before + 3
    assert _used(app) == 4


def test_identical_reapply_is_a_noop(app: App, service: RequestService) -> None:
    first = service.apply(manifest(), actor="hrss-wang")
    audit_before = _audit_count(app)
    again = service.apply(manifest(), actor="hrss-wang")
    assert again.noop and again.request is None
    assert f"#{first.request.id if first.request else 0}" in again.describe("en")
    assert "未做任何更改" in again.describe("zh")
    assert _audit_count(app) == audit_before
    assert len(service.list(actor="ops-li")) == 1


def test_changed_manifest_is_an_update_request(
    app: App, service: RequestService, planner: CataloguePlanner
) -> None:
    service.apply(manifest(count=2), actor="hrss-wang")
    update = service.apply(manifest(count=3), actor="hrss-wang")
    assert update.request is not None and update.request.state == "Approved"
    assert planner.calls == 2
    requests = service.list(actor="ops-li")
    assert [r.spec_hash for r, _ in requests] == [
        manifest(count=2).spec_hash(),
        manifest(count=3).spec_hash(),
    ]
    # the update's reservation supersedes the first: the system holds 6 vCPU, not 10
    assert _used(app) == 6


def test_level_three_waits_for_the_bureau(app: App, service: RequestService) -> None:
    result = service.apply(manifest(level=3), actor="hrss-wang")
    assert result.request is not None and result.request.state == "PendingApproval"
    rid = result.request.id or 0
    with pytest.raises(rbac.PermissionDenied):
        service.approve(rid, actor="hrss-wang")  # departments do not approve
    with pytest.raises(rbac.PermissionDenied, match="approver role"):
        service.approve(rid, actor="fin-chen")  # finance holds no approver step
    approved = service.approve(rid, actor="bdb-zhang", reason="等保三级材料齐全")
    assert approved.state == "Approved"
    detail = service.show(rid, actor="audit-zhou")
    step = detail.approvals[0]
    assert (step.step, step.status, step.decided_by, step.reason) == (
        "big-data-bureau",
        "approved",
        "bdb-zhang",
        "等保三级材料齐全",
    )
    assert step.decided_at is not None
    with pytest.raises(IllegalTransition):
        service.approve(rid, actor="bdb-wu")


def test_over_budget_needs_finance_after_the_bureau(
    app: App, service: RequestService, planner: CataloguePlanner
) -> None:
    planner.over_budget.add("portal")
    rid = service.apply(manifest(level=3), actor="hrss-wang").request.id  # type: ignore[union-attr]
    assert rid is not None
    with pytest.raises(rbac.PermissionDenied, match="big-data-bureau"):
        service.approve(rid, actor="fin-chen")
    assert service.approve(rid, actor="bdb-zhang").state == "PendingApproval"
    assert service.approve(rid, actor="fin-chen").state == "Approved"


def test_undeclared_principal_may_do_nothing(app: App, service: RequestService) -> None:
    with pytest.raises(rbac.PermissionDenied, match="not declared"):
        service.apply(manifest(), actor="stranger")
    assert service.list(actor="ops-li") == []


def test_self_approval_is_refused(app: App, planner: CataloguePlanner) -> None:
    # an operator who is also an approver applies, then tries to approve it
    from .support import GOVERNED

    text = GOVERNED.read_text().replace(
        "{name: ops-li, roles: [operator]}", "{name: ops-li, roles: [operator, approver]}"
    )
    from controlplane.estate.schema import parse_estate
    from tenants import load_yaml_documents

    app.estate.apply(parse_estate(load_yaml_documents(text, "e.yaml"), "e.yaml"), actor="x")
    service = request_service(app, planner)
    rid = service.apply(manifest(level=3), actor="ops-li").request.id  # type: ignore[union-attr]
    with pytest.raises(SelfApproval, match="own request"):
        service.approve(rid or 0, actor="ops-li")
    assert service.approve(rid or 0, actor="bdb-zhang").state == "Approved"


def test_reject_records_reason_and_frees_quota(app: App, service: RequestService) -> None:
    rid = service.apply(manifest(level=3), actor="hrss-wang").request.id  # type: ignore[union-attr]
    assert _used(app) == 4
    with pytest.raises(TypeError):
        service.reject(rid or 0, actor="bdb-zhang")  # type: ignore[call-arg]
    rejected = service.reject(rid or 0, actor="bdb-zhang", reason="缺少等保测评报告")
    assert rejected.state == "Rejected"
    detail = service.show(rid or 0, actor="hrss-wang")
    assert detail.events[-1].reason == "缺少等保测评报告"
    assert detail.events[-1].actor == "bdb-zhang"
    assert _used(app) == 0
    # a rejected spec is not the system's current one: applying it again is a new request
    assert service.apply(manifest(level=3), actor="hrss-wang").request is not None


def test_policy_denied_is_recorded(
    app: App, service: RequestService, planner: CataloguePlanner
) -> None:
    planner.deny.add("portal")
    result = service.apply(manifest(), actor="hrss-wang")
    assert result.request is not None and result.request.state == "Denied"
    detail = service.show(result.request.id or 0, actor="hrss-wang")
    assert "backups are required" in (detail.events[-1].reason or "")
    assert _used(app) == 0


def _simulator(app: App, faults: SimulatorFaults | None = None) -> Callable[[Provider], Driver]:
    def build(provider: Provider) -> Driver:
        return SimulatorDriver(
            provider.name,
            clock=app.clock,
            seed=provider.seed or 0,
            faults=faults,
            state_path=app.settings.simulator_dir / f"{provider.name}.json",
        )

    return build


def test_provision_to_ready_with_outcomes(app: App, service: RequestService) -> None:
    rid = service.apply(manifest(), actor="hrss-wang").request.id  # type: ignore[union-attr]
    with pytest.raises(rbac.PermissionDenied):
        provisioner(app).provision(rid or 0, actor="hrss-wang")
    result = provisioner(app).provision(rid or 0, actor="ops-li")
    assert result.state == "Ready" and not result.failed
    assert sorted((o.kind, o.name, o.action) for o in result.outcomes) == [
        ("server", "web-0", "created"),
        ("server", "web-1", "created"),
    ]
    detail = service.show(rid or 0, actor="ops-li")
    assert [e.to_state for e in detail.events][-2:] == ["Provisioning", "Ready"]
    assert {o.action for o in detail.outcomes} == {"created"}
    assert all(o.resource_id for o in detail.outcomes)


def test_failed_resource_is_retryable_and_retry_does_not_duplicate(
    app: App, service: RequestService
) -> None:
    rid = service.apply(manifest(), actor="hrss-wang").request.id or 0  # type: ignore[union-attr]
    faults = SimulatorFaults(fail_resources=frozenset({"server/web-1"}))
    failing = Provisioner(app.sessions, app.clock, _simulator(app, faults))
    first = failing.provision(rid, actor="ops-li")
    assert first.state == "Failed"
    detail = service.show(rid, actor="ops-li")
    failed = {o.name: o for o in detail.outcomes}
    assert failed["web-1"].action == "failed" and failed["web-1"].retryable
    assert "simulated failure" in (failed["web-1"].error or "")
    assert "retryable" in (detail.events[-1].reason or "")
    healthy = Provisioner(app.sessions, app.clock, _simulator(app))
    second = healthy.provision(rid, actor="ops-li")
    assert second.state == "Ready"
    actions = {o.name: o.action for o in second.outcomes}
    assert actions == {"web-0": "unchanged", "web-1": "created"}
    with app.sessions() as session:
        outcome_rows = service.show(rid, actor="ops-li").outcomes
        assert {o.name: o.attempt for o in outcome_rows} == {"web-0": 2, "web-1": 2}
        assert session.get(Request, rid) is not None


def test_delete_deprovisions_and_frees_quota(app: App, service: RequestService) -> None:
    rid = service.apply(manifest(), actor="hrss-wang").request.id or 0  # type: ignore[union-attr]
    provisioner(app).provision(rid, actor="ops-li")
    deletion = service.delete(manifest(), actor="hrss-wang")
    assert deletion.request is not None and deletion.request.action == "delete"
    assert deletion.request.plan["govcloud"]["delete"] == ["server/web-0", "server/web-1"]
    assert service.delete(manifest(), actor="hrss-wang").noop
    done = provisioner(app).provision(deletion.request.id or 0, actor="ops-li")
    assert done.state == "Deleted"
    assert sorted(o.action for o in done.outcomes) == ["deleted", "deleted"]
    assert _used(app) == 0
    with app.sessions() as session:
        states = session.exec(select(Request.state).order_by(col(Request.id))).all()
    assert list(states) == ["Ready", "Deleted"]
