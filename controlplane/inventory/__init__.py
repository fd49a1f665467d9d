"""Inventory: what the clouds actually hold, their health, and drift from what govcloud wants.

Owns provider sync (``SyncService``: health probe, observed resources into the core
``resource`` table in bounded batches, drift with history), the record of what
provisioning applied (``record_applied``), health evidence (``availability``) and the
read side the CLI and TUI show (``list_resources``, ``list_drift``). Drivers are reached
only through the factory handed to ``SyncService`` (``controlplane.drivers.driver_for``
by default, see ``sync_service``).

The names below are loaded on first use, so a caller that needs one light module (the
resource list's :class:`ResourceView`, the area's words) does not load the sync
machinery and the database layers with it.

Must not import ``textual``, nor any cloud SDK (drivers live in ``providers``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from controlplane.lazy import exports

if TYPE_CHECKING:
    from controlplane.inventory.applied import record_applied
    from controlplane.inventory.health import availability, error_from_health, record_health
    from controlplane.inventory.query import (
        DriftView,
        ResourceFilter,
        list_drift,
        list_resources,
    )
    from controlplane.inventory.service import sync_service
    from controlplane.inventory.sync import (
        DriverFactory,
        SyncReport,
        SyncService,
        UnknownProvider,
    )
    from controlplane.inventory.views import ResourceView

_LAZY = {
    "DriftView": "controlplane.inventory.query",
    "DriverFactory": "controlplane.inventory.sync",
    "ResourceFilter": "controlplane.inventory.query",
    "ResourceView": "controlplane.inventory.views",
    "SyncReport": "controlplane.inventory.sync",
    "SyncService": "controlplane.inventory.sync",
    "UnknownProvider": "controlplane.inventory.sync",
    "availability": "controlplane.inventory.health",
    "error_from_health": "controlplane.inventory.health",
    "list_drift": "controlplane.inventory.query",
    "list_resources": "controlplane.inventory.query",
    "record_applied": "controlplane.inventory.applied",
    "record_health": "controlplane.inventory.health",
    "sync_service": "controlplane.inventory.service",
}


__getattr__ = exports(__name__, _LAZY)


__all__ = [
    "DriftView",
    "DriverFactory",
    "ResourceFilter",
    "ResourceView",
    "SyncReport",
    "SyncService",
    "UnknownProvider",
    "availability",
    "error_from_health",
    "list_drift",
    "list_resources",
    "record_applied",
    "record_health",
    "sync_service",
]
