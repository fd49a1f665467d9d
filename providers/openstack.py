"""The OpenStack driver: onboarding, provisioning, inventory, usage and health.

Owns ``OpenStackDriver`` (kind ``openstack``), built from a ``clouds.yaml`` cloud name
(``ProviderConfig.cloud``; option ``clouds_yaml`` names the file, else openstacksdk's
search path). Credentials never pass through govcloud's database.

Decisions (see also ``providers.openstack_tags``):

* **One Keystone project per department** (``govcloud-<tenant>``, tagged), shared by
  its systems; the department's Keystone group ``govcloud-<tenant>`` gets the
  ``member`` role on it, the driver's own user ``admin`` there. ``set_quotas`` sets the
  project's Nova (cores, RAM), Neutron (floating IPs) and, where Cinder exists, volume
  (gigabytes) quotas — a department's quota is one budget across its systems.
* **Each system gets its own resources** inside that project, each tagged with tenant,
  system, request, desired name and spec fingerprint: ``network`` (network + subnet,
  and a router to the external network when ``spec.router`` is true, i.e. when ingress
  from outside is declared), ``security_group``, ``security_rule``, ``server``,
  ``floating_ip``, ``volume``.
* **Security groups hold exactly the declared rules.** Neutron's default egress rules
  and any rule added out-of-band are deleted on every apply; egress is therefore
  closed unless a ``security_rule`` with ``direction: egress`` is declared.
* **Volumes are Cinder volumes of a named type.** A ``volume`` of ``type: ssd`` is
  created with the cloud's volume type ``ssd``; an encrypted one with ``ssd-encrypted``,
  which must exist and carry an encryption spec (the apply refuses it otherwise, so an
  "encrypted" volume is never silently plain). It is attached to its ``server`` through
  Nova and reported with its server's govcloud name. Size and type are not changed by
  apply. Where the cloud has no block-storage service (or ``has_block_storage: false``
  in its clouds.yaml), a volume — or a server whose spec lists ``volumes`` — fails
  with a permanent ``ProviderInvalidRequest`` saying so.
* **Crash safety.** Servers get their tags in the create call itself; Neutron
  resources are created with a description marker and tagged right after, and a re-run
  adopts a marked-but-untagged resource instead of creating another. ``delete`` finds
  resources by tags *or* marker, so a half-created resource is never orphaned.

Must not import anything internal outside ``providers``. SDK exceptions leave only
through ``providers.openstack_errors``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

import openstack
import openstack.config
from openstack.connection import Connection

from providers.base import Clock
from providers.errors import (
    ProviderAuthError,
    ProviderConflict,
    ProviderError,
    ProviderInvalidRequest,
    ProviderNotFound,
)
from providers.openstack_errors import translated
from providers.openstack_inventory import (
    observe_floating_ip,
    observe_network,
    observe_quota,
    observe_security_group,
    observe_security_rule,
    observe_server,
    observe_volume,
    volume_type_name,
)
from providers.openstack_tags import (
    cloud_name,
    identity_of,
    marker,
    parse_marker,
    parse_tags,
    project_name,
    project_tags,
    resource_tags,
)
from providers.openstack_usage import (
    Allocation,
    clip,
    parse_time,
    server_allocations,
    volume_allocation,
)
from providers.ordering import run_in_order
from providers.registry import ProviderConfig
from providers.types import (
    TAG_MANAGED,
    TAG_TENANT,
    Action,
    ApplyOutcome,
    DesiredResource,
    HealthReport,
    ObservedResource,
    QuotaSet,
    SystemRef,
    UsageObservation,
    spec_fingerprint,
)

__all__ = ["OpenStackDriver"]

_END = object()
# Times one listing starts again after its paging marker was deleted (see ``_each``).
_LISTING_RESTARTS = 5


def _lost_marker(error: ProviderError) -> bool:
    """Whether a page request failed because its marker item no longer exists."""
    cause = error.__cause__
    if isinstance(cause, openstack.exceptions.NotFoundException):
        return True
    return isinstance(cause, openstack.exceptions.BadRequestException) and (
        "marker" in str(cause).lower()
    )


#: Keystone's ``tags=`` filter selecting govcloud's department projects.
_PROJECT_MARK = f"{TAG_MANAGED}=true"

_NO_CINDER = (
    "this provider has no block-storage (cinder) service, so volumes cannot be provisioned "
    "here / 此云平台未提供块存储（cinder）服务，无法创建云硬盘"
)


#: Neutron kinds that carry a name, and the proxy method that renames them.
_NAMED_NEUTRON = {
    "network": "update_network",
    "subnet": "update_subnet",
    "router": "update_router",
    "security_group": "update_security_group",
}
#: Nova metadata key holding a server's marker (see ``providers.openstack_tags``).
_SERVER_MARK = "govcloud"


def _metadata(tags: Sequence[str]) -> dict[str, str]:
    """``key=value`` tags as the Cinder metadata dict that carries them on a volume."""
    return {key: value for key, _, value in (t.partition("=") for t in tags)}


def _get(item: Any, key: str) -> Any:
    return item.get(key) if isinstance(item, Mapping) else getattr(item, key, None)


def _named(system: SystemRef, name: str) -> dict[str, object]:
    """The fact drift watches besides the spec: the name govcloud gave the resource."""
    return {"cloud_name": cloud_name(system, name)}


def _text(spec: Mapping[str, object], key: str, default: str | None = None) -> str:
    value = spec.get(key, default)
    if value is None or not str(value):
        raise KeyError(key)
    return str(value)


def _names(spec: Mapping[str, object], key: str) -> list[str]:
    value = spec.get(key) or []
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list | tuple):
        raise TypeError(f"{key} must be a list of names")
    return [str(v) for v in value]


def _found_or_created(find: Callable[[], Any], create: Callable[[], Any]) -> Any:
    """The named Keystone object, created if missing. Two requests of one department on
    two replicas both find nothing and both create; Keystone refuses the second (409,
    "Duplicate entry"), and that one then uses what the other created instead of failing
    the request for a back-off round."""
    found = find()
    if found is not None:
        return found
    try:
        return create()
    except openstack.exceptions.ConflictException:
        found = find()
        if found is None:
            raise
        return found


@dataclass
class _Found:
    """What already exists in a project for one system, keyed by desired name."""

    networks: dict[str, Any] = field(default_factory=dict)
    subnets: dict[str, Any] = field(default_factory=dict)
    routers: dict[str, Any] = field(default_factory=dict)
    groups: dict[str, Any] = field(default_factory=dict)
    servers: dict[str, Any] = field(default_factory=dict)
    fips: dict[str, Any] = field(default_factory=dict)
    volumes: dict[str, Any] = field(default_factory=dict)


@dataclass
class _Run:
    """State of one ``apply``: the project-scoped connection and what it found."""

    system: SystemRef
    project_id: str
    conn: Any  # a project-scoped openstacksdk Connection
    found: _Found
    pending_servers: dict[str, str] = field(default_factory=dict)  # name -> id


class OpenStackDriver:
    """A ``Driver`` for one OpenStack cloud (see the module docstring for its rules)."""

    kind = "openstack"

    def __init__(
        self,
        name: str,
        *,
        cloud: str,
        clock: Clock,
        clouds_yaml: str | None = None,
        connect: Callable[[], Connection] | None = None,
        wait_timeout: float = 120.0,
        page_size: int = 200,
        external_network: str = "public",
        member_role: str = "member",
    ) -> None:
        self.name = name
        self.cloud = cloud
        self._clock = clock
        self._clouds_yaml = clouds_yaml
        self._connect = connect or self._default_connect
        self._conn: Connection | None = None
        self._project_conns: dict[str, Any] = {}
        self._block_storage: bool | None = None
        self._wait_timeout = wait_timeout
        self._page_size = page_size
        self._external_network = external_network
        self._member_role = member_role

    @classmethod
    def from_config(cls, config: ProviderConfig, *, clock: Clock) -> OpenStackDriver:
        """Options: ``clouds_yaml``, ``wait_timeout``, ``page_size``, ``external_network``."""
        known = {"clouds_yaml", "wait_timeout", "page_size", "external_network", "member_role"}
        unknown = sorted(set(config.options) - known)
        if unknown:
            raise ProviderInvalidRequest(
                config.name, f"unknown openstack options {unknown}; known: {sorted(known)}"
            )
        if not config.cloud:
            raise ProviderInvalidRequest(config.name, "an openstack provider needs `cloud`")
        opts = config.options
        return cls(
            config.name,
            cloud=config.cloud,
            clock=clock,
            clouds_yaml=str(opts["clouds_yaml"]) if opts.get("clouds_yaml") else None,
            wait_timeout=float(str(opts.get("wait_timeout", 120.0))),
            page_size=int(str(opts.get("page_size", 200))),
            external_network=str(opts.get("external_network", "public")),
            member_role=str(opts.get("member_role", "member")),
        )

    # -- connections ---------------------------------------------------------

    def _default_connect(self) -> Connection:
        files = [self._clouds_yaml] if self._clouds_yaml else None
        config = openstack.config.OpenStackConfig(config_files=files)
        region = config.get_one(cloud=self.cloud)
        return openstack.connection.Connection(config=region)

    @property
    def conn(self) -> Any:
        """The admin connection (``Any``: the SDK types its proxies as version unions)."""
        if self._conn is None:
            with translated(self.name):
                self._conn = self._connect()
        return self._conn

    def _as_project(self, project_id: str) -> Any:
        conn = self._project_conns.get(project_id)
        if conn is None:
            with translated(self.name):
                conn = self.conn.connect_as(project_id=project_id)
            self._project_conns[project_id] = conn
        return conn

    def _has_block_storage(self) -> bool:
        if self._block_storage is None:
            with translated(self.name):
                self._block_storage = bool(self.conn.has_service("block-storage"))
        return self._block_storage

    # -- health --------------------------------------------------------------

    def health(self) -> HealthReport:
        started = time.perf_counter()
        try:
            with translated(self.name):
                conn = self._connect()
                conn.authorize()
                next(iter(conn.compute.flavors(limit=1)), None)
        except ProviderError as exc:
            auth_failed = isinstance(exc, ProviderAuthError)
            return HealthReport(
                self.name,
                reachable=auth_failed,
                auth_ok=False,
                latency_ms=None,
                checked_at=self._clock(),
                detail=exc.detail,  # the wrapping error names the provider and the kind
            )
        latency = round((time.perf_counter() - started) * 1000, 1)
        return HealthReport(
            self.name, True, True, latency, self._clock(), "token issued and compute answered"
        )

    # -- quotas and projects -------------------------------------------------

    def _project(self, tenant: str) -> Any:
        """The department's project, created (tagged, with role assignments) if missing."""
        conn = self.conn
        with translated(self.name):
            ident = conn.identity
            domain_id = conn.current_project.get("domain_id") or "default"
            project = _found_or_created(
                lambda: ident.find_project(project_name(tenant), domain_id=domain_id),
                lambda: ident.create_project(
                    name=project_name(tenant),
                    domain_id=domain_id,
                    description=f"govcloud department {tenant}",
                    tags=project_tags(tenant),
                ),
            )
            self._grant(project, tenant, domain_id)
        return project

    def _grant(self, project: Any, tenant: str, domain_id: str) -> None:
        ident = self.conn.identity
        admin = ident.find_role("admin", ignore_missing=False)
        member = ident.find_role(self._member_role, ignore_missing=False)
        user_id = self.conn.current_user_id
        if not ident.validate_user_has_project_role(project, user_id, admin):
            ident.assign_project_role_to_user(project, user_id, admin)
        group_name = project_name(tenant)
        group = _found_or_created(
            lambda: ident.find_group(group_name, domain_id=domain_id),
            lambda: ident.create_group(
                name=group_name, domain_id=domain_id, description=f"govcloud department {tenant}"
            ),
        )
        if not ident.validate_group_has_project_role(project, group, member):
            ident.assign_project_role_to_group(project, group, member)

    def offboard(self, tenant: str) -> list[ApplyOutcome]:
        """Remove what onboarding created for ``tenant``: its project (and with it the
        project's quotas and role assignments) and its Keystone group.

        Refused while the project still holds servers, networks, volumes or security
        groups other than Neutron's own ``default``: offboarding never deletes a
        department's data.
        """
        conn = self.conn
        with translated(self.name):
            domain_id = conn.current_project.get("domain_id") or "default"
            project = conn.identity.find_project(project_name(tenant), domain_id=domain_id)
            group = conn.identity.find_group(project_name(tenant), domain_id=domain_id)
        outcomes: list[ApplyOutcome] = []
        if project is not None:
            with translated(self.name):
                left = [
                    *conn.compute.servers(all_projects=True, project_id=project.id),
                    *conn.network.networks(project_id=project.id),
                    *(
                        g
                        for g in conn.network.security_groups(project_id=project.id)
                        if g.name != "default"
                    ),
                    *(
                        conn.block_storage.volumes(all_projects=True, project_id=project.id)
                        if self._has_block_storage()
                        else ()
                    ),
                ]
                if left:
                    raise ProviderConflict(
                        self.name,
                        f"project {project.name} still holds {len(left)} resources; "
                        "not offboarding",
                        temporary=False,
                    )
                for group_ in conn.network.security_groups(project_id=project.id):
                    conn.network.delete_security_group(group_, ignore_missing=True)
                conn.identity.delete_project(project, ignore_missing=True)
            self._project_conns.pop(str(project.id), None)
            outcomes.append(ApplyOutcome("project", project.name, "deleted", str(project.id)))
        if group is not None:
            with translated(self.name):
                conn.identity.delete_group(group, ignore_missing=True)
            outcomes.append(ApplyOutcome("group", group.name, "deleted", str(group.id)))
        return outcomes

    def set_quotas(self, tenant: str, quotas: QuotaSet) -> None:
        def limit(value: int | None, scale: int = 1) -> int:
            return -1 if value is None else value * scale

        project = self._project(tenant)
        with translated(self.name):
            self.conn.set_compute_quotas(
                project.id,
                cores=limit(quotas.vcpu),
                ram=limit(quotas.memory_gib, 1024),
                # Servers are bounded by cores and RAM; Nova's default of 10 is not ours.
                instances=-1,
            )
            # A department's systems share its project: Neutron's per-project defaults
            # (10 security groups, 10 routers...) would cap it at a handful of systems.
            self.conn.set_network_quotas(
                project.id,
                floatingip=limit(quotas.public_ips),
                network=-1,
                subnet=-1,
                router=-1,
                port=-1,
                security_group=-1,
                security_group_rule=-1,
            )
            if self._has_block_storage():
                # Volumes are bounded by gigabytes; Cinder's default of 10 volumes and
                # 1000 GiB per project is not ours (no declared storage: unlimited).
                self.conn.set_volume_quotas(
                    project.id,
                    gigabytes=limit(quotas.storage_gib),
                    volumes=-1,
                    snapshots=-1,
                    backups=-1,
                    backup_gigabytes=-1,
                )

    # -- apply ---------------------------------------------------------------

    def apply(self, system: SystemRef, desired: Sequence[DesiredResource]) -> list[ApplyOutcome]:
        project = self._project(system.tenant)
        conn = self._as_project(project.id)
        run = _Run(system, project.id, conn, self._find(conn, system, project.id))
        outcomes = run_in_order(
            desired, provider=self.name, step=lambda item: self._step(run, item)
        )
        outcomes.extend(self._prune_rules(run, desired))
        return self._await_servers(run, outcomes)

    def _step(self, run: _Run, item: DesiredResource) -> ApplyOutcome:
        steps: dict[str, Callable[[_Run, DesiredResource], ApplyOutcome]] = {
            "network": self._ensure_network,
            "security_group": self._ensure_group,
            "security_rule": self._ensure_rule,
            "server": self._ensure_server,
            "floating_ip": self._ensure_fip,
            "volume": self._ensure_volume,
        }
        step = steps.get(item.kind)
        if step is None:
            raise ProviderInvalidRequest(self.name, f"{item.key}: not an OpenStack resource kind")
        try:
            with translated(self.name):
                return step(run, item)
        except (KeyError, TypeError, ValueError) as exc:
            raise ProviderInvalidRequest(self.name, f"{item.key}: bad spec: {exc!r}") from exc

    def _find(self, conn: Any, system: SystemRef, project_id: str) -> _Found:
        """Index the system's existing resources by tags, or by marker when untagged."""
        found = _Found()
        with translated(self.name):
            net = conn.network
            for attr, kind, listing in (
                ("networks", "network", net.networks(project_id=project_id)),
                ("subnets", "subnet", net.subnets(project_id=project_id)),
                ("routers", "router", net.routers(project_id=project_id)),
                ("groups", "security_group", net.security_groups(project_id=project_id)),
                ("fips", "floating_ip", net.ips(project_id=project_id)),
            ):
                for item in listing:
                    name = self._owned_name(system, kind, item)
                    if name is not None:
                        getattr(found, attr)[name] = item
            for server in conn.compute.servers():
                name = self._server_name(system, server)
                if name is not None:
                    found.servers[name] = server
            if self._has_block_storage():
                for volume in conn.block_storage.volumes():
                    ident = identity_of(dict(volume.metadata or {}))
                    if ident and system.owns(ident[0], ident[1]) and ident[3]:
                        found.volumes[ident[3]] = volume
        return found

    @staticmethod
    def _server_name(system: SystemRef, server: Any) -> str | None:
        """The desired name of ``system``'s server, by tags, else by its marker metadata.

        Nova keeps metadata apart from tags, so a server whose govcloud tags were removed
        by hand is still found (and re-tagged) instead of booted a second time.
        """
        ident = identity_of(list(server.tags or []))
        if ident is not None and system.owns(ident[0], ident[1]) and ident[3]:
            return ident[3]
        marked = parse_marker(dict(server.metadata or {}).get(_SERVER_MARK))
        if marked and system.owns(marked[0], marked[1]) and marked[2] == "server":
            return marked[3]
        return None

    @staticmethod
    def _owned_name(system: SystemRef, kind: str, item: Any) -> str | None:
        ident = identity_of(list(item.tags or []))
        if ident is not None and system.owns(ident[0], ident[1]) and ident[3]:
            return ident[3]
        # removed or altered tags: the marker written with the resource still says whose
        marked = parse_marker(getattr(item, "description", None))
        if marked and system.owns(marked[0], marked[1]) and marked[2] == kind:
            return marked[3]
        return None

    @staticmethod
    def _tag(run: _Run, item: DesiredResource, resource: Any, fingerprint: str) -> bool:
        """Set govcloud's tags on a Neutron resource; whether they had to change."""
        tags = resource_tags(run.system, item.name, fingerprint)
        if sorted(resource.tags or []) == tags:
            return False
        run.conn.network.set_tags(resource, tags)
        return True

    def _neutron(
        self,
        run: _Run,
        item: DesiredResource,
        kind: str,
        existing: Any,
        create: Callable[..., Any],
        **attrs: object,
    ) -> tuple[Any, bool, bool]:
        """Find-or-create one Neutron resource of ``item`` with marker and tags.

        Returns the resource, whether it was created and whether its tags changed.
        """
        fingerprint = spec_fingerprint(item.spec)
        created = existing is None
        if created:
            existing = create(
                name=cloud_name(run.system, item.name),
                description=marker(run.system, kind, item.name),
                **attrs,
            )
        retagged = self._tag(run, item, existing, fingerprint)
        wanted = cloud_name(run.system, item.name)
        if kind in _NAMED_NEUTRON and existing.name != wanted:
            # renamed by hand: the name is how operators find it in Horizon, put it back
            existing = getattr(run.conn.network, _NAMED_NEUTRON[kind])(existing, name=wanted)
            retagged = True
        return existing, created, retagged

    def _ensure_network(self, run: _Run, item: DesiredResource) -> ApplyOutcome:
        spec = item.spec
        cidr = _text(spec, "cidr")
        net_api = run.conn.network
        old_subnet = run.found.subnets.get(item.name)
        if old_subnet is not None and old_subnet.cidr != cidr:
            raise ProviderInvalidRequest(
                self.name,
                f"{item.key}: changing the cidr of an existing network ({old_subnet.cidr} → "
                f"{cidr}) is not supported; delete the system and apply again",
            )
        network, created, changed = self._neutron(
            run, item, "network", run.found.networks.get(item.name), net_api.create_network
        )
        subnet, sub_created, sub_tagged = self._neutron(
            run,
            item,
            "subnet",
            run.found.subnets.get(item.name),
            net_api.create_subnet,
            network_id=network.id,
            ip_version=4,
            cidr=cidr,
        )
        run.found.networks[item.name], run.found.subnets[item.name] = network, subnet
        changed = changed or sub_created or sub_tagged
        if spec.get("router"):
            external = net_api.find_network(
                str(spec.get("external_network") or self._external_network), ignore_missing=False
            )
            router, router_created, router_tagged = self._neutron(
                run,
                item,
                "router",
                run.found.routers.get(item.name),
                net_api.create_router,
                external_gateway_info={"network_id": external.id},
            )
            attached = {
                ip.get("subnet_id")
                for port in net_api.ports(device_id=router.id)
                for ip in port.fixed_ips or []
            }
            run.found.routers[item.name] = router
            changed = changed or router_created or router_tagged
            if subnet.id not in attached:
                net_api.add_interface_to_router(router, subnet=subnet.id)
                changed = True
        action: Action = "created" if created else ("updated" if changed else "unchanged")
        return ApplyOutcome(
            item.kind, item.name, action, network.id, facts=_named(run.system, item.name)
        )

    def _ensure_group(self, run: _Run, item: DesiredResource) -> ApplyOutcome:
        # The description holds the crash-safety marker, so a declared description is
        # kept only in the spec fingerprint; a changed one just re-tags the group.
        group, created, retagged = self._neutron(
            run,
            item,
            "security_group",
            run.found.groups.get(item.name),
            run.conn.network.create_security_group,
        )
        run.found.groups[item.name] = group
        action: Action = "created" if created else ("updated" if retagged else "unchanged")
        return ApplyOutcome(
            item.kind, item.name, action, group.id, facts=_named(run.system, item.name)
        )

    def _rule_group(self, run: _Run, item: DesiredResource) -> Any:
        group_name = _text(item.spec, "security_group")
        group = run.found.groups.get(group_name)
        if group is None:
            raise ProviderNotFound(
                self.name, f"{item.key}: security group {group_name!r} of this system not found"
            )
        return group

    @staticmethod
    def _rule_attrs(spec: Mapping[str, object]) -> dict[str, object]:
        protocol = spec.get("protocol")
        port_min = spec.get("port_min", spec.get("port"))
        port_max = spec.get("port_max", port_min)
        return {
            "direction": str(spec.get("direction", "ingress")),
            "ether_type": str(spec.get("ethertype", "IPv4")),
            "protocol": None if protocol in (None, "any") else str(protocol),
            "port_range_min": None if port_min is None else int(str(port_min)),
            "port_range_max": None if port_max is None else int(str(port_max)),
            "remote_ip_prefix": spec.get("remote_cidr") or None,
        }

    def _ensure_rule(self, run: _Run, item: DesiredResource) -> ApplyOutcome:
        group = self._rule_group(run, item)
        wanted = self._rule_attrs(item.spec)
        label = marker(run.system, "security_rule", item.name)
        net_api = run.conn.network
        current = [
            rule
            for rule in net_api.security_group_rules(security_group_id=group.id)
            if rule.description == label
        ]
        same = [r for r in current if all(getattr(r, k) == v for k, v in wanted.items())]
        if same and len(current) == 1:
            return ApplyOutcome(item.kind, item.name, "unchanged", same[0].id)
        for rule in current:
            net_api.delete_security_group_rule(rule, ignore_missing=True)
        rule = net_api.create_security_group_rule(
            security_group_id=group.id, description=label, **wanted
        )
        return ApplyOutcome(
            item.kind,
            item.name,
            "updated" if current else "created",
            rule.id,
            changes=tuple(sorted(wanted)) if current else (),
        )

    def _prune_rules(self, run: _Run, desired: Sequence[DesiredResource]) -> list[ApplyOutcome]:
        """Delete every rule of the system's declared groups that was not declared."""
        declared = {
            marker(run.system, "security_rule", item.name)
            for item in desired
            if item.kind == "security_rule"
        }
        outcomes: list[ApplyOutcome] = []
        groups = [
            run.found.groups[i.name]
            for i in desired
            if i.kind == "security_group" and i.name in run.found.groups
        ]
        try:
            with translated(self.name):
                for group in groups:
                    for rule in run.conn.network.security_group_rules(security_group_id=group.id):
                        if rule.description in declared:
                            continue
                        run.conn.network.delete_security_group_rule(rule, ignore_missing=True)
                        marked = parse_marker(rule.description)
                        name = marked[3] if marked else f"undeclared-{rule.id}"
                        outcomes.append(ApplyOutcome("security_rule", name, "deleted", rule.id))
        except ProviderError as exc:
            outcomes.append(ApplyOutcome("security_rule", "*", "failed", None, exc))
        return outcomes

    def _ensure_server(self, run: _Run, item: DesiredResource) -> ApplyOutcome:
        spec = item.spec
        if spec.get("volumes") and not self._has_block_storage():
            raise ProviderInvalidRequest(self.name, f"{item.key}: {_NO_CINDER}")
        fingerprint = spec_fingerprint(spec)
        existing = run.found.servers.get(item.name)
        compute = run.conn.compute
        if existing is not None and str(existing.status).upper() == "ERROR":
            # A server that failed to build is replaced, never left behind.
            compute.delete_server(existing, ignore_missing=True)
            compute.wait_for_delete(existing, wait=self._wait_timeout)
            existing = None
        if existing is not None:
            tags = sorted(existing.tags or [])
            named = existing.name == cloud_name(run.system, item.name)
            if tags == resource_tags(run.system, item.name, fingerprint) and named:
                if str(existing.status).upper() not in ("ACTIVE",):
                    run.pending_servers[item.name] = existing.id
                return ApplyOutcome(
                    item.kind,
                    item.name,
                    "unchanged",
                    existing.id,
                    facts=_named(run.system, item.name),
                )
            return self._update_server(run, item, existing, fingerprint)
        network = run.found.networks.get(_text(spec, "network"))
        if network is None:
            raise ProviderNotFound(self.name, f"{item.key}: network {spec['network']!r} not found")
        groups = []
        for group_name in _names(spec, "security_groups"):
            group = run.found.groups.get(group_name)
            if group is None:
                raise ProviderNotFound(
                    self.name, f"{item.key}: security group {group_name!r} not found"
                )
            groups.append({"name": group.id})
        flavor = compute.find_flavor(_text(spec, "flavor"), ignore_missing=False)
        image = run.conn.image.find_image(_text(spec, "image"), ignore_missing=False)
        server = compute.create_server(
            name=cloud_name(run.system, item.name),
            flavor_id=flavor.id,
            image_id=image.id,
            networks=[{"uuid": network.id}],
            security_groups=groups,
            tags=resource_tags(run.system, item.name, fingerprint),
            metadata={_SERVER_MARK: marker(run.system, "server", item.name)},
        )
        run.found.servers[item.name] = server
        run.pending_servers[item.name] = server.id
        return ApplyOutcome(
            item.kind, item.name, "created", server.id, facts=_named(run.system, item.name)
        )

    def _update_server(
        self, run: _Run, item: DesiredResource, server: Any, fingerprint: str
    ) -> ApplyOutcome:
        flavor = observe_server(self.name, server, {}).spec.get("flavor")
        if "flavor" in item.spec and str(item.spec["flavor"]) != str(flavor):
            raise ProviderInvalidRequest(
                self.name,
                f"{item.key}: changing the flavour of a running server ({flavor} → "
                f"{item.spec['flavor']}) is not supported by apply; resize it explicitly",
            )
        changes: list[str] = []
        tags = resource_tags(run.system, item.name, fingerprint)
        if sorted(server.tags or []) != tags:
            server.set_tags(run.conn.compute, tags)
            changes.append("tags")
        if server.name != cloud_name(run.system, item.name):
            run.conn.compute.update_server(server, name=cloud_name(run.system, item.name))
            changes.append("cloud_name")
        return ApplyOutcome(
            item.kind,
            item.name,
            "updated",
            server.id,
            changes=tuple(changes),
            facts=_named(run.system, item.name),
        )

    def _ensure_fip(self, run: _Run, item: DesiredResource) -> ApplyOutcome:
        server_name = _text(item.spec, "server")
        server_id = run.pending_servers.get(server_name) or getattr(
            run.found.servers.get(server_name), "id", None
        )
        if server_id is None:
            raise ProviderNotFound(self.name, f"{item.key}: server {server_name!r} not found")
        net_api = run.conn.network
        external = net_api.find_network(
            str(item.spec.get("network") or self._external_network), ignore_missing=False
        )
        fip, created, _ = self._neutron(
            run,
            item,
            "floating_ip",
            run.found.fips.get(item.name),
            lambda name, **attrs: net_api.create_ip(floating_network_id=external.id, **attrs),
        )
        run.found.fips[item.name] = fip
        self._wait_active(run, server_name, server_id)
        port = next(iter(net_api.ports(device_id=server_id)), None)
        if port is None:
            raise ProviderConflict(self.name, f"{item.key}: server {server_name} has no port yet")
        if fip.port_id != port.id:
            net_api.update_ip(fip, port_id=port.id)
            return ApplyOutcome(item.kind, item.name, "created" if created else "updated", fip.id)
        return ApplyOutcome(item.kind, item.name, "unchanged", fip.id)

    def _ensure_volume(self, run: _Run, item: DesiredResource) -> ApplyOutcome:
        if not self._has_block_storage():
            raise ProviderInvalidRequest(self.name, f"{item.key}: {_NO_CINDER}")
        spec = item.spec
        size = int(str(spec["size_gib"]))
        type_name = volume_type_name(str(spec.get("type") or "ssd"), bool(spec.get("encrypted")))
        storage = run.conn.block_storage
        metadata = _metadata(resource_tags(run.system, item.name, spec_fingerprint(spec)))
        volume = run.found.volumes.get(item.name)
        changes: list[str] = []
        if volume is None:
            self._check_volume_type(storage, item, type_name, bool(spec.get("encrypted")))
            # The tags travel in the create call itself: a crash right after leaves a
            # volume the next apply finds (and adopts) instead of creating another.
            volume = storage.create_volume(
                name=cloud_name(run.system, item.name),
                size=size,
                volume_type=type_name,
                metadata=metadata,
            )
            action: Action = "created"
        else:
            self._check_volume_unchanged(item, volume, size, type_name)
            action = "unchanged"
            if {k: v for k, v in dict(volume.metadata or {}).items() if k in metadata} != metadata:
                storage.set_volume_metadata(volume, **metadata)
                changes.append("tags")
            if volume.name != cloud_name(run.system, item.name):
                volume = storage.update_volume(volume, name=cloud_name(run.system, item.name))
                changes.append("cloud_name")
        run.found.volumes[item.name] = volume
        if str(volume.status).lower() != "in-use":
            volume = storage.wait_for_status(
                volume,
                status="available",
                failures=["error", "error_extending"],
                wait=self._wait_timeout,
            )
        server_name = spec.get("server")
        if server_name and self._attach(run, item, volume, str(server_name)):
            changes.append("server")
        if action == "unchanged" and changes:
            action = "updated"
        return ApplyOutcome(
            item.kind,
            item.name,
            action,
            volume.id,
            changes=tuple(changes) if action == "updated" else (),
            facts=_named(run.system, item.name),
        )

    def _check_volume_type(
        self, storage: Any, item: DesiredResource, type_name: str, encrypted: bool
    ) -> None:
        """Refuse a volume type the cloud lacks, or an "encrypted" one that is not."""
        volume_type = storage.find_type(type_name)
        if volume_type is None:
            raise ProviderInvalidRequest(
                self.name,
                f"{item.key}: this cloud has no volume type {type_name!r} / "
                f"此云平台没有云硬盘类型 {type_name!r}",
            )
        if encrypted and not storage.get_type_encryption(volume_type).encryption_id:
            raise ProviderInvalidRequest(
                self.name,
                f"{item.key}: volume type {type_name!r} does not encrypt, so an encrypted "
                f"volume cannot be created with it / 云硬盘类型 {type_name!r} 未配置加密",
            )

    def _check_volume_unchanged(
        self, item: DesiredResource, volume: Any, size: int, type_name: str
    ) -> None:
        """A volume's size and type (hence encryption) are not changed by apply."""
        if str(volume.volume_type) != type_name:
            raise ProviderInvalidRequest(
                self.name,
                f"{item.key}: changing the type or encryption of an existing volume "
                f"({volume.volume_type} → {type_name}) is not supported; "
                "migrate the data to a new volume",
            )
        if int(volume.size) != size:
            raise ProviderInvalidRequest(
                self.name,
                f"{item.key}: changing the size of an existing volume ({volume.size} → "
                f"{size} GiB) is not supported by apply; extend it explicitly",
            )

    def _attach(self, run: _Run, item: DesiredResource, volume: Any, server_name: str) -> bool:
        """Attach ``volume`` to the system's server ``server_name``; whether it had to."""
        server_id = run.pending_servers.get(server_name) or getattr(
            run.found.servers.get(server_name), "id", None
        )
        if server_id is None:
            raise ProviderNotFound(self.name, f"{item.key}: server {server_name!r} not found")
        attached = {str(_get(a, "server_id")) for a in volume.attachments or []}
        if str(server_id) in attached:
            return False
        if attached:
            raise ProviderConflict(
                self.name,
                f"{item.key}: volume is attached to another server ({sorted(attached)})",
                temporary=False,
            )
        self._wait_active(run, server_name, server_id)
        run.conn.compute.create_volume_attachment(server_id, volume_id=volume.id)
        run.conn.block_storage.wait_for_status(
            volume,
            status="in-use",
            failures=["error", "error_attaching"],
            wait=self._wait_timeout,
        )
        return True

    def _wait_active(self, run: _Run, name: str, server_id: str) -> None:
        server = run.conn.compute.get_server(server_id)
        run.conn.compute.wait_for_server(server, status="ACTIVE", wait=self._wait_timeout)
        run.pending_servers.pop(name, None)

    def _await_servers(self, run: _Run, outcomes: list[ApplyOutcome]) -> list[ApplyOutcome]:
        """Wait for every server created or still building; a failure replaces its outcome."""
        result: list[ApplyOutcome] = []
        for outcome in outcomes:
            if outcome.kind == "server" and outcome.name in run.pending_servers and outcome.ok:
                try:
                    with translated(self.name):
                        self._wait_active(run, outcome.name, run.pending_servers[outcome.name])
                except ProviderError as exc:
                    outcome = ApplyOutcome(
                        outcome.kind, outcome.name, "failed", outcome.resource_id, exc
                    )
            result.append(outcome)
        return result

    # -- delete --------------------------------------------------------------

    def delete(self, system: SystemRef) -> list[ApplyOutcome]:
        """Remove everything tagged (or marked) as ``system``'s, dependants first."""
        with translated(self.name):
            project = self.conn.identity.find_project(
                project_name(system.tenant),
                domain_id=self.conn.current_project.get("domain_id") or "default",
            )
        if project is None:
            return []
        conn = self._as_project(project.id)
        found = self._find(conn, system, project.id)
        with translated(self.name):
            net = conn.network
        # Dependants first. Subnets and routers are parts of their ``network`` resource
        # and report under it; a missing part is simply skipped.
        steps: list[tuple[str, dict[str, Any], Callable[[Any], object]]] = [
            ("floating_ip", found.fips, lambda f: net.delete_ip(f, ignore_missing=True)),
            ("server", found.servers, lambda s: conn.compute.delete_server(s, ignore_missing=True)),
            # Waiting only after every delete was sent lets Nova remove them in parallel.
            (
                "server",
                found.servers,
                lambda s: conn.compute.wait_for_delete(s, wait=self._wait_timeout),
            ),
            # Nova detaches a deleted server's volumes shortly after the server is gone.
            ("volume", found.volumes, lambda v: self._detached(conn, v)),
            (
                "volume",
                found.volumes,
                lambda v: conn.block_storage.delete_volume(v, ignore_missing=True),
            ),
            (
                "volume",
                found.volumes,
                lambda v: conn.block_storage.wait_for_delete(v, wait=self._wait_timeout),
            ),
            ("network", found.routers, lambda r: self._delete_router(net, r)),
            ("network", found.subnets, lambda s: net.delete_subnet(s, ignore_missing=True)),
            ("network", found.networks, lambda n: net.delete_network(n, ignore_missing=True)),
            (
                "security_group",
                found.groups,
                lambda g: net.delete_security_group(g, ignore_missing=True),
            ),
        ]
        outcomes: dict[tuple[str, str], ApplyOutcome] = {}
        for kind, resources, remove in steps:
            for name, resource in resources.items():
                try:
                    with translated(self.name):
                        remove(resource)
                    outcome = ApplyOutcome(kind, name, "deleted", str(resource.id))
                except ProviderNotFound:
                    outcome = ApplyOutcome(kind, name, "absent", str(resource.id))
                except ProviderError as exc:
                    outcome = ApplyOutcome(kind, name, "failed", str(resource.id), exc)
                previous = outcomes.get((kind, name))
                if previous is None or previous.ok:
                    outcomes[(kind, name)] = outcome
        return list(outcomes.values())

    def remove_unmanaged(self, kind: str, resource_id: str) -> ApplyOutcome:
        """Delete one resource govcloud did not create (the operator asked to prune it).

        Only kinds govcloud itself manages can be removed; a resource already gone is
        ``absent``. Waits for a server to disappear so a re-sync no longer lists it.
        """
        conn = self.conn
        removers: dict[str, Callable[[], object]] = {
            "server": lambda: self._remove_server(resource_id),
            "security_rule": lambda: conn.network.delete_security_group_rule(
                resource_id, ignore_missing=False
            ),
            "security_group": lambda: conn.network.delete_security_group(
                resource_id, ignore_missing=False
            ),
            "network": lambda: conn.network.delete_network(resource_id, ignore_missing=False),
            "floating_ip": lambda: conn.network.delete_ip(resource_id, ignore_missing=False),
            "volume": lambda: conn.block_storage.delete_volume(resource_id, ignore_missing=False),
        }
        remove = removers.get(kind)
        if remove is None:
            raise ProviderInvalidRequest(self.name, f"cannot remove a {kind} ({resource_id})")
        try:
            with translated(self.name):
                remove()
        except ProviderNotFound:
            return ApplyOutcome(kind, resource_id, "absent", resource_id)
        except ProviderError as exc:
            return ApplyOutcome(kind, resource_id, "failed", resource_id, exc)
        return ApplyOutcome(kind, resource_id, "deleted", resource_id)

    def _remove_server(self, server_id: str) -> None:
        compute = self.conn.compute
        server = compute.get_server(server_id)
        compute.delete_server(server, ignore_missing=False)
        compute.wait_for_delete(server, wait=self._wait_timeout)

    def _detached(self, conn: Any, volume: Any) -> None:
        """Wait until ``volume`` is no longer attached (or being attached or detached)."""
        storage = conn.block_storage
        current = storage.get_volume(volume)
        if str(current.status).lower() in ("in-use", "attaching", "detaching", "reserved"):
            storage.wait_for_status(
                current, status="available", failures=["error"], wait=self._wait_timeout
            )

    @staticmethod
    def _delete_router(net: Any, router: Any) -> None:
        net.update_router(router, external_gateway_info={})
        for port in net.ports(device_id=router.id, device_owner="network:router_interface"):
            for ip in port.fixed_ips or []:
                net.remove_interface_from_router(router, subnet=ip["subnet_id"])
        net.delete_router(router, ignore_missing=True)

    # -- inventory and usage -------------------------------------------------

    def list_inventory(self) -> Iterator[ObservedResource]:
        """Every server, network, security group (and rule), floating IP and volume.

        Lists across all projects with paginated requests (``page_size`` per page).
        External (provider) networks and Neutron's untouched per-project ``default``
        security groups are infrastructure, not tenant resources, and are skipped.
        """
        return self._inventory()

    def _each(self, listing: Callable[[], Any]) -> Iterator[Any]:
        """Items of an SDK listing, each page pulled inside ``translated``.

        Pages follow a marker: the id of the previous page's last item. When that item
        is deleted between two pages (a department removing a volume while a sync
        lists), Nova, Neutron and Cinder answer 404 and Glance 400 for the marker. The
        listing then starts again and skips the ids it already yielded, so a deletion
        elsewhere in the cloud costs a re-read, not a failed sync. The restarts are
        bounded: a cloud whose markers vanish every time is reported, not chased.
        """
        yielded: set[str] = set()
        for restart in range(_LISTING_RESTARTS + 1):
            with translated(self.name):
                iterator = iter(listing())
            while True:
                item: Any
                try:
                    with translated(self.name):
                        item = next(iterator, _END)
                except ProviderError as exc:
                    if not yielded or restart == _LISTING_RESTARTS or not _lost_marker(exc):
                        raise
                    break  # the marker vanished: list again from the start
                if item is _END:
                    return
                key = str(item.id)
                if key not in yielded:
                    yielded.add(key)
                    yield item

    def _department_projects(self) -> dict[str, str]:
        """Project id → department code of every project govcloud onboarded."""
        conn = self.conn
        found: dict[str, str] = {}
        for project in self._each(lambda: conn.identity.projects(tags=_PROJECT_MARK)):
            tenant = parse_tags(list(project.tags or [])).get(TAG_TENANT)
            if tenant:
                found[str(project.id)] = tenant
        return found

    def _inventory(self) -> Iterator[ObservedResource]:
        # Touching a proxy (``conn.network``) may authenticate: only inside ``_each``.
        conn, page = self.conn, self._page_size
        projects = self._department_projects()
        images = {str(i.id): str(i.name) for i in self._each(lambda: conn.image.images(limit=page))}
        server_names: dict[str, str] = {}  # id -> govcloud name, for volume attachments
        for server in self._each(
            lambda: conn.compute.servers(all_projects=True, details=True, limit=page)
        ):
            observed_server = observe_server(self.name, server, images, projects)
            if observed_server.managed:
                server_names[observed_server.resource_id] = observed_server.name
            yield observed_server
        cidrs = {
            str(s.network_id): str(s.cidr)
            for s in self._each(lambda: conn.network.subnets(limit=page))
        }
        for network in self._each(lambda: conn.network.networks(limit=page)):
            if not network.is_router_external:
                yield observe_network(self.name, network, cidrs, projects)
        for group in self._each(lambda: conn.network.security_groups(limit=page)):
            observed = observe_security_group(self.name, group, projects)
            if group.name == "default" and not observed.managed:
                continue
            yield observed
            for rule in group.security_group_rules or []:
                yield observe_security_rule(self.name, _Rule(rule), observed)
        for fip in self._each(lambda: conn.network.ips(limit=page)):
            yield observe_floating_ip(self.name, fip, projects)
        if self._has_block_storage():
            for volume in self._each(
                lambda: conn.block_storage.volumes(all_projects=True, limit=page)
            ):
                yield observe_volume(self.name, volume, projects, server_names)
        for project_id, tenant in sorted(projects.items()):
            try:
                quotas = self.get_quotas(project_id)
            except (ProviderInvalidRequest, ProviderNotFound):
                # Nova answers 400 "not a valid project" for a project deleted since the
                # listing (a department offboarded meanwhile): nothing of it to observe
                if self._project_exists(project_id):
                    raise
                continue
            yield observe_quota(self.name, project_id, tenant, quotas)

    def _project_exists(self, project_id: str) -> bool:
        with translated(self.name):
            return self.conn.identity.find_project(project_id, ignore_missing=True) is not None

    def get_quotas(self, project_id: str) -> dict[str, int | None]:
        """A project's Nova, Neutron (and Cinder) limits in ``QuotaSet`` terms."""

        def unlimited(value: object, scale: int = 1) -> int | None:
            number = int(str(value))
            return None if number < 0 else number // scale

        with translated(self.name):
            compute = self.conn.compute.get_quota_set(project_id)
            network = self.conn.network.get_quota(project_id)
            limits: dict[str, int | None] = {
                "vcpu": unlimited(compute.cores),
                "memory_gib": unlimited(compute.ram, 1024),
                "public_ips": unlimited(network.floating_ips),
            }
            if self._has_block_storage():
                volume = self.conn.block_storage.get_quota_set(project_id)
                limits["storage_gib"] = unlimited(volume.gigabytes)
        return limits

    def observe_usage(self, since: datetime, until: datetime) -> Iterator[UsageObservation]:
        """Server vCPU/memory intervals (live and deleted since ``since``), floating IPs
        and volumes (``storage.<type>`` GiB from creation).

        Cinder lists no deleted volumes, so a volume's last interval ends at the last
        collection that still saw it: collect at least as often as the billing period.
        """
        if not since < until:
            raise ValueError(f"empty usage window: {since.isoformat()} >= {until.isoformat()}")
        return clip(self.name, list(self._allocations(since, until)), since, until)

    def _allocations(self, since: datetime, until: datetime) -> Iterator[Allocation]:
        conn, page = self.conn, self._page_size
        live = self._each(lambda: conn.compute.servers(all_projects=True, details=True, limit=page))
        # Nova lists servers deleted since a time only when asked for deleted ones.
        deleted = self._each(
            lambda: conn.compute.servers(
                all_projects=True,
                details=True,
                limit=page,
                deleted=True,
                changes_since=since.isoformat(),
            )
        )
        seen: set[str] = set()
        for listing in (live, deleted):
            for server in listing:
                if server.id not in seen:
                    seen.add(server.id)
                    yield from self._server_allocations(server)
        for fip in self._each(lambda: conn.network.ips(limit=page)):
            ident = identity_of(list(fip.tags or []))
            start = parse_time(fip.created_at)
            if start is not None and start < until:
                tenant, system = (ident[0], ident[1]) if ident else (None, None)
                yield Allocation(
                    str(fip.id), tenant, system, "network.public_ip", Decimal(1), start, None
                )
        if self._has_block_storage():
            for volume in self._each(
                lambda: conn.block_storage.volumes(all_projects=True, limit=page)
            ):
                allocation = volume_allocation(
                    str(volume.id),
                    identity_of(dict(volume.metadata or {})),
                    size_gib=int(volume.size or 0),
                    volume_type=str(volume.volume_type or ""),
                    created_at=parse_time(volume.created_at),
                    status=str(volume.status),
                )
                if allocation is not None and allocation.start < until:
                    yield allocation

    @staticmethod
    def _server_allocations(server: Any) -> list[Allocation]:
        ident = identity_of(list(server.tags or []))
        flavor = server.flavor or {}
        return server_allocations(
            str(server.id),
            ident[0] if ident else None,
            ident[1] if ident else None,
            vcpus=int(flavor.get("vcpus") or 0),
            ram_mib=int(flavor.get("ram") or 0),
            launched_at=parse_time(server.launched_at),
            created_at=parse_time(server.created_at),
            terminated_at=parse_time(server.terminated_at),
            status=str(server.status),
        )


class _Rule:
    """Attribute access over the plain dicts Neutron embeds in a security group."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.id = data.get("id")
        self.description = data.get("description")
        self.direction = data.get("direction")
        self.protocol = data.get("protocol")
        self.port_range_min = data.get("port_range_min")
        self.port_range_max = data.get("port_range_max")
        self.remote_ip_prefix = data.get("remote_ip_prefix")
        self.ether_type = data.get("ethertype")
        self.created_at = data.get("created_at")
