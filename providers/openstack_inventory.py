"""Map what openstacksdk lists into provider-neutral ``ObservedResource`` values.

Owns one mapping function per OpenStack resource kind (server, network, security
group, security rule, floating IP, volume): wire attributes → the kind's spec keys
named in ``providers.kinds``, tags → ``(tenant, system, request)``, untagged →
``managed=False``. Functions take the SDK resource objects duck-typed (attribute
access only), so they are unit-tested with plain stand-ins.

Must not import anything internal except ``providers.types``, ``providers.openstack_tags``
and ``providers.openstack_usage``; must not import an SDK.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from providers.openstack_tags import identity_of, parse_marker
from providers.openstack_usage import parse_time
from providers.types import ObservedResource

__all__ = [
    "observe_floating_ip",
    "observe_network",
    "observe_security_group",
    "observe_security_rule",
    "observe_server",
    "observe_volume",
]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _when(value: object) -> datetime:
    return parse_time(value) or _EPOCH


def _observed(
    provider: str,
    kind: str,
    item: Any,
    tags: object,
    status: str,
    spec: Mapping[str, object],
) -> ObservedResource:
    found = identity_of(tags if isinstance(tags, list | tuple | dict) else None)
    tenant, system, request, name = found if found is not None else (None, None, None, None)
    return ObservedResource(
        provider=provider,
        kind=kind,
        resource_id=str(item.id),
        name=name or str(item.name or item.id),
        tenant=tenant,
        system=system,
        request_id=request,
        status=status,
        spec={**spec, "project_id": getattr(item, "project_id", None)},
        created_at=_when(getattr(item, "created_at", None)),
        managed=found is not None,
    )


def observe_server(provider: str, server: Any, images: Mapping[str, str]) -> ObservedResource:
    flavor = server.flavor or {}
    image = server.image or {}
    image_id = image.get("id") if isinstance(image, Mapping) else getattr(image, "id", None)
    spec: dict[str, object] = {
        "flavor": _get(flavor, "original_name") or _get(flavor, "name"),
        "vcpu": _get(flavor, "vcpus"),
        "memory_mib": _get(flavor, "ram"),
        "image": images.get(str(image_id), image_id),
        "cloud_name": server.name,
    }
    return _observed(provider, "server", server, list(server.tags or []), str(server.status), spec)


def observe_network(provider: str, network: Any, cidrs: Mapping[str, str]) -> ObservedResource:
    spec = {"cidr": cidrs.get(str(network.id)), "cloud_name": network.name}
    return _observed(
        provider, "network", network, list(network.tags or []), str(network.status), spec
    )


def observe_security_group(provider: str, group: Any) -> ObservedResource:
    spec = {"description": group.description, "cloud_name": group.name}
    return _observed(provider, "security_group", group, list(group.tags or []), "ACTIVE", spec)


def observe_security_rule(provider: str, rule: Any, group: ObservedResource) -> ObservedResource:
    """A rule has no tags: it belongs to its group's system; its name is its marker's."""
    marked = parse_marker(rule.description)
    spec = {
        "direction": rule.direction,
        "protocol": rule.protocol,
        "port_min": rule.port_range_min,
        "port_max": rule.port_range_max,
        "remote_cidr": rule.remote_ip_prefix,
        "ethertype": rule.ether_type,
        "security_group": group.name,
    }
    managed = group.managed and marked is not None
    return ObservedResource(
        provider=provider,
        kind="security_rule",
        resource_id=str(rule.id),
        name=marked[3] if marked else str(rule.id),
        tenant=group.tenant if managed else None,
        system=group.system if managed else None,
        request_id=group.request_id if managed else None,
        status="ACTIVE",
        spec=spec,
        created_at=_when(getattr(rule, "created_at", None)),
        managed=managed,
    )


def observe_floating_ip(provider: str, fip: Any) -> ObservedResource:
    spec = {
        "address": fip.floating_ip_address,
        "network": fip.floating_network_id,
        "port": fip.port_id,
    }
    return _observed(provider, "floating_ip", fip, list(fip.tags or []), str(fip.status), spec)


def observe_volume(provider: str, volume: Any) -> ObservedResource:
    spec = {
        "size_gib": volume.size,
        "type": volume.volume_type,
        "encrypted": bool(volume.is_encrypted),
    }
    return _observed(
        provider, "volume", volume, dict(volume.metadata or {}), str(volume.status), spec
    )


def _get(value: object, key: str) -> Any:
    if isinstance(value, Mapping):
        return value.get(key)
    return getattr(value, key, None)
