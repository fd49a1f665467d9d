"""Helpers shared by the rule modules: resource-kind groups, ages, ingress scanning.

Imports only :mod:`policies.views` and :mod:`policies.registry`.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator
from datetime import date, datetime

from policies.registry import Finding, fail
from policies.views import IngressRule, PlanView, ResourceView

__all__ = [
    "DATA_KINDS",
    "INGRESS_KINDS",
    "PLACED_KINDS",
    "age_days",
    "covered_ports",
    "plan_ingress",
    "resource_ingress",
]

DATA_KINDS = frozenset({"volume", "snapshot", "backup", "bucket", "database", "pvc", "file_share"})
INGRESS_KINDS = frozenset({"security_group", "security_rule"})
PLACED_KINDS = DATA_KINDS | frozenset({"server", "pod", "namespace", "network", "load_balancer"})


def age_days(day: date | datetime, now: datetime) -> int:
    """Whole days from ``day`` to ``now``."""
    if isinstance(day, datetime):
        return (now - day).days
    return (now.date() - day).days


@functools.lru_cache(maxsize=1024)
def _ingress_paths(count: int) -> tuple[str, ...]:
    """The manifest paths of ``count`` ingress rules: formatted once per count for the
    process, not by every network and crypto rule of every plan (a pure function of
    ``count``; the schema allows at most 256 rules)."""
    return tuple(f"spec.network.ingress[{i}]" for i in range(count))


def plan_ingress(view: PlanView) -> tuple[tuple[str, IngressRule], ...]:
    """Each ingress rule of a request with its manifest path."""
    return tuple(zip(_ingress_paths(len(view.ingress)), view.ingress, strict=True))


def resource_ingress(view: ResourceView) -> Iterator[tuple[str, IngressRule]]:
    """Each ingress rule recorded on a security group (or the one of a security rule)."""
    for i, item in enumerate(view.ingress):
        yield f"{view.kind}/{view.name}.ingress[{i}]", item


def covered_ports(item: IngressRule, ports: Iterable[int]) -> list[int]:
    """The ``ports`` ``item`` opens (:meth:`IngressRule.covers`), in order; compared
    against the rule's bounds directly (every rule of every plan asks it of each
    parameter port), a single port of a set by one look-up."""
    low = item.port_min
    if low is None:
        return sorted(ports)
    high = item.upper
    if low == high and isinstance(ports, frozenset | set):
        return [low] if low in ports else []
    return sorted(p for p in ports if low <= p <= high)


def port_findings(
    items: Iterable[tuple[str, IngressRule]],
    ports: frozenset[int],
    *,
    internet_only: bool,
    zh: str,
    en: str,
) -> Iterator[Finding]:
    """A failure for each rule opening one of ``ports`` (to the internet if asked)."""
    for path, item in items:
        if internet_only and not item.from_internet:
            continue
        hit = covered_ports(item, ports)
        if hit:
            shown = ",".join(str(p) for p in hit)
            yield fail(
                f"{path}.port",
                f"{zh}（端口 {shown}，来源 {item.source}）",
                f"{en} (ports {shown}, from {item.source})",
            )
