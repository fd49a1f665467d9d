"""Closing the loop on the real kube-apiserver peer: namespace-level drift and repair.

A department (tenant code unique to this run, water sector) gets one Kubernetes-only
system through the request flow (real planner, provisioner; drivers handed in at the
``Provisioner``/``SyncService`` seam with the peer's kubeconfig). Then, one change at a
time with the official client, as an administrator with kubectl would:

- a clean provision leaves no drift;
- the ResourceQuota raised by hand → ``changed`` namespace_quota (``cpu``); "restore";
- a NetworkPolicy letting everything in, added by hand in the system's namespace →
  ``unmanaged`` network_policy of the department and system; "remove";
- the department's RoleBinding deleted → ``missing`` role_binding; "recreate";
- govcloud's labels removed from the namespace → ``changed`` on the namespace
  (``govcloud_tags``, ``level``), not an unmanaged newcomer; "retag" re-labels it.

After each repair the cluster is read back with the client (not govcloud's records) and
a fresh sync shows no drift; a clean delete leaves none either.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import kubernetes.client
import kubernetes.config
import pytest

from controlplane.app import App
from controlplane.db.models import Provider
from controlplane.estate.schema import parse_estate
from controlplane.inventory import SyncService, list_drift
from controlplane.planning.service import PlanService
from controlplane.requests import Provisioner, request_service
from controlplane.requests.from_plan import PlanServicePlanner
from providers import Driver
from providers.kubernetes import KubernetesDriver
from providers.types import LABEL_PREFIX
from tenants import load_requests, load_yaml_documents
from tests.inventory.test_kube_sync import kube_peer

from .conftest import EXAMPLE

pytestmark = [pytest.mark.kubernetes, pytest.mark.slow]

OPERATOR = "local-operator"


@pytest.fixture(scope="module")
def peer() -> Iterator[Any]:
    started = kube_peer.start_kube_peer()
    yield started
    kube_peer.stop_kube_peer(started)


def _manifest(tenant: str) -> str:
    return f"""apiVersion: govcloud.io/v1
kind: SystemRequest
metadata: {{name: gauge, tenant: {tenant}}}
spec:
  classifiedProtection: 1
  dataClassification: general
  placement: {{provider: water-k8s}}
  kubernetes:
    quota: {{cpu: "1", memory: 2Gi, pods: 5}}
  network:
    ingress:
      - {{port: 8080, protocol: tcp, from: 10.30.0.0/16}}
  backup: {{enabled: true, retentionDays: 30}}
  logging: {{retentionDays: 180}}
  encryption: {{atRest: sm4, inTransit: tls}}
"""


class KubeLoop:
    def __init__(self, app: App, peer: Any, tenant: str) -> None:
        self.app, self.tenant = app, tenant
        self.namespace = f"{tenant}-gauge"
        self._driver = KubernetesDriver(
            "water-k8s", context=peer.context, kubeconfig=peer.kubeconfig, clock=app.clock
        )
        raw = kubernetes.config.new_client_from_config(
            config_file=peer.kubeconfig, context=peer.context, persist_config=False
        )
        self.core = kubernetes.client.CoreV1Api(raw)
        self.net = kubernetes.client.NetworkingV1Api(raw)
        self.rbac = kubernetes.client.RbacAuthorizationV1Api(raw)
        self.provisioner = Provisioner(app.sessions, app.clock, self.drivers)
        self.syncs = SyncService(app.sessions, app.clock, self.drivers)
        self.requests = request_service(
            app, PlanServicePlanner(PlanService(app.sessions, app.clock, app.settings))
        )

    def drivers(self, provider: Provider) -> Driver:
        assert provider.name == "water-k8s"
        return self._driver

    def submit(self, *, delete: bool = False) -> None:
        parsed = load_requests(_manifest(self.tenant), name="gauge.yaml")[0]
        act = self.requests.delete if delete else self.requests.apply
        result = act(parsed, actor=OPERATOR)
        assert result.request is not None and result.request.state == "Approved", result
        done = self.provisioner.provision(result.request.id or 0, actor=OPERATOR)
        assert not done.failed, [(o.kind, o.name, o.error) for o in done.failed]

    def sync(self) -> list[Any]:
        self.syncs.sync("water-k8s", actor="ops")
        return [d for d in list_drift(self.app.sessions) if d.tenant == self.tenant]

    def plan(self) -> list[tuple[str, str, str]]:
        result = self.provisioner.repair(self.tenant, "gauge", actor=OPERATOR, dry_run=True)
        return [(s.action, s.kind, s.name) for s in result.plan.steps]

    def repair(self) -> None:
        result = self.provisioner.repair(self.tenant, "gauge", actor=OPERATOR)
        assert not result.failed, [(o.kind, o.name, o.error) for o in result.failed]
        assert self.sync() == [], "drift left after the repair"

    def policies(self) -> set[str]:
        return {
            p.metadata.name for p in self.net.list_namespaced_network_policy(self.namespace).items
        }


@pytest.fixture
def kube_loop(app: App, peer: Any) -> Iterator[KubeLoop]:
    tenant = f"loop{uuid.uuid4().hex[:6]}"
    text = EXAMPLE.read_text().replace("context: water,", f"context: {peer.context},")
    text = text.replace(
        "  tenants:\n",
        f"  tenants:\n    - {{code: {tenant}, name: 回路测试水利, level: provincial, "
        'sector: water, budget: "900000.00"}\n',
    )
    app.estate.apply(
        parse_estate(load_yaml_documents(text, "estate.yaml"), "estate.yaml"), actor="ops"
    )
    walk = KubeLoop(app, peer, tenant)
    try:
        yield walk
    finally:
        try:
            walk.core.delete_namespace(walk.namespace)
        except kubernetes.client.ApiException as exc:
            if exc.status != 404:
                raise


def _drift(found: list[Any]) -> list[tuple[str, str, str, str | None, str | None]]:
    return sorted((d.drift, d.kind, d.name, d.tenant, d.system) for d in found)


def test_namespace_drift_and_repair_walk(kube_loop: KubeLoop) -> None:
    walk, ns = kube_loop, kube_loop.namespace
    walk.submit()
    assert walk.sync() == []
    declared = walk.policies()

    # the quota raised by hand
    walk.core.patch_namespaced_resource_quota(
        "quota", ns, {"spec": {"hard": {"requests.cpu": "4", "limits.cpu": "4"}}}
    )
    found = walk.sync()
    assert _drift(found) == [("changed", "namespace_quota", "quota", walk.tenant, "gauge")]
    assert "cpu" in found[0].detail["keys"]
    assert walk.plan() == [("restore", "namespace_quota", "quota")]
    walk.repair()
    hard = walk.core.read_namespaced_resource_quota("quota", ns).spec.hard
    assert hard["requests.cpu"] == "1"

    # a policy letting everything in, added by hand
    walk.net.create_namespaced_network_policy(
        ns,
        {
            "metadata": {"name": "allow-all"},
            "spec": {"podSelector": {}, "ingress": [{}], "policyTypes": ["Ingress"]},
        },
    )
    assert _drift(walk.sync()) == [
        ("unmanaged", "network_policy", "allow-all", walk.tenant, "gauge")
    ]
    assert walk.plan() == [("remove", "network_policy", "allow-all")]
    walk.repair()
    assert walk.policies() == declared

    # the department's role binding deleted
    (binding,) = walk.rbac.list_namespaced_role_binding(ns).items
    walk.rbac.delete_namespaced_role_binding(binding.metadata.name, ns)
    found = walk.sync()
    assert _drift(found) == [("missing", "role_binding", found[0].name, walk.tenant, "gauge")]
    assert walk.plan() == [("recreate", "role_binding", found[0].name)]
    walk.repair()
    assert [b.metadata.name for b in walk.rbac.list_namespaced_role_binding(ns).items] == [
        binding.metadata.name
    ]

    # govcloud's labels removed from the namespace
    labels = walk.core.read_namespace(ns).metadata.labels
    walk.core.patch_namespace(
        ns, {"metadata": {"labels": {k: None for k in labels if k.startswith(LABEL_PREFIX)}}}
    )
    found = walk.sync()
    assert _drift(found) == [("changed", "namespace", ns, walk.tenant, "gauge")]
    assert {"govcloud_tags", "level"} <= set(found[0].detail["keys"])
    assert walk.plan() == [("retag", "namespace", ns)]
    walk.repair()
    assert walk.core.read_namespace(ns).metadata.labels[LABEL_PREFIX + "tenant"] == walk.tenant

    walk.submit(delete=True)
    assert walk.sync() == []
