"""Provider-neutral value types exchanged with drivers.

Owns the frozen dataclasses every driver speaks: what a system wants
(``SystemRef`` + ``DesiredResource``), what ``apply``/``delete`` did (``ApplyOutcome``),
what a cloud holds (``ObservedResource``), what was allocated over time
(``UsageObservation``), reachability (``HealthReport``) and tenant quotas (``QuotaSet``).
Also the tag keys that mark govcloud-managed resources, and a canonical spec
fingerprint drivers use to decide "unchanged" vs "updated".

Must not import anything internal except ``providers.errors``, nor any cloud SDK.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Literal

from providers.errors import ProviderError

__all__ = [
    "LABEL_PREFIX",
    "TAG_MANAGED",
    "TAG_REQUEST",
    "TAG_SYSTEM",
    "TAG_TENANT",
    "Action",
    "ApplyOutcome",
    "DesiredResource",
    "HealthReport",
    "ObservedResource",
    "QuotaSet",
    "SystemRef",
    "UsageObservation",
    "canonical_spec",
    "managed_identity",
    "spec_fingerprint",
    "spec_record",
]

TAG_TENANT = "govcloud:tenant"
TAG_SYSTEM = "govcloud:system"
TAG_REQUEST = "govcloud:request"
TAG_MANAGED = "govcloud:managed"
#: Kubernetes label keys cannot contain ``:``; drivers there use ``govcloud.io/<key>``.
LABEL_PREFIX = "govcloud.io/"

Action = Literal["created", "updated", "unchanged", "deleted", "absent", "failed"]


def _require_aware(value: datetime, what: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware, got naive {value.isoformat()}")


@dataclass(frozen=True, slots=True)
class SystemRef:
    """One information system (信息系统) of a tenant, as provisioned by one request."""

    tenant: str
    system: str
    request_id: str
    level: int

    def __post_init__(self) -> None:
        if not self.tenant or not self.system:
            raise ValueError("SystemRef needs a tenant and a system name")
        if not 1 <= self.level <= 4:
            raise ValueError(f"等保 level must be 1..4, got {self.level}")

    def tags(self) -> dict[str, str]:
        """Tags put on every resource created for this system (OpenStack form)."""
        return {
            TAG_TENANT: self.tenant,
            TAG_SYSTEM: self.system,
            TAG_REQUEST: self.request_id,
            TAG_MANAGED: "true",
        }

    def labels(self) -> dict[str, str]:
        """The same marks as Kubernetes labels (``govcloud.io/tenant`` ...)."""
        return {LABEL_PREFIX + key.split(":", 1)[1]: value for key, value in self.tags().items()}

    def owns(self, tenant: str | None, system: str | None) -> bool:
        """Whether a resource tagged ``tenant``/``system`` belongs to this system.

        The request id is deliberately not compared: a later request for the same
        system adopts what an earlier one created instead of duplicating it.
        """
        return tenant == self.tenant and system == self.system


def managed_identity(tags: Mapping[str, str]) -> tuple[str, str, str | None] | None:
    """``(tenant, system, request_id)`` from govcloud tags or labels; ``None`` if unmanaged."""
    normalized = {key.replace(LABEL_PREFIX, "govcloud:", 1): v for key, v in tags.items()}
    if normalized.get(TAG_MANAGED) != "true":
        return None
    tenant = normalized.get(TAG_TENANT)
    system = normalized.get(TAG_SYSTEM)
    if not tenant or not system:
        return None
    return tenant, system, normalized.get(TAG_REQUEST)


def _json_default(value: object) -> object:
    if isinstance(value, Decimal | datetime):
        return str(value)
    if isinstance(value, tuple | frozenset | set):
        return sorted(value, key=repr) if not isinstance(value, tuple) else list(value)
    raise TypeError(f"spec value of type {type(value).__name__} is not plain data")


def canonical_spec(spec: Mapping[str, object]) -> str:
    """A canonical JSON text of a spec: key order, tuple-vs-list and Decimal are neutral."""
    return json.dumps(
        spec, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_json_default
    )


def spec_record(spec: Mapping[str, object]) -> dict[str, object]:
    """``spec`` as a dict for a JSON record: the spec itself when it is one.

    Specs are never changed in place (see :class:`DesiredResource`), so a record shares
    it: ``apply`` of a large file holds every plan's record, and copying each resource's
    spec into the plan's changes and its desired list doubled what they hold.
    """
    return spec if isinstance(spec, dict) else dict(spec)


def spec_fingerprint(spec: Mapping[str, object]) -> str:
    """A short stable digest of ``canonical_spec`` (safe to store as a tag value)."""
    return hashlib.sha256(canonical_spec(spec).encode()).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class DesiredResource:
    """A resource a system wants, in provider-neutral terms.

    ``kind`` is a name from ``providers.kinds.KINDS``; ``name`` is unique within a
    system and kind; ``spec`` is kind-specific plain data and is treated as immutable.
    ``depends_on`` lists ``"kind/name"`` (or a bare ``name`` when unambiguous) of
    resources of the same system that must exist first.
    """

    kind: str
    name: str
    spec: Mapping[str, object] = field(default_factory=dict, hash=False)
    depends_on: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.kind or not self.name:
            raise ValueError("DesiredResource needs a kind and a name")

    @property
    def key(self) -> str:
        """``kind/name``: the identity of this resource inside its system."""
        return f"{self.kind}/{self.name}"


@dataclass(frozen=True, slots=True)
class ApplyOutcome:
    """What ``apply`` or ``delete`` did to one resource.

    ``changes`` names the spec keys that differed when ``action == "updated"``;
    ``facts`` are what the cloud holds beyond the desired spec and drift must watch
    (``{"cloud_name": "portal-web-1"}``: the name the driver gave the resource).
    """

    kind: str
    name: str
    action: Action
    resource_id: str | None
    error: ProviderError | None = None
    changes: tuple[str, ...] = ()
    facts: Mapping[str, object] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        if (self.action == "failed") != (self.error is not None):
            raise ValueError("an ApplyOutcome carries an error exactly when it failed")

    @property
    def ok(self) -> bool:
        return self.action != "failed"


@dataclass(frozen=True, slots=True)
class ObservedResource:
    """A resource as seen in a cloud; ``managed=False`` means it has no govcloud tags."""

    provider: str
    kind: str
    resource_id: str
    name: str
    tenant: str | None
    system: str | None
    request_id: str | None
    status: str
    spec: Mapping[str, object] = field(hash=False)
    created_at: datetime
    managed: bool

    def __post_init__(self) -> None:
        _require_aware(self.created_at, "ObservedResource.created_at")


@dataclass(frozen=True, slots=True)
class UsageObservation:
    """``quantity`` units of ``meter`` allocated during the half-open ``[start, end)``.

    ``source_key`` is a stable natural key: observing the same allocation over the
    same window yields the same key on every call, so collection is idempotent.
    """

    provider: str
    resource_id: str
    tenant: str | None
    system: str | None
    meter: str
    quantity: Decimal
    start: datetime
    end: datetime
    source_key: str

    def __post_init__(self) -> None:
        _require_aware(self.start, "UsageObservation.start")
        _require_aware(self.end, "UsageObservation.end")
        if not self.start < self.end:
            raise ValueError(f"usage interval must be non-empty: {self.start} >= {self.end}")
        if not isinstance(self.quantity, Decimal):
            raise TypeError("UsageObservation.quantity must be a Decimal")
        if self.quantity < 0:
            raise ValueError("UsageObservation.quantity must not be negative")


@dataclass(frozen=True, slots=True)
class HealthReport:
    """The result of one reachability and authentication probe."""

    provider: str
    reachable: bool
    auth_ok: bool
    latency_ms: float | None
    checked_at: datetime
    detail: str

    def __post_init__(self) -> None:
        _require_aware(self.checked_at, "HealthReport.checked_at")

    @property
    def healthy(self) -> bool:
        return self.reachable and self.auth_ok


@dataclass(frozen=True, slots=True)
class QuotaSet:
    """Per-tenant limits; ``None`` means unlimited (or not applicable to the platform)."""

    vcpu: int | None = None
    memory_gib: int | None = None
    storage_gib: int | None = None
    public_ips: int | None = None
    namespaces: int | None = None

    def __post_init__(self) -> None:
        for name in ("vcpu", "memory_gib", "storage_gib", "public_ips", "namespaces"):
            value = getattr(self, name)
            if value is not None and value < 0:
                raise ValueError(f"quota {name} must not be negative, got {value}")
