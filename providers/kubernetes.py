"""The Kubernetes driver: one namespace per information system, via the official client.

Owns ``KubernetesDriver``. Per system it keeps a namespace labelled with the tenant,
system, request and 等保 level; a default-deny NetworkPolicy plus one allow policy per
declared ingress rule; a ResourceQuota, a LimitRange and a RoleBinding for the
department's group (see ``providers.kubernetes_objects`` for the object shapes and
``system_resources`` for turning a manifest into desired resources). Tenant-wide limits
from ``set_quotas`` live in a ConfigMap in ``govcloud-system`` and are enforced by
``apply``. Only APIs that are v1 in Kubernetes 1.20 are used (core, apps,
networking.k8s.io, rbac.authorization.k8s.io). Every client failure goes through
``providers.kubernetes_errors.map_kube_error``; no ``ApiException`` escapes.

Must not import anything internal outside ``providers``; the only place besides
``kubernetes_errors`` that imports the ``kubernetes`` client.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

import kubernetes.client
import kubernetes.config

from providers.errors import (
    ProviderAuthError,
    ProviderConflict,
    ProviderError,
    ProviderInvalidRequest,
    ProviderNotFound,
    ProviderQuotaExceeded,
    ProviderUnavailable,
)
from providers.kubernetes_errors import map_kube_error
from providers.kubernetes_objects import (
    ANNOTATION_HISTORY,
    ANNOTATION_OWNER,
    ANNOTATION_STATE,
    DEFAULT_DENY,
    LABEL_LEVEL,
    OBJECT_KINDS,
    ObjectKind,
    changed_keys,
    namespace_body,
    namespace_name,
    object_name,
    object_state,
    owner_mark,
    state_fingerprint,
)
from providers.kubernetes_usage import append_history, parse_history, quota_usage
from providers.ordering import run_in_order
from providers.quantity import GIB, parse_quantity
from providers.types import (
    LABEL_PREFIX,
    TAG_MANAGED,
    TAG_REQUEST,
    TAG_SYSTEM,
    TAG_TENANT,
    ApplyOutcome,
    DesiredResource,
    HealthReport,
    ObservedResource,
    QuotaSet,
    SystemRef,
    UsageObservation,
    managed_identity,
)

if TYPE_CHECKING:
    from providers.registry import ProviderConfig

__all__ = ["KubernetesDriver"]

_JSON = dict[str, Any]
_LABEL_TENANT = LABEL_PREFIX + TAG_TENANT.split(":", 1)[1]
_LABEL_SYSTEM = LABEL_PREFIX + TAG_SYSTEM.split(":", 1)[1]
_LABEL_REQUEST = LABEL_PREFIX + TAG_REQUEST.split(":", 1)[1]
_LABEL_MANAGED = LABEL_PREFIX + TAG_MANAGED.split(":", 1)[1]
#: Namespaces of the platform itself: never tenant drift.
_PLATFORM_NAMESPACES = frozenset({"default", "kube-system", "kube-public", "kube-node-lease"})
#: Kinds a system namespace holds exactly as declared (see ``KubernetesDriver._prune``).
_PRUNED_KINDS = ("network_policy", "role_binding")
_APPLIED_KINDS = frozenset(k for k, v in OBJECT_KINDS.items() if v.body_spec is not None)
_PAGE = 500


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _parse_time(text: object) -> datetime | None:
    if not isinstance(text, str) or not text:
        return None
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _labels(obj: Mapping[str, Any]) -> dict[str, str]:
    return dict((obj.get("metadata") or {}).get("labels") or {})


def _annotations(obj: Mapping[str, Any]) -> dict[str, str]:
    return dict((obj.get("metadata") or {}).get("annotations") or {})


class KubernetesDriver:
    """A Kubernetes cluster reached through one kubeconfig context."""

    kind = "kubernetes"

    def __init__(
        self,
        name: str,
        *,
        context: str | None = None,
        kubeconfig: str | None = None,
        clock: Callable[[], datetime] = _utcnow,
        api_client: kubernetes.client.ApiClient | None = None,
        request_timeout: float = 10.0,
        system_namespace: str = "govcloud-system",
    ) -> None:
        self.name = name
        self._context = context
        self._kubeconfig = kubeconfig
        self._clock = clock
        self._api_client = api_client
        self._timeout = request_timeout
        self._system_namespace = system_namespace
        self._apis: dict[str, Any] = {}

    @classmethod
    def from_config(
        cls, config: ProviderConfig, *, clock: Callable[[], datetime]
    ) -> KubernetesDriver:
        """Built by ``providers.registry``; ``options`` may name ``kubeconfig``,
        ``request_timeout`` and ``system_namespace``."""
        options = dict(config.options)
        kubeconfig = options.get("kubeconfig")
        return cls(
            config.name,
            context=config.context,
            kubeconfig=str(kubeconfig) if kubeconfig else None,
            clock=clock,
            request_timeout=float(str(options.get("request_timeout", 10.0))),
            system_namespace=str(options.get("system_namespace", "govcloud-system")),
        )

    # --- the one I/O seam ------------------------------------------------------------

    def _error(self, exc: BaseException) -> ProviderError:
        mapped = map_kube_error(self.name, exc)
        if mapped is None:
            raise exc
        return mapped

    def _client(self) -> kubernetes.client.ApiClient:
        if self._api_client is None:
            try:
                client = kubernetes.config.new_client_from_config(  # type: ignore[no-untyped-call]
                    config_file=self._kubeconfig, context=self._context, persist_config=False
                )
            except Exception as exc:
                raise self._error(exc) from exc
            # Retries belong to the scheduler (ProviderUnavailable is temporary), not to
            # urllib3 hiding a dead endpoint behind seconds of back-off.
            client.configuration.retries = 0
            self._api_client = client
        return self._api_client

    def _call(self, api: str, method: str, *args: Any, **kwargs: Any) -> _JSON:
        """Call ``kubernetes.client.<api>().<method>`` and return the JSON answer."""
        if api not in self._apis:
            self._apis[api] = getattr(kubernetes.client, api)(self._client())
        try:
            response = getattr(self._apis[api], method)(
                *args, _preload_content=False, _request_timeout=self._timeout, **kwargs
            )
            data = response.data
        except Exception as exc:
            raise self._error(exc) from exc
        return dict(json.loads(data)) if data else {}

    def _read(self, api: str, method: str, *args: Any) -> _JSON | None:
        try:
            return self._call(api, method, *args)
        except ProviderNotFound:
            return None

    def _list(self, api: str, method: str, *args: Any, **kwargs: Any) -> Iterator[_JSON]:
        token: str | None = None
        while True:
            extra = {"_continue": token} if token else {}
            page = self._call(api, method, *args, limit=_PAGE, **extra, **kwargs)
            yield from page.get("items") or []
            token = (page.get("metadata") or {}).get("continue")
            if not token:
                return

    # --- health ----------------------------------------------------------------------

    def health(self) -> HealthReport:
        started = time.perf_counter()
        reachable, auth_ok, detail = True, True, "ok"
        try:
            version = self._call("VersionApi", "get_code")
            self._call("CoreV1Api", "list_namespace", limit=1)
            detail = f"Kubernetes {version.get('gitVersion', '?')}"
        except ProviderUnavailable as exc:
            reachable, auth_ok, detail = False, False, exc.detail
        except ProviderAuthError as exc:
            auth_ok, detail = False, exc.detail
        except ProviderError as exc:
            detail = exc.detail
        latency = (time.perf_counter() - started) * 1000 if reachable else None
        return HealthReport(self.name, reachable, auth_ok, latency, self._clock(), detail)

    # --- apply -----------------------------------------------------------------------

    def _system_namespaces(self, system: SystemRef) -> list[_JSON]:
        selector = f"{_LABEL_TENANT}={system.tenant},{_LABEL_SYSTEM}={system.system}"
        return list(self._list("CoreV1Api", "list_namespace", label_selector=selector))

    def apply(self, system: SystemRef, desired: Sequence[DesiredResource]) -> list[ApplyOutcome]:
        unknown = sorted(
            item.key for item in desired if item.kind not in _APPLIED_KINDS | {"namespace"}
        )
        if unknown:
            raise ProviderInvalidRequest(
                self.name, f"not a Kubernetes resource kind: {', '.join(unknown)}"
            )
        existing = self._system_namespaces(system)
        declared = next((item for item in desired if item.kind == "namespace"), None)
        if existing:
            ns_name = existing[0]["metadata"]["name"]
        else:
            ns_name = declared.name if declared else namespace_name(system)
        ns_resource = declared or DesiredResource("namespace", ns_name)
        plan: list[DesiredResource] = [ns_resource]
        if not any(i.kind == "network_policy" and i.name == DEFAULT_DENY for i in desired):
            plan.append(DesiredResource("network_policy", DEFAULT_DENY, {"policy": "deny-all"}))
        plan.extend(item for item in desired if item.kind != "namespace")
        ns_key = ns_resource.key
        plan = [
            item
            if item is ns_resource or ns_key in item.depends_on
            else dataclasses.replace(item, depends_on=(*item.depends_on, ns_key))
            for item in plan
        ]

        def step(item: DesiredResource) -> ApplyOutcome:
            if item.kind == "namespace":
                return self._apply_namespace(system, ns_name, item)
            return self._apply_object(system, ns_name, OBJECT_KINDS[item.kind], item)

        outcomes = run_in_order(plan, provider=self.name, step=step)
        if all(o.ok for o in outcomes if o.kind == "namespace"):
            outcomes.extend(self._prune(ns_name, plan))
        return outcomes

    def _prune(self, namespace: str, plan: Sequence[DesiredResource]) -> list[ApplyOutcome]:
        """Delete network policies and role bindings in the namespace nobody declared.

        Like a security group's rules on OpenStack, who may reach a system and who may
        act in it is exactly what was declared: a policy or binding added by hand (or
        left from an earlier spec) is removed on every apply.
        """
        outcomes: list[ApplyOutcome] = []
        for kind_name in _PRUNED_KINDS:
            kind = OBJECT_KINDS[kind_name]
            declared = {object_name(item) for item in plan if item.kind == kind_name}
            try:
                for obj in self._list(kind.api, f"list_namespaced_{kind.wire}", namespace):
                    name = obj["metadata"]["name"]
                    if name in declared:
                        continue
                    self._call(kind.api, f"delete_namespaced_{kind.wire}", name, namespace)
                    outcomes.append(ApplyOutcome(kind_name, name, "deleted", f"{namespace}/{name}"))
            except ProviderError as exc:
                outcomes.append(ApplyOutcome(kind_name, "*", "failed", None, exc))
        return outcomes

    def _apply_namespace(self, system: SystemRef, name: str, item: DesiredResource) -> ApplyOutcome:
        declared = item.spec.get("labels")
        extra = (
            {str(k): str(v) for k, v in declared.items()} if isinstance(declared, Mapping) else {}
        )
        body = namespace_body(name, system, extra)
        live = self._read("CoreV1Api", "read_namespace", name)
        if live is None:
            self._check_tenant_limits(system, new_namespace=True, quota=None)
            self._call("CoreV1Api", "create_namespace", body)
            return ApplyOutcome(
                "namespace", item.name, "created", name, facts={"level": system.level}
            )
        labels = _labels(live)
        owner = managed_identity(labels)
        marked = _annotations(live).get(ANNOTATION_OWNER) == owner_mark(system)
        if (owner is None or not system.owns(owner[0], owner[1])) and not marked:
            raise ProviderConflict(
                self.name,
                f"namespace {name} exists and is not govcloud's for "
                f"{system.tenant}/{system.system}",
                temporary=False,
            )
        if (live.get("status") or {}).get("phase") == "Terminating":
            raise ProviderConflict(self.name, f"namespace {name} is still terminating")
        wanted = body["metadata"]["labels"]
        # The request label follows the system's latest request but is not a change.
        differing = tuple(
            sorted(k for k, v in wanted.items() if labels.get(k) != v and k != _LABEL_REQUEST)
        )
        facts = {"level": system.level}
        if not differing and labels.get(_LABEL_REQUEST) == system.request_id and marked:
            return ApplyOutcome("namespace", item.name, "unchanged", name, facts=facts)
        patch = {"metadata": {"labels": wanted, "annotations": body["metadata"]["annotations"]}}
        self._call("CoreV1Api", "patch_namespace", name, patch)
        action: Literal["updated", "unchanged"] = "updated" if differing else "unchanged"
        return ApplyOutcome("namespace", item.name, action, name, changes=differing, facts=facts)

    def _apply_object(
        self, system: SystemRef, namespace: str, kind: ObjectKind, item: DesiredResource
    ) -> ApplyOutcome:
        body = kind.body(system, item)
        name = body["metadata"]["name"]
        resource_id = f"{namespace}/{name}"
        live = self._read("CoreV1Api" if kind.api == "CoreV1Api" else kind.api,
                          f"read_namespaced_{kind.wire}", name, namespace)  # fmt: skip
        if kind.kind == "namespace_quota":
            self._check_tenant_limits(system, new_namespace=False, quota=(namespace, item.spec))
            previous = _annotations(live).get(ANNOTATION_HISTORY) if live else None
            body["metadata"]["annotations"][ANNOTATION_HISTORY] = append_history(
                previous, self._clock(), item.spec
            )
        if live is None:
            self._call(kind.api, f"create_namespaced_{kind.wire}", namespace, body)
            return ApplyOutcome(item.kind, item.name, "created", resource_id)
        wanted, current = object_state(kind, body), object_state(kind, live)
        labels = _labels(live)
        relabel = any(labels.get(k) != v for k, v in body["metadata"]["labels"].items())
        if wanted == current and not relabel:
            return ApplyOutcome(item.kind, item.name, "unchanged", resource_id)
        if kind.kind == "role_binding" and live.get("roleRef") != body.get("roleRef"):
            # roleRef is immutable: a different role means a new binding.
            self._call(kind.api, f"delete_namespaced_{kind.wire}", name, namespace)
            self._call(kind.api, f"create_namespaced_{kind.wire}", namespace, body)
        else:
            body["metadata"]["resourceVersion"] = live["metadata"]["resourceVersion"]
            self._call(kind.api, f"replace_namespaced_{kind.wire}", name, namespace, body)
        return ApplyOutcome(
            item.kind, item.name, "updated", resource_id, changes=changed_keys(wanted, current)
        )

    # --- tenant limits (set_quotas) --------------------------------------------------

    def _tenant_limits_name(self, tenant: str) -> str:
        return f"tenant-{tenant}"

    def offboard(self, tenant: str) -> list[ApplyOutcome]:
        """Remove the department's limits (its namespaces went with its systems)."""
        name = self._tenant_limits_name(tenant)
        try:
            self._call("CoreV1Api", "delete_namespaced_config_map", name, self._system_namespace)
        except ProviderNotFound:
            return [ApplyOutcome("tenant_limits", name, "absent", None)]
        return [ApplyOutcome("tenant_limits", name, "deleted", f"{self._system_namespace}/{name}")]

    def set_quotas(self, tenant: str, quotas: QuotaSet) -> None:
        """Record ``tenant``'s limits; ``apply`` refuses namespaces and namespace quotas
        beyond them (Kubernetes itself has no cross-namespace quota)."""
        if self._read("CoreV1Api", "read_namespace", self._system_namespace) is None:
            body = {
                "metadata": {
                    "name": self._system_namespace,
                    "labels": {LABEL_PREFIX + "role": "system"},
                }
            }
            self._call("CoreV1Api", "create_namespace", body)
        fields = dataclasses.asdict(quotas)
        data = {key: str(value) for key, value in fields.items() if value is not None}
        name = self._tenant_limits_name(tenant)
        config_map: _JSON = {
            "metadata": {
                "name": name,
                "labels": {_LABEL_TENANT: tenant, LABEL_PREFIX + "role": "tenant-limits"},
            },
            "data": data,
        }
        live = self._read("CoreV1Api", "read_namespaced_config_map", name, self._system_namespace)
        if live is None:
            self._call(
                "CoreV1Api", "create_namespaced_config_map", self._system_namespace, config_map
            )
        else:
            config_map["metadata"]["resourceVersion"] = live["metadata"]["resourceVersion"]
            self._call(
                "CoreV1Api",
                "replace_namespaced_config_map",
                name,
                self._system_namespace,
                config_map,
            )

    def _tenant_limits(self, tenant: str) -> dict[str, Decimal]:
        live = self._read(
            "CoreV1Api",
            "read_namespaced_config_map",
            self._tenant_limits_name(tenant),
            self._system_namespace,
        )
        return {key: Decimal(value) for key, value in ((live or {}).get("data") or {}).items()}

    def _check_tenant_limits(
        self,
        system: SystemRef,
        *,
        new_namespace: bool,
        quota: tuple[str, Mapping[str, object]] | None,
    ) -> None:
        limits = self._tenant_limits(system.tenant)
        if not limits:
            return
        selector = f"{_LABEL_TENANT}={system.tenant},{_LABEL_MANAGED}=true"
        if new_namespace and "namespaces" in limits:
            count = sum(
                1 for _ in self._list("CoreV1Api", "list_namespace", label_selector=selector)
            )
            if count + 1 > limits["namespaces"]:
                raise ProviderQuotaExceeded(
                    self.name,
                    f"tenant {system.tenant} may hold {limits['namespaces']} namespaces "
                    f"and already holds {count}",
                )
        if quota is None:
            return
        namespace, spec = quota
        totals = {"cpu": Decimal(0), "memory": Decimal(0)}
        for obj in self._list(
            "CoreV1Api",
            "list_resource_quota_for_all_namespaces",
            label_selector=selector + f",{LABEL_PREFIX}kind=namespace_quota",
        ):
            if obj["metadata"]["namespace"] == namespace:
                continue
            hard = (obj.get("spec") or {}).get("hard") or {}
            for key in totals:
                if f"requests.{key}" in hard:
                    totals[key] += parse_quantity(hard[f"requests.{key}"])
        for key, limit_key, unit in (("cpu", "vcpu", Decimal(1)), ("memory", "memory_gib", GIB)):
            if limit_key not in limits or spec.get(key) is None:
                continue
            wanted = totals[key] + parse_quantity(spec[key])
            if wanted > limits[limit_key] * unit:
                raise ProviderQuotaExceeded(
                    self.name,
                    f"tenant {system.tenant}: namespace quotas would total {wanted / unit} "
                    f"{limit_key}, above the tenant limit {limits[limit_key]}",
                )

    # --- delete ----------------------------------------------------------------------

    def delete(self, system: SystemRef) -> list[ApplyOutcome]:
        namespaces = self._system_namespaces(system)
        if not namespaces:
            return [ApplyOutcome("namespace", namespace_name(system), "absent", None)]
        outcomes: list[ApplyOutcome] = []
        for ns in namespaces:
            name = ns["metadata"]["name"]
            owned = [
                item
                for item in self._objects(namespace=name)
                if managed_identity(_labels(item[1])) is not None
            ]
            try:
                self._call("CoreV1Api", "delete_namespace", name)
            except ProviderNotFound:
                outcomes.append(ApplyOutcome("namespace", name, "absent", None))
                continue
            # Deleting the namespace removes everything in it (the namespace controller
            # finishes the job); report what govcloud had put there.
            outcomes.extend(
                ApplyOutcome(kind.kind, obj["metadata"]["name"], "deleted",
                             f"{name}/{obj['metadata']['name']}")
                for kind, obj in owned
            )  # fmt: skip
            outcomes.append(ApplyOutcome("namespace", name, "deleted", name))
        return outcomes

    # --- inventory -------------------------------------------------------------------

    def _objects(self, namespace: str | None = None) -> Iterator[tuple[ObjectKind, _JSON]]:
        for kind in OBJECT_KINDS.values():
            if namespace is None:
                found = self._list(kind.api, f"list_{kind.wire}_for_all_namespaces")
            else:
                found = self._list(kind.api, f"list_namespaced_{kind.wire}", namespace)
            for obj in found:
                yield kind, obj

    def list_inventory(self) -> Iterator[ObservedResource]:
        owners: dict[str, tuple[str, str, str | None] | None] = {}
        for ns in self._list("CoreV1Api", "list_namespace"):
            name = ns["metadata"]["name"]
            owners[name] = managed_identity(_labels(ns))
            if self._skipped(name) or name in _PLATFORM_NAMESPACES:
                continue
            labels = _labels(ns)
            level = labels.get(LABEL_LEVEL)
            yield self._observed(
                "namespace",
                name,
                name,
                ns,
                owners[name],
                owners[name],
                status=str((ns.get("status") or {}).get("phase", "Active")),
                spec={"level": int(level) if level and level.isdigit() else None},
            )
        for kind, obj in self._objects():
            namespace = obj["metadata"]["namespace"]
            if self._skipped(namespace):
                continue
            identity = managed_identity(_labels(obj))
            yield self._observed(
                kind.kind,
                f"{namespace}/{obj['metadata']['name']}",
                obj["metadata"]["name"],
                obj,
                identity,
                identity or owners.get(namespace),
                status=self._status(kind, obj),
                spec=kind.observed(obj),
            )

    def _skipped(self, namespace: str) -> bool:
        # Objects in ``default`` stay visible: something placed there by hand is drift.
        return namespace.startswith("kube-") or namespace == self._system_namespace

    def _observed(
        self,
        kind: str,
        resource_id: str,
        name: str,
        obj: Mapping[str, Any],
        identity: tuple[str, str, str | None] | None,
        owner: tuple[str, str, str | None] | None,
        *,
        status: str,
        spec: Mapping[str, object],
    ) -> ObservedResource:
        created = _parse_time((obj.get("metadata") or {}).get("creationTimestamp"))
        return ObservedResource(
            provider=self.name,
            kind=kind,
            resource_id=resource_id,
            name=name,
            tenant=owner[0] if owner else None,
            system=owner[1] if owner else None,
            request_id=identity[2] if identity else None,
            status=status,
            spec=spec,
            created_at=created or self._clock(),
            managed=identity is not None,
        )

    @staticmethod
    def _status(kind: ObjectKind, obj: Mapping[str, Any]) -> str:
        if kind.state is not None:
            recorded = _annotations(obj).get(ANNOTATION_STATE)
            if recorded is None:
                return "Unmanaged"
            return "Active" if recorded == state_fingerprint(kind, obj) else "Drifted"
        if kind.kind == "pod":
            return str((obj.get("status") or {}).get("phase", "Pending"))
        status = obj.get("status") or {}
        wanted = (obj.get("spec") or {}).get("replicas", 1)
        return "Available" if status.get("readyReplicas", 0) >= wanted else "Progressing"

    # --- usage -----------------------------------------------------------------------

    def observe_usage(self, since: datetime, until: datetime) -> Iterator[UsageObservation]:
        ended: dict[str, datetime | None] = {
            ns["metadata"]["name"]: _parse_time(ns["metadata"].get("deletionTimestamp"))
            for ns in self._list(
                "CoreV1Api", "list_namespace", label_selector=f"{_LABEL_MANAGED}=true"
            )
        }
        selector = f"{_LABEL_MANAGED}=true,{LABEL_PREFIX}kind=namespace_quota"
        for obj in self._list(
            "CoreV1Api", "list_resource_quota_for_all_namespaces", label_selector=selector
        ):
            meta = obj["metadata"]
            identity = managed_identity(_labels(obj))
            history = parse_history(_annotations(obj).get(ANNOTATION_HISTORY))
            if not history:
                created = _parse_time(meta.get("creationTimestamp")) or since
                spec = OBJECT_KINDS["namespace_quota"].observed(obj)
                history = [(created, spec)]
            yield from quota_usage(
                provider=self.name,
                resource_id=f"{meta['namespace']}/{meta['name']}",
                tenant=identity[0] if identity else None,
                system=identity[1] if identity else None,
                history=history,
                ended_at=ended.get(meta["namespace"]),
                since=since,
                until=until,
            )
