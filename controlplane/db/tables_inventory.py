"""Inventory tables: provider health probes, sync runs, applied specs and drift history.

``ProviderHealth`` is one probe (the evidence SLA availability is computed from);
``SyncRun`` is one inventory sync with its counts (a run left ``running`` was
interrupted); ``AppliedResource`` is what govcloud last applied to a cloud resource (the
desired side of "changed" drift); ``Drift`` is one divergence with first-seen,
last-seen and resolved times, so drift has history. Observed resources themselves live
in the core ``resource`` table.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from controlplane.db.types import UTCDateTime

__all__ = ["AppliedResource", "Drift", "ProviderHealth", "SubnetAllocation", "SyncRun"]


def _ts(*, nullable: bool = False, index: bool = False) -> Any:
    return Field(sa_type=UTCDateTime(), nullable=nullable, index=index)


def _json() -> Any:
    return Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class ProviderHealth(SQLModel, table=True):
    """One reachability/authentication probe of a provider."""

    __tablename__ = "provider_health"
    __table_args__ = (Index("ix_provider_health_provider_at", "provider_id", "checked_at"),)

    id: int | None = Field(default=None, primary_key=True)
    provider_id: int = Field(foreign_key="provider.id")
    checked_at: datetime = _ts()
    reachable: bool
    auth_ok: bool
    # a probe duration, not money: a float is the honest type
    latency_ms: float | None = None
    detail: str = Field(default="", max_length=1000)
    error_code: str | None = Field(default=None, max_length=32)


class SyncRun(SQLModel, table=True):
    """One inventory sync of one provider: ``running`` → ``done`` | ``failed``."""

    __tablename__ = "sync_run"

    id: int | None = Field(default=None, primary_key=True)
    provider_id: int = Field(foreign_key="provider.id", index=True)
    # every resource this run wrote carries this instant as ``observed_at``; one it saw
    # unchanged keeps its row as it was, and reads as observed by the last done run
    stamp: datetime = _ts()
    started_at: datetime = _ts()
    finished_at: datetime | None = _ts(nullable=True)
    state: str = Field(max_length=16)
    counts: dict[str, Any] = _json()
    error: str | None = Field(default=None, max_length=1000)


class AppliedResource(SQLModel, table=True):
    """The spec govcloud last applied to one cloud resource (the desired side)."""

    __tablename__ = "applied_resource"
    __table_args__ = (UniqueConstraint("provider_id", "kind", "resource_id"),)

    id: int | None = Field(default=None, primary_key=True)
    provider_id: int = Field(foreign_key="provider.id")
    system_id: int | None = Field(default=None, foreign_key="system.id", index=True)
    kind: str = Field(max_length=32)
    resource_id: str = Field(max_length=128)
    name: str = Field(max_length=255)
    request_id: str | None = Field(default=None, max_length=64)
    spec: dict[str, Any] = _json()
    applied_at: datetime = _ts()


class Drift(SQLModel, table=True):
    """One divergence between what govcloud holds and what a cloud shows.

    ``drift`` is ``missing`` (desired or known, not observed), ``changed`` (observed
    spec differs from the applied one; ``detail`` names the keys) or ``unmanaged`` (no
    govcloud tags). At most one open (unresolved) row per resource and drift type.
    """

    __tablename__ = "drift"
    __table_args__ = (
        Index(
            "uq_drift_open",
            "provider_id",
            "kind",
            "resource_id",
            "drift",
            unique=True,
            sqlite_where=text("resolved_at IS NULL"),
            postgresql_where=text("resolved_at IS NULL"),
        ),
        Index("ix_drift_provider_resolved", "provider_id", "resolved_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    provider_id: int = Field(foreign_key="provider.id")
    kind: str = Field(max_length=32)
    resource_id: str = Field(max_length=128)
    name: str = Field(max_length=255)
    tenant_id: int | None = Field(default=None, foreign_key="tenant.id")
    system_id: int | None = Field(default=None, foreign_key="system.id")
    drift: str = Field(max_length=16)
    detail: dict[str, Any] = _json()
    first_seen: datetime = _ts()
    last_seen: datetime = _ts()
    resolved_at: datetime | None = _ts(nullable=True)


class SubnetAllocation(SQLModel, table=True):
    """The subnet one system holds in its cloud's address pool (released on delete)."""

    __tablename__ = "subnet_allocation"
    __table_args__ = (
        UniqueConstraint("provider_id", "cidr"),
        UniqueConstraint("provider_id", "tenant_id", "system"),
    )

    id: int | None = Field(default=None, primary_key=True)
    provider_id: int = Field(foreign_key="provider.id")
    tenant_id: int = Field(foreign_key="tenant.id")
    system: str = Field(max_length=63)
    cidr: str = Field(max_length=43)
    allocated_at: datetime = _ts()
