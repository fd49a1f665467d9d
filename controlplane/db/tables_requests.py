"""Tables of request governance: principals, quotas and their usage, the approval chain
each request's approval decisions and provisioning outcomes.

``principal``, ``quota`` and ``approval_step`` are declared by the estate file (written
only by ``estate apply``); ``quota_usage``, ``quota_reservation``,
``request_approval`` and ``request_outcome`` are written by the request lifecycle. Tenants and providers are
referenced by code/name (the estate's own keys), which keeps the estate apply a plain
declarative diff; the estate's semantic checks guarantee they exist.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from controlplane.db.types import Money, UTCDateTime

__all__ = [
    "ApprovalStep",
    "BudgetLock",
    "BudgetReservation",
    "Principal",
    "Quota",
    "QuotaReservation",
    "QuotaUsage",
    "RequestApproval",
    "RequestOutcome",
]


def _ts(*, nullable: bool = False) -> Any:
    return Field(sa_type=UTCDateTime(), nullable=nullable)


def _amount() -> Any:
    # vCPU and GiB may be fractional (Kubernetes quantities such as 500m); exact, never float
    return Field(default=Decimal(0), sa_type=Money(), nullable=False)


class Principal(SQLModel, table=True):
    """Someone commands act as (``--as``), with the roles the estate binds to them."""

    __tablename__ = "principal"

    name: str = Field(primary_key=True, max_length=128)
    roles: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    tenant: str | None = Field(default=None, max_length=63)


class Quota(SQLModel, table=True):
    """A department's limits on one provider (``None``: unlimited)."""

    __tablename__ = "quota"
    __table_args__ = (UniqueConstraint("tenant", "provider"),)

    id: int | None = Field(default=None, primary_key=True)
    tenant: str = Field(max_length=63)
    provider: str = Field(max_length=63)
    vcpu: int | None = None
    memory_gib: int | None = None
    storage_gib: int | None = None
    public_ips: int | None = None
    namespaces: int | None = None


class ApprovalStep(SQLModel, table=True):
    """One step of the estate's approval chain, in ``position`` order."""

    __tablename__ = "approval_step"

    name: str = Field(primary_key=True, max_length=63)
    position: int
    role: str = Field(max_length=16)
    condition: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class QuotaUsage(SQLModel, table=True):
    """What a department holds on one provider: the row reservations lock and update."""

    __tablename__ = "quota_usage"
    __table_args__ = (UniqueConstraint("tenant", "provider"),)

    id: int | None = Field(default=None, primary_key=True)
    tenant: str = Field(max_length=63)
    provider: str = Field(max_length=63)
    vcpu: Decimal = _amount()
    memory_gib: Decimal = _amount()
    storage_gib: Decimal = _amount()
    public_ips: int = 0
    namespaces: int = 0
    version: int = 0


class QuotaReservation(SQLModel, table=True):
    """The amounts one request holds; an update supersedes the system's previous one."""

    __tablename__ = "quota_reservation"

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="request.id", index=True)
    tenant: str = Field(max_length=63)
    provider: str = Field(max_length=63)
    system_name: str = Field(max_length=63)
    vcpu: Decimal = _amount()
    memory_gib: Decimal = _amount()
    storage_gib: Decimal = _amount()
    public_ips: int = 0
    namespaces: int = 0
    active: bool = True
    superseded_by: int | None = Field(default=None, foreign_key="request.id")
    created_at: datetime = _ts()
    released_at: datetime | None = _ts(nullable=True)


class BudgetLock(SQLModel, table=True):
    """One row per department that budget reservations lock (``SELECT … FOR UPDATE``)."""

    __tablename__ = "budget_lock"

    tenant: str = Field(primary_key=True, max_length=63)
    version: int = 0


class BudgetReservation(SQLModel, table=True):
    """The yearly cost one approved-to-be request holds against its department's budget."""

    __tablename__ = "budget_reservation"

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="request.id", index=True)
    tenant: str = Field(max_length=63, index=True)
    system_name: str = Field(max_length=63)
    annual: Decimal = Field(default=Decimal(0), sa_type=Money(), nullable=False)
    active: bool = True
    superseded_by: int | None = Field(default=None, foreign_key="request.id")
    created_at: datetime = _ts()
    released_at: datetime | None = _ts(nullable=True)


class RequestApproval(SQLModel, table=True):
    """One approval step a request must pass, and its decision (who, when, why)."""

    __tablename__ = "request_approval"
    __table_args__ = (UniqueConstraint("request_id", "step"),)

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="request.id", index=True)
    step: str = Field(max_length=63)
    position: int
    role: str = Field(max_length=16)
    status: str = Field(default="pending", max_length=16)  # pending | approved | rejected
    decided_by: str | None = Field(default=None, max_length=128)
    decided_at: datetime | None = _ts(nullable=True)
    reason: str | None = None


class RequestOutcome(SQLModel, table=True):
    """What provisioning did to one resource of a request's plan (latest attempt)."""

    __tablename__ = "request_outcome"
    __table_args__ = (UniqueConstraint("request_id", "kind", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="request.id", index=True)
    kind: str = Field(max_length=32)
    name: str = Field(max_length=255)
    action: str = Field(max_length=16)  # created | updated | unchanged | deleted | absent | failed
    resource_id: str | None = Field(default=None, max_length=128)
    error: str | None = None
    retryable: bool = False
    attempt: int = 1
    at: datetime = _ts()
