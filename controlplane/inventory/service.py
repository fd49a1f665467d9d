"""The sync service of an ``App`` (kept for callers that hold an ``App``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from controlplane.inventory.sync import SyncService

if TYPE_CHECKING:
    from controlplane.app import App

__all__ = ["sync_service"]


def sync_service(app: App, *, batch_size: int | None = None) -> SyncService:
    """``app``'s sync service; a different ``batch_size`` (benchmarks) gets its own."""
    if batch_size is None:
        return app.sync
    return SyncService(app.sessions, app.clock, app.driver, batch_size=batch_size)
