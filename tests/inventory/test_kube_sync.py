"""``govcloud provider sync`` against a real kube-apiserver (``scripts/peers/kube``).

Cases:
- a system applied with the Kubernetes driver (namespace, quota, limit range, network
  policies, role binding) and recorded as applied is synced by the ``govcloud`` command
  (a separate process, drivers built by ``driver_for`` from the estate's context): its
  objects are stored under the department and system, with no drift;
- the ResourceQuota edited out of band (kubectl-style patch with another client) is
  ``changed`` drift on the next sync — the driver's ``Drifted`` status and the desired
  key that differs (cpu) — and ``get resources`` marks it;
- a kubeconfig with a wrong token and one pointing at a closed port make ``provider
  sync`` exit 1 with a govcloud authentication / unavailable error, recorded on health.

The command runs as a subprocess because the kubernetes client reads ``KUBECONFIG``
when it is first imported; the estate names only the context, as in production.
"""

from __future__ import annotations

import importlib.util
import json
import os
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import kubernetes.client
import kubernetes.config
import pytest
from ruamel.yaml import YAML
from sqlmodel import col, select

from controlplane.app import App
from controlplane.db.engine import transaction
from controlplane.db.models import Provider, System, Tenant
from controlplane.db.tables_inventory import ProviderHealth
from controlplane.estate.schema import parse_estate
from controlplane.inventory import record_applied
from providers import SystemRef
from providers.kubernetes import KubernetesDriver
from providers.kubernetes_objects import system_resources
from tenants import load_yaml_documents

from .conftest import EXAMPLE

pytestmark = [pytest.mark.kubernetes, pytest.mark.slow]

_spec = importlib.util.spec_from_file_location(
    "kube_peer", Path(__file__).resolve().parents[1] / "peers" / "kube_peer.py"
)
assert _spec is not None and _spec.loader is not None
kube_peer = sys.modules.setdefault("kube_peer", importlib.util.module_from_spec(_spec))
_spec.loader.exec_module(kube_peer)

QUOTA = {"cpu": "1", "memory": "2Gi", "pods": 5}
INGRESS = [{"port": 443, "protocol": "tcp", "from": "internet"}]


@pytest.fixture(scope="module")
def peer() -> Iterator[Any]:
    started = kube_peer.start_kube_peer()
    yield started
    kube_peer.stop_kube_peer(started)


@pytest.fixture
def applied(app: App, peer: Any) -> Iterator[tuple[SystemRef, KubernetesDriver]]:
    """The example estate with water-k8s on the peer's context, and one applied system."""
    text = EXAMPLE.read_text().replace("context: water,", f"context: {peer.context},")
    app.estate.apply(parse_estate(load_yaml_documents(text, "estate.yaml"), "estate.yaml"), actor="ops")  # fmt: skip
    ref = SystemRef("water-dept", f"inv{uuid.uuid4().hex[:6]}", "req-k8s", 3)
    driver = KubernetesDriver(
        "water-k8s", context=peer.context, kubeconfig=peer.kubeconfig, clock=app.clock
    )
    desired = system_resources(tenant=ref.tenant, quota=QUOTA, ingress=INGRESS)
    outcomes = driver.apply(ref, desired)
    assert all(o.ok for o in outcomes)
    with transaction(app.sessions) as session:
        provider = session.exec(select(Provider).where(Provider.name == "water-k8s")).one()
        tenant = session.exec(select(Tenant).where(Tenant.code == ref.tenant)).one()
        now = app.clock()
        system = System(
            tenant_id=tenant.id or 0, name=ref.system, provider_id=provider.id, level=3,
            data_classification="general", status="active", created_at=now, updated_at=now,
        )  # fmt: skip
        session.add(system)
        session.flush()
        record_applied(
            session, provider_id=provider.id or 0, system_id=system.id, system=ref,
            desired=desired, outcomes=outcomes, at=now, actor="test-provisioner",
        )  # fmt: skip
    try:
        yield ref, driver
    finally:
        driver.delete(ref)


def _govcloud(app: App, kubeconfig: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "KUBECONFIG": kubeconfig,
        "GOVCLOUD_DATABASE_URL": app.settings.database_url,
        "GOVCLOUD_LANG": "en",
    }
    command = [sys.executable, "-m", "controlplane.cli.main", "--home", str(app.settings.home)]
    return subprocess.run(
        [*command, *args], env=env, capture_output=True, text=True, timeout=300, check=False
    )


def _json(result: subprocess.CompletedProcess[str]) -> Any:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_out_of_band_quota_edit_is_drift(
    app: App, peer: Any, applied: tuple[SystemRef, KubernetesDriver]
) -> None:
    ref, _ = applied
    namespace = f"{ref.tenant}-{ref.system}"
    first = _json(_govcloud(app, peer.kubeconfig, "provider", "sync", "water-k8s", "-o", "json"))
    assert first["health"]["healthy"] and first["created"] >= 6
    listed = _json(
        _govcloud(app, peer.kubeconfig, "get", "resources", "--tenant", "water-dept", "-o", "json")
    )
    ours = {(r["kind"], r["name"]): r for r in listed if r["system"] == ref.system}
    assert {("namespace", namespace), ("namespace_quota", "quota")} <= set(ours)
    assert all(r["managed"] and not r["drift"] for r in ours.values())

    raw = kubernetes.config.new_client_from_config(
        config_file=peer.kubeconfig, context=peer.context, persist_config=False
    )
    kubernetes.client.CoreV1Api(raw).patch_namespaced_resource_quota(
        "quota", namespace, {"spec": {"hard": {"requests.cpu": "2", "limits.cpu": "2"}}}
    )
    second = _json(_govcloud(app, peer.kubeconfig, "provider", "sync", "water-k8s", "-o", "json"))
    assert second["drift_found"].get("changed", 0) >= 1

    drift = _json(_govcloud(app, peer.kubeconfig, "get", "drift", "--provider", "water-k8s", "-o", "json"))  # fmt: skip
    (quota,) = [d for d in drift if d["system"] == ref.system and d["drift"] == "changed"]
    assert (quota["kind"], quota["name"]) == ("namespace_quota", "quota")
    assert quota["detail"]["status"] == "Drifted"
    assert quota["detail"]["keys"]["cpu"] == {"desired": "1", "observed": "2"}
    listed = _json(
        _govcloud(
            app, peer.kubeconfig, "get", "resources", "--kind", "namespace_quota", "-o", "json"
        )
    )
    (row,) = [r for r in listed if r["system"] == ref.system]
    assert (row["status"], row["drift"]) == ("Drifted", ["changed"])


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize(
    ("edit", "message", "code"),
    [
        ("token", "authentication failed", "auth"),
        ("server", "unavailable", "unavailable"),
    ],
)
def test_bad_token_and_closed_port_are_clear_errors(
    app: App, peer: Any, tmp_path: Path, edit: str, message: str, code: str
) -> None:
    text = EXAMPLE.read_text().replace("context: water,", f"context: {peer.context},")
    app.estate.apply(parse_estate(load_yaml_documents(text, "estate.yaml"), "estate.yaml"), actor="ops")  # fmt: skip
    yaml = YAML(typ="safe", pure=True)
    config = yaml.load(Path(peer.kubeconfig).read_text())
    if edit == "token":
        config["users"][0]["user"]["token"] = "not-the-token"
    else:
        config["clusters"][0]["cluster"]["server"] = f"https://127.0.0.1:{_closed_port()}"
    broken = tmp_path / "kubeconfig"
    with broken.open("w") as handle:
        yaml.dump(config, handle)

    result = _govcloud(app, str(broken), "provider", "sync", "water-k8s")
    assert result.returncode == 1
    assert result.stderr.startswith(f"error: provider water-k8s: {message}")
    assert "Traceback" not in result.stderr
    with app.sessions() as session:
        probe = session.exec(select(ProviderHealth).order_by(col(ProviderHealth.id))).all()[-1]
    assert (probe.auth_ok, probe.error_code) == (False, code)
