"""The plain data rules evaluate: a request's plan (``PlanView``) or one inventory resource
(``ResourceView``), each with the facts of its information system and provider.

These are frozen dataclasses the request pipeline and the inventory sync map their own
records into; a fact govcloud does not hold yet is ``None``, and rules report
``not_evaluable`` naming it rather than passing. ``ResourceView.attrs`` holds the
kind-specific attributes a provider observed (``encrypted``, ``port_security_enabled``,
``visibility``...). Imports only :func:`tenants.quick_init`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from types import MappingProxyType

from tenants import quick_init

__all__ = [
    "DATA_GRADES",
    "INTERNET_SOURCES",
    "BackupView",
    "ComputeItem",
    "EncryptionView",
    "ImageFacts",
    "IngressRule",
    "KubernetesView",
    "LoggingView",
    "PlanView",
    "ProviderFacts",
    "ResourceView",
    "SiteFacts",
    "SystemFacts",
    "VolumeView",
    "grade_rank",
]

DATA_GRADES = ("general", "important", "core")
"""GB/T 43697-2024 grades, 一般 < 重要 < 核心."""

INTERNET_SOURCES = frozenset({"internet", "0.0.0.0/0", "::/0", "any"})

_EMPTY: Mapping[str, object] = MappingProxyType({})
_NO_QUOTA: Mapping[str, str] = MappingProxyType({})


def grade_rank(grade: str | None) -> int:
    """0 general, 1 important, 2 core; -1 for an unknown or missing grade."""
    return DATA_GRADES.index(grade) if grade in DATA_GRADES else -1


@dataclass(frozen=True, slots=True)
class ProviderFacts:
    """What the estate records about one cloud of the 1+M+N estate."""

    name: str
    tier: str
    country: str | None = None
    province: str | None = None
    city: str | None = None
    sector: str | None = None
    site: str | None = None
    certified_level: int | None = None
    xinchuang: bool | None = None
    arch: str | None = None
    cpu_vendor: str | None = None
    dedicated_l4_pool: bool | None = None
    management_networks: frozenset[str] = frozenset()
    assessment_conclusion: str | None = None
    assessment_date: date | None = None
    csa_valid_until: date | None = None


@quick_init
@dataclass(frozen=True, slots=True)
class SystemFacts:
    """The control plane's record of one information system (信息系统)."""

    name: str
    tenant: str
    level: int | None
    data_grade: str | None = None
    data_category: str | None = None
    filing_number: str | None = None
    xinchuang_required: bool = False
    classified: bool | None = None
    internet_facing: bool | None = None
    boundary_approval: str | None = None
    owner_province: str | None = None
    data_security_officer: str | None = None
    risk_assessed_on: date | None = None
    assessed_on: date | None = None
    major_change_pending: bool = False
    local_export_on: date | None = None
    grading_evidence: str | None = None
    assessment_agency: str | None = None
    assessment_conclusion: str | None = None
    # when the system went live: paperwork findings are deferred for a grace period after
    live_since: datetime | None = None


@dataclass(frozen=True, slots=True)
class ImageFacts:
    """A catalogue image as the estate describes it; ``in_catalog=False`` if unknown."""

    name: str
    in_catalog: bool = True
    hardened: bool | None = None
    xinchuang: bool | None = None
    os_family: str | None = None
    arch: tuple[str, ...] = ()
    patched_on: date | None = None
    checksum: str | None = None
    signed: bool | None = None


@quick_init
@dataclass(frozen=True, slots=True)
class VolumeView:
    size_gib: int
    type: str = "ssd"
    encrypted: bool | None = None


@quick_init
@dataclass(frozen=True, slots=True)
class ComputeItem:
    """One ``spec.compute[i]`` entry with its image facts resolved."""

    name: str
    flavor: str
    count: int
    image: ImageFacts
    volumes: tuple[VolumeView, ...] = ()
    networks: tuple[str, ...] = ()
    critical: bool = False
    anti_affinity: bool = False


@quick_init
@dataclass(frozen=True, slots=True)
class IngressRule:
    """One allowed inbound flow; ``port_min is None`` means every port.

    ``source`` is ``internet``, a CIDR, ``tenant:<code>`` or ``system:<name>``;
    ``source_level`` is the 等保 level of the source zone when the pipeline knows it,
    and ``via_boundary`` says the path crosses a registered boundary device.
    """

    source: str
    port_min: int | None
    port_max: int | None = None
    protocol: str = "tcp"
    source_level: int | None = None
    via_boundary: bool = False

    @property
    def from_internet(self) -> bool:
        return self.source in INTERNET_SOURCES

    @property
    def all_ports(self) -> bool:
        return (
            self.protocol in ("any", "all")
            or self.port_min is None
            or (self.port_min <= 1 and self.upper >= 65535)
        )

    @property
    def upper(self) -> int:
        if self.port_max is not None:
            return self.port_max
        return self.port_min if self.port_min is not None else 65535

    @property
    def width(self) -> int:
        return 65535 if self.port_min is None else self.upper - self.port_min + 1

    def covers(self, port: int) -> bool:
        if self.port_min is None:
            return True
        return self.port_min <= port <= self.upper


@quick_init
@dataclass(frozen=True, slots=True)
class BackupView:
    enabled: bool
    offsite: bool = False
    retention_days: int | None = None
    target_country: str | None = None
    target_site: str | None = None


@quick_init
@dataclass(frozen=True, slots=True)
class LoggingView:
    retention_days: int | None
    immutable: bool | None = None
    disables_audit_sink: bool = False


@quick_init
@dataclass(frozen=True, slots=True)
class EncryptionView:
    at_rest: str | None = None
    in_transit: str | None = None
    customer_managed_key: bool | None = None
    kms_gm_certified: bool | None = None


@quick_init
@dataclass(frozen=True, slots=True)
class KubernetesView:
    """``spec.kubernetes``: the quota plus the pod-security stance the namespace gets."""

    quota: Mapping[str, str] = field(default_factory=lambda: _NO_QUOTA)
    default_deny: bool = True
    privileged: bool = False


@quick_init
@dataclass(frozen=True, slots=True)
class PlanView:
    """A request's plan, normalised: the system, the chosen provider and what it asks for.

    ``provider`` is ``None`` until placement has chosen one; ``as_of`` is the clock the
    plan was made at (ages of patches and assessments are measured from it).
    """

    request: str
    tenant: str
    system: SystemFacts
    as_of: datetime
    provider: ProviderFacts | None = None
    compute: tuple[ComputeItem, ...] = ()
    kubernetes: KubernetesView | None = None
    ingress: tuple[IngressRule, ...] = ()
    backup: BackupView | None = None
    logging: LoggingView | None = None
    encryption: EncryptionView | None = None
    port_security: bool = True
    change_ticket: str | None = None
    is_update: bool = False

    @property
    def volumes(self) -> tuple[tuple[str, VolumeView], ...]:
        """Every volume with its manifest path."""
        return tuple(
            (f"spec.compute[{i}].volumes[{j}]", volume)
            for i, item in enumerate(self.compute)
            for j, volume in enumerate(item.volumes)
        )


@dataclass(frozen=True, slots=True)
class SiteFacts:
    """Where a resource physically is, as far as inventory recorded it."""

    country: str | None = None
    province: str | None = None
    city: str | None = None
    az: str | None = None
    site: str | None = None
    storage_backend: str | None = None


@dataclass(frozen=True, slots=True)
class ResourceView:
    """One inventory resource with its system and provider facts.

    ``kind`` follows :mod:`providers.kinds` names (``server``, ``volume``,
    ``security_group``, ``namespace``...) plus ``system`` for the system record itself.
    ``system is None`` means the resource is bound to no information system.
    """

    kind: str
    id: str
    name: str
    tenant: str | None
    system: SystemFacts | None
    provider: ProviderFacts | None = None
    site: SiteFacts = field(default_factory=SiteFacts)
    data_grade: str | None = None
    ingress: tuple[IngressRule, ...] = ()
    attrs: Mapping[str, object] = field(default_factory=lambda: _EMPTY)
    created_at: datetime | None = None

    @property
    def effective_grade(self) -> str | None:
        """就高从严: the higher of the resource's own grade and its system's."""
        own = self.data_grade
        inherited = self.system.data_grade if self.system is not None else None
        return own if grade_rank(own) >= grade_rank(inherited) else inherited
