"""How govcloud's Kubernetes resource kinds look on the wire, as pure functions.

Owns the declarative mapping between a ``DesiredResource`` of a Kubernetes kind and the
API object that realises it: object names, labels and annotations, the manifest body,
the *state* of an object (the part govcloud owns, normalised so that ``"1Gi"`` and
``"1024Mi"`` compare equal), the provider-neutral spec reported in inventory, and
``system_resources`` which turns a manifest's quota / ingress / group into the desired
resources of one system. No I/O happens here; ``providers.kubernetes`` does the calls.

Must not import anything internal except ``providers.types`` and ``providers.quantity``,
nor any cloud SDK (bodies are plain JSON-shaped dicts).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from providers.quantity import parse_quantity
from providers.types import LABEL_PREFIX, DesiredResource, SystemRef, spec_fingerprint

__all__ = [
    "ANNOTATION_HISTORY",
    "ANNOTATION_OWNER",
    "ANNOTATION_STATE",
    "DEFAULT_DENY",
    "INTERNET_CIDR",
    "LABEL_KIND",
    "LABEL_LEVEL",
    "LABEL_MANAGED_BY",
    "LABEL_NAME",
    "OBJECT_KINDS",
    "ObjectKind",
    "changed_keys",
    "default_group",
    "namespace_body",
    "namespace_name",
    "object_name",
    "object_state",
    "owner_mark",
    "state_fingerprint",
    "system_labels",
    "system_resources",
]

LABEL_LEVEL = LABEL_PREFIX + "level"
LABEL_KIND = LABEL_PREFIX + "kind"
LABEL_NAME = LABEL_PREFIX + "name"
#: The well-known label, so kubectl users and other tools see who owns the object.
LABEL_MANAGED_BY = "app.kubernetes.io/managed-by"
#: Fingerprint of the state govcloud last applied; a different live state is drift.
ANNOTATION_STATE = LABEL_PREFIX + "applied-state"
#: Written once on a system namespace: whose it is, surviving removed labels.
ANNOTATION_OWNER = LABEL_PREFIX + "owner"
#: JSON list of ``[iso_time, cpu, memory]``: every quota govcloud set, for usage.
ANNOTATION_HISTORY = LABEL_PREFIX + "allocation-history"
DEFAULT_DENY = "default-deny"
INTERNET_CIDR = "0.0.0.0/0"

_DNS_LABEL = re.compile(r"[^a-z0-9-]+")
_JSON = dict[str, Any]


def _dns_label(text: str, limit: int = 63) -> str:
    """``text`` as an RFC 1123 label; long names keep a hash suffix so they stay unique."""
    label = _DNS_LABEL.sub("-", text.lower()).strip("-") or "x"
    if len(label) <= limit:
        return label
    digest = hashlib.sha256(text.encode()).hexdigest()[:8]
    return f"{label[: limit - 9].rstrip('-')}-{digest}"


def namespace_name(system: SystemRef) -> str:
    """The namespace that holds one system: ``<tenant>-<system>``."""
    return _dns_label(f"{system.tenant}-{system.system}")


def object_name(resource: DesiredResource) -> str:
    """The API object name of a namespaced desired resource."""
    return _dns_label(resource.name, 253 if resource.kind != "network_policy" else 63)


def default_group(tenant: str) -> str:
    """The identity-provider group of a department's operators."""
    return f"govcloud:tenant:{tenant}"


def system_labels(system: SystemRef) -> dict[str, str]:
    """Labels on every object govcloud creates for ``system`` (plus its 等保 level)."""
    return {**system.labels(), LABEL_LEVEL: str(system.level), LABEL_MANAGED_BY: "govcloud"}


def _metadata(system: SystemRef, resource: DesiredResource, state: Mapping[str, object]) -> _JSON:
    labels = {
        **system_labels(system),
        LABEL_KIND: resource.kind,
        LABEL_NAME: _dns_label(resource.name),
    }
    return {
        "name": object_name(resource),
        "labels": labels,
        "annotations": {ANNOTATION_STATE: spec_fingerprint(state)},
    }


def namespace_body(name: str, system: SystemRef, extra_labels: Mapping[str, str]) -> _JSON:
    """The Namespace manifest; its labels are the whole state govcloud owns there.

    The owner annotation is written with the namespace and never changed, so a namespace
    whose govcloud labels were removed by hand is still recognised (and relabelled)
    instead of refused as someone else's.
    """
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {
            "name": name,
            "labels": {**extra_labels, **system_labels(system), LABEL_KIND: "namespace"},
            "annotations": {ANNOTATION_OWNER: owner_mark(system)},
        },
    }


def owner_mark(system: SystemRef) -> str:
    """The owner annotation's value: ``<tenant>/<system>``."""
    return f"{system.tenant}/{system.system}"


# --- normalisation -------------------------------------------------------------------


def _quantity_text(value: object) -> str:
    """A canonical text of a Kubernetes quantity, so equal amounts compare equal."""
    return format(parse_quantity(value).normalize(), "f")


def _quantities(mapping: Mapping[str, object] | None) -> dict[str, str]:
    return {key: _quantity_text(value) for key, value in sorted((mapping or {}).items())}


def _get(obj: Mapping[str, Any], *path: str) -> Any:
    node: Any = obj
    for key in path:
        if not isinstance(node, Mapping):
            return None
        node = node.get(key)
    return node


def _spec_str(spec: Mapping[str, object], key: str) -> str | None:
    value = spec.get(key)
    return None if value is None else str(value)


# --- per-kind mapping ----------------------------------------------------------------


def _quota_spec(spec: Mapping[str, object]) -> _JSON:
    hard: dict[str, str] = {}
    for key in ("cpu", "memory"):
        quantity = _spec_str(spec, key)
        if quantity is not None:
            # Requests and limits both: a department cannot overcommit its allocation.
            hard[f"requests.{key}"] = quantity
            hard[f"limits.{key}"] = quantity
    if spec.get("pods") is not None:
        hard["pods"] = str(spec["pods"])
    for key, value in spec.items():
        if key not in ("cpu", "memory", "pods"):
            hard[key] = str(value)
    return {"hard": hard}


def _quota_state(obj: Mapping[str, Any]) -> _JSON:
    return {"hard": _quantities(_get(obj, "spec", "hard"))}


def _quota_observed(obj: Mapping[str, Any]) -> _JSON:
    hard = _get(obj, "spec", "hard") or {}
    used = _get(obj, "status", "used") or {}
    spec: _JSON = {}
    for key, wire in (("cpu", "requests.cpu"), ("memory", "requests.memory"), ("pods", "pods")):
        if wire in hard:
            spec[key] = int(hard[wire]) if key == "pods" else str(hard[wire])
    spec["hard"] = dict(hard)
    spec["used"] = dict(used)
    return spec


_LIMIT_KEYS = {
    "default_cpu": ("default", "cpu"),
    "default_memory": ("default", "memory"),
    "default_request_cpu": ("defaultRequest", "cpu"),
    "default_request_memory": ("defaultRequest", "memory"),
    "max_cpu": ("max", "cpu"),
    "max_memory": ("max", "memory"),
}


def _limit_spec(spec: Mapping[str, object]) -> _JSON:
    container: dict[str, Any] = {"type": "Container"}
    for key, (section, resource) in _LIMIT_KEYS.items():
        value = _spec_str(spec, key)
        if value is not None:
            container.setdefault(section, {})[resource] = value
    return {"limits": [container]}


def _limit_state(obj: Mapping[str, Any]) -> _JSON:
    limits = _get(obj, "spec", "limits") or []
    return {
        "limits": [
            {
                key: (_quantities(value) if isinstance(value, Mapping) else value)
                for key, value in sorted(item.items())
            }
            for item in limits
        ]
    }


def _limit_observed(obj: Mapping[str, Any]) -> _JSON:
    container: Mapping[str, Any] = next(
        (item for item in _get(obj, "spec", "limits") or [] if item.get("type") == "Container"),
        {},
    )
    found: _JSON = {}
    for key, (section, resource) in _LIMIT_KEYS.items():
        value = _get(container, section, resource)
        if value is not None:
            found[key] = str(value)
    return found


def _policy_spec(spec: Mapping[str, object]) -> _JSON:
    body: _JSON = {"podSelector": {}, "policyTypes": ["Ingress"]}
    if spec.get("policy") == "deny-all":
        return body
    port = spec.get("port")
    protocol = str(spec.get("protocol", "tcp")).upper()
    rule: _JSON = {"from": [{"ipBlock": {"cidr": str(spec.get("remote_cidr", INTERNET_CIDR))}}]}
    if port is not None:
        rule["ports"] = [{"port": int(str(port)), "protocol": protocol}]
    body["ingress"] = [rule]
    return body


def _policy_state(obj: Mapping[str, Any]) -> _JSON:
    spec = _get(obj, "spec") or {}
    return {
        "podSelector": spec.get("podSelector") or {},
        "policyTypes": sorted(spec.get("policyTypes") or []),
        "ingress": spec.get("ingress") or [],
    }


def _policy_observed(obj: Mapping[str, Any]) -> _JSON:
    ingress = _get(obj, "spec", "ingress") or []
    if not ingress:
        return {"policy": "deny-all"}
    rule = ingress[0]
    found: _JSON = {}
    peers = rule.get("from") or []
    if peers and _get(peers[0], "ipBlock", "cidr"):
        found["remote_cidr"] = peers[0]["ipBlock"]["cidr"]
    ports = rule.get("ports") or []
    if ports:
        found["port"] = ports[0].get("port")
        found["protocol"] = str(ports[0].get("protocol", "TCP")).lower()
    if len(ingress) > 1 or len(peers) > 1 or len(ports) > 1:
        found["rules"] = len(ingress)
    return found


def _binding_spec(spec: Mapping[str, object]) -> _JSON:
    return {
        "roleRef": {
            "apiGroup": "rbac.authorization.k8s.io",
            "kind": "ClusterRole",
            "name": str(spec.get("role", "edit")),
        },
        "subjects": [
            {"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": str(spec["group"])}
        ],
    }


def _binding_state(obj: Mapping[str, Any]) -> _JSON:
    return {"roleRef": obj.get("roleRef") or {}, "subjects": obj.get("subjects") or []}


def _binding_observed(obj: Mapping[str, Any]) -> _JSON:
    groups = [s.get("name") for s in obj.get("subjects") or [] if s.get("kind") == "Group"]
    found: _JSON = {"role": _get(obj, "roleRef", "name")}
    if len(groups) == 1:
        found["group"] = groups[0]
    else:
        found["groups"] = groups
    return found


def _deployment_observed(obj: Mapping[str, Any]) -> _JSON:
    containers = _get(obj, "spec", "template", "spec", "containers") or []
    return {
        "replicas": _get(obj, "spec", "replicas"),
        "ready_replicas": _get(obj, "status", "readyReplicas") or 0,
        "images": [c.get("image") for c in containers],
    }


def _pod_observed(obj: Mapping[str, Any]) -> _JSON:
    containers = _get(obj, "spec", "containers") or []
    requests = [(_get(c, "resources", "requests") or {}) for c in containers]
    cpu = sum((parse_quantity(r["cpu"]) for r in requests if "cpu" in r), Decimal(0))
    memory = sum((parse_quantity(r["memory"]) for r in requests if "memory" in r), Decimal(0))
    return {
        "images": [c.get("image") for c in containers],
        "requests_cpu": _quantity_text(cpu),
        "requests_memory": _quantity_text(memory),
        "node": _get(obj, "spec", "nodeName"),
    }


@dataclass(frozen=True, slots=True)
class ObjectKind:
    """One Kubernetes object kind as govcloud sees it (like openstacksdk's ``Body``).

    ``api``/``wire`` name the client class and the method stem (``namespaced_<wire>``,
    ``<wire>_for_all_namespaces``); ``body_spec`` builds the owned part from a desired
    spec and ``state`` extracts it back from a live object (normalised); ``observed``
    is the provider-neutral spec shown in inventory. ``spec_field`` is where the owned
    part sits in the body (RoleBindings have no ``spec``). Kinds without ``body_spec``
    are only listed, never applied.
    """

    kind: str
    api_version: str
    wire_kind: str
    api: str
    wire: str
    observed: Callable[[Mapping[str, Any]], _JSON]
    body_spec: Callable[[Mapping[str, object]], _JSON] | None = None
    state: Callable[[Mapping[str, Any]], _JSON] | None = None
    spec_field: str | None = "spec"

    def body(self, system: SystemRef, resource: DesiredResource) -> _JSON:
        """The full manifest of ``resource`` in ``system``'s namespace."""
        if self.body_spec is None or self.state is None:
            raise ValueError(f"kind {self.kind} cannot be applied, only listed")
        owned = self.body_spec(resource.spec)
        body: _JSON = {"apiVersion": self.api_version, "kind": self.wire_kind}
        if self.spec_field is None:
            body.update(owned)
        else:
            body[self.spec_field] = owned
        body["metadata"] = _metadata(system, resource, self.state(body))
        return body


OBJECT_KINDS: Mapping[str, ObjectKind] = {
    item.kind: item
    for item in (
        ObjectKind(
            "namespace_quota", "v1", "ResourceQuota", "CoreV1Api", "resource_quota",
            _quota_observed, _quota_spec, _quota_state,
        ),
        ObjectKind(
            "limit_range", "v1", "LimitRange", "CoreV1Api", "limit_range",
            _limit_observed, _limit_spec, _limit_state,
        ),
        ObjectKind(
            "network_policy", "networking.k8s.io/v1", "NetworkPolicy", "NetworkingV1Api",
            "network_policy", _policy_observed, _policy_spec, _policy_state,
        ),
        ObjectKind(
            "role_binding", "rbac.authorization.k8s.io/v1", "RoleBinding",
            "RbacAuthorizationV1Api", "role_binding", _binding_observed, _binding_spec,
            _binding_state, spec_field=None,
        ),
        ObjectKind("deployment", "apps/v1", "Deployment", "AppsV1Api", "deployment",
                   _deployment_observed),
        ObjectKind("pod", "v1", "Pod", "CoreV1Api", "pod", _pod_observed),
    )
}  # fmt: skip


def object_state(kind: ObjectKind, obj: Mapping[str, Any]) -> _JSON:
    """The normalised owned part of a live (or desired) object."""
    if kind.state is None:
        raise ValueError(f"kind {kind.kind} has no owned state")
    return kind.state(obj)


def state_fingerprint(kind: ObjectKind, obj: Mapping[str, Any]) -> str:
    return spec_fingerprint(object_state(kind, obj))


def changed_keys(desired: Mapping[str, Any], live: Mapping[str, Any]) -> tuple[str, ...]:
    """Top-level keys whose values differ between two states (for ``ApplyOutcome``)."""
    keys = set(desired) | set(live)
    return tuple(
        sorted(
            key
            for key in keys
            if json.dumps(desired.get(key), sort_keys=True)
            != json.dumps(live.get(key), sort_keys=True)
        )
    )


def system_resources(
    *,
    tenant: str,
    quota: Mapping[str, object] | None,
    ingress: Sequence[Mapping[str, object]] = (),
    group: str | None = None,
    role: str = "edit",
    container_defaults: Mapping[str, str] | None = None,
) -> list[DesiredResource]:
    """The desired resources of one system on a Kubernetes provider.

    ``quota`` is the manifest's ``kubernetes.quota`` (``cpu``, ``memory``, ``pods``);
    ``ingress`` its ``network.ingress`` list (``port``, ``protocol``, ``from`` — a CIDR
    or ``internet``). A LimitRange gives containers default requests/limits so that
    quota-limited namespaces accept pods that do not declare them. The namespace and its
    default-deny policy are always ensured by the driver, so they are not listed here.
    """
    desired: list[DesiredResource] = []
    if quota:
        desired.append(DesiredResource("namespace_quota", "quota", dict(quota)))
        defaults = {
            "default_cpu": "500m",
            "default_memory": "512Mi",
            "default_request_cpu": "100m",
            "default_request_memory": "128Mi",
            **(container_defaults or {}),
        }
        desired.append(DesiredResource("limit_range", "limits", defaults))
    for rule in ingress:
        source = str(rule.get("from", "internet"))
        cidr = INTERNET_CIDR if source == "internet" else source
        protocol = str(rule.get("protocol", "tcp")).lower()
        port = int(str(rule["port"]))
        desired.append(
            DesiredResource(
                "network_policy",
                f"allow-{protocol}-{port}-{_dns_label(source.replace('/', '-'))}",
                {"port": port, "protocol": protocol, "remote_cidr": cidr},
            )
        )
    desired.append(
        DesiredResource(
            "role_binding", "department", {"group": group or default_group(tenant), "role": role}
        )
    )
    return desired
