"""The lock on the one door: every facade action × the five roles × own/other tenant.

Cases: every public method of ``Govcloud`` declares an action of the role table, and
every action of the table has a method (the test fails when one is added without the
other); each action is called in-process by one principal of each role, once on the
department's own tenant (hrss) and once on another (city-a-edu), and is refused with
PermissionDenied exactly where the declared table says (``RULES``: the role is granted
the action and, for a tenant-scoped action, a department names its own tenant); a
refused mutation is in the audit log; the system principal acts as declared; nobody
grants roles to themselves through ``estate apply``.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from controlplane import rbac
from controlplane.app import App
from controlplane.billing import Month
from controlplane.db.models import AuditEvent
from controlplane.errors import GovcloudError
from controlplane.facade import Govcloud, PermissionDenied, public_actions
from controlplane.requests import request_service
from policies import WaiverScope
from tests.governance.support import (
    CataloguePlanner,
    apply_estate,
    estate_document,
    manifest,
)

ROLES = {
    "operator": "ops-li",
    "approver": "bdb-zhang",
    "department": "hrss-wang",
    "finance": "fin-chen",
    "auditor": "audit-zhou",
}
OWN, OTHER = "hrss", "city-a-edu"
MONTH = Month.parse("2026-03")


@dataclass
class Fixture:
    """Requests of each tenant the calls name (submitted by the operator)."""

    requests: dict[str, int]
    scratch: Path


Call = Callable[[Govcloud, str, Fixture], object]

#: action -> (a call on the given tenant's objects, whether the call names the tenant).
#: Calls that cannot name a tenant (a list narrowed to the actor's) are checked at role
#: level here and for their contents in test_tenant_isolation.py.
CALLS: dict[str, tuple[Call, bool]] = {
    "estate.show": (lambda g, t, f: g.estate(), False),
    "estate.apply": (lambda g, t, f: g.apply_estate(estate_document(), dry_run=True), False),
    "provider.list": (lambda g, t, f: g.providers(), False),
    "provider.show": (lambda g, t, f: g.provider("prov-sim"), False),
    "provider.sync": (lambda g, t, f: g.sync_provider("no-such-provider"), False),
    "overview.show": (lambda g, t, f: g.overview(MONTH, tenant=t), True),
    "tenant.list": (lambda g, t, f: g.tenants(), False),
    "tenant.show": (lambda g, t, f: g.tenant(t), True),
    "system.list": (lambda g, t, f: g.systems(tenant=t), True),
    "request.plan": (lambda g, t, f: g.plan([manifest("planned", t)]), True),
    "request.list": (lambda g, t, f: g.requests(tenant=t), True),
    "request.show": (lambda g, t, f: g.request(f.requests[t]), True),
    "request.apply": (lambda g, t, f: g.apply([manifest("applied", t, provider="x")]), True),
    "request.delete": (lambda g, t, f: g.delete([manifest("gone", t)]), True),
    "request.approve": (lambda g, t, f: g.approve(f.requests[t]), True),
    "request.reject": (lambda g, t, f: g.reject(f.requests[t], reason="no"), True),
    "request.provision": (lambda g, t, f: g.provision(10_000), False),
    "system.repair": (lambda g, t, f: g.repair_system(t, "no-such-system"), False),
    "resource.list": (lambda g, t, f: g.resources(tenant=t), True),
    "drift.list": (lambda g, t, f: g.drift(tenant=t), True),
    "policy.list": (lambda g, t, f: g.policy_rules(level=3), False),
    "policy.audit": (lambda g, t, f: g.audit_policies(), False),
    "policy.violations": (lambda g, t, f: g.violations(tenant=t), True),
    "policy.report": (lambda g, t, f: g.policy_report("portal", tenant=t), True),
    "waiver.list": (lambda g, t, f: g.waivers(tenant=t), True),
    "waiver.request": (
        lambda g, t, f: g.request_waiver(
            rule_id="GC-NO-SUCH",
            scope=WaiverScope.TENANT,
            target=t,
            reason="matrix",
            expires_at=datetime(2026, 6, 1, tzinfo=UTC),
        ),
        True,
    ),
    "waiver.approve": (lambda g, t, f: g.approve_waiver(10_000), False),
    "meter.collect": (lambda g, t, f: g.collect_usage(providers=["no-such-provider"]), False),
    "meter.import": (lambda g, t, f: g.import_usage("usage.csv", text=""), False),
    "meter.gaps": (lambda g, t, f: g.coverage(MONTH), False),
    "meter.acknowledge": (
        lambda g, t, f: g.acknowledge_month(MONTH, "no-such-provider", reason="matrix"),
        False,
    ),
    "meter.availability": (
        lambda g, t, f: g.record_availability(
            "no-such-provider", MONTH, Decimal("99.9"), evidence="matrix"
        ),
        False,
    ),
    "bill.run": (lambda g, t, f: g.run_bills(MONTH), False),
    "bill.show": (lambda g, t, f: g.bills(MONTH, tenant=t), True),
    "bill.confirm": (lambda g, t, f: g.confirm_bills(MONTH, tenant=t), True),
    "bill.finalize": (lambda g, t, f: g.finalize_bills(Month.parse("2026-01")), False),
    "bill.adjust": (
        lambda g, t, f: g.adjust_bill(
            t,
            Decimal("1.00"),
            reason="matrix",
            approver="fin-chen",
            relates_to=Month.parse("2026-02"),
        ),
        False,
    ),
    "bill.export": (lambda g, t, f: g.export_bills(MONTH, "json", io.BytesIO(), tenant=t), True),
    "audit.verify": (lambda g, t, f: g.verify_audit(), False),
    "audit.list": (lambda g, t, f: g.audit_log(), False),
    "audit.checkpoint": (lambda g, t, f: g.checkpoint_audit(), False),
    "audit.rotate": (lambda g, t, f: g.rotate_audit_key(), False),
    "infra.export": (
        lambda g, t, f: g.export_infra("portal", directory=f.scratch / t / g.identity.name),
        False,  # a system name, not a tenant: the exporter shows a department its own
    ),
    "token.create": (
        lambda g, t, f: g.create_token("hrss-wang", expires_in=timedelta(days=1)),
        False,
    ),
    "token.list": (lambda g, t, f: g.tokens(), False),
    "token.revoke": (lambda g, t, f: g.revoke_token("000000000000"), False),
    "principal.impersonate": (lambda g, t, f: g.impersonate("audit-zhou"), False),
    "job.list": (lambda g, t, f: g.jobs(), False),
    "job.show": (lambda g, t, f: g.job("no-such-job"), False),
    "job.run": (lambda g, t, f: g.run_job("no-such-job"), False),
    "budget.alerts": (lambda g, t, f: g.budget_alerts(tenant=t), True),
    "budget.project": (lambda g, t, f: g.project_budgets(), False),
}


def expected(role: str, action: rbac.Action, tenant: str | None) -> bool:
    """The table's answer, read straight from the declared rules."""
    rule = rbac.RULES[action]
    if role not in rule.roles:
        return False
    return role != "department" or not rule.tenant_scoped or tenant in (None, OWN)


def test_every_public_method_declares_an_action_of_the_table() -> None:
    methods = public_actions()
    assert methods, "the facade exposes no methods"
    undeclared = sorted(name for name, act in methods.items() if act is None)
    assert not undeclared, f"facade methods without a role-table entry: {undeclared}"
    unused = sorted(set(rbac.RULES) - set(methods.values()))
    assert not unused, f"actions of the table no facade method does: {unused}"
    assert set(CALLS) == set(rbac.RULES), "the matrix below must call every action"


def _fixture(app: App) -> Fixture:
    service = request_service(app, CataloguePlanner(app))
    ids: dict[str, int] = {}
    for tenant, provider in ((OWN, "prov-sim"), (OTHER, "city-a-sim")):
        made = service.apply(manifest("portal", tenant, level=4, provider=provider), actor="ops-li")
        assert made.request is not None and made.request.id is not None
        ids[tenant] = made.request.id
    return Fixture(ids, app.settings.home / "exports")


def _outcome(call: Call, facade: Govcloud, tenant: str, fixture: Fixture) -> bool:
    """Whether the call got past the lock (any later refusal still counts as past it)."""
    try:
        call(facade, tenant, fixture)
    except PermissionDenied:
        return False
    except GovcloudError:
        return True
    return True


def test_matrix_matches_the_declared_table(app: App) -> None:
    apply_estate(app)
    fixture = _fixture(app)
    mismatches, refused = [], 0
    for action, (call, names_tenant) in sorted(CALLS.items()):
        for role, principal in ROLES.items():
            facade = Govcloud.acting_as(app, principal)
            for tenant in (OWN, OTHER):
                want = expected(role, action, tenant if names_tenant else None)  # type: ignore[arg-type]
                got = _outcome(call, facade, tenant, fixture)
                refused += not got
                if got != want:
                    mismatches.append(
                        f"{action} as {role} on {tenant}: allowed={got}, table={want}"
                    )
    assert not mismatches, "\n".join(mismatches)
    # the table refuses about half of the 360 combinations; a lock that never closes fails
    assert refused == sum(
        not expected(role, action, t if CALLS[action][1] else None)  # type: ignore[arg-type]
        for action in CALLS
        for role in ROLES
        for t in (OWN, OTHER)
    )
    assert 100 < refused < 260, refused


def test_refused_mutation_is_audited_and_refused_read_is_not(app: App) -> None:
    apply_estate(app)
    department = Govcloud.acting_as(app, "hrss-wang")
    with pytest.raises(PermissionDenied) as refused:
        department.finalize_bills(MONTH)
    assert "hrss-wang" in refused.value.describe("zh") and "finalize" in refused.value.describe()
    with pytest.raises(PermissionDenied):
        department.resources(tenant=OTHER)
    with app.sessions() as session:
        denials = session.exec(select(AuditEvent).where(AuditEvent.action == "authz.denied")).all()
    assert [(d.actor, d.payload["action"]) for d in denials] == [("hrss-wang", "bill.finalize")]
    assert Govcloud.acting_as(app, "audit-zhou").verify_audit().intact


def test_system_principal_is_declared_in_code_and_cannot_be_declared_in_yaml(app: App) -> None:
    apply_estate(app)
    system = Govcloud.system(app)
    assert system.identity.name == rbac.SYSTEM_PRINCIPAL
    assert system.identity.roles == rbac.SYSTEM_ROLES
    assert system.providers().items  # it may do what its roles may do
    with pytest.raises(PermissionDenied):
        system.finalize_bills(MONTH)  # and nothing else
    with pytest.raises(PermissionDenied):
        Govcloud.acting_as(app, "nobody-declared")


def _with_principal(name: str, roles: list[str], tenant: str | None = None) -> Any:
    document = estate_document()
    principals = document.estate.spec.principals
    for index, declared in enumerate(principals):
        if declared.name == name:
            principals[index] = declared.model_copy(update={"roles": roles, "tenant": tenant})
    return document


def test_nobody_grants_roles_to_themselves(app: App) -> None:
    apply_estate(app)
    operator = Govcloud.acting_as(app, "ops-li")
    with pytest.raises(PermissionDenied) as refused:
        operator.apply_estate(_with_principal("ops-li", ["operator", "approver"]))
    assert "approver" in refused.value.describe()
    assert rbac.RULES["estate.apply"].roles == {"operator"}
    with pytest.raises(PermissionDenied):
        Govcloud.acting_as(app, "hrss-wang").apply_estate(
            _with_principal("hrss-wang", ["department", "operator"], OWN)
        )
    # another operator may grant it (管运分离 is the estate's business, not a loophole)
    result = Govcloud.acting_as(app, "local-operator").apply_estate(
        _with_principal("ops-li", ["operator", "auditor"]), dry_run=True
    )
    assert result.changes
