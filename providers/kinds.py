"""Declarative descriptions of every resource kind and every usage meter.

Owns ``ResourceKind`` (one per kind: titles, platform, view columns, meters, allowed
actions, and how a spec turns into metered quantities), ``Meter`` and the ``KINDS`` /
``METERS`` tables. Views, allowed actions and usage derivation read these tables
instead of branching on ``if kind == ...``; adding a kind is adding one entry.

Must not import anything internal except ``providers.quantity`` and
``providers.types``, nor any cloud SDK.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from types import MappingProxyType
from typing import Literal

from providers.quantity import GIB, parse_quantity, to_decimal
from providers.types import ObservedResource

__all__ = [
    "KINDS",
    "METERS",
    "Column",
    "Meter",
    "Platform",
    "ResourceKind",
    "UsageRule",
    "kinds_for_platform",
    "lookup_kind",
]

Platform = Literal["openstack", "kubernetes", "any"]


@dataclass(frozen=True, slots=True)
class Meter:
    """A billable unit of allocation (``compute.vcpu`` in vCPU, ...)."""

    name: str
    unit: str
    title_zh: str
    title_en: str


_METER_LIST = (
    Meter("compute.vcpu", "vCPU", "虚拟 CPU", "virtual CPU"),
    Meter("compute.memory", "GiB", "内存", "memory"),
    Meter("storage.ssd", "GiB", "SSD 存储", "SSD storage"),
    Meter("storage.hdd", "GiB", "HDD 存储", "HDD storage"),
    Meter("network.public_ip", "IP", "公网 IP", "public IP"),
    Meter("k8s.cpu", "core", "容器 CPU", "container CPU"),
    Meter("k8s.memory", "GiB", "容器内存", "container memory"),
)
METERS: Mapping[str, Meter] = MappingProxyType({meter.name: meter for meter in _METER_LIST})


@dataclass(frozen=True, slots=True)
class Column:
    """One column of a resource view.

    ``path`` is an ``ObservedResource`` attribute (``name``, ``status``, ``tenant``...)
    or ``spec.<key>`` for a kind-specific field.
    """

    key: str
    title_zh: str
    title_en: str
    path: str

    def value(self, resource: ObservedResource) -> object:
        if self.path.startswith("spec."):
            return resource.spec.get(self.path.removeprefix("spec."))
        return getattr(resource, self.path)

    def render(self, resource: ObservedResource) -> str:
        value = self.value(resource)
        if value is None:
            return ""
        if isinstance(value, list | tuple):
            return ",".join(str(item) for item in value)
        if isinstance(value, bool):
            return "yes" if value else "no"
        return str(value)


@dataclass(frozen=True, slots=True)
class UsageRule:
    """How a spec yields a quantity of one meter; ``None`` means "not this meter"."""

    meter: str
    quantity: Callable[[Mapping[str, object]], Decimal | None]
    reads: tuple[str, ...] = ()
    """The spec keys ``quantity`` reads (aggregating readers group resources by them)."""


@dataclass(frozen=True, slots=True)
class ResourceKind:
    """Everything govcloud knows about one kind of resource, declaratively."""

    name: str
    title_zh: str
    title_en: str
    platform: Platform
    columns: tuple[Column, ...]
    meters: tuple[str, ...]
    actions: tuple[str, ...]
    usage: tuple[UsageRule, ...] = ()

    def __post_init__(self) -> None:
        unknown = set(self.meters) - set(METERS)
        if unknown:
            raise ValueError(f"kind {self.name} names unknown meters {sorted(unknown)}")
        if {rule.meter for rule in self.usage} - set(self.meters):
            raise ValueError(f"kind {self.name} has usage rules for undeclared meters")

    def allows(self, action: str) -> bool:
        return action in self.actions

    def row(self, resource: ObservedResource) -> tuple[str, ...]:
        """The rendered cells of this kind's view for one resource."""
        return tuple(column.render(resource) for column in self.columns)

    @property
    def usage_reads(self) -> tuple[str, ...]:
        """Every spec key this kind's usage rules read, in order, once."""
        return tuple(dict.fromkeys(key for rule in self.usage for key in rule.reads))

    def usage_of(self, spec: Mapping[str, object]) -> list[tuple[str, Decimal]]:
        """``(meter, quantity)`` pairs a resource with this spec allocates (zero dropped)."""
        found: list[tuple[str, Decimal]] = []
        for rule in self.usage:
            quantity = rule.quantity(spec)
            if quantity is not None and quantity != 0:
                found.append((rule.meter, quantity))
        return found


def _spec_number(
    key: str, divisor: Decimal = Decimal(1)
) -> Callable[[Mapping[str, object]], Decimal | None]:
    def quantity(spec: Mapping[str, object]) -> Decimal | None:
        value = spec.get(key)
        return None if value is None else to_decimal(value) / divisor

    return quantity


def _volume_of_type(volume_type: str) -> Callable[[Mapping[str, object]], Decimal | None]:
    def quantity(spec: Mapping[str, object]) -> Decimal | None:
        # A volume without a type is SSD: that is the catalogue default.
        if str(spec.get("type", "ssd")) != volume_type or spec.get("size_gib") is None:
            return None
        return to_decimal(spec["size_gib"])

    return quantity


def _k8s(
    key: str, divisor: Decimal = Decimal(1)
) -> Callable[[Mapping[str, object]], Decimal | None]:
    def quantity(spec: Mapping[str, object]) -> Decimal | None:
        value = spec.get(key)
        return None if value is None else parse_quantity(value) / divisor

    return quantity


def _one(_spec: Mapping[str, object]) -> Decimal:
    return Decimal(1)


_NAME = Column("name", "名称", "Name", "name")
_TENANT = Column("tenant", "部门", "Tenant", "tenant")
_SYSTEM = Column("system", "信息系统", "System", "system")
_STATUS = Column("status", "状态", "Status", "status")
_COMMON = (_NAME, _TENANT, _SYSTEM, _STATUS)
_CRUD = ("create", "update", "delete")

_KIND_LIST = (
    ResourceKind(
        name="server",
        title_zh="云主机",
        title_en="Server",
        platform="openstack",
        columns=(
            *_COMMON,
            Column("flavor", "规格", "Flavor", "spec.flavor"),
            Column("vcpu", "vCPU", "vCPU", "spec.vcpu"),
            Column("memory_mib", "内存(MiB)", "Memory (MiB)", "spec.memory_mib"),
            Column("image", "镜像", "Image", "spec.image"),
        ),
        meters=("compute.vcpu", "compute.memory"),
        actions=(*_CRUD, "start", "stop", "reboot", "resize"),
        usage=(
            UsageRule("compute.vcpu", _spec_number("vcpu"), ("vcpu",)),
            UsageRule("compute.memory", _spec_number("memory_mib", Decimal(1024)), ("memory_mib",)),
        ),
    ),
    ResourceKind(
        name="volume",
        title_zh="云硬盘",
        title_en="Volume",
        platform="openstack",
        columns=(
            *_COMMON,
            Column("size_gib", "容量(GiB)", "Size (GiB)", "spec.size_gib"),
            Column("type", "类型", "Type", "spec.type"),
            Column("encrypted", "加密", "Encrypted", "spec.encrypted"),
        ),
        meters=("storage.ssd", "storage.hdd"),
        actions=(*_CRUD, "extend"),
        usage=(
            UsageRule("storage.ssd", _volume_of_type("ssd"), ("type", "size_gib")),
            UsageRule("storage.hdd", _volume_of_type("hdd"), ("type", "size_gib")),
        ),
    ),
    ResourceKind(
        name="network",
        title_zh="私有网络",
        title_en="Network",
        platform="openstack",
        columns=(*_COMMON, Column("cidr", "网段", "CIDR", "spec.cidr")),
        meters=(),
        actions=_CRUD,
    ),
    ResourceKind(
        name="security_group",
        title_zh="安全组",
        title_en="Security group",
        platform="openstack",
        columns=(*_COMMON, Column("description", "说明", "Description", "spec.description")),
        meters=(),
        actions=_CRUD,
    ),
    ResourceKind(
        name="security_rule",
        title_zh="安全组规则",
        title_en="Security rule",
        platform="openstack",
        columns=(
            *_COMMON,
            Column("direction", "方向", "Direction", "spec.direction"),
            Column("protocol", "协议", "Protocol", "spec.protocol"),
            Column("port_min", "起始端口", "Port min", "spec.port_min"),
            Column("port_max", "结束端口", "Port max", "spec.port_max"),
            Column("remote_cidr", "来源网段", "Remote CIDR", "spec.remote_cidr"),
        ),
        meters=(),
        actions=("create", "delete"),
    ),
    ResourceKind(
        name="floating_ip",
        title_zh="公网 IP",
        title_en="Floating IP",
        platform="openstack",
        columns=(*_COMMON, Column("network", "外部网络", "External network", "spec.network")),
        meters=("network.public_ip",),
        actions=("create", "delete", "associate", "disassociate"),
        usage=(UsageRule("network.public_ip", _one),),
    ),
    ResourceKind(
        name="project_quota",
        title_zh="项目配额",
        title_en="Project quota",
        platform="openstack",
        columns=(
            *_COMMON,
            Column("vcpu", "vCPU", "vCPU", "spec.vcpu"),
            Column("memory_gib", "内存 GiB", "Memory GiB", "spec.memory_gib"),
            Column("public_ips", "公网 IP", "Public IPs", "spec.public_ips"),
        ),
        meters=(),
        actions=("create", "update"),
    ),
    ResourceKind(
        name="namespace",
        title_zh="命名空间",
        title_en="Namespace",
        platform="kubernetes",
        columns=_COMMON,
        meters=(),
        actions=("create", "delete"),
    ),
    ResourceKind(
        name="namespace_quota",
        title_zh="命名空间配额",
        title_en="Namespace quota",
        platform="kubernetes",
        columns=(
            *_COMMON,
            Column("cpu", "CPU", "CPU", "spec.cpu"),
            Column("memory", "内存", "Memory", "spec.memory"),
            Column("pods", "Pod 数", "Pods", "spec.pods"),
        ),
        meters=("k8s.cpu", "k8s.memory"),
        actions=_CRUD,
        usage=(
            UsageRule("k8s.cpu", _k8s("cpu"), ("cpu",)),
            UsageRule("k8s.memory", _k8s("memory", GIB), ("memory",)),
        ),
    ),
    ResourceKind(
        name="network_policy",
        title_zh="网络策略",
        title_en="Network policy",
        platform="kubernetes",
        columns=(
            *_COMMON,
            Column("port", "端口", "Port", "spec.port"),
            Column("protocol", "协议", "Protocol", "spec.protocol"),
            Column("remote_cidr", "来源网段", "Remote CIDR", "spec.remote_cidr"),
        ),
        meters=(),
        actions=_CRUD,
    ),
)
KINDS: Mapping[str, ResourceKind] = MappingProxyType({kind.name: kind for kind in _KIND_LIST})


def lookup_kind(name: str) -> ResourceKind:
    """The description of kind ``name``; ``KeyError`` naming the known kinds otherwise."""
    try:
        return KINDS[name]
    except KeyError:
        raise KeyError(f"unknown resource kind {name!r}; known: {', '.join(KINDS)}") from None


def kinds_for_platform(platform: Platform) -> tuple[ResourceKind, ...]:
    """Kinds a driver of ``platform`` can hold (``any`` kinds are held by every platform)."""
    return tuple(k for k in _KIND_LIST if k.platform in (platform, "any") or platform == "any")
