"""A request's desired resources, provider-neutral, and what they allocate.

Pure: from a validated :class:`tenants.SystemRequest` and the catalogue's flavour
sizes to the :class:`providers.types.DesiredResource` list the drivers apply — the
same names and spec keys the OpenStack driver and the simulator read (the subnet and
the router are part of the ``network`` kind there, ``router: true`` when anything is
reachable from the internet; the department's project is onboarding, not a per-system
resource), and for Kubernetes :func:`providers.kubernetes_objects.system_resources`
plus the namespace and its default-deny policy. Metered quantities come from
:data:`providers.kinds.KINDS`, so a plan prices exactly what the simulator meters.

Imports :mod:`tenants` and :mod:`providers` (types, kinds, kubernetes_objects) only.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import replace
from decimal import Decimal
from functools import lru_cache
from ipaddress import IPv6Network
from operator import itemgetter
from typing import Protocol

from providers.kinds import KINDS
from providers.kubernetes_objects import (
    DEFAULT_DENY,
    INTERNET_CIDR,
    namespace_name,
    system_resources,
)
from providers.types import DesiredResource, SystemRef
from tenants import IngressRule, ResourceAmounts, SystemRequest, format_quantity, source_text

__all__ = [
    "NETWORK",
    "PUBLIC_IP",
    "SECURITY_GROUP",
    "FlavorSize",
    "amounts_of",
    "desired_resources",
    "for_platform",
    "meters_of",
    "with_subnet",
]

NETWORK = "net"
SECURITY_GROUP = "sg"
PUBLIC_IP = "public-ip"
#: A system's network where its cloud declares no address pool (``with_subnet`` otherwise).
SYSTEM_CIDR = "10.0.0.0/24"

FlavorSize = tuple[int, int]
"""(vCPU, memory GiB) of a catalogue flavour."""

_LABEL = re.compile(r"[^a-z0-9]+")


@lru_cache(maxsize=4096)
def _label_of(source: str) -> str:
    return "internet" if source == "internet" else _LABEL.sub("-", source).strip("-")


def _cidr_of(source: str) -> str:
    return INTERNET_CIDR if source == "internet" else source


def _rule_name(rule: IngressRule, source: str) -> str:
    """The rule's resource name; ``source`` is its ``source_text``."""
    ports = (
        ""
        if rule.port is None
        else f"-{rule.port.first}"
        + (f"-{rule.port.last}" if rule.port.last != rule.port.first else "")
    )
    return f"in-{rule.protocol}{ports}-{_label_of(source)}"


def _vm_network(
    request: SystemRequest, ingress: list[tuple[IngressRule, str]], internet: bool
) -> list[DesiredResource]:
    """``ingress``: each rule with its ``source_text``; ``internet``: one is the internet."""
    out = [
        DesiredResource("network", NETWORK, {"cidr": SYSTEM_CIDR, "router": internet}),
        DesiredResource(
            "security_group",
            SECURITY_GROUP,
            {"description": f"{request.metadata.tenant}/{request.metadata.name}"},
        ),
    ]
    # each rule's name once (it is the sort key too): it formats the source network
    named = sorted(((_rule_name(r, source), r, source) for r, source in ingress), key=itemgetter(0))
    for name, rule, source in named:
        spec: dict[str, object] = {
            "security_group": SECURITY_GROUP,
            "direction": "ingress",
            "protocol": rule.protocol,
            "remote_cidr": _cidr_of(source),
        }
        if isinstance(rule.source, IPv6Network):
            spec["ethertype"] = "IPv6"
        if rule.port is not None:
            spec["port_min"], spec["port_max"] = rule.port.first, rule.port.last
        out.append(
            DesiredResource("security_rule", name, spec, (f"security_group/{SECURITY_GROUP}",))
        )
    return out


def _servers(
    request: SystemRequest, flavors: Mapping[str, FlavorSize], internet: bool
) -> list[DesiredResource]:
    out: list[DesiredResource] = []
    servers: list[str] = []
    for group in request.spec.compute:
        vcpu, memory_gib = flavors[group.flavor]
        for k in range(1, group.count + 1):
            name = f"{group.name}-{k}"
            servers.append(name)
            out.append(
                DesiredResource(
                    "server",
                    name,
                    {
                        "flavor": group.flavor,
                        "vcpu": vcpu,
                        "memory_mib": memory_gib * 1024,
                        "image": group.image,
                        "network": NETWORK,
                        "security_groups": [SECURITY_GROUP],
                    },
                    (f"network/{NETWORK}", f"security_group/{SECURITY_GROUP}"),
                )
            )
            for j, volume in enumerate(group.volumes, start=1):
                out.append(
                    DesiredResource(
                        "volume",
                        f"{name}-vol{j}",
                        {
                            "size_gib": volume.size_gib,
                            "type": volume.type,
                            "encrypted": volume.encrypted,
                            "server": name,
                        },
                        (f"server/{name}",),
                    )
                )
    if servers and internet:
        # one public address per system, on its first server (the entry point)
        out.append(
            DesiredResource(
                "floating_ip",
                PUBLIC_IP,
                {"server": servers[0]},
                (f"server/{servers[0]}", f"network/{NETWORK}"),
            )
        )
    return out


def _namespace(request: SystemRequest) -> list[DesiredResource]:
    k8s = request.spec.kubernetes
    if k8s is None:
        return []
    meta = request.metadata
    ref = SystemRef(meta.tenant, meta.name, "plan", request.spec.classified_protection)
    quota = {
        "cpu": format_quantity(k8s.quota.cpu),
        "memory": format_quantity(k8s.quota.memory, binary=True),
        "pods": int(k8s.quota.pods),
    }
    defaults: dict[str, str] = {}
    limits = k8s.limit_range
    if limits is not None:
        for prefix, part in (
            ("default", limits.default),
            ("default_request", limits.default_request),
            ("max", limits.max),
        ):
            if part is None:
                continue
            if part.cpu is not None:
                defaults[f"{prefix}_cpu"] = format_quantity(part.cpu)
            if part.memory is not None:
                defaults[f"{prefix}_memory"] = format_quantity(part.memory, binary=True)
    ingress = request.spec.network.ingress
    single = [
        {
            "port": r.port.first,
            "protocol": r.protocol,
            "from": source_text(r.source),
        }
        for r in ingress
        if r.port is not None and r.port.first == r.port.last
    ]
    out = [
        DesiredResource("namespace", namespace_name(ref)),
        DesiredResource("network_policy", DEFAULT_DENY, {"policy": "deny-all"}),
        *system_resources(
            tenant=meta.tenant, quota=quota, ingress=single, container_defaults=defaults
        ),
    ]
    for r in ingress:
        # NetworkPolicy has no ICMP; ranges carry their end port
        if r.port is not None and r.port.first != r.port.last:
            source = source_text(r.source)
            out.append(
                DesiredResource(
                    "network_policy",
                    f"allow-{r.protocol}-{r.port.first}-{r.port.last}-{_label_of(source)}",
                    {
                        "port": r.port.first,
                        "end_port": r.port.last,
                        "protocol": r.protocol,
                        "remote_cidr": _cidr_of(source),
                    },
                )
            )
    return out


def desired_resources(
    request: SystemRequest, flavors: Mapping[str, FlavorSize]
) -> tuple[DesiredResource, ...]:
    """Every resource the system wants; ``flavors`` must hold each named flavour."""
    if not request.spec.compute:
        return tuple(_namespace(request))
    # each rule's source as text once: the rules' names, their remote networks and
    # whether the system faces the internet all read it
    ingress = [(rule, source_text(rule.source)) for rule in request.spec.network.ingress]
    internet = any(source == "internet" for _, source in ingress)
    vms = _vm_network(request, ingress, internet) + _servers(request, flavors, internet)
    return (*vms, *_namespace(request))


def with_subnet(
    desired: Iterable[DesiredResource], cidr: str | None
) -> tuple[DesiredResource, ...]:
    """``desired`` with the system network on ``cidr`` (its allocation; ``None``: as is)."""
    if cidr is None:
        return tuple(desired)
    return tuple(
        replace(item, spec={**item.spec, "cidr": cidr})
        if item.kind == "network" and item.name == NETWORK
        else item
        for item in desired
    )


def for_platform(
    desired: Iterable[DesiredResource], provider_kind: str
) -> tuple[DesiredResource, ...]:
    """What a driver of ``provider_kind`` takes: Kubernetes objects outside the metered
    kinds table (limit range, role binding) only go to real Kubernetes clusters."""
    if provider_kind == "kubernetes":
        return tuple(desired)
    return tuple(item for item in desired if item.kind in KINDS)


class Specified(Protocol):
    @property
    def kind(self) -> str: ...
    @property
    def spec(self) -> Mapping[str, object]: ...


def meters_of(resources: Iterable[Specified]) -> dict[str, Decimal]:
    """Monthly quantities per meter resources allocate (as the simulator meters them);
    works for desired and recorded resources alike."""
    totals: dict[str, Decimal] = {}
    for item in resources:
        kind = KINDS.get(item.kind)
        if kind is None:
            continue
        for meter, quantity in kind.usage_of(item.spec):
            totals[meter] = totals.get(meter, Decimal(0)) + quantity
    return dict(sorted(totals.items()))


def amounts_of(meters: Mapping[str, Decimal], namespaces: int = 0) -> ResourceAmounts:
    """Capacity and quota dimensions drawn by metered quantities (VMs and containers share)."""
    zero = Decimal(0)
    return ResourceAmounts(
        vcpu=meters.get("compute.vcpu", zero) + meters.get("k8s.cpu", zero),
        memory_gib=meters.get("compute.memory", zero) + meters.get("k8s.memory", zero),
        storage_gib=meters.get("storage.ssd", zero) + meters.get("storage.hdd", zero),
        public_ips=int(meters.get("network.public_ip", zero)),
        namespaces=namespaces,
    )
