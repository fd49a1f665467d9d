"""Inventory: what the clouds actually hold, their health, and drift from what govcloud wants.

Owns provider sync (``SyncService``: health probe, observed resources into the core
``resource`` table in bounded batches, drift with history), the record of what
provisioning applied (``record_applied``), health evidence (``availability``) and the
read side the CLI and TUI show (``list_resources``, ``list_drift``). Drivers are reached
only through the factory handed to ``SyncService`` (``controlplane.drivers.driver_for``
by default, see ``sync_service``).

Must not import ``textual``, nor any cloud SDK (drivers live in ``providers``).
"""

from controlplane.inventory.applied import record_applied
from controlplane.inventory.health import availability, error_from_health, record_health
from controlplane.inventory.query import (
    DriftView,
    ResourceFilter,
    ResourceView,
    list_drift,
    list_resources,
)
from controlplane.inventory.service import sync_service
from controlplane.inventory.sync import DriverFactory, SyncReport, SyncService, UnknownProvider

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
