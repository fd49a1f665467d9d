"""The hard filters: each registered with a name, a zh/en title, and a check.

A check looks at one provider for one system (and the provider's free capacity at this
point of a batch) and returns ``None`` when the provider may host the system, or the
reason it may not, in Chinese and English. :data:`FILTERS` is the registry in the
order filters run; the first that refuses a provider is the one reported for it.
Imports only :mod:`controlplane.placement.facts` and :mod:`tenants`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from controlplane.placement.facts import ProviderFacts, SystemNeeds
from tenants import ResourceAmounts, quick_init

__all__ = ["FILTERS", "FILTERS_BY_NAME", "Exclusion", "HardFilter", "Reason", "first_refusal"]

Reason = tuple[str, str]
"""(Chinese, English)."""

Check = Callable[[ProviderFacts, SystemNeeds, ResourceAmounts], Reason | None]


@dataclass(frozen=True, slots=True)
class HardFilter:
    name: str
    title_zh: str
    title_en: str
    check: Check


@quick_init
@dataclass(frozen=True, slots=True)
class Exclusion:
    """Why one provider cannot host the system: the filter and its reason."""

    provider: str
    filter: str
    reason_zh: str
    reason_en: str

    def reason(self, lang: str) -> str:
        return self.reason_zh if lang == "zh" else self.reason_en


_REGISTRY: list[HardFilter] = []


def hard_filter(name: str, title_zh: str, title_en: str) -> Callable[[Check], Check]:
    """Register ``check`` under ``name``; registration order is evaluation order."""

    def register(check: Check) -> Check:
        if any(f.name == name for f in _REGISTRY):
            raise ValueError(f"placement filter {name!r} registered twice")
        _REGISTRY.append(HardFilter(name, title_zh, title_en, check))
        return check

    return register


@hard_filter("pin", "指定的云平台或层级", "pinned provider or tier")
def _pin(p: ProviderFacts, n: SystemNeeds, _free: ResourceAmounts) -> Reason | None:
    if n.pin_provider is not None and p.name != n.pin_provider:
        return (
            f"申请指定了云平台 {n.pin_provider}",
            f"the request pins provider {n.pin_provider}",
        )
    if n.pin_tier is not None and p.tier != n.pin_tier:
        return (
            f"申请指定了{_TIER_ZH.get(n.pin_tier, n.pin_tier)}层级，本平台为{_TIER_ZH.get(p.tier, p.tier)}",
            f"the request pins tier {n.pin_tier}; this provider is {p.tier}",
        )
    return None


_TIER_ZH = {"provincial": "省级", "municipal": "市级", "sector": "行业"}


def reach_reason(p: ProviderFacts) -> Reason:
    """The refusal of the reach filter, which depends on the provider alone."""
    if p.tier == "municipal":
        return (
            f"市级云只服务 {p.city} 的部门",
            f"a municipal cloud serves only {p.city}'s departments",
        )
    return (
        f"行业云只服务 {p.sector} 行业的部门",
        f"a sector cloud serves only the {p.sector} sector's departments",
    )


def reaches(p: ProviderFacts, n: SystemNeeds) -> bool:
    if p.tier == "municipal":
        return n.tenant_city is not None and p.city == n.tenant_city
    if p.tier == "sector":
        return n.tenant_sector is not None and p.sector == n.tenant_sector
    return True


@hard_filter(
    "reach", "市级云服务本市部门、行业云服务本行业部门", "city and sector clouds serve their own"
)
def _reach(p: ProviderFacts, n: SystemNeeds, _free: ResourceAmounts) -> Reason | None:
    return None if reaches(p, n) else reach_reason(p)


@hard_filter("level", "平台备案等级不低于系统定级", "certified level covers the system level")
def _level(p: ProviderFacts, n: SystemNeeds, _free: ResourceAmounts) -> Reason | None:
    if p.certified_level >= n.level:
        return None
    return (
        f"平台等保备案 {p.certified_level} 级，低于系统定级 {n.level} 级",
        f"certified for 等保 level {p.certified_level}, below the system's level {n.level}",
    )


_DATA_ZH = {"important": "重要", "core": "核心"}


@hard_filter("residency", "重要/核心数据不出省", "important and core data stay in-province")
def _residency(p: ProviderFacts, n: SystemNeeds, _free: ResourceAmounts) -> Reason | None:
    if n.data == "general" or p.in_province:
        return None
    return (
        f"平台位于省外，{_DATA_ZH.get(n.data, n.data)}数据须留在省内",
        f"the provider is outside the province and {n.data} data must stay in it",
    )


@hard_filter("xinchuang", "信创系统部署在信创资源上", "信创 systems run on 信创 capacity")
def _xinchuang(p: ProviderFacts, n: SystemNeeds, _free: ResourceAmounts) -> Reason | None:
    if not n.xinchuang or p.xinchuang:
        return None
    return (
        "信创系统需要信创资源，本平台不是信创平台",
        "a 信创 system needs 信创 capacity; this provider has none",
    )


@hard_filter(
    "arch", "镜像支持平台 CPU 架构", "images are built for the provider's CPU architecture"
)
def _arch(p: ProviderFacts, n: SystemNeeds, _free: ResourceAmounts) -> Reason | None:
    for arches in n.image_arches:
        if p.arch not in arches:
            shown = ", ".join(sorted(arches))
            return (
                f"平台架构 {p.arch}，镜像只支持 {shown}",
                f"the provider is {p.arch}; an image supports only {shown}",
            )
    return None


@hard_filter("platform", "平台能承载所需资源类型", "the provider's kind holds what is asked")
def _platform(p: ProviderFacts, n: SystemNeeds, _free: ResourceAmounts) -> Reason | None:
    # a namespace may go to an OpenStack cloud (its container service sits beside it,
    # as DESIGN.md's example has it); a bare Kubernetes cluster has nowhere to run VMs
    if n.needs_vms and p.kind == "kubernetes":
        return (
            "Kubernetes 平台不能承载云主机",
            "a Kubernetes provider cannot host virtual machines",
        )
    return None


_DIMENSIONS = (
    ("vcpu", "vCPU", "vCPU"),
    ("memory_gib", "内存 GiB", "memory GiB"),
    ("storage_gib", "存储 GiB", "storage GiB"),
    ("public_ips", "公网 IP", "public IPs"),
)


def shortfall(p: ProviderFacts, n: SystemNeeds, free: ResourceAmounts) -> list[str]:
    """The dimensions where ``n`` does not fit into ``free`` (tracked dimensions only)."""
    short: list[str] = []
    for key, _, _ in _DIMENSIONS:
        if key not in p.tracked:
            continue
        if getattr(n.amounts, key) > getattr(free, key):
            short.append(key)
    return short


@hard_filter("capacity", "剩余容量足够", "enough free capacity")
def _capacity(p: ProviderFacts, n: SystemNeeds, free: ResourceAmounts) -> Reason | None:
    short = shortfall(p, n, free)
    if not short:
        return None
    titles = {key: (zh, en) for key, zh, en in _DIMENSIONS}
    zh = "，".join(
        f"{titles[k][0]} 需 {getattr(n.amounts, k)}、剩 {getattr(free, k)}" for k in short
    )
    en = "; ".join(
        f"{titles[k][1]}: needs {getattr(n.amounts, k)}, {getattr(free, k)} free" for k in short
    )
    return (f"容量不足：{zh}", f"not enough capacity: {en}")


FILTERS: tuple[HardFilter, ...] = tuple(_REGISTRY)
FILTERS_BY_NAME: Mapping[str, HardFilter] = MappingProxyType({f.name: f for f in FILTERS})


def first_refusal(
    p: ProviderFacts, n: SystemNeeds, free: ResourceAmounts, start: int = 0
) -> Exclusion | None:
    """The first filter (from index ``start``) that refuses ``p``, or None if all pass."""
    for hard in FILTERS[start:]:
        reason = hard.check(p, n, free)
        if reason is not None:
            return Exclusion(p.name, hard.name, *reason)
    return None
