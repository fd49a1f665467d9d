"""The tables: estate (providers, tenants, catalogue, rate cards), systems, requests,
resources and the audit log.

Table models only; request/response shapes live with the services that use them. Money
is :class:`~controlplane.db.types.Money` (exact), time is
:class:`~controlplane.db.types.UTCDateTime` (aware UTC). Every change of schema is an
Alembic migration under ``controlplane/db/migrations``.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from controlplane.db.types import Money, UTCDateTime

__all__ = [
    "AuditEvent",
    "EstateRevision",
    "Flavor",
    "Image",
    "PolicyBindingDoc",
    "Provider",
    "Rate",
    "RateCard",
    "Request",
    "RequestEvent",
    "Resource",
    "System",
    "Tenant",
    "TenantDiscount",
]


def _ts(*, nullable: bool = False, index: bool = False) -> Any:
    return Field(sa_type=UTCDateTime(), nullable=nullable, index=index)


def _money(*, nullable: bool = False) -> Any:
    return Field(sa_type=Money(), nullable=nullable)


def _json() -> Any:
    return Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class EstateRevision(SQLModel, table=True):
    """One applied estate file that changed something (no-op applies add none)."""

    __tablename__ = "estate_revision"

    id: int | None = Field(default=None, primary_key=True)
    name: str
    spec_hash: str = Field(max_length=64)
    applied_by: str
    applied_at: datetime = _ts()
    summary: dict[str, Any] = _json()


class PolicyBindingDoc(SQLModel, table=True):
    """The estate's policy section (packs bound to the province and its overlays).

    Stored as the validated document so admission and audit resolve exactly what was
    applied; one row (id 1) per estate.
    """

    __tablename__ = "policy_binding"

    id: int | None = Field(default=None, primary_key=True)
    document: dict[str, Any] = _json()
    updated_at: datetime = _ts()


class Provider(SQLModel, table=True):
    """A cloud of the 1+M+N estate. Credentials are a reference, never a secret."""

    __tablename__ = "provider"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True, max_length=63)
    tier: str = Field(max_length=16)  # provincial | municipal | sector
    # the platform this provider is a pool of; None (rows before 0016): its own name
    platform: str | None = Field(default=None, max_length=63)
    kind: str = Field(max_length=16)  # openstack | kubernetes | simulator
    # sdk | pulumi: which engine provisions on this provider
    engine: str = Field(default="sdk", max_length=8, sa_column_kwargs={"server_default": "sdk"})
    cloud: str | None = Field(default=None, max_length=128)  # clouds.yaml cloud name
    context: str | None = Field(default=None, max_length=128)  # kubeconfig context
    region: str = Field(max_length=63)
    city: str | None = Field(default=None, max_length=63, index=True)
    sector: str | None = Field(default=None, max_length=63, index=True)
    certified_level: int
    xinchuang: bool = False
    arch: str = Field(max_length=16)
    cpu_vendor: str | None = Field(default=None, max_length=32)
    in_province: bool = True
    # None: the estate does not track that dimension (shown, never enforced)
    capacity_vcpu: int | None = None
    capacity_memory_gib: int | None = None
    capacity_storage_gib: int | None = None
    capacity_public_ips: int | None = None
    availability_target: Decimal | None = _money(nullable=True)
    # [{"below": "99.9", "deduct": "5"}]: percent thresholds and deductions (服务水平考核)
    sla_deductions: list[dict[str, str]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False, server_default="[]")
    )
    seed: int | None = None  # simulator only
    address_pool: str | None = Field(default=None, max_length=43)  # systems' subnets
    # {"date", "agency", "conclusion", "certificate", "validUntil"} as the estate wrote it
    assessment: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    created_at: datetime = _ts()
    updated_at: datetime = _ts()


class Tenant(SQLModel, table=True):
    """A department (委办局): the unit of requests, quotas, RBAC scope and bills."""

    __tablename__ = "tenant"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True, max_length=63)
    name: str = Field(max_length=200)
    name_en: str | None = Field(default=None, max_length=200)
    level: str = Field(max_length=16)  # provincial | municipal
    city: str | None = Field(default=None, max_length=63, index=True)
    sector: str | None = Field(default=None, max_length=63)
    budget: Decimal = _money()
    created_at: datetime = _ts()
    updated_at: datetime = _ts()


class Flavor(SQLModel, table=True):
    """A catalogue flavour manifests may name."""

    __tablename__ = "flavor"

    name: str = Field(primary_key=True, max_length=63)
    vcpu: int
    memory_gib: int


class Image(SQLModel, table=True):
    """A catalogue image manifests may name, with its 信创 and hardening facts."""

    __tablename__ = "image"

    name: str = Field(primary_key=True, max_length=63)
    os: str = Field(max_length=63)
    xinchuang: bool = False
    hardened: bool = False
    arches: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    checksum: str | None = Field(default=None, max_length=140)
    signature: str | None = Field(default=None, max_length=256)
    patched_on: date | None = None


class RateCard(SQLModel, table=True):
    """One version of the service catalogue's prices (服务目录), effective-dated."""

    __tablename__ = "rate_card"

    id: int | None = Field(default=None, primary_key=True)
    version: str = Field(unique=True, max_length=32)
    effective_from: date
    effective_to: date | None = None  # exclusive
    currency: str = Field(default="CNY", max_length=3)
    approval_ref: str | None = Field(default=None, max_length=128)  # 文号
    approved_by: str | None = Field(default=None, max_length=128)


class Rate(SQLModel, table=True):
    """The monthly unit price of one meter on one tier, in one rate-card version."""

    __tablename__ = "rate"
    __table_args__ = (UniqueConstraint("rate_card_id", "meter", "tier"),)

    id: int | None = Field(default=None, primary_key=True)
    rate_card_id: int = Field(foreign_key="rate_card.id", index=True)
    meter: str = Field(max_length=63)
    unit: str = Field(max_length=16)
    proration: str = Field(default="hour", max_length=8)  # hour | day | month
    tier: str = Field(max_length=16)
    price: Decimal = _money()


class TenantDiscount(SQLModel, table=True):
    """An effective-dated discount on one department's charges (by approving document)."""

    __tablename__ = "tenant_discount"
    __table_args__ = (UniqueConstraint("tenant", "effective_from"),)

    id: int | None = Field(default=None, primary_key=True)
    tenant: str = Field(max_length=63, index=True)
    effective_from: date
    effective_to: date | None = None  # exclusive
    percent: Decimal = _money()
    reference: str | None = Field(default=None, max_length=128)


class System(SQLModel, table=True):
    """An information system (信息系统): the unit of 等保 grading and of placement."""

    __tablename__ = "system"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    tenant_id: int = Field(foreign_key="tenant.id", index=True)
    name: str = Field(max_length=63)
    provider_id: int | None = Field(default=None, foreign_key="provider.id", index=True)
    level: int
    data_classification: str = Field(max_length=16)
    xinchuang: bool = False
    spec_hash: str | None = Field(default=None, max_length=64)
    status: str = Field(default="requested", max_length=24)
    # spec.records of the manifest (filing, assessment, approvals) plus internetFacing
    records: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False, server_default="{}")
    )
    created_at: datetime = _ts()
    updated_at: datetime = _ts()


class Request(SQLModel, table=True):
    """A department's request to create, change or delete one system."""

    __tablename__ = "request"

    id: int | None = Field(default=None, primary_key=True)
    tenant_id: int = Field(foreign_key="tenant.id", index=True)
    system_id: int | None = Field(default=None, foreign_key="system.id", index=True)
    system_name: str = Field(max_length=63)
    action: str = Field(max_length=8)  # apply | delete
    state: str = Field(max_length=24, index=True)
    spec: dict[str, Any] = _json()
    spec_hash: str = Field(max_length=64)
    requester: str = Field(max_length=128)
    plan: dict[str, Any] = _json()
    created_at: datetime = _ts()
    updated_at: datetime = _ts()
    # the lease of whoever is provisioning it now (a serve replica, the CLI), taken by a
    # conditional update (controlplane.requests.claims); an expired lease is free again
    claimed_by: str | None = Field(default=None, max_length=128)
    claimed_until: datetime | None = _ts(nullable=True)
    attempts: int = 0  # provisioning attempts started
    # when the reconciler may retry a Failed request (temporary errors, with back-off);
    # None on a permanent failure: the operator decides
    retry_at: datetime | None = _ts(nullable=True)


class RequestEvent(SQLModel, table=True):
    """One state transition of a request: who moved it, when and why."""

    __tablename__ = "request_event"

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="request.id", index=True)
    at: datetime = _ts()
    from_state: str | None = Field(default=None, max_length=24)
    to_state: str = Field(max_length=24)
    actor: str = Field(max_length=128)
    reason: str | None = None


#: The inventory list's order (provider, tenant, system, kind, name, id), all on the row.
_LIST_KEY = ("provider_name", "tenant_code", "system_name", "kind", "name", "resource_id")
#: The columns a list may be sorted by first that have an index of their own.
_LIST_INDEXED = ("tenant_code", "kind", "name", "status")


class Resource(SQLModel, table=True):
    """A cloud resource as last observed on its provider (managed or not)."""

    __tablename__ = "resource"
    __table_args__ = (
        UniqueConstraint("provider_id", "kind", "resource_id"),
        Index("ix_resource_tenant_system", "tenant_id", "system_id"),
        # a violation's resource, whatever its cloud (controlplane.compliance.listing)
        Index("ix_resource_subject", "resource_id", "kind"),
        # the inventory list's order, and the same order after a leading sort column: a
        # page is a range of one of these (see controlplane.inventory.query)
        Index("ix_resource_list", *_LIST_KEY),
        *(Index(f"ix_resource_list_{c}", c, *(k for k in _LIST_KEY if k != c))
          for c in _LIST_INDEXED),
    )  # fmt: skip

    id: int | None = Field(default=None, primary_key=True)
    provider_id: int = Field(foreign_key="provider.id", index=True)
    tenant_id: int | None = Field(default=None, foreign_key="tenant.id")
    system_id: int | None = Field(default=None, foreign_key="system.id")
    kind: str = Field(max_length=32)
    resource_id: str = Field(max_length=128)
    name: str = Field(max_length=255)
    status: str = Field(max_length=32)
    managed: bool = True
    spec: dict[str, Any] = _json()
    created_at: datetime = _ts()
    observed_at: datetime = _ts()
    deleted_at: datetime | None = _ts(nullable=True)
    # the owners' names ('' for none) beside their ids, so the list's order is the row's
    # own columns; written with the ids (an owner's name never changes), never defaulted
    provider_name: str = Field(max_length=63)
    tenant_code: str = Field(max_length=63)
    system_name: str = Field(max_length=63)


class AuditEvent(SQLModel, table=True):
    """One mutation, appended to a keyed hash chain (each hash covers the previous one)."""

    __tablename__ = "audit_event"

    seq: int | None = Field(default=None, primary_key=True)
    at: datetime = _ts()
    actor: str = Field(max_length=128)
    action: str = Field(max_length=64)
    subject: str = Field(max_length=255)
    payload: dict[str, Any] = _json()
    algorithm: str = Field(default="sha256", max_length=8)
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64, unique=True)
    # the key ring entry that sealed the event (HMAC); NULL for events chained before
    # the key ring existed, which only a plain digest covers (see controlplane.audit)
    key_id: str | None = Field(default=None, max_length=32)
