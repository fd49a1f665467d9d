"""``provider sync`` against the real OpenStack peer (``scripts/peers/openstack``).

Cases:
- a system onboarded with the OpenStack driver (network, security group and rule, one
  server) and recorded as applied is synced through ``driver_for`` (the estate names
  the clouds.yaml cloud): its resources are stored under the department and system,
  none is drift; a server created out of band in the department's project is
  ``unmanaged`` drift; deleting it by hand resolves that drift on the next sync;
- a clouds.yaml with a wrong password makes the sync raise ``ProviderAuthError``,
  recorded on the provider's health.
"""

from __future__ import annotations

import importlib.util
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import openstack
import openstack.config
import pytest
from ruamel.yaml import YAML
from sqlmodel import col, select

from controlplane.app import App
from controlplane.db.engine import transaction
from controlplane.db.models import Provider, System, Tenant
from controlplane.db.tables_inventory import ProviderHealth
from controlplane.estate.schema import parse_estate
from controlplane.inventory import list_drift, list_resources, record_applied, sync_service
from controlplane.inventory.query import ResourceFilter
from providers import DesiredResource, ProviderAuthError, SystemRef
from providers.openstack import OpenStackDriver
from providers.openstack_tags import project_name
from tenants import load_yaml_documents

from .conftest import EXAMPLE

pytestmark = [
    pytest.mark.openstack,
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore::openstack.warnings.RemovedInSDK50Warning"),
    pytest.mark.filterwarnings("ignore::openstack.warnings.RemovedInSDK60Warning"),
    pytest.mark.filterwarnings("ignore::openstack.warnings.OpenStackDeprecationWarning"),
]

_spec = importlib.util.spec_from_file_location(
    "openstack_peer", Path(__file__).resolve().parents[1] / "peers" / "openstack_peer.py"
)
assert _spec is not None and _spec.loader is not None
openstack_peer = sys.modules.setdefault("openstack_peer", importlib.util.module_from_spec(_spec))
_spec.loader.exec_module(openstack_peer)

SERVER = {
    "flavor": "c2m4", "image": "kylin-v10-sp3", "network": "net", "security_groups": ["sg"],
    "vcpu": 2, "memory_mib": 4096,
}  # fmt: skip
DESIRED = [
    DesiredResource("network", "net", {"cidr": "10.20.1.0/24", "router": False}),
    # no declared description: the driver keeps its crash-safety marker there
    DesiredResource("security_group", "sg", {}),
    DesiredResource(
        "security_rule", "https",
        {"security_group": "sg", "protocol": "tcp", "port_min": 443, "port_max": 443,
         "remote_cidr": "0.0.0.0/0"},
        ("sg",),
    ),
    DesiredResource("server", "web-0", SERVER, ("net", "sg")),
]  # fmt: skip


@pytest.fixture(scope="module")
def peer() -> Iterator[Any]:
    started = openstack_peer.start_openstack_peer()
    yield started
    openstack_peer.stop_openstack_peer(started)


@pytest.fixture
def estate(app: App, peer: Any, monkeypatch: pytest.MonkeyPatch) -> App:
    """The example estate with prov-main on the peer; openstacksdk finds its clouds.yaml."""
    monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", peer.clouds_yaml)
    text = EXAMPLE.read_text().replace("cloud: prov-main,", f"cloud: {peer.cloud},")
    document = parse_estate(load_yaml_documents(text, "estate.yaml"), "estate.yaml")
    app.estate.apply(document, actor="ops")
    return app


def _raw(peer: Any) -> Any:
    config = openstack.config.OpenStackConfig(config_files=[peer.clouds_yaml])
    return openstack.connection.Connection(config=config.get_one(cloud=peer.cloud))


def test_sync_maps_managed_and_reports_out_of_band_server(estate: App, peer: Any) -> None:
    app = estate
    ref = SystemRef("hrss", f"inv{uuid.uuid4().hex[:6]}", "req-os", 3)
    driver = OpenStackDriver(
        "prov-main", cloud=peer.cloud, clock=lambda: datetime.now(UTC),
        clouds_yaml=peer.clouds_yaml,
    )  # fmt: skip
    raw = _raw(peer)
    oob: Any = None
    try:
        outcomes = driver.apply(ref, DESIRED)
        assert all(o.ok for o in outcomes), [o.error for o in outcomes if not o.ok]
        with transaction(app.sessions) as session:
            provider = session.exec(select(Provider).where(Provider.name == "prov-main")).one()
            tenant = session.exec(select(Tenant).where(Tenant.code == "hrss")).one()
            now = app.clock()
            system = System(
                tenant_id=tenant.id or 0, name=ref.system, provider_id=provider.id, level=3,
                data_classification="general", status="active", created_at=now, updated_at=now,
            )  # fmt: skip
            session.add(system)
            session.flush()
            record_applied(
                session, provider_id=provider.id or 0, system_id=system.id, system=ref,
                desired=DESIRED, outcomes=outcomes, at=now, actor="test-provisioner",
            )  # fmt: skip
        service = sync_service(app)
        first = service.sync("prov-main")
        assert first.health.healthy and first.created >= len(DESIRED)
        views, _ = list_resources(app.sessions, ResourceFilter(provider="prov-main"))
        ours = {(v.kind, v.name) for v in views if v.system == ref.system}
        assert {("network", "net"), ("security_group", "sg"), ("server", "web-0")} <= ours
        ours_drift = [d for d in list_drift(app.sessions) if d.system == ref.system]
        assert ours_drift == [], [(d.kind, d.name, d.drift, d.detail) for d in ours_drift]

        project = raw.identity.find_project(project_name("hrss"), ignore_missing=False)
        scoped = raw.connect_as(project_id=project.id)
        net = next(o.resource_id for o in outcomes if o.kind == "network")
        oob = scoped.compute.create_server(
            name=f"hand-{ref.system}",
            flavor_id=raw.compute.find_flavor("m1.tiny").id,
            image_id=raw.image.find_image("cirros").id,
            networks=[{"uuid": net}],
        )
        scoped.compute.wait_for_server(oob, wait=120)
        second = service.sync("prov-main")
        assert second.drift_opened.get("unmanaged", 0) >= 1
        unmanaged = [d for d in list_drift(app.sessions) if d.resource_id == oob.id]
        assert [(d.drift, d.kind, d.name) for d in unmanaged] == [
            ("unmanaged", "server", f"hand-{ref.system}")
        ]

        raw.compute.delete_server(oob)
        raw.compute.wait_for_delete(oob, wait=120)
        oob = None
        service.sync("prov-main")
        history = list_drift(app.sessions, include_resolved=True)
        assert [d.resolved_at is not None for d in history if d.name == f"hand-{ref.system}"] == [
            True
        ]
    finally:
        if oob is not None:
            raw.compute.delete_server(oob)
        driver.delete(ref)


def test_wrong_password_is_recorded_and_raised(
    estate: App, peer: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    yaml = YAML(typ="safe", pure=True)
    config = yaml.load(Path(peer.clouds_yaml).read_text())
    config["clouds"][peer.cloud]["auth"]["password"] = "not-the-password"
    broken = tmp_path / "clouds.yaml"
    with broken.open("w") as handle:
        yaml.dump(config, handle)
    monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(broken))
    with pytest.raises(ProviderAuthError) as raised:
        sync_service(estate).sync("prov-main")
    assert raised.value.provider == "prov-main"
    with estate.sessions() as session:
        probe = session.exec(select(ProviderHealth).order_by(col(ProviderHealth.id))).all()[-1]
    assert (probe.auth_ok, probe.error_code) == (False, "auth")
