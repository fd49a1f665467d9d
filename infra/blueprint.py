"""What one department system looks like as Pulumi resources, as plain data.

Owns the *blueprint*: the ordered list of Pulumi resources (class, logical name, inputs,
dependencies) that realises a system's provider-neutral ``DesiredResource`` list — the
same list the SDK drivers receive — on one provider kind. It is pure and imports no
``pulumi`` package, so the component (``infra.component``), the exported standalone
program (``infra.export``) and the tests all read one description.

Naming: every Pulumi resource that realises desired resource ``kind/name`` has the
logical name ``kind/name`` (a network's subnet and router share it; their types differ,
so their URNs do not). Cloud names, tags, description markers and Kubernetes bodies are
the ones the SDK drivers write (``providers.openstack_tags``,
``providers.kubernetes_objects``), so inventory sync and drift treat what Pulumi made as
managed and compare it with the same fingerprints.

Values the program cannot know in advance are placeholders: ``Ref`` (an output of an
earlier resource), ``Lookup`` (a data-source call) and ``Setting`` (stack config).

Must not import anything internal outside ``providers``, nor any ``pulumi`` package.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from providers.errors import ProviderInvalidRequest
from providers.kubernetes_objects import (
    DEFAULT_DENY,
    OBJECT_KINDS,
    namespace_body,
    namespace_name,
)
from providers.openstack_tags import (
    TAG_SPEC,
    cloud_name,
    marker,
    project_name,
    project_tags,
    resource_tags,
)
from providers.ordering import dependency_order
from providers.types import DesiredResource, QuotaSet, SystemRef, spec_fingerprint

__all__ = [
    "KUBERNETES_KINDS",
    "OPENSTACK_KINDS",
    "Blueprint",
    "Department",
    "Lookup",
    "Planned",
    "Ref",
    "Setting",
    "blueprint",
    "realisable",
]

OPENSTACK_KINDS = frozenset(
    {"network", "security_group", "security_rule", "server", "volume", "floating_ip"}
)
KUBERNETES_KINDS = frozenset({"namespace", *(k for k, v in OBJECT_KINDS.items() if v.body_spec)})


@dataclass(frozen=True, slots=True)
class Ref:
    """Output ``attr`` of the planned resource whose handle is ``handle``."""

    handle: str
    attr: str = "id"


@dataclass(frozen=True, slots=True)
class Lookup:
    """Attribute ``attr`` of data source ``module.function(**args)``."""

    module: str
    function: str
    args: Mapping[str, str]
    attr: str = "id"


@dataclass(frozen=True, slots=True)
class Setting:
    """A required stack config value ``namespace:key``."""

    namespace: str
    key: str


@dataclass(frozen=True, slots=True)
class Planned:
    """One Pulumi resource: ``module.cls(name, **inputs, opts=...)``.

    ``handle`` is unique in a blueprint (``Ref`` targets it); ``depends`` are handles
    this resource must wait for besides those its ``Ref`` inputs imply; ``provider``
    is the handle of the explicit provider resource it is created with, if any.
    """

    handle: str
    module: str
    cls: str
    name: str
    inputs: Mapping[str, object]
    depends: tuple[str, ...] = ()
    provider: str | None = None
    realises: str | None = None  # the desired key, None for provider/department parts

    def refs(self) -> list[str]:
        """Handles of every resource this one reads an output of."""
        found: list[str] = []

        def walk(value: object) -> None:
            if isinstance(value, Ref):
                found.append(value.handle)
            elif isinstance(value, Mapping):
                for item in value.values():
                    walk(item)
            elif isinstance(value, list | tuple):
                for item in value:
                    walk(item)

        walk(self.inputs)
        return found


@dataclass(frozen=True, slots=True)
class Department:
    """The department's OpenStack project: the shared existing one, or created here.

    ``create=False`` (what govcloud itself uses: onboarding already made the project
    and set its quotas) scopes every resource to project ``govcloud-<tenant>``;
    ``create=True`` (a standalone project) creates it and, when given, its quotas.
    """

    create: bool = False
    quotas: QuotaSet | None = None


@dataclass(frozen=True, slots=True)
class Blueprint:
    """The resources of one system on one provider, in creation order."""

    system: SystemRef
    provider_kind: str
    resources: tuple[Planned, ...] = field(default_factory=tuple)

    @property
    def component_type(self) -> str:
        """The type token of the ``ComponentResource`` that parents every resource."""
        return f"govcloud:index:{self.provider_kind.capitalize()}System"

    @property
    def component_name(self) -> str:
        return f"{self.system.tenant}-{self.system.system}"


_OS = "pulumi_openstack"
_K8S = "pulumi_kubernetes"


def _drop_none(values: Mapping[str, object]) -> dict[str, object]:
    return {key: value for key, value in values.items() if value is not None}


class _OpenStack:
    """Builds the OpenStack blueprint (mirrors ``providers.openstack.OpenStackDriver``)."""

    def __init__(self, system: SystemRef, department: Department, external_network: str) -> None:
        self.system = system
        self.department = department
        self.external = external_network
        self.out: list[Planned] = []

    def add(self, handle: str, module: str, cls: str, name: str, **kw: object) -> Planned:
        planned = Planned(handle, module, cls, name, **kw)  # type: ignore[arg-type]
        self.out.append(planned)
        return planned

    def tags(self, item: DesiredResource) -> list[str]:
        return resource_tags(self.system, item.name, spec_fingerprint(item.spec))

    def marked(self, item: DesiredResource, kind: str) -> dict[str, object]:
        """The name, crash-safety marker and tags the SDK driver gives a Neutron part."""
        return {
            "name": cloud_name(self.system, item.name),
            "description": marker(self.system, kind, item.name),
            "tags": self.tags(item),
        }

    def scope(self) -> None:
        project = project_name(self.system.tenant)
        provider_inputs: dict[str, object] = {"cloud": Setting("openstack", "cloud")}
        if not self.department.create:
            provider_inputs["tenant_name"] = project
        else:
            self.add(
                "department:project",
                f"{_OS}.identity",
                "Project",
                f"project/{project}",
                inputs={
                    "name": project,
                    "description": f"govcloud department {self.system.tenant}",
                    "tags": project_tags(self.system.tenant),
                },
            )
            provider_inputs["tenant_id"] = Ref("department:project")
            self.quotas(self.department.quotas)
        self.add("department:provider", _OS, "Provider", "department", inputs=provider_inputs)

    def quotas(self, quotas: QuotaSet | None) -> None:
        if quotas is None:
            return

        def limit(value: int | None, scale: int = 1) -> int:
            return -1 if value is None else value * scale

        project = Ref("department:project")
        self.add(
            "department:compute-quota", f"{_OS}.compute", "QuotaSetV2", "quota/compute",
            inputs={"project_id": project, "cores": limit(quotas.vcpu),
                    "ram": limit(quotas.memory_gib, 1024), "instances": -1},
        )  # fmt: skip
        unlimited = ("network", "subnet", "router", "port", "security_group",
                     "security_group_rule")  # fmt: skip
        self.add(
            "department:network-quota", f"{_OS}.networking", "QuotaV2", "quota/network",
            inputs={"project_id": project, "floatingip": limit(quotas.public_ips),
                    **dict.fromkeys(unlimited, -1)},
        )  # fmt: skip
        if quotas.storage_gib is not None:
            self.add(
                "department:volume-quota", f"{_OS}.blockstorage", "QuoteSetV3", "quota/volume",
                inputs={"project_id": project, "gigabytes": quotas.storage_gib},
            )  # fmt: skip

    def realise(self, item: DesiredResource) -> None:
        steps: dict[str, Callable[[DesiredResource], None]] = {
            "network": self.network,
            "security_group": self.group,
            "security_rule": self.rule,
            "server": self.server,
            "volume": self.volume,
            "floating_ip": self.floating_ip,
        }
        steps[item.kind](item)

    def part(self, item: DesiredResource, role: str, module: str, cls: str, **kw: object) -> None:
        self.add(
            f"{item.key}:{role}", f"{_OS}.{module}", cls, item.key,
            provider="department:provider", realises=item.key, **kw,
        )  # fmt: skip

    def network(self, item: DesiredResource) -> None:
        spec = item.spec
        self.part(item, "network", "networking", "Network", inputs=self.marked(item, "network"))
        self.part(
            item, "subnet", "networking", "Subnet",
            inputs={**self.marked(item, "subnet"), "network_id": Ref(f"{item.key}:network"),
                    "ip_version": 4, "cidr": str(spec["cidr"])},
        )  # fmt: skip
        if spec.get("router"):
            external = str(spec.get("external_network") or self.external)
            self.part(
                item, "router", "networking", "Router",
                inputs={**self.marked(item, "router"), "external_network_id": Lookup(
                    f"{_OS}.networking", "get_network", {"name": external})},
            )  # fmt: skip
            self.part(
                item, "interface", "networking", "RouterInterface",
                inputs={"router_id": Ref(f"{item.key}:router"),
                        "subnet_id": Ref(f"{item.key}:subnet")},
            )  # fmt: skip

    def group(self, item: DesiredResource) -> None:
        # Neutron's default egress rules are removed: the group holds exactly the
        # declared rules, as the SDK driver's prune does.
        self.part(
            item, "group", "networking", "SecGroup",
            inputs={**self.marked(item, "security_group"), "delete_default_rules": True},
        )  # fmt: skip

    def rule(self, item: DesiredResource) -> None:
        spec = item.spec
        protocol = spec.get("protocol")
        port_min = spec.get("port_min", spec.get("port"))
        port_max = spec.get("port_max", port_min)
        group = f"security_group/{spec['security_group']}:group"
        inputs = _drop_none(
            {
                "security_group_id": Ref(group),
                "description": marker(self.system, "security_rule", item.name),
                "direction": str(spec.get("direction", "ingress")),
                "ethertype": str(spec.get("ethertype", "IPv4")),
                "protocol": None if protocol in (None, "any") else str(protocol),
                "port_range_min": None if port_min is None else int(str(port_min)),
                "port_range_max": None if port_max is None else int(str(port_max)),
                "remote_ip_prefix": spec.get("remote_cidr") or None,
            }
        )
        self.part(item, "rule", "networking", "SecGroupRule", inputs=inputs)

    def server(self, item: DesiredResource) -> None:
        spec = item.spec
        groups = spec.get("security_groups") or []
        names = [groups] if isinstance(groups, str) else list(groups)  # type: ignore[call-overload]
        network = f"network/{spec['network']}"
        # An explicit port, so a floating IP can be associated with it; the SDK engine
        # gets the same port implicitly from Nova. It carries the server's identity but
        # not its spec fingerprint: a new flavour changes the server, not its port.
        identity = [t for t in self.tags(item) if not t.startswith(f"{TAG_SPEC}=")]
        self.part(
            item, "port", "networking", "Port",
            inputs={**self.marked(item, "port"), "tags": identity,
                    "network_id": Ref(f"{network}:network"),
                    "security_group_ids": [Ref(f"security_group/{g}:group") for g in names]},
            depends=(f"{network}:subnet",),
        )  # fmt: skip
        self.part(
            item, "server", "compute", "Instance",
            inputs={"name": cloud_name(self.system, item.name), "flavor_name": str(spec["flavor"]),
                    "image_name": str(spec["image"]), "networks": [{"port": Ref(f"{item.key}:port")}],
                    "tags": self.tags(item), "metadata": {"govcloud": "managed"}},
        )  # fmt: skip

    def volume(self, item: DesiredResource) -> None:
        metadata = dict(tag.partition("=")[::2] for tag in self.tags(item))
        self.part(
            item, "volume", "blockstorage", "Volume",
            inputs={"name": cloud_name(self.system, item.name),
                    "size": int(str(item.spec["size_gib"])), "metadata": metadata},
        )  # fmt: skip
        server = item.spec.get("server")
        if server:
            self.part(
                item, "attach", "compute", "VolumeAttach",
                inputs={"instance_id": Ref(f"server/{server}:server"),
                        "volume_id": Ref(f"{item.key}:volume")},
            )  # fmt: skip

    def floating_ip(self, item: DesiredResource) -> None:
        server = f"server/{item.spec['server']}"
        self.part(
            item, "fip", "networking", "FloatingIp",
            inputs={"pool": str(item.spec.get("network") or self.external),
                    "description": marker(self.system, "floating_ip", item.name),
                    "tags": self.tags(item)},
        )  # fmt: skip
        self.part(
            item, "associate", "networking", "FloatingIpAssociate",
            inputs={"floating_ip": Ref(f"{item.key}:fip", "address"),
                    "port_id": Ref(f"{server}:port")},
            depends=(f"{server}:server",),
        )  # fmt: skip


_K8S_CLASSES = {
    "namespace_quota": ("core.v1", "ResourceQuota"),
    "limit_range": ("core.v1", "LimitRange"),
    "network_policy": ("networking.v1", "NetworkPolicy"),
    "role_binding": ("rbac.v1", "RoleBinding"),
}


def _kubernetes(system: SystemRef, desired: Sequence[DesiredResource]) -> list[Planned]:
    """Mirrors ``providers.kubernetes.KubernetesDriver.apply``: the namespace and its
    default-deny policy are ensured even when not listed."""
    out = [Planned("cluster:provider", _K8S, "Provider", "cluster",
                   {"context": Setting("kubernetes", "context")})]  # fmt: skip
    declared = next((item for item in desired if item.kind == "namespace"), None)
    ns_item = declared or DesiredResource("namespace", namespace_name(system))
    labels = ns_item.spec.get("labels")
    extra = {str(k): str(v) for k, v in labels.items()} if isinstance(labels, Mapping) else {}
    namespace = namespace_name(system) if declared is None else declared.name
    body = namespace_body(namespace, system, extra)
    ns_handle = f"{ns_item.key}:namespace"
    out.append(
        Planned(ns_handle, f"{_K8S}.core.v1", "Namespace", ns_item.key,
                {"metadata": body["metadata"]}, provider="cluster:provider",
                realises=ns_item.key)
    )  # fmt: skip
    items = [item for item in desired if item.kind != "namespace"]
    if not any(i.kind == "network_policy" and i.name == DEFAULT_DENY for i in items):
        items.insert(0, DesiredResource("network_policy", DEFAULT_DENY, {"policy": "deny-all"}))
    for item in items:
        body = OBJECT_KINDS[item.kind].body(system, item)
        inputs: dict[str, object] = {"metadata": {**body["metadata"], "namespace": namespace}}
        if item.kind == "role_binding":
            inputs.update(role_ref=body["roleRef"], subjects=body["subjects"])
        else:
            inputs["spec"] = body["spec"]
        module, cls = _K8S_CLASSES[item.kind]
        out.append(
            Planned(f"{item.key}:object", f"{_K8S}.{module}", cls, item.key, inputs,
                    depends=(ns_handle,), provider="cluster:provider", realises=item.key)
        )  # fmt: skip
    return out


def realisable(desired: Sequence[DesiredResource], provider_kind: str) -> list[DesiredResource]:
    """The part of a system's desired resources a ``provider_kind`` provider holds."""
    kinds = {"openstack": OPENSTACK_KINDS, "kubernetes": KUBERNETES_KINDS}.get(provider_kind)
    return [item for item in desired if kinds is not None and item.kind in kinds]


def blueprint(
    system: SystemRef,
    desired: Sequence[DesiredResource],
    provider_kind: str,
    *,
    provider: str,
    department: Department | None = None,
    external_network: str = "public",
) -> Blueprint:
    """The Pulumi resources that provision ``desired`` for ``system`` on ``provider``.

    Raises ``ProviderInvalidRequest`` (naming ``provider``) for a provider kind Pulumi
    does not provision or a desired kind that kind cannot hold — before anything runs.
    """
    kinds = {"openstack": OPENSTACK_KINDS, "kubernetes": KUBERNETES_KINDS}.get(provider_kind)
    if kinds is None:
        raise ProviderInvalidRequest(
            provider, f"the pulumi engine provisions openstack and kubernetes, not {provider_kind}"
        )
    foreign = sorted(item.key for item in desired if item.kind not in kinds)
    if foreign:
        raise ProviderInvalidRequest(
            provider, f"not {provider_kind} resource kinds: {', '.join(foreign)}"
        )
    ordered = dependency_order(desired, provider=provider)
    if provider_kind == "kubernetes":
        planned = _kubernetes(system, ordered)
    else:
        builder = _OpenStack(system, department or Department(), external_network)
        builder.scope()
        for item in ordered:
            try:
                builder.realise(item)
            except (KeyError, TypeError, ValueError) as exc:
                raise ProviderInvalidRequest(provider, f"{item.key}: bad spec: {exc!r}") from exc
        planned = builder.out
    seen: set[str] = set()
    for part in planned:
        needed = (*part.refs(), *part.depends, *([part.provider] if part.provider else []))
        missing = [handle for handle in needed if handle not in seen]
        if missing:
            raise ProviderInvalidRequest(
                provider, f"{part.realises or part.name} refers to undeclared {missing[0]}"
            )
        seen.add(part.handle)
    return Blueprint(system, provider_kind, tuple(planned))
