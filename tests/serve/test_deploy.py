"""deploy/: the Kubernetes manifests pass a server-side dry-run on the kube-apiserver
peer, and the systemd unit runs ``govcloud serve``.

Cases: every document of deploy/kubernetes is accepted by the API server with
``dryRun=All`` (schema, defaults and admission, nothing stored) — the namespaced ones in
a scratch namespace made for the test and removed after; the Deployment asks for two
replicas, probes /healthz and /readyz, and takes the database URL from the Secret; the
systemd unit starts ``govcloud serve`` and stops it with SIGTERM. Needs the peer
(``scripts/peers/kube env``); it is never started or stopped here.
"""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).parents[2]
DEPLOY = REPO / "deploy"


def _documents() -> list[dict[str, Any]]:
    found = []
    for path in sorted((DEPLOY / "kubernetes").glob("*.yaml")):
        if path.name == "kustomization.yaml":
            continue
        found += [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d]
    return found


def _peer_env() -> dict[str, str]:
    result = subprocess.run(
        [str(REPO / "scripts/peers/kube"), "env"], capture_output=True, text=True, check=True
    )
    env = {}
    for line in result.stdout.splitlines():
        if line.startswith("export "):
            key, _, value = line.removeprefix("export ").partition("=")
            env[key] = value.strip("'\"")
    return env


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    from kubernetes import client as k8s
    from kubernetes import config
    from kubernetes.dynamic import DynamicClient

    env = _peer_env()
    api = config.new_client_from_config(
        config_file=env["KUBECONFIG"], context=env["GOVCLOUD_KUBE_CONTEXT"]
    )
    scratch = f"govcloud-deploy-{uuid.uuid4().hex[:8]}"
    core = k8s.CoreV1Api(api)
    core.create_namespace({"metadata": {"name": scratch}})
    try:
        yield DynamicClient(api), scratch
    finally:
        core.delete_namespace(scratch)
        api.close()


@pytest.mark.kubernetes
def test_manifests_pass_server_side_dry_run(client: Any) -> None:
    dynamic, scratch = client
    kinds = []
    for document in _documents():
        resource = dynamic.resources.get(api_version=document["apiVersion"], kind=document["kind"])
        body = dict(document)
        if resource.namespaced:
            body["metadata"] = {**document["metadata"], "namespace": scratch}
            answer = resource.create(body=body, namespace=scratch, dry_run="All")
        else:
            answer = resource.create(body=body, dry_run="All")
        assert answer.metadata.name == document["metadata"]["name"]
        kinds.append(document["kind"])
    assert sorted(kinds) == ["ConfigMap", "Deployment", "Namespace", "Secret", "Service"]
    # dry-run stored nothing
    listed = dynamic.resources.get(api_version="apps/v1", kind="Deployment").get(namespace=scratch)
    assert listed.items == []


def test_deployment_shape() -> None:
    [deployment] = [d for d in _documents() if d["kind"] == "Deployment"]
    spec = deployment["spec"]
    assert spec["replicas"] == 2
    [container] = spec["template"]["spec"]["containers"]
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    [url] = [e for e in container["env"] if e["name"] == "GOVCLOUD_DATABASE_URL"]
    assert url["valueFrom"]["secretKeyRef"] == {"name": "govcloud-database", "key": "url"}
    assert container["args"][:2] == ["govcloud", "serve"]


def test_systemd_unit_runs_serve_and_stops_with_sigterm() -> None:
    unit = (DEPLOY / "systemd" / "govcloud-serve.service").read_text(encoding="utf-8")
    lines = dict(
        line.split("=", 1) for line in unit.splitlines() if "=" in line and not line.startswith("#")
    )
    assert " serve " in lines["ExecStart"] and lines["KillSignal"] == "SIGTERM"
    assert lines["EnvironmentFile"] == "/etc/govcloud/serve.env"
