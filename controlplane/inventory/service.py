"""Building the sync service from an ``App`` (until the App grows an ``inventory`` property)."""

from __future__ import annotations

from controlplane.app import App
from controlplane.db.models import Provider
from controlplane.drivers import driver_for
from controlplane.inventory.sync import SyncService
from providers import Driver

__all__ = ["sync_service"]


def sync_service(app: App, *, batch_size: int = 1000) -> SyncService:
    """A ``SyncService`` over ``app``'s database and clock, with the estate's drivers."""

    def drivers(provider: Provider) -> Driver:
        return driver_for(provider, app.settings.simulator_dir, app.clock)

    return SyncService(app.sessions, app.clock, drivers, batch_size=batch_size)
