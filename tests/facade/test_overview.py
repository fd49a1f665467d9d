"""The overview (``Govcloud.overview``) on both databases, and who sees which figures.

Cases: with two clouds (prov-sim declares all four capacities, city-a-sim no public IPs)
the figures per cloud and per tier are what the rows hold — open drift, a probe up with its latency,
a cloud never probed, then down, then stale as the clock moves; capacity used by live
resources against what is declared, an undeclared capacity not tracked and a deleted
resource not counted; open violations by severity on the cloud of their system (one of
no placed system in the province total only; resolved ones nowhere); requests pending
approval; this month's rated spend per cloud and the statements' month-to-date against
the annual budget. A department sees only its own figures and is refused another
department's; a wide role sees both. A bounded number of statements whatever the size.
Each cloud's and each tier's open violations of a severity and pending approvals are
exactly the rows of the violations and requests lists narrowed to that cloud
(``provider``) or tier (``tier``), the province's those of the unnarrowed lists; a
violation of a resource is on the resource's cloud even with no system (and a cloud
whose name another's contains does not take its rows); so is each one's open drift
(``drift(provider=…)``, ``drift(tier=…)``, a department's its own) and each cloud's
resources (``resources(provider=…)``); a ``provider:`` term filters the lists by the
cloud's name.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import event
from sqlmodel import select

from controlplane.app import App
from controlplane.billing import Month
from controlplane.db.models import Provider, Resource, System, Tenant
from controlplane.db.tables_compliance import AuditRun, PolicyViolation
from controlplane.db.tables_inventory import Drift, ProviderHealth
from controlplane.facade import Govcloud, PermissionDenied
from controlplane.overview import STALE_AFTER, Capacity, CloudFigures, Overview
from controlplane.requests import request_service
from tests.conftest import FakeClock
from tests.governance.support import CataloguePlanner, apply_priced_estate, manifest

MARCH = Month.parse("2026-03")
AT = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
PROVIDER = {"hrss": "prov-sim", "city-a-edu": "city-a-sim"}


def _populate(app: App) -> None:
    apply_priced_estate(app)
    requests = request_service(app, CataloguePlanner(app))
    for tenant, provider in PROVIDER.items():  # level 4: waits for the bureau's approval
        requests.apply(manifest("portal", tenant, level=4, provider=provider), actor="ops-li")
    with app.sessions() as session, session.begin():
        providers = {p.name: p.id for p in session.exec(select(Provider))}
        tenants = {t.code: t.id for t in session.exec(select(Tenant))}
        for tenant, provider in PROVIDER.items():  # running: its violations are its cloud's
            session.add(System(tenant_id=tenants[tenant], name="portal", level=2,
                               provider_id=providers[provider], data_classification="general",
                               status="running", created_at=AT, updated_at=AT))  # fmt: skip
        for tenant, provider in PROVIDER.items():
            for n in range(3):
                session.add(Resource(
                    provider_id=providers[provider], tenant_id=tenants[tenant], kind="server",
                    provider_name=provider, tenant_code=tenant, system_name="",
                    resource_id=f"{tenant}-{n}", name=f"{tenant}-web-{n}", status="ACTIVE",
                    spec={"vcpu": 4, "memory_mib": 8192}, created_at=AT, observed_at=AT,
                    deleted_at=AT if n == 2 else None,  # gone: allocates nothing
                ))  # fmt: skip
        session.add(Resource(
            provider_id=providers["prov-sim"], tenant_id=tenants["hrss"], kind="floating_ip",
            provider_name="prov-sim", tenant_code="hrss", system_name="", resource_id="fip-1",
            name="fip-1", status="ACTIVE", spec={}, created_at=AT, observed_at=AT,
        ))  # fmt: skip
        session.add(Drift(provider_id=providers["prov-sim"], kind="server", resource_id="hrss-0",
                          name="hrss-web-0", tenant_id=tenants["hrss"], drift="changed",
                          detail={}, first_seen=AT, last_seen=AT))  # fmt: skip
        session.add(ProviderHealth(provider_id=providers["prov-sim"], checked_at=AT,
                                   reachable=True, auth_ok=True, latency_ms=12.5))  # fmt: skip
        run = AuditRun(started_at=AT, finished_at=AT, actor="ops-li")
        session.add(run)
        session.flush()
        for key, tenant, system, severity, state in (
            ("a", "hrss", "portal", "critical", "open"),
            ("b", "hrss", "portal", "high", "open"),
            ("c", "hrss", None, "medium", "open"),  # the department's, of no system
            ("d", "hrss", "portal", "low", "resolved"),
            ("e", "city-a-edu", "portal", "high", "open"),
        ):
            session.add(PolicyViolation(
                key=key, rule_id="GC-1", subject_kind="server", subject_id=key, system=system,
                tenant=tenant, severity=severity, state=state, opened_at=AT, last_seen_at=AT,
                opened_run_id=run.id, last_run_id=run.id,
            ))  # fmt: skip
    rows = [f"{PROVIDER[t]},{t},portal,{t}-0,compute.vcpu,2,2026-03-01T00:00:00+08:00,"
            "2026-03-02T00:00:00+08:00" for t in PROVIDER]  # fmt: skip
    header = "provider,tenant,system,resource_id,meter,quantity,start,end"
    operator = Govcloud.acting_as(app, "ops-li")
    operator.import_usage("usage.csv", text="\n".join([header, *rows]) + "\n")
    Govcloud.acting_as(app, "fin-chen").run_bills(MARCH)


@pytest.fixture
def populated(app: App) -> App:
    _populate(app)
    return app


def _cloud(overview: Overview, name: str) -> CloudFigures:
    return next(c for t in overview.tiers for c in t.clouds if c.name == name)


def test_figures_per_cloud_and_tier(populated: App, clock: FakeClock) -> None:
    found = Govcloud.acting_as(populated, "bdb-zhang").overview(MARCH)
    assert [t.tier for t in found.tiers] == ["provincial", "municipal"]
    prov, city = _cloud(found, "prov-sim"), _cloud(found, "city-a-sim")
    assert (prov.health.state, prov.health.latency_ms, prov.health.stale) == ("up", 12.5, False)
    assert prov.health.checked_at == AT
    assert city.health.state == "never" and city.health.checked_at is None
    assert prov.vcpu == Capacity(Decimal(8), Decimal(2000)) and prov.vcpu.percent == 0
    assert prov.memory_gib == Capacity(Decimal(16), Decimal(8000))
    assert prov.public_ips == Capacity(Decimal(1), Decimal(64))
    assert city.public_ips.declared is None and city.public_ips.percent is None  # not tracked
    assert prov.resources == 3 and city.resources == 2
    assert (prov.drift, city.drift, found.province.drift) == (1, 0, 1)
    v = prov.violations
    assert (v.critical, v.high, v.medium, v.low) == (1, 1, 0, 0)
    assert city.violations.high == 1 and city.violations.total == 1
    assert found.province.violations.total == 4  # the medium of no system counts province-wide
    assert prov.pending == 1 and city.pending == 1 and found.province.pending == 2
    # 2 vCPU for 1 day of 31 at 45.00 and 40.00 a month
    assert prov.spend == Decimal("2.90") and city.spend == Decimal("2.58")
    provincial = found.tiers[0]
    assert (provincial.up, provincial.down, provincial.never) == (1, 0, 0)
    assert found.tiers[1].never == 1 and found.tiers[1].public_ips.declared is None
    assert found.province.vcpu == Capacity(Decimal(16), Decimal(2500))
    assert found.province.public_ips.declared is None  # one part untracked: so is the sum
    spend = found.spend
    assert spend.month_to_date == Decimal("5.48") and spend.statements == 2
    assert spend.annual_budget == Decimal("1500000.00") and not spend.projected_overrun
    assert spend.projected_year > spend.month_to_date


def test_probe_down_and_stale(populated: App, clock: FakeClock) -> None:
    with populated.sessions() as session, session.begin():
        city = session.exec(select(Provider).where(Provider.name == "city-a-sim")).one()
        session.add(ProviderHealth(provider_id=city.id, checked_at=AT, reachable=False,
                                   auth_ok=False, error_code="unavailable"))  # fmt: skip
    reader = Govcloud.acting_as(populated, "audit-zhou")
    down = _cloud(reader.overview(MARCH), "city-a-sim").health
    assert (down.state, down.error_code, down.latency_ms) == ("down", "unavailable", None)
    assert reader.overview(MARCH).tiers[1].down == 1
    clock.now = AT + STALE_AFTER + timedelta(seconds=1)
    later = reader.overview(MARCH)
    assert _cloud(later, "prov-sim").health.stale and later.tiers[0].stale == 1


def test_department_sees_its_own_figures(populated: App) -> None:
    dept = Govcloud.acting_as(populated, "hrss-wang")
    own = dept.overview(MARCH)
    assert own.tenant == "hrss"
    prov, city = _cloud(own, "prov-sim"), _cloud(own, "city-a-sim")
    assert prov.resources == 3 and city.resources == 0 and own.province.drift == 1
    assert city.violations.total == 0 and city.pending == 0 and city.spend == 0
    assert city.vcpu.used == 0 and city.vcpu.declared == Decimal(500)  # declared: the estate's
    assert own.province.violations.total == 3 and own.province.pending == 1
    assert own.spend.month_to_date == Decimal("2.90")
    assert own.spend.annual_budget == Decimal("1200000.00")
    assert city.health.state == "never"  # the clouds' health: everybody's to read
    assert dept.overview(MARCH, tenant="hrss") == own
    with pytest.raises(PermissionDenied):
        dept.overview(MARCH, tenant="city-a-edu")
    wide = Govcloud.acting_as(populated, "audit-zhou").overview(MARCH, tenant="city-a-edu")
    assert (
        wide.tenant == "city-a-edu" and wide.province.pending == 1 and wide.province.resources == 2
    )
    assert wide.province.drift == 0


def test_statements_bounded_whatever_the_size(populated: App) -> None:
    """More clouds, systems and resources add no statement: every figure is grouped."""
    engine = populated.engine
    seen: list[str] = []

    def count(*args: object) -> None:
        seen.append(str(args[2]))

    reader = Govcloud.acting_as(populated, "audit-zhou")
    event.listen(engine, "before_cursor_execute", count)
    try:
        reader.overview(MARCH)
        small = len(seen)
        with populated.sessions() as session, session.begin():
            hrss = session.exec(select(Tenant).where(Tenant.code == "hrss")).one()
            prov = session.exec(select(Provider).where(Provider.name == "prov-sim")).one()
            for n in range(20):
                session.add(System(tenant_id=hrss.id, name=f"s{n}", provider_id=prov.id,
                                   level=2, data_classification="general", created_at=AT,
                                   updated_at=AT))  # fmt: skip
        seen.clear()
        reader.overview(MARCH)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(seen) == small <= 16


def _violation(session: Any, run: int, key: str, tenant: str | None, system: str | None,
               subject: str, severity: str = "high", kind: str = "server") -> None:  # fmt: skip
    session.add(PolicyViolation(
        key=key, rule_id="GC-2", subject_kind=kind, subject_id=subject, system=system,
        tenant=tenant, severity=severity, state="open", opened_at=AT, last_seen_at=AT,
        opened_run_id=run, last_run_id=run,
    ))  # fmt: skip


def test_each_figure_is_the_length_of_its_list(populated: App) -> None:
    with populated.sessions() as session, session.begin():
        providers = {p.name: p for p in session.exec(select(Provider))}
        # a cloud whose name contains another's: exact scopes keep them apart
        other = Provider(name="prov-sim-2", tier="provincial", kind="simulator", region="r",
                         certified_level=3, arch="x86_64", engine=providers["prov-sim"].engine,
                         created_at=AT, updated_at=AT)  # fmt: skip
        session.add(other)
        session.flush()
        assert other.id is not None
        session.add(Resource(
            provider_id=other.id, tenant_id=None, kind="server", provider_name="prov-sim-2",
            tenant_code="", system_name="", resource_id="p2-0", name="p2-0", status="ACTIVE",
            spec={}, created_at=AT, observed_at=AT,
        ))  # fmt: skip
        # open drift on prov-sim-2 (two rows) and a resolved one: not prov-sim's, not open
        for rid, resolved in (("p2-0", None), ("p2-1", None), ("p2-2", AT)):
            session.add(Drift(provider_id=other.id, kind="server", resource_id=rid, name=rid,
                              tenant_id=None, drift="unmanaged", detail={}, first_seen=AT,
                              last_seen=AT, resolved_at=resolved))  # fmt: skip
        run = session.exec(select(AuditRun)).first()
        assert run is not None and run.id is not None
        _violation(session, run.id, "h", None, None, "p2-0")
        # an unmanaged resource of no system: on its resource's cloud
        _violation(session, run.id, "f", "city-a-edu", None, "city-a-edu-0", "critical")
        # a system subject: on its system's cloud
        _violation(session, run.id, "g", "hrss", "portal", "hrss/portal", "low", "system")
    reader = Govcloud.acting_as(populated, "bdb-zhang")
    found = reader.overview(MARCH)
    clouds = [c for t in found.tiers for c in t.clouds]
    assert _cloud(found, "city-a-sim").violations.critical == 1
    assert _cloud(found, "prov-sim").violations.low == 1
    figured = [*(({"provider": c.name}, c) for c in clouds),
               *(({"tier": t.tier}, t) for t in found.tiers), ({}, found.province)]  # fmt: skip
    for scope, figures in figured:
        for severity in ("critical", "high", "medium", "low"):
            page = reader.violations(state="open", query=f"severity:{severity}", **scope)
            assert len(page.items) == page.total == getattr(figures.violations, severity), (
                scope, severity)  # fmt: skip
            if "provider" in scope:
                assert {v.provider for v in page.items} <= {scope["provider"]}
        pending = reader.requests(state="PendingApproval", **scope)
        assert len(pending.items) == pending.total == figures.pending, scope
        drift = reader.drift(**scope)
        assert len(drift.items) == drift.total == figures.drift, scope
        if "provider" in scope:
            assert {d.provider for d in drift.items} <= {scope["provider"]}
            resources = reader.resources(provider=scope["provider"])
            assert resources.total == figures.resources, scope
        assert {r.provider for r in pending.items} <= {scope.get("provider"), None} | {
            c.name for c in clouds}  # fmt: skip
    assert _cloud(found, "prov-sim-2").violations.high == 1
    assert _cloud(found, "prov-sim").violations.high == 1  # not prov-sim-2's too
    assert (_cloud(found, "prov-sim").drift, _cloud(found, "prov-sim-2").drift) == (1, 2)
    assert [d.resource_id for d in reader.drift(tier="provincial").items] == [
        "hrss-0", "p2-0", "p2-1"]  # fmt: skip
    assert reader.drift(tier="municipal").total == 0
    assert reader.drift(tier="no-such-tier").total == 0
    unplaced = reader.violations(state="open", query="!provider:sim")
    assert [(v.tenant, v.system, v.provider) for v in unplaced.items] == [("hrss", None, None)]
    on_city = reader.violations(state="open", query="provider:CITY severity:critical")
    assert [v.subject_id for v in on_city.items] == ["city-a-edu-0"]
    assert [r.provider for r in reader.requests(query="provider:city").items] == ["city-a-sim"]
    dept = Govcloud.acting_as(populated, "hrss-wang")
    assert dept.violations(provider="city-a-sim").total == 0  # another department's
    assert dept.requests(tier="municipal").total == 0
    assert [d.resource_id for d in dept.drift(tier="provincial").items] == ["hrss-0"]
