"""The facade's read models: frozen copies of what callers may see, never table rows.

Each model keeps the attribute names of the row it is read from (so a renderer written
for the row reads the model unchanged) and is built with ``Model.of(row)``; a row
attribute the caller must not see (credentials, internal ids) is simply not declared.
Results the services already return as frozen dataclasses (plans, resource and drift
views, statements, sync and metering reports) pass through as they are.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, model_validator

from controlplane.i18n import Lang

__all__ = [
    "AdjustmentInfo",
    "ApplyInfo",
    "ApprovalInfo",
    "AuditEventInfo",
    "AuditRunInfo",
    "AvailabilityInfo",
    "EstateInfo",
    "EventInfo",
    "FlavorInfo",
    "GapAckInfo",
    "ImageInfo",
    "OutcomeInfo",
    "ProviderInfo",
    "ProviderStateInfo",
    "QuotaPushInfo",
    "RateCardInfo",
    "RateInfo",
    "ReadModel",
    "RequestDetailInfo",
    "RequestInfo",
    "RevisionInfo",
    "SystemInfo",
    "TenantInfo",
    "ViolationInfo",
    "WaiverInfo",
]


class ReadModel(BaseModel):
    model_config = ConfigDict(frozen=True, from_attributes=True)

    @classmethod
    def of(cls, row: Any, **extra: Any) -> Self:
        """A frozen copy of ``row``'s declared attributes (``extra`` supplies the rest)."""
        values = {name: getattr(row, name) for name in cls.model_fields if name not in extra}
        return cls.model_validate({**values, **extra})


class ProviderInfo(ReadModel):
    name: str
    tier: str
    platform: str
    kind: str
    engine: str
    cloud: str | None
    context: str | None
    region: str
    city: str | None
    sector: str | None
    certified_level: int
    xinchuang: bool
    arch: str
    cpu_vendor: str | None
    in_province: bool
    capacity_vcpu: int | None
    capacity_memory_gib: int | None
    capacity_storage_gib: int | None
    capacity_public_ips: int | None
    availability_target: Decimal | None
    updated_at: datetime

    @model_validator(mode="before")
    @classmethod
    def _own_platform(cls, data: Any) -> Any:
        # a provider the estate groups under no platform is a platform of its own
        if isinstance(data, dict) and data.get("platform") is None:
            return {**data, "platform": data.get("name")}
        return data


class ProviderStateInfo(ReadModel):
    """A provider's connection state: its latest health probe (``None``: never probed)."""

    name: str
    reachable: bool | None
    auth_ok: bool | None
    latency_ms: float | None
    checked_at: datetime | None
    error_code: str | None

    @property
    def up(self) -> bool | None:
        return None if self.reachable is None else bool(self.reachable and self.auth_ok)


class TenantInfo(ReadModel):
    code: str
    name: str
    name_en: str | None
    level: str
    city: str | None
    sector: str | None
    budget: Decimal
    updated_at: datetime


class FlavorInfo(ReadModel):
    name: str
    vcpu: int
    memory_gib: int


class ImageInfo(ReadModel):
    name: str
    os: str
    xinchuang: bool
    hardened: bool
    arches: tuple[str, ...]


class RateInfo(ReadModel):
    meter: str
    unit: str
    proration: str
    tier: str
    price: Decimal


class RateCardInfo(ReadModel):
    version: str
    effective_from: date
    effective_to: date | None
    currency: str
    approval_ref: str | None
    approved_by: str | None
    rates: tuple[RateInfo, ...]


class RevisionInfo(ReadModel):
    id: int
    name: str
    spec_hash: str
    applied_by: str
    applied_at: datetime


class EstateInfo(ReadModel):
    revision: RevisionInfo | None
    providers: tuple[ProviderInfo, ...]
    tenants: tuple[TenantInfo, ...]
    flavors: tuple[FlavorInfo, ...]
    images: tuple[ImageInfo, ...]
    rate_cards: tuple[RateCardInfo, ...]


class RequestInfo(ReadModel):
    """A request; ``provider``: the cloud its plan placed it on (``None``: nowhere yet;
    see :func:`controlplane.requests.reads.request_provider`)."""

    id: int
    tenant: str
    system_name: str
    action: str
    state: str
    requester: str
    spec_hash: str
    created_at: datetime
    updated_at: datetime
    provider: str | None = None


class EventInfo(ReadModel):
    at: datetime
    from_state: str | None
    to_state: str
    actor: str
    reason: str | None


class ApprovalInfo(ReadModel):
    step: str
    role: str
    status: str
    decided_by: str | None
    decided_at: datetime | None
    reason: str | None


class OutcomeInfo(ReadModel):
    kind: str
    name: str
    action: str
    resource_id: str | None
    error: str | None
    retryable: bool


class RequestDetailInfo(ReadModel):
    request: RequestInfo
    tenant: str
    spec: dict[str, Any]
    plan: dict[str, Any]
    events: tuple[EventInfo, ...]
    approvals: tuple[ApprovalInfo, ...]
    outcomes: tuple[OutcomeInfo, ...]


class ApplyInfo(ReadModel):
    """What ``apply``/``delete`` did to one document: a new request, or nothing."""

    request: RequestInfo | None
    noop: bool
    message_zh: str
    message_en: str
    #: the plan recorded with the new request (why it was denied, where it goes)
    plan: dict[str, Any] | None = None
    #: the request was denied because it would exceed the department's quota
    quota_refused: bool = False

    def describe(self, lang: Lang = "en") -> str:
        return self.message_zh if lang == "zh" else self.message_en


class ViolationInfo(ReadModel):
    """A violation; ``provider``: the cloud it is on — its resource's, else its
    system's (``None``: neither known; see
    :func:`controlplane.compliance.listing.violation_provider`)."""

    id: int
    rule_id: str
    subject_kind: str
    subject_id: str
    field: str | None
    system: str | None
    tenant: str | None
    severity: str
    high_risk: bool
    state: str
    resolution: str | None
    waiver_id: str | None
    message_zh: str
    message_en: str
    opened_at: datetime
    last_seen_at: datetime
    resolved_at: datetime | None
    provider: str | None = None


class WaiverInfo(ReadModel):
    id: int
    rule_id: str
    scope: str
    target: str
    reason: str
    requester: str
    requested_at: datetime
    expires_at: datetime
    state: str
    approver: str | None
    approved_at: datetime | None


class SystemInfo(ReadModel):
    """An information system (信息系统): its grading and where it runs."""

    name: str
    tenant: str
    provider: str | None
    level: int
    data_classification: str
    xinchuang: bool
    status: str
    created_at: datetime
    updated_at: datetime


class AuditEventInfo(ReadModel):
    """One event of the hash-chained audit log (``hash``: its seal)."""

    seq: int
    at: datetime
    actor: str
    action: str
    subject: str
    payload: dict[str, Any]
    hash: str
    key_id: str | None


class AuditRunInfo(ReadModel):
    """The figures of one compliance audit run."""

    run: int
    started_at: str
    finished_at: str | None
    resources: int
    rules_bound: int
    results: int
    outcomes: dict[str, int]
    violations: dict[str, int]


class AdjustmentInfo(ReadModel):
    month: str
    tenant: str
    kind: str
    reason: str
    approver: str
    amount: Decimal
    relates_to: str
    provider: str
    evidence: str
    actor: str
    at: datetime


class GapAckInfo(ReadModel):
    provider: str
    start: datetime
    end: datetime
    reason: str
    actor: str
    at: datetime


class AvailabilityInfo(ReadModel):
    provider: str
    month: str
    availability: Decimal
    evidence: str
    actor: str
    at: datetime


class QuotaPushInfo(ReadModel):
    """The estate's quota set on one provider for one department (``error``: refused)."""

    tenant: str
    provider: str
    error: str | None = None
    message_zh: str | None = None
    message_en: str | None = None

    def describe(self, lang: Lang = "en") -> str | None:
        return self.message_zh if lang == "zh" else self.message_en
