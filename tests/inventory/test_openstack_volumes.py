"""An encrypted 100 GiB volume on the real OpenStack peer, Cinder included.

The DESIGN example's server with ``volumes: [{sizeGiB: 100, type: ssd, encrypted:
true}]``, as ``controlplane.planning.desired`` lays it out (server ``db-1``, volume
``db-1-vol1`` depending on it), goes through the whole life on ``scripts/peers/openstack``:

- apply: the volume is created with the cloud's ``ssd-encrypted`` type and attached to
  the server — checked out of band with openstacksdk (type carries a LUKS encryption
  spec, the volume is encrypted with a key id, ``in-use``, attached to that server);
- re-apply creates nothing (no ``created`` outcome, the volume ``unchanged``);
- ``provider sync`` stores the volume under the department and system with no drift
  (``type: ssd``, ``encrypted: true``, ``server: db-1`` as declared);
- ``meter collect`` records its ``storage.ssd`` usage: 100 GiB from the volume's
  creation to the collection time, i.e. 100 GiB × hours;
- delete removes the volume (gone from Cinder) and the next sync marks it deleted;
- a volume whose encrypted type does not exist (``nvme-encrypted``) is refused, naming
  the type, and nothing is created.
"""

from __future__ import annotations

import importlib.util
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import openstack
import openstack.config
import pytest
from sqlmodel import select

from controlplane.app import App
from controlplane.db.engine import transaction
from controlplane.db.models import Provider, System, Tenant
from controlplane.db.tables_billing import UsageObservationRow
from controlplane.estate.schema import parse_estate
from controlplane.inventory import list_drift, list_resources, record_applied, sync_service
from controlplane.inventory.query import ResourceFilter
from controlplane.metering import metering_service
from providers import DesiredResource, ProviderInvalidRequest, SystemRef
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
VOLUME = {"size_gib": 100, "type": "ssd", "encrypted": True, "server": "db-1"}
DESIRED = [
    DesiredResource("network", "net", {"cidr": "10.20.7.0/24", "router": False}),
    DesiredResource("security_group", "sg", {}),
    DesiredResource("server", "db-1", SERVER, ("network/net", "security_group/sg")),
    DesiredResource("volume", "db-1-vol1", VOLUME, ("server/db-1",)),
]


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


@pytest.fixture
def driver(peer: Any) -> OpenStackDriver:
    return OpenStackDriver(
        "prov-main", cloud=peer.cloud, clock=lambda: datetime.now(UTC),
        clouds_yaml=peer.clouds_yaml,
    )  # fmt: skip


def _raw(peer: Any) -> Any:
    config = openstack.config.OpenStackConfig(config_files=[peer.clouds_yaml])
    return openstack.connection.Connection(config=config.get_one(cloud=peer.cloud))


def _record(app: App, ref: SystemRef, outcomes: list[Any]) -> None:
    with transaction(app.sessions) as session:
        provider = session.exec(select(Provider).where(Provider.name == "prov-main")).one()
        tenant = session.exec(select(Tenant).where(Tenant.code == ref.tenant)).one()
        now = app.clock()
        system = System(
            tenant_id=tenant.id or 0, name=ref.system, provider_id=provider.id, level=3,
            data_classification="important", status="active", created_at=now, updated_at=now,
        )  # fmt: skip
        session.add(system)
        session.flush()
        record_applied(
            session, provider_id=provider.id or 0, system_id=system.id, system=ref,
            desired=DESIRED, outcomes=outcomes, at=now, actor="test-provisioner",
        )  # fmt: skip


def test_encrypted_volume_provisioned_synced_metered_deleted(
    estate: App, peer: Any, driver: OpenStackDriver
) -> None:
    app, raw = estate, _raw(peer)
    ref = SystemRef("hrss", f"vol{uuid.uuid4().hex[:6]}", "req-vol", 3)
    try:
        outcomes = driver.apply(ref, DESIRED)
        assert all(o.ok for o in outcomes), [o.error for o in outcomes if not o.ok]
        made = {(o.kind, o.name): o for o in outcomes}
        assert made[("volume", "db-1-vol1")].action == "created"
        volume_id = made[("volume", "db-1-vol1")].resource_id
        server_id = made[("server", "db-1")].resource_id

        # Out of band: an encrypted volume of an encrypting type, attached to the server.
        volume = raw.block_storage.get_volume(volume_id)
        assert (volume.size, volume.volume_type, volume.status) == (100, "ssd-encrypted", "in-use")
        assert volume.is_encrypted
        # What Nova reads to open it: LUKS with the key id the key manager gave Cinder
        # (the peer's fixed-key manager names its one key with the nil UUID).
        opened = raw.block_storage.get(f"/volumes/{volume_id}/encryption").json()
        assert (opened["provider"], opened["cipher"], opened["key_size"]) == (
            "luks", "aes-xts-plain64", 256,
        )  # fmt: skip
        assert opened["encryption_key_id"]
        encryption = raw.block_storage.get_type_encryption(
            raw.block_storage.find_type("ssd-encrypted", ignore_missing=False)
        )
        assert (encryption.provider, encryption.cipher) == ("luks", "aes-xts-plain64")
        assert [a["server_id"] for a in volume.attachments] == [server_id]
        attached = raw.compute.volume_attachments(server_id)
        assert [a.volume_id for a in attached] == [volume_id]
        project = raw.identity.find_project(project_name("hrss"), ignore_missing=False)
        assert volume.project_id == project.id

        # Re-apply creates nothing.
        again = driver.apply(ref, DESIRED)
        assert all(o.ok for o in again), [o.error for o in again if not o.ok]
        assert not [o for o in again if o.action == "created"], again
        assert {(o.kind, o.name): o.action for o in again}[("volume", "db-1-vol1")] == "unchanged"
        assert len(list(raw.block_storage.volumes(all_projects=True, name=volume.name))) == 1

        # Synced: stored under the department and system, as declared (no drift).
        _record(app, ref, outcomes)
        first = sync_service(app).sync("prov-main")
        assert first.health.healthy
        views, _ = list_resources(app.sessions, ResourceFilter(provider="prov-main"))
        (stored,) = [v for v in views if v.kind == "volume" and v.system == ref.system]
        assert (stored.name, stored.resource_id, stored.tenant) == ("db-1-vol1", volume_id, "hrss")
        assert stored.managed and stored.status == "in-use"
        assert {k: stored.spec[k] for k in VOLUME} == VOLUME
        ours_drift = [d for d in list_drift(app.sessions) if d.system == ref.system]
        assert ours_drift == [], [(d.kind, d.name, d.drift, d.detail) for d in ours_drift]

        # Metered: 100 GiB of storage.ssd from the volume's creation until the collection.
        until = datetime.now(UTC).replace(microsecond=0)
        (result,) = metering_service(app).collect(actor="ops", until=until, providers=["prov-main"])
        assert result.status == "collected", result.error
        with app.sessions() as session:
            rows = session.exec(
                select(UsageObservationRow).where(UsageObservationRow.resource_id == volume_id)
            ).all()
        (row,) = rows
        assert (row.meter, row.quantity, row.tenant, row.system) == (
            "storage.ssd", Decimal(100), "hrss", ref.system,
        )  # fmt: skip
        created = datetime.fromisoformat(str(volume.created_at)).replace(tzinfo=UTC)
        assert row.start.replace(tzinfo=UTC) == created.replace(microsecond=0)
        assert row.end.replace(tzinfo=UTC) == until
        seconds = Decimal((until - row.start.replace(tzinfo=UTC)).total_seconds())
        gib_hours = row.quantity * seconds / 3600
        assert 0 < gib_hours < 100, gib_hours  # created within the last hour

        # Deleted: gone from Cinder, and the next sync says so.
        gone = driver.delete(ref)
        assert ("volume", "db-1-vol1", "deleted") in {(o.kind, o.name, o.action) for o in gone}
        assert all(o.ok for o in gone), gone
        assert raw.block_storage.find_volume(volume_id, all_projects=True) is None
        sync_service(app).sync("prov-main")
        views, _ = list_resources(app.sessions, ResourceFilter(provider="prov-main"))
        assert not [v for v in views if v.kind == "volume" and v.system == ref.system]
    finally:
        driver.delete(ref)


def test_encrypted_volume_of_a_missing_type_is_refused(peer: Any, driver: OpenStackDriver) -> None:
    ref = SystemRef("hrss", f"vol{uuid.uuid4().hex[:6]}", "req-vol", 3)
    wanted = DesiredResource(
        "volume", "scratch", {"size_gib": 10, "type": "nvme", "encrypted": True}
    )
    try:
        (outcome,) = driver.apply(ref, [wanted])
        assert outcome.action == "failed"
        assert isinstance(outcome.error, ProviderInvalidRequest)
        assert "'nvme-encrypted'" in outcome.error.message_en
        assert outcome.error.temporary is False
        raw = _raw(peer)
        assert not [
            v for v in raw.block_storage.volumes(all_projects=True) if ref.system in str(v.name)
        ]
    finally:
        driver.delete(ref)
