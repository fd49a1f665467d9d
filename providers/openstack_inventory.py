"""Map what openstacksdk lists into provider-neutral ``ObservedResource`` values.

Owns one mapping function per OpenStack resource kind (server, network, security
group, security rule, floating IP, volume, project quota): wire attributes → the kind's
spec keys named in ``providers.kinds``, tags → ``(tenant, system, request)``, untagged →
``managed=False``. Functions take the SDK resource objects duck-typed (attribute
access only), so they are unit-tested with plain stand-ins.

Values are normalised the way govcloud declares them, so an untouched resource never
compares as changed: CIDRs in their compressed network form, "any" protocol for
Neutron's ``None``. A security group's description holds govcloud's crash-safety marker,
not the declared text, so it is not reported as comparable spec (its spec fingerprint
tag covers the declared description). An untagged resource inside a govcloud
department project keeps ``managed=False`` but is attributed to that department
(``projects``: project id → tenant); an untagged rule inside a govcloud group is
attributed to the group's system.

Must not import anything internal except ``providers.types``, ``providers.openstack_tags``
and ``providers.openstack_usage``; must not import an SDK.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from ipaddress import ip_network
from typing import Any

from providers.openstack_tags import identity_of, parse_marker
from providers.openstack_usage import parse_time
from providers.types import ObservedResource

__all__ = [
    "normal_cidr",
    "normal_rule",
    "observe_floating_ip",
    "observe_network",
    "observe_quota",
    "observe_security_group",
    "observe_security_rule",
    "observe_server",
    "observe_volume",
    "volume_type_name",
]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
#: A volume type of this name's suffix encrypts (``ssd-encrypted`` is encrypted ``ssd``).
ENCRYPTED_TYPE_SUFFIX = "-encrypted"


def _when(value: object) -> datetime:
    return parse_time(value) or _EPOCH


def normal_cidr(value: object) -> str | None:
    """A CIDR as Neutron compares it (``10.0.0.1/8`` → ``10.0.0.0/8``); ``None`` stays."""
    if value is None or value == "":
        return None
    try:
        return ip_network(str(value), strict=False).compressed
    except ValueError:
        return str(value)


def normal_rule(rule: Mapping[str, Any]) -> dict[str, object]:
    """One Neutron rule (as embedded in its group) in govcloud's spec keys."""
    protocol = rule.get("protocol")
    return {
        "direction": rule.get("direction"),
        "protocol": "any" if protocol is None else str(protocol),
        "port_min": rule.get("port_range_min"),
        "port_max": rule.get("port_range_max"),
        "remote_cidr": normal_cidr(rule.get("remote_ip_prefix")),
        "ethertype": rule.get("ethertype"),
    }


def _observed(
    provider: str,
    kind: str,
    item: Any,
    tags: object,
    status: str,
    spec: Mapping[str, object],
    projects: Mapping[str, str] | None = None,
) -> ObservedResource:
    found = identity_of(tags if isinstance(tags, list | tuple | dict) else None)
    tenant, system, request, name = found if found is not None else (None, None, None, None)
    if tenant is None and projects:
        # untagged but inside a department's project: the department answers for it
        tenant = projects.get(str(getattr(item, "project_id", None)))
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


def observe_server(
    provider: str,
    server: Any,
    images: Mapping[str, str],
    projects: Mapping[str, str] | None = None,
) -> ObservedResource:
    """A server with what compliance reads: its groups, addresses and volumes."""
    flavor = server.flavor or {}
    image = server.image or {}
    image_id = image.get("id") if isinstance(image, Mapping) else getattr(image, "id", None)
    spec: dict[str, object] = {
        "flavor": _get(flavor, "original_name") or _get(flavor, "name"),
        "vcpu": _get(flavor, "vcpus"),
        "memory_mib": _get(flavor, "ram"),
        "image": images.get(str(image_id), image_id),
        "cloud_name": server.name,
        "groups": sorted(
            str(_get(g, "name")) for g in getattr(server, "security_groups", None) or []
        ),
        "addresses": sorted(
            str(_get(a, "addr"))
            for entries in (getattr(server, "addresses", None) or {}).values()
            for a in entries or []
        ),
        "volumes": sorted(
            str(_get(v, "id")) for v in getattr(server, "attached_volumes", None) or []
        ),
    }
    return _observed(
        provider, "server", server, list(server.tags or []), str(server.status), spec, projects
    )


def observe_network(
    provider: str,
    network: Any,
    cidrs: Mapping[str, str],
    projects: Mapping[str, str] | None = None,
) -> ObservedResource:
    spec = {"cidr": normal_cidr(cidrs.get(str(network.id))), "cloud_name": network.name}
    return _observed(
        provider, "network", network, list(network.tags or []), str(network.status), spec, projects
    )


def observe_security_group(
    provider: str, group: Any, projects: Mapping[str, str] | None = None
) -> ObservedResource:
    """A group with its rules (what exposure rules judge); no description (see above)."""
    rules = [normal_rule(r) for r in group.security_group_rules or []]
    # the inbound flows in the shape compliance reads (source, ports, protocol)
    ingress = [
        {
            "source": r["remote_cidr"] or ("::/0" if r["ethertype"] == "IPv6" else "0.0.0.0/0"),
            "port_min": r["port_min"],
            "port_max": r["port_max"],
            "protocol": r["protocol"],
        }
        for r in rules
        if r["direction"] == "ingress"
    ]
    spec = {
        "cloud_name": group.name,
        "ingress": sorted(ingress, key=lambda r: sorted((k, str(v)) for k, v in r.items())),
    }
    return _observed(
        provider, "security_group", group, list(group.tags or []), "ACTIVE", spec, projects
    )


def observe_security_rule(provider: str, rule: Any, group: ObservedResource) -> ObservedResource:
    """A rule has no tags: it belongs to its group's system; its name is its marker's.

    A rule without govcloud's marker in a govcloud group is unmanaged but still its
    group's (department and system): that is where someone opened a port by hand.
    """
    marked = parse_marker(rule.description)
    spec = {
        **normal_rule(
            {
                "direction": rule.direction,
                "protocol": rule.protocol,
                "port_range_min": rule.port_range_min,
                "port_range_max": rule.port_range_max,
                "remote_ip_prefix": rule.remote_ip_prefix,
                "ethertype": rule.ether_type,
            }
        ),
        "security_group": group.name,
        "security_group_id": group.resource_id,
    }
    managed = group.managed and marked is not None
    return ObservedResource(
        provider=provider,
        kind="security_rule",
        resource_id=str(rule.id),
        name=marked[3] if marked else str(rule.id),
        tenant=group.tenant,
        system=group.system,
        request_id=group.request_id if managed else None,
        status="ACTIVE",
        spec=spec,
        created_at=_when(getattr(rule, "created_at", None)),
        managed=managed,
    )


def observe_floating_ip(
    provider: str, fip: Any, projects: Mapping[str, str] | None = None
) -> ObservedResource:
    spec = {
        "address": fip.floating_ip_address,
        "network": fip.floating_network_id,
        "port": fip.port_id,
    }
    return _observed(
        provider, "floating_ip", fip, list(fip.tags or []), str(fip.status), spec, projects
    )


def volume_type_name(volume_type: str, encrypted: bool) -> str:
    """The cloud's volume type for govcloud's ``type`` (``ssd``) and ``encrypted`` flag."""
    return f"{volume_type}{ENCRYPTED_TYPE_SUFFIX}" if encrypted else volume_type


def observe_volume(
    provider: str,
    volume: Any,
    projects: Mapping[str, str] | None = None,
    servers: Mapping[str, str] | None = None,
) -> ObservedResource:
    """A volume in govcloud's terms: ``type`` without the encrypted suffix, ``server``
    the govcloud name of the server it is attached to (``servers``: id → name; else the
    server's id, ``None`` when detached) and ``attached_to`` every attached server id."""
    attached = sorted(str(_get(a, "server_id")) for a in getattr(volume, "attachments", None) or [])
    encrypted = bool(volume.is_encrypted)
    type_name = None if volume.volume_type is None else str(volume.volume_type)
    if encrypted and type_name and type_name.endswith(ENCRYPTED_TYPE_SUFFIX):
        type_name = type_name[: -len(ENCRYPTED_TYPE_SUFFIX)]
    server = (servers or {}).get(attached[0], attached[0]) if len(attached) == 1 else None
    spec = {
        "size_gib": volume.size,
        "type": type_name,
        "encrypted": encrypted,
        "server": server,
        "attached_to": attached,
    }
    return _observed(
        provider,
        "volume",
        volume,
        dict(volume.metadata or {}),
        str(volume.status),
        spec,
        projects,
    )


def observe_quota(
    provider: str, project_id: str, tenant: str, limits: Mapping[str, object]
) -> ObservedResource:
    """A department project's quotas in ``QuotaSet`` terms (``None``: unlimited)."""
    return ObservedResource(
        provider=provider,
        kind="project_quota",
        resource_id=project_id,
        name=tenant,
        tenant=tenant,
        system=None,
        request_id=None,
        status="ACTIVE",
        spec=dict(limits),
        created_at=_EPOCH,
        managed=True,
    )


def _get(value: object, key: str) -> Any:
    if isinstance(value, Mapping):
        return value.get(key)
    return getattr(value, key, None)
