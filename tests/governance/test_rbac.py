"""RBAC: each role × each command in the service layer, and tenant isolation.

Cases: the full matrix of five roles (one principal each) × the commands list, show,
apply, delete, approve, reject, provision, tenant show, tenant list and resources —
each allowed exactly where the grant table says, and refused with PermissionDenied
(zh and en messages naming the principal) otherwise; a department reads and writes its
own tenant but is refused on another's requests, systems (apply/delete) and tenant,
and its listings hold only its own; an undeclared principal is refused everything; the
bootstrap ``local-operator`` acts as operator only while the estate declares no
principals.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from controlplane import rbac
from controlplane.app import App
from controlplane.requests import (
    governed_reads,
    provisioner,
    request_service,
)

from .support import CataloguePlanner, apply_estate, manifest

ROLES = {
    "operator": "ops-li",
    "approver": "bdb-zhang",
    "department": "hrss-wang",
    "finance": "fin-chen",
    "auditor": "audit-zhou",
}

# role -> commands allowed on hrss's objects
ALLOWED = {
    "operator": {"list", "show", "apply", "delete", "provision", "tenant", "tenants", "resources"},
    "approver": {"list", "show", "approve", "reject", "tenant", "tenants", "resources"},
    "department": {"list", "show", "apply", "delete", "tenant", "tenants", "resources"},
    "finance": {"list", "show", "approve", "reject", "tenant", "tenants", "resources"},
    "auditor": {"list", "show", "tenant", "tenants", "resources"},
}


def _commands(app: App) -> dict[str, Callable[[str], Any]]:
    service = request_service(app, CataloguePlanner(app))
    reads = governed_reads(app)
    # a pending request of hrss, submitted by the operator so nobody here is its requester
    # except ops-li (who may not decide anyway)
    pending = service.apply(manifest("pending", level=4), actor="ops-li").request
    assert pending is not None and pending.state == "PendingApproval"
    to_reject = service.apply(manifest("rejectable", level=4), actor="ops-li").request
    ready = service.apply(manifest("ready"), actor="ops-li").request
    assert to_reject is not None and ready is not None
    return {
        "list": lambda who: service.list(actor=who, tenant="hrss"),
        "show": lambda who: service.show(pending.id or 0, actor=who),
        "apply": lambda who: service.apply(manifest(f"new-{who}"), actor=who),
        "delete": lambda who: service.delete(manifest("ready"), actor=who),
        "approve": lambda who: service.approve(pending.id or 0, actor=who),
        "reject": lambda who: service.reject(to_reject.id or 0, actor=who, reason="no"),
        "provision": lambda who: provisioner(app).provision(ready.id or 0, actor=who),
        "tenant": lambda who: reads.tenant("hrss", actor=who),
        "tenants": lambda who: reads.tenants(actor=who),
        "resources": lambda who: reads.resources(actor=who, tenant="hrss"),
    }


@pytest.mark.parametrize("role", sorted(ROLES))
def test_role_matrix(app: App, role: str) -> None:
    apply_estate(app)
    commands = _commands(app)
    who = ROLES[role]
    for name, command in commands.items():
        # finance may decide, but these steps belong to the bureau (the approver role)
        wrong_step = role == "finance" and name in {"approve", "reject"}
        if name in ALLOWED[role] and not wrong_step:
            command(who)
        elif wrong_step:
            with pytest.raises(rbac.PermissionDenied, match="approver role"):
                command(who)
        else:
            with pytest.raises(rbac.PermissionDenied) as caught:
                command(who)
            assert who in caught.value.describe("en") and who in caught.value.describe("zh")


def test_department_is_isolated_from_other_tenants(app: App) -> None:
    apply_estate(app)
    service = request_service(app, CataloguePlanner(app))
    reads = governed_reads(app)
    theirs = service.apply(
        manifest("lab", "city-a-edu", provider="city-a-sim"), actor="edu-liu"
    ).request
    mine = service.apply(manifest("portal"), actor="hrss-wang").request
    assert theirs is not None and mine is not None
    with pytest.raises(rbac.PermissionDenied, match="city-a-edu"):
        service.show(theirs.id or 0, actor="hrss-wang")
    with pytest.raises(rbac.PermissionDenied, match="city-a-edu"):
        service.list(actor="hrss-wang", tenant="city-a-edu")
    with pytest.raises(rbac.PermissionDenied, match="city-a-edu"):
        service.apply(manifest("lab", "city-a-edu", provider="city-a-sim"), actor="hrss-wang")
    with pytest.raises(rbac.PermissionDenied, match="city-a-edu"):
        service.delete(manifest("lab", "city-a-edu", provider="city-a-sim"), actor="hrss-wang")
    with pytest.raises(rbac.PermissionDenied, match="city-a-edu"):
        reads.tenant("city-a-edu", actor="hrss-wang")
    with pytest.raises(rbac.PermissionDenied, match="city-a-edu"):
        reads.resources(actor="hrss-wang", tenant="city-a-edu")
    assert [code for _, code in service.list(actor="hrss-wang")] == ["hrss"]
    assert [t.code for t in reads.tenants(actor="hrss-wang")] == ["hrss"]
    assert {code for _, code in service.list(actor="audit-zhou")} == {"hrss", "city-a-edu"}


def test_undeclared_principal_is_refused_everything(app: App) -> None:
    apply_estate(app)
    service = request_service(app, CataloguePlanner(app))
    for attempt in (
        lambda: service.list(actor="mallory"),
        lambda: service.apply(manifest(), actor="mallory"),
        lambda: governed_reads(app).tenants(actor="mallory"),
    ):
        with pytest.raises(rbac.PermissionDenied, match="not declared"):
            attempt()


def test_bootstrap_operator_only_without_principals(app: App) -> None:
    from controlplane.estate.schema import parse_estate
    from tenants import load_yaml_documents

    from .support import GOVERNED

    text = GOVERNED.read_text()
    bare = text[: text.index("  principals:")] + text[text.index("  quotas:") :]
    app.estate.apply(parse_estate(load_yaml_documents(bare, "e.yaml"), "e.yaml"), actor="x")
    service = request_service(app, CataloguePlanner(app))
    result = service.apply(manifest(), actor="local-operator")
    assert result.request is not None
    with pytest.raises(rbac.PermissionDenied):
        service.approve(result.request.id or 0, actor="local-operator")
    with pytest.raises(rbac.PermissionDenied, match="not declared"):
        service.list(actor="someone")
    apply_estate(app)  # principals declared: local-operator must now be declared (it is)
    assert len(service.list(actor="local-operator")) == 1
