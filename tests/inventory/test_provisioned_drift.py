"""Drift on systems govcloud itself provisioned, end to end.

Cases: after the request flow provisions systems on the simulator clouds (through the
demo on a tiny province), a sync finds no drift on them; a server whose flavour is
changed out of band is reported as "changed" drift on the next sync, and a server
removed out of band as "missing".
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlmodel import select

from controlplane.app import App
from controlplane.config import Settings
from controlplane.db.models import Provider, Resource
from controlplane.demo import run_demo
from controlplane.drivers import driver_for
from controlplane.inventory import list_drift, sync_service
from providers.simulator import SimulatorDriver


def test_out_of_band_changes_to_provisioned_servers_are_drift(tmp_path: Path) -> None:
    home = tmp_path / "demo"
    run_demo(home, scale="tiny", seed=7, tenants_sampled=12,
             now=datetime(2026, 3, 15, tzinfo=UTC))  # fmt: skip
    app = App(Settings.for_home(home), clock=lambda: datetime(2026, 3, 20, tzinfo=UTC))
    try:
        with app.sessions() as session:
            server, provider = session.exec(
                select(Resource, Provider)
                .join(Provider, Provider.id == Resource.provider_id)  # type: ignore[arg-type]
                .where(Resource.kind == "server", Resource.managed)
                .order_by(Resource.id)  # type: ignore[arg-type]
            ).first() or (None, None)
            assert server is not None
            assert provider is not None
            others = session.exec(
                select(Resource).where(
                    Resource.kind == "server",
                    Resource.provider_id == provider.id,
                    Resource.id != server.id,
                )
            ).all()
        assert list_drift(app.sessions, provider=provider.name) == []

        driver = driver_for(provider, app.settings.simulator_dir, app.clock)
        assert isinstance(driver, SimulatorDriver)
        driver.tamper(server.resource_id, {**server.spec, "vcpu": 64})
        gone = others[0] if others else None
        if gone is not None:
            driver.remove_out_of_band(gone.resource_id)

        sync_service(app).sync(provider.name, actor="ops")
        found = {(d.drift, d.resource_id) for d in list_drift(app.sessions, provider=provider.name)}
        assert ("changed", server.resource_id) in found
        if gone is not None:
            assert ("missing", gone.resource_id) in found
    finally:
        app.close()
