"""KubernetesDriver against a real kube-apiserver 1.20 (``scripts/peers/kube``).

Cases:
- health: reachable, authenticated, with a latency and the server version;
- apply creates the namespace (labels: tenant, system, request, 等保 level, managed-by),
  the ResourceQuota, the LimitRange, the default-deny and allow NetworkPolicies and the
  RoleBinding exactly as declared (checked with the raw client, not the driver);
- a second apply changes nothing (every outcome ``unchanged``, resourceVersions equal);
- a quota edited out-of-band shows as drift in inventory (status ``Drifted``, spec
  differs from desired); the next apply restores it as ``updated`` naming the change;
- a pod created out-of-band is listed as an unmanaged workload of the namespace's system;
- a pod exceeding the quota is refused by the API server and maps to
  ``ProviderQuotaExceeded`` with the ``ApiException`` kept as cause;
- a bad token gives an unhealthy report and ``ProviderAuthError`` on apply;
- an API server that is down gives ``ProviderUnavailable`` (temporary) and reachable=False;
- tenant limits from ``set_quotas`` refuse a namespace beyond the allowed count;
- ``observe_usage`` yields hourly k8s.cpu / k8s.memory intervals with stable keys;
- the registry builds the driver from a kubeconfig context (estate ``context``);
- a changed quota is one ``updated`` outcome, the rest ``unchanged``; a non-Kubernetes
  kind is refused with ``ProviderInvalidRequest`` before anything is touched;
- delete removes the namespace (it terminates, thanks to the controller-manager) and a
  second delete reports ``absent``.
"""

from __future__ import annotations

import importlib.util
import socket
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import kubernetes.client
import kubernetes.config
import pytest
from kubernetes.client.exceptions import ApiException
from ruamel.yaml import YAML

from providers.base import Driver
from providers.errors import (
    ProviderAuthError,
    ProviderInvalidRequest,
    ProviderQuotaExceeded,
    ProviderUnavailable,
)
from providers.kubernetes import KubernetesDriver
from providers.kubernetes_errors import map_kube_error
from providers.kubernetes_objects import system_resources
from providers.registry import ProviderConfig, build_driver
from providers.types import DesiredResource, QuotaSet, SystemRef

pytestmark = [pytest.mark.kubernetes, pytest.mark.slow]

_spec = importlib.util.spec_from_file_location(
    "kube_peer", Path(__file__).resolve().parents[1] / "peers" / "kube_peer.py"
)
assert _spec is not None
assert _spec.loader is not None
# The peer helper lives beside the other peers' helpers, outside any package.
kube_peer = sys.modules.setdefault("kube_peer", importlib.util.module_from_spec(_spec))
_spec.loader.exec_module(kube_peer)

INGRESS = [
    {"port": 443, "protocol": "tcp", "from": "internet"},
    {"port": 22, "protocol": "tcp", "from": "10.20.0.0/16"},
]
QUOTA = {"cpu": "1", "memory": "2Gi", "pods": 5}


@pytest.fixture(scope="session")
def peer() -> Iterator[Any]:
    started = kube_peer.start_kube_peer()
    yield started
    kube_peer.stop_kube_peer(started)


@pytest.fixture(scope="session")
def raw(peer: Any) -> kubernetes.client.ApiClient:
    """An independent client to observe and tamper with the cluster."""
    return kubernetes.config.new_client_from_config(
        config_file=peer.kubeconfig, context=peer.context, persist_config=False
    )


@pytest.fixture
def driver(peer: Any) -> KubernetesDriver:
    return KubernetesDriver("water-k8s", context=peer.context, kubeconfig=peer.kubeconfig)


@pytest.fixture
def system(raw: kubernetes.client.ApiClient) -> Iterator[SystemRef]:
    """A fresh system per test; its namespace is deleted afterwards."""
    ref = SystemRef(f"t{uuid.uuid4().hex[:6]}", "portal", f"req-{uuid.uuid4().hex[:8]}", 3)
    yield ref
    core = kubernetes.client.CoreV1Api(raw)
    for ns in core.list_namespace(label_selector=f"govcloud.io/tenant={ref.tenant}").items:
        if ns.status.phase != "Terminating":
            core.delete_namespace(ns.metadata.name)


def _wait(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.5)


def _desired(ref: SystemRef) -> list[Any]:
    return system_resources(tenant=ref.tenant, quota=QUOTA, ingress=INGRESS)


def test_health_reports_version_and_latency(driver: KubernetesDriver) -> None:
    report = driver.health()
    assert report.healthy, report.detail
    assert report.latency_ms is not None
    assert report.latency_ms > 0
    assert "v1.20" in report.detail


def test_apply_creates_everything_as_declared(
    driver: KubernetesDriver, system: SystemRef, raw: kubernetes.client.ApiClient
) -> None:
    outcomes = driver.apply(system, _desired(system))
    assert [o.action for o in outcomes] == ["created"] * len(outcomes)
    assert {(o.kind, o.name) for o in outcomes} >= {
        ("namespace", f"{system.tenant}-portal"),
        ("network_policy", "default-deny"),
        ("namespace_quota", "quota"),
        ("limit_range", "limits"),
        ("network_policy", "allow-tcp-443-internet"),
        ("network_policy", "allow-tcp-22-10-20-0-0-16"),
        ("role_binding", "department"),
    }
    ns = f"{system.tenant}-portal"
    core = kubernetes.client.CoreV1Api(raw)
    labels = core.read_namespace(ns).metadata.labels
    assert labels["govcloud.io/tenant"] == system.tenant
    assert labels["govcloud.io/system"] == "portal"
    assert labels["govcloud.io/request"] == system.request_id
    assert labels["govcloud.io/level"] == "3"
    assert labels["govcloud.io/managed"] == "true"
    assert labels["app.kubernetes.io/managed-by"] == "govcloud"
    hard = core.read_namespaced_resource_quota("quota", ns).spec.hard
    assert hard == {
        "requests.cpu": "1",
        "limits.cpu": "1",
        "requests.memory": "2Gi",
        "limits.memory": "2Gi",
        "pods": "5",
    }
    limits = core.read_namespaced_limit_range("limits", ns).spec.limits[0]
    assert limits.default == {"cpu": "500m", "memory": "512Mi"}
    assert limits.default_request == {"cpu": "100m", "memory": "128Mi"}
    net = kubernetes.client.NetworkingV1Api(raw)
    policies = {p.metadata.name: p.spec for p in net.list_namespaced_network_policy(ns).items}
    assert set(policies) == {"default-deny", "allow-tcp-443-internet", "allow-tcp-22-10-20-0-0-16"}
    assert policies["default-deny"].ingress is None
    assert policies["default-deny"].policy_types == ["Ingress"]
    ssh = policies["allow-tcp-22-10-20-0-0-16"].ingress[0]
    assert ssh._from[0].ip_block.cidr == "10.20.0.0/16"
    assert (ssh.ports[0].port, ssh.ports[0].protocol) == (22, "TCP")
    binding = kubernetes.client.RbacAuthorizationV1Api(raw).read_namespaced_role_binding(
        "department", ns
    )
    assert binding.role_ref.name == "edit"
    assert [(s.kind, s.name) for s in binding.subjects] == [
        ("Group", f"govcloud:tenant:{system.tenant}")
    ]


def _versions(raw: kubernetes.client.ApiClient, ns: str) -> dict[str, str]:
    core = kubernetes.client.CoreV1Api(raw)
    found = {"ns": core.read_namespace(ns).metadata.resource_version}
    for item in core.list_namespaced_resource_quota(ns).items:
        found[f"quota/{item.metadata.name}"] = item.metadata.resource_version
    for item in kubernetes.client.NetworkingV1Api(raw).list_namespaced_network_policy(ns).items:
        found[f"np/{item.metadata.name}"] = item.metadata.resource_version
    return found


def test_second_apply_changes_nothing(
    driver: KubernetesDriver, system: SystemRef, raw: kubernetes.client.ApiClient
) -> None:
    driver.apply(system, _desired(system))
    before = _versions(raw, f"{system.tenant}-portal")
    again = driver.apply(system, _desired(system))
    assert {o.action for o in again} == {"unchanged"}
    assert _versions(raw, f"{system.tenant}-portal") == before


def test_out_of_band_edit_is_drift_and_apply_restores_it(
    driver: KubernetesDriver, system: SystemRef, raw: kubernetes.client.ApiClient
) -> None:
    driver.apply(system, _desired(system))
    ns = f"{system.tenant}-portal"
    kubernetes.client.CoreV1Api(raw).patch_namespaced_resource_quota(
        "quota", ns, {"spec": {"hard": {"requests.cpu": "8"}}}
    )
    quota = next(
        r
        for r in driver.list_inventory()
        if r.kind == "namespace_quota" and r.tenant == system.tenant
    )
    assert quota.status == "Drifted"
    assert quota.managed
    assert quota.spec["cpu"] == "8" != QUOTA["cpu"]
    fixed = {o.kind: o for o in driver.apply(system, _desired(system))}
    assert fixed["namespace_quota"].action == "updated"
    assert fixed["namespace_quota"].changes == ("hard",)
    quota = next(
        r
        for r in driver.list_inventory()
        if r.kind == "namespace_quota" and r.tenant == system.tenant
    )
    assert (quota.status, quota.spec["cpu"]) == ("Active", "1")


def _pod(name: str, cpu: str) -> dict[str, Any]:
    resources = {
        "requests": {"cpu": cpu, "memory": "64Mi"},
        "limits": {"cpu": cpu, "memory": "64Mi"},
    }
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name},
        "spec": {"containers": [{"name": "app", "image": "busybox", "resources": resources}]},
    }


def _quota_computed(raw: kubernetes.client.ApiClient, ns: str) -> Callable[[], bool]:
    def check() -> bool:
        status = kubernetes.client.CoreV1Api(raw).read_namespaced_resource_quota("quota", ns).status
        return bool(status and status.hard)

    return check


def test_pod_over_quota_is_refused_and_maps_to_quota_exceeded(
    driver: KubernetesDriver, system: SystemRef, raw: kubernetes.client.ApiClient
) -> None:
    driver.apply(system, _desired(system))
    ns = f"{system.tenant}-portal"
    _wait(_quota_computed(raw, ns), 60, "the resourcequota controller to compute status")
    core = kubernetes.client.CoreV1Api(raw)
    core.create_namespaced_pod(ns, _pod("fits", "500m"))  # within quota: accepted
    with pytest.raises(ApiException) as refused:
        core.create_namespaced_pod(ns, _pod("too-big", "2"))
    assert refused.value.status == 403
    mapped = map_kube_error("water-k8s", refused.value)
    assert isinstance(mapped, ProviderQuotaExceeded)
    assert not mapped.temporary
    assert "exceeded quota" in mapped.detail
    pods = [r for r in driver.list_inventory() if r.kind == "pod" and r.tenant == system.tenant]
    assert [(p.name, p.managed, p.system) for p in pods] == [("fits", False, "portal")]
    assert pods[0].spec["requests_cpu"] == "0.5"


def _kubeconfig_variant(peer: Any, tmp_path: Path, *, token: str | None, server: str | None) -> str:
    yaml = YAML()
    config = yaml.load(Path(peer.kubeconfig).read_text())
    if token is not None:
        config["users"][0]["user"]["token"] = token
    if server is not None:
        config["clusters"][0]["cluster"]["server"] = server
    path = tmp_path / "kubeconfig"
    with path.open("w") as handle:
        yaml.dump(config, handle)
    return str(path)


def test_bad_token_is_an_auth_error(peer: Any, tmp_path: Path, system: SystemRef) -> None:
    bad = KubernetesDriver(
        "water-k8s",
        context=peer.context,
        kubeconfig=_kubeconfig_variant(peer, tmp_path, token="not-a-token", server=None),
    )
    report = bad.health()
    assert report.reachable
    assert not report.auth_ok
    assert "401" in report.detail
    with pytest.raises(ProviderAuthError) as refused:
        bad.apply(system, _desired(system))
    assert isinstance(refused.value.__cause__, ApiException)


def test_api_server_down_is_unavailable(peer: Any, tmp_path: Path, system: SystemRef) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again: nothing listens there
    down = KubernetesDriver(
        "water-k8s",
        context=peer.context,
        kubeconfig=_kubeconfig_variant(
            peer, tmp_path, token=None, server=f"https://127.0.0.1:{port}"
        ),
        request_timeout=3,
    )
    report = down.health()
    assert not report.reachable
    assert report.latency_ms is None
    with pytest.raises(ProviderUnavailable) as refused:
        list(down.list_inventory())
    assert refused.value.temporary
    assert refused.value.__cause__ is not None


def test_tenant_namespace_limit_is_enforced(driver: KubernetesDriver, system: SystemRef) -> None:
    driver.set_quotas(system.tenant, QuotaSet(vcpu=4, memory_gib=8, namespaces=1))
    assert {o.action for o in driver.apply(system, _desired(system))} == {"created"}
    second = SystemRef(system.tenant, "archive", system.request_id, 2)
    outcomes = driver.apply(second, _desired(second))
    assert all(o.action == "failed" for o in outcomes)
    assert isinstance(outcomes[0].error, ProviderQuotaExceeded)
    assert "namespaces" in outcomes[0].error.detail


def test_observe_usage_hourly_with_stable_keys(peer: Any, system: SystemRef) -> None:
    applied_at = datetime(2026, 3, 1, 8, 20, tzinfo=UTC)
    driver = KubernetesDriver(
        "water-k8s", context=peer.context, kubeconfig=peer.kubeconfig, clock=lambda: applied_at
    )
    driver.apply(system, _desired(system))
    until = datetime(2026, 3, 1, 11, 30, tzinfo=UTC)
    mine = [
        u for u in driver.observe_usage(applied_at - timedelta(hours=1), until)
        if u.tenant == system.tenant
    ]  # fmt: skip
    cpu = sorted((u.start, u.end, u.quantity) for u in mine if u.meter == "k8s.cpu")
    assert cpu == [
        (applied_at, datetime(2026, 3, 1, 9, tzinfo=UTC), Decimal(1)),
        (datetime(2026, 3, 1, 9, tzinfo=UTC), datetime(2026, 3, 1, 10, tzinfo=UTC), Decimal(1)),
        (datetime(2026, 3, 1, 10, tzinfo=UTC), datetime(2026, 3, 1, 11, tzinfo=UTC), Decimal(1)),
    ]
    assert {u.quantity for u in mine if u.meter == "k8s.memory"} == {Decimal(2)}
    again = [u for u in driver.observe_usage(applied_at, until) if u.tenant == system.tenant]
    assert sorted(u.source_key for u in again) == sorted(u.source_key for u in mine)


def test_delete_terminates_the_namespace(
    driver: KubernetesDriver, system: SystemRef, raw: kubernetes.client.ApiClient
) -> None:
    driver.apply(system, _desired(system))
    ns = f"{system.tenant}-portal"
    outcomes = driver.delete(system)
    assert ("namespace", ns, "deleted") in {(o.kind, o.name, o.action) for o in outcomes}
    assert ("namespace_quota", "quota", "deleted") in {(o.kind, o.name, o.action) for o in outcomes}
    core = kubernetes.client.CoreV1Api(raw)

    def gone() -> bool:
        return not core.list_namespace(field_selector=f"metadata.name={ns}").items

    _wait(gone, 90, f"namespace {ns} to terminate")
    assert [o.action for o in driver.delete(system)] == ["absent"]


def test_registry_builds_the_driver_from_a_kubeconfig_context(peer: Any) -> None:
    config = ProviderConfig(
        "water-k8s", "kubernetes", context=peer.context, options={"kubeconfig": peer.kubeconfig}
    )
    built = build_driver(config, clock=lambda: datetime.now(UTC))
    assert isinstance(built, Driver)
    assert isinstance(built, KubernetesDriver)
    assert built.health().healthy


def test_changed_quota_is_an_update_and_unknown_kinds_are_refused(
    driver: KubernetesDriver, system: SystemRef, raw: kubernetes.client.ApiClient
) -> None:
    driver.apply(system, _desired(system))
    bigger = system_resources(
        tenant=system.tenant, quota={**QUOTA, "memory": "3Gi"}, ingress=INGRESS
    )
    outcomes = {(o.kind, o.name): o for o in driver.apply(system, bigger)}
    assert outcomes[("namespace_quota", "quota")].action == "updated"
    assert {o.action for k, o in outcomes.items() if k != ("namespace_quota", "quota")} == {
        "unchanged"
    }
    hard = (
        kubernetes.client.CoreV1Api(raw)
        .read_namespaced_resource_quota("quota", f"{system.tenant}-portal")
        .spec.hard
    )
    assert hard["requests.memory"] == "3Gi"
    with pytest.raises(ProviderInvalidRequest, match="server/web"):
        driver.apply(system, [DesiredResource("server", "web", {"flavor": "c2m4"})])
