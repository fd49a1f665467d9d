"""A small province for the console tests: the governed estate, two pending requests
(level 4: they wait for the big-data bureau's approval), a running system per tenant and
resources on both clouds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, select

from controlplane.app import App
from controlplane.db import table_of
from controlplane.db.models import Provider, Resource, System, Tenant
from controlplane.db.tables_compliance import AuditRun, PolicyViolation
from controlplane.db.tables_inventory import ProviderHealth
from controlplane.requests import request_service
from tests.governance.support import CataloguePlanner, apply_estate, manifest

#: resources per cloud: more than two pages of the console's 100
PER_PROVIDER = 130


def populate(app: App) -> dict[str, int]:
    """The estate, one pending request per tenant, and resources; request ids by tenant."""
    apply_estate(app)
    service = request_service(app, CataloguePlanner(app))
    ids: dict[str, int] = {}
    for tenant, provider in (("hrss", "prov-sim"), ("city-a-edu", "city-a-sim")):
        made = service.apply(manifest("portal", tenant, level=4, provider=provider), actor="ops-li")
        assert made.request is not None and made.request.id is not None
        ids[tenant] = made.request.id
    now = datetime(2026, 3, 1, tzinfo=UTC)
    with app.sessions() as session, session.begin():
        providers = dict(session.execute(select(Provider.name, Provider.id)).all())  # type: ignore[arg-type]
        tenants = dict(session.execute(select(Tenant.code, Tenant.id)).all())  # type: ignore[arg-type]
        rows = []
        for provider, tenant in (("prov-sim", "hrss"), ("city-a-sim", "city-a-edu")):
            for i in range(PER_PROVIDER):
                rows.append({
                    "provider_id": providers[provider], "tenant_id": tenants[tenant],
                    "system_id": None, "provider_name": provider, "tenant_code": tenant,
                    "system_name": "", "kind": "server" if i % 3 else "volume",
                    "resource_id": f"{provider}-{i:04d}", "name": f"{tenant}-vm-{i:04d}",
                    "status": "ERROR" if i == 7 else "ACTIVE", "managed": True,
                    "spec": {"flavor": "c2m4"}, "created_at": now - timedelta(minutes=i),
                    "observed_at": now, "deleted_at": None,
                })  # fmt: skip
        session.execute(insert(table_of(Resource)), rows)
        for tenant, name, provider, level in (("hrss", "payroll", "prov-sim", 3),
                                              ("city-a-edu", "exams", "city-a-sim", 2)):  # fmt: skip
            session.add(System(tenant_id=tenants[tenant], name=name, level=level,
                               provider_id=providers[provider], data_classification="important",
                               status="running", created_at=now, updated_at=now))  # fmt: skip
    return ids


def dashboard(app: App) -> None:
    """What the overview shows beyond :func:`populate`: prov-sim probed up (23 ms),
    city-a-sim down, and open violations on both clouds' systems (one of no system)."""
    at = datetime(2026, 3, 1, 7, 59, tzinfo=UTC)
    with app.sessions() as session, session.begin():
        providers = dict(session.execute(select(Provider.name, Provider.id)).all())  # type: ignore[arg-type]
        session.add(ProviderHealth(provider_id=providers["prov-sim"], checked_at=at,
                                   reachable=True, auth_ok=True, latency_ms=23.4))  # fmt: skip
        session.add(ProviderHealth(provider_id=providers["city-a-sim"], checked_at=at,
                                   reachable=False, auth_ok=False, error_code="unavailable"))  # fmt: skip
        run = AuditRun(started_at=at, finished_at=at, actor="ops-li")
        session.add(run)
        session.flush()
        for key, tenant, system, severity in (("a", "hrss", "payroll", "critical"),
                                              ("b", "hrss", "payroll", "high"),
                                              ("c", "city-a-edu", "exams", "medium"),
                                              ("d", "city-a-edu", None, "low")):  # fmt: skip
            session.add(PolicyViolation(
                key=key, rule_id="GC-1", subject_kind="server", subject_id=key, system=system,
                tenant=tenant, severity=severity, state="open", opened_at=at, last_seen_at=at,
                opened_run_id=run.id, last_run_id=run.id,
            ))  # fmt: skip
