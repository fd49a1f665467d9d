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
from sqlmodel import select

from controlplane.app import App
from controlplane.cli.main import main
from controlplane.db.models import Provider
from controlplane.drivers import driver_for
from controlplane.inventory import list_drift, sync_service
from controlplane.requests import provisioner, request_service
from providers import SimulatorDriver
from tests.governance.support import GOVERNED, CataloguePlanner, apply_estate, manifest


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
