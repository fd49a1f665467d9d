"""A department reads nothing of another tenant, anywhere, through the facade.

Cases: with requests, resources, drift, violations, waivers and statements in two
tenants, the department principal of hrss listing without naming a tenant gets only
hrss's (requests, tenants, resources with their total, drift, violations, waivers,
statements, a JSON export of the month); naming the other tenant is refused; a wide
role (auditor) sees both. Also the keyset pages: a continue token walks a list without
gaps or repeats and is refused for another sort or when tampered with.
"""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime

import pytest
from sqlmodel import Session, select

from controlplane.app import App
from controlplane.billing import Month
from controlplane.db.models import Provider, Resource, Tenant
from controlplane.db.tables_compliance import AuditRun, PolicyViolation, PolicyWaiver
from controlplane.db.tables_inventory import Drift
from controlplane.facade import Govcloud, InvalidInput, PermissionDenied
from controlplane.requests import request_service
from tests.governance.support import CataloguePlanner, apply_priced_estate, manifest

OWN, OTHER = "hrss", "city-a-edu"
PROVIDER = {OWN: "prov-sim", OTHER: "city-a-sim"}
AT = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
MARCH = Month.parse("2026-03")


def _ids(session: Session, tenant: str) -> tuple[int, int]:
    t = session.exec(select(Tenant).where(Tenant.code == tenant)).one()
    p = session.exec(select(Provider).where(Provider.name == PROVIDER[tenant])).one()
    assert t.id is not None and p.id is not None
    return t.id, p.id


def _populate(app: App) -> None:
    requests = request_service(app, CataloguePlanner(app))
    with app.sessions() as session, session.begin():
        run = AuditRun(started_at=AT, finished_at=AT, actor="ops-li")
        session.add(run)
        session.flush()
        assert run.id is not None
        for tenant in (OWN, OTHER):
            tenant_id, provider_id = _ids(session, tenant)
            for n in range(3):
                session.add(
                    Resource(
                        provider_id=provider_id, tenant_id=tenant_id, kind="server",
                        provider_name=PROVIDER[tenant], tenant_code=tenant, system_name="",
                        resource_id=f"{tenant}-{n}", name=f"{tenant}-web-{n}", status="ACTIVE",
                        spec={}, created_at=AT, observed_at=AT,
                    )
                )  # fmt: skip
            session.add(
                Drift(
                    provider_id=provider_id, kind="server", resource_id=f"{tenant}-0",
                    name=f"{tenant}-web-0", tenant_id=tenant_id, drift="changed", detail={},
                    first_seen=AT, last_seen=AT,
                )
            )  # fmt: skip
            session.add(
                PolicyViolation(
                    key=f"{tenant}-k", rule_id="GC-1", subject_kind="server",
                    subject_id=f"{tenant}-0", system="portal", tenant=tenant, severity="high",
                    state="open", opened_at=AT, last_seen_at=AT, opened_run_id=run.id,
                    last_run_id=run.id,
                )
            )  # fmt: skip
            session.add(
                PolicyWaiver(
                    rule_id="GC-1", scope="tenant", target=tenant, reason="r", requester="ops-li",
                    requested_at=AT, expires_at=datetime(2026, 6, 1, tzinfo=UTC),
                    state="requested",
                )
            )  # fmt: skip
    for tenant in (OWN, OTHER):
        requests.apply(manifest("portal", tenant, provider=PROVIDER[tenant]), actor="ops-li")


def _usage(app: App) -> None:
    rows = [
        f"{PROVIDER[t]},{t},portal,{t}-0,compute.vcpu,2,2026-03-01T00:00:00+08:00,"
        "2026-03-02T00:00:00+08:00"
        for t in (OWN, OTHER)
    ]
    header = "provider,tenant,system,resource_id,meter,quantity,start,end"
    Govcloud.acting_as(app, "ops-li").import_usage(
        "usage.csv", text="\n".join([header, *rows]) + "\n"
    )
    Govcloud.acting_as(app, "fin-chen").run_bills(MARCH)


@pytest.fixture
def populated(app: App, tmp_path: object) -> App:
    apply_priced_estate(app)
    _populate(app)
    _usage(app)
    return app


def test_department_sees_only_its_tenant_everywhere(populated: App) -> None:
    dept = Govcloud.acting_as(populated, "hrss-wang")
    assert {r.tenant for r in dept.requests().items} == {OWN}
    assert [t.code for t in dept.tenants().items] == [OWN]
    resources = dept.resources()
    assert {r.tenant for r in resources.items} == {OWN} and resources.total == 3
    assert {d.tenant for d in dept.drift().items} == {OWN}
    assert {v.tenant for v in dept.violations().items} == {OWN}
    assert [w.target for w in dept.waivers().items] == [OWN]
    assert [v.statement.tenant for v in dept.bills(MARCH).items] == [OWN]
    out = io.BytesIO()
    exported = dept.export_bills(MARCH, "json", out)
    assert [s.tenant for s in exported] == [OWN]
    assert OTHER not in out.getvalue().decode("utf-8")
    assert dept.confirm_bills(MARCH) == [OWN]
    for call in (
        lambda: dept.requests(tenant=OTHER),
        lambda: dept.tenant(OTHER),
        lambda: dept.resources(tenant=OTHER),
        lambda: dept.drift(tenant=OTHER),
        lambda: dept.violations(tenant=OTHER),
        lambda: dept.waivers(tenant=OTHER),
        lambda: dept.bills(MARCH, tenant=OTHER),
        lambda: dept.export_bills(MARCH, "json", io.BytesIO(), tenant=OTHER),
        lambda: dept.policy_report("portal", tenant=OTHER),
        lambda: dept.confirm_bills(MARCH, tenant=OTHER),
    ):
        with pytest.raises(PermissionDenied):
            call()


def test_wide_role_sees_every_tenant(populated: App) -> None:
    auditor = Govcloud.acting_as(populated, "audit-zhou")
    assert {r.tenant for r in auditor.resources().items} == {OWN, OTHER}
    assert {v.tenant for v in auditor.violations().items} == {OWN, OTHER}
    assert len(auditor.waivers().items) == 2
    out = io.BytesIO()
    auditor.export_bills(MARCH, "json", out)
    assert {s["tenant"] for s in json.loads(out.getvalue())["statements"]} == {OWN, OTHER}


def test_keyset_pages_walk_without_gaps_and_refuse_foreign_tokens(populated: App) -> None:
    auditor = Govcloud.acting_as(populated, "audit-zhou")
    seen: list[str] = []
    token: str | None = None
    while True:
        page = auditor.resources(limit=4, continue_token=token)
        assert page.total == 6
        seen.extend(r.resource_id for r in page.items)
        token = page.continue_token
        if token is None:
            break
    assert sorted(seen) == sorted(f"{t}-{n}" for t in (OWN, OTHER) for n in range(3))
    assert len(seen) == len(set(seen))
    first = auditor.requests(limit=1)
    assert first.continue_token is not None and first.total == 2
    second = auditor.requests(limit=1, continue_token=first.continue_token)
    assert second.continue_token is None
    assert {first.items[0].tenant, second.items[0].tenant} == {OWN, OTHER}
    with pytest.raises(InvalidInput):
        auditor.requests(sort="updated", continue_token=first.continue_token)
    with pytest.raises(InvalidInput):
        auditor.resources(continue_token="bm90LWEtdG9rZW4")
    with pytest.raises(InvalidInput):
        auditor.resources(limit=0)
