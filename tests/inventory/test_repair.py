"""Repairing drift on the simulator cloud, on SQLite and PostgreSQL.

Cases:
- a system provisioned through the request flow, then a server removed and another
  tampered out of band: ``govcloud repair hrss/portal --dry-run`` prints the plan
  (recreate the removed one, restore the tampered one's ``vcpu``) and changes nothing;
  without ``--dry-run`` it re-applies, the next sync shows no drift for the system, and
  the cloud again holds exactly the declared servers; a system name without its
  department is a usage error (exit 2); an unknown system is refused (exit 1);
- ``apply`` of the unchanged manifest on a drifted Ready system is not a no-op: it
  records an update request whose plan lists the undoing, approved like any update,
  and provisioning it removes the drift; on a clean system it stays a no-op;
- a clean delete leaves no drift (the system's applied rows are forgotten);
- ``estate apply`` of a changed quota pushes it to every provider where the department
  has systems, and says so per department and provider.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import event
from sqlmodel import Session, col, select

from controlplane.app import App
from controlplane.cli.main import main
from controlplane.db.engine import transaction
from controlplane.db.models import Provider, System, Tenant
from controlplane.db.tables_inventory import Drift
from controlplane.drivers import driver_for
from controlplane.inventory import list_drift, repair, sync_service
from controlplane.inventory.compare import QUOTA_KIND, TAGS_KEY
from controlplane.requests import ApplyResult, provisioner, request_service
from providers import SimulatorDriver
from tests.governance.support import GOVERNED, CataloguePlanner, apply_estate, manifest
from tests.inventory.conftest import World


def _provision(app: App, *, delete: bool = False) -> int:
    service = request_service(app, CataloguePlanner(app))
    parsed = manifest(level=2, count=2)
    result = (service.delete if delete else service.apply)(parsed, actor="local-operator")
    assert result.request is not None and result.request.state == "Approved"
    done = provisioner(app).provision(result.request.id or 0, actor="local-operator")
    assert not done.failed
    return result.request.id or 0


def _sim(app: App) -> SimulatorDriver:
    with app.sessions() as session:
        provider = session.exec(select(Provider).where(Provider.name == "prov-sim")).one()
    driver = driver_for(provider, app.settings.simulator_dir, app.clock)
    assert isinstance(driver, SimulatorDriver)
    return driver


def _servers(sim: SimulatorDriver) -> dict[str, object]:
    return {
        o.name: o.spec.get("vcpu")
        for o in sim.list_inventory()
        if o.kind == "server" and o.system == "portal"
    }


def _drifted(app: App) -> list[tuple[str, str]]:
    sync_service(app).sync("prov-sim", actor="ops")
    return sorted((d.drift, d.name) for d in list_drift(app.sessions) if d.system == "portal")


@pytest.fixture
def drifted(app: App) -> SimulatorDriver:
    apply_estate(app)
    _provision(app)
    assert _drifted(app) == []
    sim = _sim(app)
    ids = {o.name: o.resource_id for o in sim.list_inventory() if o.kind == "server"}
    sim.remove_out_of_band(ids["web-0"])
    sim.tamper(ids["web-1"], {"flavor": "c2m4", "vcpu": 64, "memory_mib": 4096})
    assert _drifted(app) == [("changed", "web-1"), ("missing", "web-0")]
    return sim


def test_repair_command(
    app: App,
    drifted: SimulatorDriver,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("GOVCLOUD_DATABASE_URL", app.settings.database_url)
    cli = ["--home", str(app.settings.home)]
    assert main([*cli, "repair", "hrss/portal", "--dry-run", "-o", "json"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert [(s["action"], s["name"], s["keys"]) for s in record["plan"]] == [
        ("recreate", "web-0", []),
        ("restore", "web-1", ["vcpu"]),
    ]
    assert _servers(drifted) == {"web-1": 64}

    assert main([*cli, "repair", "hrss/portal"]) == 0
    out = capsys.readouterr().out
    assert "recreate server/web-0" in out and "repaired; 0 drift left" in out
    assert _servers(drifted) == {"web-0": 2, "web-1": 2}
    assert _drifted(app) == []

    assert main([*cli, "repair", "portal"]) == 2
    assert main([*cli, "repair", "hrss/nothing"]) == 1
    assert "no such provisioned system" in capsys.readouterr().err


def test_apply_of_unchanged_manifest_repairs(app: App, drifted: SimulatorDriver) -> None:
    service = request_service(app, CataloguePlanner(app))
    result = service.apply(manifest(level=2, count=2), actor="local-operator")
    assert result.request is not None and not result.noop
    assert [(s["action"], s["name"]) for s in result.request.plan["repair"]] == [
        ("recreate", "web-0"),
        ("restore", "web-1"),
    ]
    assert result.request.state == "Approved"
    provisioner(app).provision(result.request.id or 0, actor="local-operator")
    assert _servers(drifted) == {"web-0": 2, "web-1": 2}
    assert _drifted(app) == []
    again = service.apply(manifest(level=2, count=2), actor="local-operator")
    assert again.noop

    _provision(app, delete=True)
    assert _servers(drifted) == {}
    assert _drifted(app) == []


def test_clean_delete_leaves_no_drift(app: App) -> None:
    apply_estate(app)
    _provision(app)
    _provision(app, delete=True)
    assert _drifted(app) == []


def test_estate_apply_pushes_changed_quotas(
    app: App, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    apply_estate(app)
    _provision(app)
    monkeypatch.setenv("GOVCLOUD_DATABASE_URL", app.settings.database_url)
    changed = tmp_path / "estate.yaml"
    changed.write_text(
        GOVERNED.read_text().replace("{tenant: hrss, provider: prov-sim, vcpu: 100,",
                                     "{tenant: hrss, provider: prov-sim, vcpu: 90,")
    )  # fmt: skip
    assert main(["--home", str(app.settings.home), "estate", "apply", "-f", str(changed)]) == 0
    assert "quota hrss@prov-sim: pushed to the cloud" in capsys.readouterr().out


# ---- the steps of many systems at once --------------------------------------------


def _one_system(session: Session, provider_id: int, tenant_id: int, system_id: int) -> list[str]:
    """The reference: the one query per system ``system_steps`` made before the batched
    read (open drift on its provider: its own rows, its department's quota and strays)."""
    rows = session.exec(
        select(Drift)
        .where(
            col(Drift.provider_id) == provider_id,
            col(Drift.resolved_at).is_(None),
            (col(Drift.system_id) == system_id)
            | ((col(Drift.tenant_id) == tenant_id) & col(Drift.system_id).is_(None)),
        )
        .order_by(col(Drift.kind), col(Drift.name), col(Drift.id))
    ).all()
    return [
        row.resource_id
        for row in rows
        if row.system_id == system_id or row.kind == QUOTA_KIND or row.drift == "unmanaged"
    ]


def _mixed_drift(world: World) -> dict[str, tuple[int, int, int]]:
    """Systems of three departments on four providers, and open and resolved drift of
    the systems, of their departments (quota, strays, other kinds) and of no department;
    names in mixed case and Chinese (each database orders them its own way)."""
    app, now = world.app, world.app.clock()
    with transaction(app.sessions) as session:
        providers = {p.name: p.id or 0 for p in session.exec(select(Provider))}
        tenants = {t.code: t.id or 0 for t in session.exec(select(Tenant))}
        placed = {
            "portal": ("hrss", "sim-health"),
            "api": ("hrss", "sim-health"),
            "ledger": ("hrss", "prov-main"),
            "school": ("city-a-edu", "city-a"),
            "gauge": ("water-dept", "water-k8s"),
            "quiet": ("water-dept", "sim-health"),
        }
        systems = {"portal": (world.provider_id, world.tenant_id, world.system_id)}
        for name, (tenant, provider) in placed.items():
            if name != "portal":
                row = System(tenant_id=tenants[tenant], name=name, level=2,
                             provider_id=providers[provider], data_classification="general",
                             status="active", created_at=now, updated_at=now)  # fmt: skip
                session.add(row)
                session.flush()
                systems[name] = (providers[provider], tenants[tenant], row.id or 0)

        def drift(rid: str, provider: str, kind: str, drift: str, *, system: str | None = None,
                  tenant: str | None = None, name: str | None = None, keys: tuple[str, ...] = (),
                  resolved: bool = False) -> None:  # fmt: skip
            session.add(Drift(
                provider_id=providers[provider], kind=kind, resource_id=rid, name=name or rid,
                tenant_id=tenants[tenant] if tenant else None,
                system_id=systems[system][2] if system else None, drift=drift,
                detail={"keys": {k: {} for k in keys}}, first_seen=now, last_seen=now,
                resolved_at=now if resolved else None,
            ))  # fmt: skip

        # fmt: off
        drift("p-web0", "sim-health", "server", "missing", system="portal", tenant="hrss", name="web-0")
        drift("p-Web1", "sim-health", "server", "changed", system="portal", tenant="hrss", name="Web-1", keys=("vcpu",))
        drift("p-web2", "sim-health", "server", "changed", system="portal", tenant="hrss", name="门户-2", keys=(TAGS_KEY,))
        drift("p-rule", "sim-health", "security_rule", "unmanaged", system="portal", tenant="hrss")
        drift("p-gone", "sim-health", "server", "missing", system="portal", tenant="hrss", resolved=True)
        drift("p-else", "prov-main", "server", "missing", system="portal", tenant="hrss")
        drift("a-vol", "sim-health", "volume", "missing", system="api", tenant="hrss")
        drift("h-quota", "sim-health", QUOTA_KIND, "changed", tenant="hrss", keys=("cores",))
        drift("h-stray", "sim-health", "server", "unmanaged", tenant="hrss", name="Stray")
        drift("h-stray2", "sim-health", "server", "unmanaged", tenant="hrss", name="stray")
        drift("h-missing", "sim-health", "server", "missing", tenant="hrss")
        drift("h-old", "sim-health", "server", "unmanaged", tenant="hrss", resolved=True)
        drift("h-main", "prov-main", "server", "unmanaged", tenant="hrss")
        drift("e-quota", "city-a", QUOTA_KIND, "changed", tenant="city-a-edu", keys=("ram",))
        drift("w-stray", "sim-health", "server", "unmanaged", tenant="water-dept")
        drift("w-quota", "water-k8s", QUOTA_KIND, "missing", tenant="water-dept")
        drift("nobody", "sim-health", "server", "unmanaged")
        # fmt: on
    return systems


@pytest.mark.parametrize("chunk", [repair.STEPS_CHUNK, 2])
def test_steps_of_many_systems_are_each_systems_steps(
    world: World, monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    """The batched read gives every system exactly the steps a query of its own gives
    (same rows, same order, same actions), whether one query or several chunks read them."""
    monkeypatch.setattr(repair, "STEPS_CHUNK", chunk)
    systems = _mixed_drift(world)
    with world.app.sessions() as session:
        for prune in (False, True):
            batched = repair.steps_of_systems(session, systems.values(), prune=prune)
            assert sorted(batched) == sorted(s for _, _, s in systems.values())
            for name, (provider_id, tenant_id, system_id) in systems.items():
                steps = batched[system_id]
                assert [s.resource_id for s in steps] == _one_system(
                    session, provider_id, tenant_id, system_id
                ), name
                one = repair.system_steps(session, provider_id=provider_id, tenant_id=tenant_id,
                                          system_id=system_id, prune=prune)  # fmt: skip
                assert one == steps, name
        steps = repair.steps_of_systems(session, systems.values())
    by_name = {name: steps[s] for name, (_, _, s) in systems.items()}
    assert sorted((s.action, s.resource_id, s.keys) for s in by_name["portal"]) == [
        ("recreate", "p-web0", ()),
        ("remove", "p-rule", ()),
        ("report", "h-stray", ()),
        ("report", "h-stray2", ()),
        ("restore", "h-quota", ("cores",)),
        ("restore", "p-Web1", ("vcpu",)),
        ("retag", "p-web2", (TAGS_KEY,)),
    ]
    assert {s.resource_id for s in by_name["api"]} == {"a-vol", "h-quota", "h-stray", "h-stray2"}
    assert [s.resource_id for s in by_name["ledger"]] == ["h-main"]
    assert [s.resource_id for s in by_name["school"]] == ["e-quota"]
    assert [s.resource_id for s in by_name["gauge"]] == ["w-quota"]
    assert [s.resource_id for s in by_name["quiet"]] == ["w-stray"]
    assert repair.steps_of_systems(session, []) == {}


# ---- re-applying a file of Ready systems ------------------------------------------


def test_reapply_of_ready_systems_reads_drift_once_per_file(app: App) -> None:
    """Re-applying an unchanged file of Ready systems takes as many statements for 30 as
    for 3 (their drift is read with the file's current requests, not per document); the
    clean ones are no-ops and a drifted one records its repair, as when applied alone."""
    apply_estate(app)
    service = request_service(app, CataloguePlanner(app))
    names = [f"sys-{n:02d}" for n in range(30)]
    created = service.apply_all([manifest(name, count=1) for name in names], actor="local-operator")
    for result in created:
        assert result.request is not None and result.request.state == "Approved"
        assert not provisioner(app).provision(result.request.id or 0, actor="local-operator").failed
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    def reapply(count_: int) -> tuple[int, list[ApplyResult]]:
        statements.clear()
        event.listen(app.engine, "before_cursor_execute", count)
        try:
            results = service.apply_all(
                [manifest(name, count=1) for name in names[:count_]], actor="local-operator"
            )
        finally:
            event.remove(app.engine, "before_cursor_execute", count)
        return len(statements), results

    few, results = reapply(3)
    assert all(r.noop for r in results)
    many, results = reapply(30)
    assert all(r.noop for r in results) and len(results) == 30
    assert many == few <= 12

    sim = _sim(app)
    web = {o.system: o.resource_id for o in sim.list_inventory() if o.kind == "server"}
    sim.remove_out_of_band(web["sys-07"])
    sync_service(app).sync("prov-sim", actor="ops")
    _, results = reapply(30)
    assert [r.noop for r in results] == [name != "sys-07" for name in names]
    record = results[7].request
    assert record is not None and record.state == "Approved"
    assert [(s["action"], s["name"]) for s in record.plan["repair"]] == [("recreate", "web-0")]
