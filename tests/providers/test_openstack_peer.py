"""OpenStackDriver against a real Keystone/Nova/Neutron/Glance (``scripts/peers/openstack``).

Cases:
- health: reachable, authenticated, with a latency;
- onboarding: ``set_quotas`` + ``apply`` create the department's project (tagged, with
  the department group's role), its Nova/Neutron/Cinder quotas, the network + subnet + router,
  a security group whose rules are exactly the declared ingress list (Neutron's default
  egress rules removed), servers that reach ACTIVE, tagged with tenant/system/request,
  and a floating IP on the first server — all checked with a raw SDK connection;
- a second apply creates nothing (every outcome ``unchanged``);
- a rule added out-of-band to the group is removed by the next apply;
- a server created out-of-band in the project is listed as unmanaged by inventory,
  attributed to the department whose project it is in;
- usage: the servers' vCPU/memory intervals with stable keys;
- delete leaves nothing govcloud created (no tag, no marker) and a second delete is empty;
- volumes on a cloud without block storage (the peer's Cinder hidden by
  ``has_block_storage: false`` in clouds.yaml) fail with a clear permanent error
  (volumes on the peer's Cinder: ``tests/inventory/test_openstack_volumes.py``);
- wrong password → ``ProviderAuthError`` (health: auth not ok); endpoint down →
  ``ProviderUnavailable`` (temporary; health: unreachable); over-quota boot →
  ``ProviderQuotaExceeded`` with the SDK exception as cause;
- crash-resume: an apply subprocess is SIGKILLed after the network, after the
  security group and after the first server exists; each next apply completes with
  exactly one of everything and no orphan;
- the registry builds the driver from an estate-style ``ProviderConfig``;
- a department group another replica created between this one's lookup and its create
  (Keystone answers 409) is used, not refused, and exists once;
- a department project deleted between the inventory's project listing and its quota
  read (Nova answers 400 "not a valid project") is skipped, not a failed sync;
- a volume or network deleted between two pages of the inventory listing (its id the
  next page's marker: Cinder and Neutron answer 404) makes the listing start again,
  every item yielded once, instead of failing the sync.
"""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import openstack
import openstack.config
import pytest
from ruamel.yaml import YAML

from providers.errors import (
    ProviderAuthError,
    ProviderInvalidRequest,
    ProviderNotFound,
    ProviderQuotaExceeded,
    ProviderUnavailable,
)
from providers.openstack import OpenStackDriver, _found_or_created
from providers.openstack_tags import parse_marker, project_name
from providers.registry import ProviderConfig, build_driver
from providers.types import DesiredResource, QuotaSet, SystemRef

pytestmark = [
    pytest.mark.openstack,
    pytest.mark.slow,
    # openstacksdk 4.x warns about its own internal calls on the raw connection used
    # here to observe the cloud (the driver silences these at its boundary).
    pytest.mark.filterwarnings("ignore::openstack.warnings.RemovedInSDK50Warning"),
    pytest.mark.filterwarnings("ignore::openstack.warnings.RemovedInSDK60Warning"),
    pytest.mark.filterwarnings("ignore::openstack.warnings.OpenStackDeprecationWarning"),
]

_spec = importlib.util.spec_from_file_location(
    "openstack_peer", Path(__file__).resolve().parents[1] / "peers" / "openstack_peer.py"
)
assert _spec is not None
assert _spec.loader is not None
# The peer helper lives beside the other peers' helpers, outside any package.
openstack_peer = sys.modules.setdefault("openstack_peer", importlib.util.module_from_spec(_spec))
_spec.loader.exec_module(openstack_peer)

REPO = Path(__file__).resolve().parents[2]


def _now() -> datetime:
    return datetime.now(UTC)


@pytest.fixture(scope="session")
def peer() -> Iterator[Any]:
    started = openstack_peer.start_openstack_peer()
    yield started
    openstack_peer.stop_openstack_peer(started)


@pytest.fixture(scope="session")
def raw(peer: Any) -> Any:
    """An independent admin connection to observe and tamper with the cloud."""
    config = openstack.config.OpenStackConfig(config_files=[peer.clouds_yaml])
    return openstack.connection.Connection(config=config.get_one(cloud=peer.cloud))


@pytest.fixture
def driver(peer: Any) -> OpenStackDriver:
    return OpenStackDriver("peer", cloud=peer.cloud, clock=_now, clouds_yaml=peer.clouds_yaml)


def _tenant() -> str:
    return f"t{uuid.uuid4().hex[:8]}"


def desired(servers: int = 2, router: bool = True) -> list[DesiredResource]:
    items = [
        DesiredResource("network", "net", {"cidr": "10.20.1.0/24", "router": router}),
        DesiredResource("security_group", "sg", {"description": "portal"}),
        DesiredResource(
            "security_rule",
            "https",
            {
                "security_group": "sg",
                "protocol": "tcp",
                "port_min": 443,
                "port_max": 443,
                "remote_cidr": "0.0.0.0/0",
            },
            ("sg",),
        ),
        DesiredResource(
            "security_rule",
            "ssh",
            {
                "security_group": "sg",
                "protocol": "tcp",
                "port_min": 22,
                "port_max": 22,
                "remote_cidr": "10.20.0.0/16",
            },
            ("sg",),
        ),
    ]
    for index in range(servers):
        items.append(
            DesiredResource(
                "server",
                f"web-{index}",
                {
                    "flavor": "c2m4",
                    "image": "kylin-v10-sp3",
                    "network": "net",
                    "security_groups": ["sg"],
                    "vcpu": 2,
                    "memory_mib": 4096,
                },
                ("net", "sg"),
            )
        )
    return items


def _project(raw: Any, tenant: str) -> Any:
    return raw.identity.find_project(project_name(tenant), ignore_missing=False)


def _govcloud_leftovers(raw: Any, project_id: str, system: SystemRef) -> list[str]:
    """Everything in the project tagged or marked as ``system``'s."""
    found: list[str] = []
    net = raw.network
    for listing in (
        net.networks(project_id=project_id),
        net.subnets(project_id=project_id),
        net.routers(project_id=project_id),
        net.security_groups(project_id=project_id),
        net.ips(project_id=project_id),
    ):
        for item in listing:
            marked = parse_marker(item.description)
            tagged = f"govcloud:system={system.system}" in (item.tags or [])
            if tagged or (marked and marked[1] == system.system):
                found.append(f"{type(item).__name__}:{item.name}")
    for server in raw.compute.servers(all_projects=True, project_id=project_id):
        if f"govcloud:system={system.system}" in (server.tags or []):
            found.append(f"Server:{server.name}")
    return found


def test_health(driver: OpenStackDriver) -> None:
    report = driver.health()
    assert report.reachable and report.auth_ok, report.detail
    assert report.latency_ms is not None and report.latency_ms > 0


def test_onboard_reapply_drift_usage_delete(driver: OpenStackDriver, raw: Any) -> None:
    tenant = _tenant()
    system = SystemRef(tenant, "portal", f"req-{uuid.uuid4().hex[:8]}", 3)
    driver.set_quotas(tenant, QuotaSet(vcpu=20, memory_gib=64, public_ips=3, storage_gib=500))
    wanted = [
        *desired(),
        DesiredResource("floating_ip", "web-0-ip", {"server": "web-0"}, ("web-0",)),
    ]
    outcomes = driver.apply(system, wanted)
    assert [(o.kind, o.name, o.action) for o in outcomes if o.action != "deleted"] == [
        (item.kind, item.name, "created") for item in wanted
    ]
    # Neutron's two default egress rules were removed: only declared rules remain.
    assert sorted(o.name.split("-")[0] for o in outcomes if o.action == "deleted") == [
        "undeclared",
        "undeclared",
    ]
    project = _project(raw, tenant)
    assert "govcloud:managed=true" in project.tags
    assert raw.get_compute_quotas(project.id).cores == 20
    assert raw.get_compute_quotas(project.id).ram == 64 * 1024
    assert raw.get_network_quotas(project.id).floating_ips == 3
    volume_quotas = raw.get_volume_quotas(project.id)
    assert (volume_quotas.gigabytes, volume_quotas.volumes) == (500, -1)
    group = raw.identity.find_group(project_name(tenant), ignore_missing=False)
    assert list(raw.identity.role_assignments(scope_project_id=project.id, group_id=group.id))

    ids = {(o.kind, o.name): o.resource_id for o in outcomes}
    sg = raw.network.get_security_group(ids[("security_group", "sg")])
    rules = {
        (r.direction, r.protocol, r.port_range_min, r.port_range_max, r.remote_ip_prefix)
        for r in raw.network.security_group_rules(security_group_id=sg.id)
    }
    assert rules == {
        ("ingress", "tcp", 443, 443, "0.0.0.0/0"),
        ("ingress", "tcp", 22, 22, "10.20.0.0/16"),
    }
    for name in ("web-0", "web-1"):
        server = raw.compute.get_server(ids[("server", name)])
        assert server.status == "ACTIVE"
        assert {
            f"govcloud:tenant={tenant}",
            "govcloud:system=portal",
            f"govcloud:request={system.request_id}",
            f"govcloud:name={name}",
        } <= set(server.tags)
        assert server.project_id == project.id
    network = raw.network.get_network(ids[("network", "net")])
    assert [s.cidr for s in raw.network.subnets(network_id=network.id)] == ["10.20.1.0/24"]
    assert len(list(raw.network.routers(project_id=project.id))) == 1
    fip = raw.network.get_ip(ids[("floating_ip", "web-0-ip")])
    assert fip.port_id is not None

    # Re-applying changes nothing.
    again = driver.apply(system, wanted)
    assert {o.action for o in again} == {"unchanged"}, again

    # An out-of-band rule is drift: the next apply removes it.
    stray = raw.network.create_security_group_rule(
        security_group_id=sg.id,
        direction="ingress",
        protocol="tcp",
        port_range_min=3306,
        port_range_max=3306,
        remote_ip_prefix="0.0.0.0/0",
    )
    healed = driver.apply(system, wanted)
    assert [(o.kind, o.action, o.resource_id) for o in healed if o.action != "unchanged"] == [
        ("security_rule", "deleted", stray.id)
    ]

    # A server created out-of-band in the project is unmanaged in inventory.
    scoped = raw.connect_as(project_id=project.id)
    hand_net = scoped.network.create_network(name="hand-net")
    scoped.network.create_subnet(network_id=hand_net.id, cidr="192.168.7.0/24", ip_version=4)
    oob = scoped.compute.create_server(
        name="hand-made",
        flavor_id=raw.compute.find_flavor("m1.tiny").id,
        image_id=raw.image.find_image("cirros").id,
        networks=[{"uuid": hand_net.id}],
    )
    scoped.compute.wait_for_server(oob, wait=120)
    inventory = {r.resource_id: r for r in driver.list_inventory()}
    assert inventory[oob.id].managed is False
    # unmanaged, but inside the department's project: the department answers for it
    assert (inventory[oob.id].tenant, inventory[oob.id].system) == (tenant, None)
    assert inventory[oob.id].spec["project_id"] == project.id
    assert inventory[hand_net.id].managed is False
    web0 = inventory[ids[("server", "web-0")]]
    assert (web0.managed, web0.tenant, web0.system, web0.name) == (True, tenant, "portal", "web-0")
    assert web0.spec["flavor"] == "c2m4" and web0.spec["vcpu"] == 2
    assert inventory[ids[("security_group", "sg")]].managed
    assert inventory[ids[("floating_ip", "web-0-ip")]].kind == "floating_ip"

    # Usage: each server's flavour as vCPU and GiB, with keys stable across calls.
    until = _now() + timedelta(minutes=1)
    since = until - timedelta(hours=1)
    usage = [u for u in driver.observe_usage(since, until) if u.tenant == tenant]
    meters = sorted((u.meter, u.quantity) for u in usage if u.meter.startswith("compute"))
    assert [m for m, _ in meters] == ["compute.memory"] * 2 + ["compute.vcpu"] * 2
    assert {q for _, q in meters} == {4, 2}
    assert [u.meter for u in usage if u.meter == "network.public_ip"] == ["network.public_ip"]
    again_keys = {u.source_key for u in driver.observe_usage(since, until) if u.tenant == tenant}
    assert {u.source_key for u in usage} == again_keys

    # Delete removes what govcloud created — and only that.
    gone = driver.delete(system)
    assert {o.action for o in gone} == {"deleted"}, gone
    assert _govcloud_leftovers(raw, project.id, system) == []
    assert raw.compute.get_server(oob.id).status == "ACTIVE"
    assert raw.network.get_network(hand_net.id).name == "hand-net"
    assert driver.delete(system) == []
    scoped.compute.delete_server(oob)
    scoped.compute.wait_for_delete(oob, wait=60)
    scoped.network.delete_network(hand_net)


def test_volumes_are_refused_without_cinder(peer: Any, tmp_path: Path) -> None:
    yaml = YAML()
    data = yaml.load(Path(peer.clouds_yaml).read_text())
    data["clouds"][peer.cloud]["has_block_storage"] = False
    path = tmp_path / "clouds.yaml"
    with path.open("w") as handle:
        yaml.dump(data, handle)
    driver = OpenStackDriver("peer", cloud=peer.cloud, clock=_now, clouds_yaml=str(path))
    system = SystemRef(_tenant(), "vols", "req-v", 2)
    (outcome,) = driver.apply(
        system, [DesiredResource("volume", "data", {"size_gib": 100, "type": "ssd"})]
    )
    assert outcome.action == "failed"
    assert isinstance(outcome.error, ProviderInvalidRequest)
    assert "cinder" in outcome.error.message_en and "块存储" in outcome.error.message_en
    assert outcome.error.temporary is False


def _clouds_yaml(peer: Any, tmp_path: Path, **auth: str) -> Path:
    yaml = YAML()
    data = yaml.load(Path(peer.clouds_yaml).read_text())
    data["clouds"][peer.cloud]["auth"].update(auth)
    path = tmp_path / "clouds.yaml"
    with path.open("w") as handle:
        yaml.dump(data, handle)
    return path


def test_wrong_password_is_an_auth_error(peer: Any, tmp_path: Path) -> None:
    path = _clouds_yaml(peer, tmp_path, password="not-the-password")
    bad = OpenStackDriver("peer", cloud=peer.cloud, clock=_now, clouds_yaml=str(path))
    report = bad.health()
    assert report.reachable and not report.auth_ok
    with pytest.raises(ProviderAuthError) as info:
        bad.apply(SystemRef(_tenant(), "x", "r", 2), desired(servers=0))
    assert info.value.temporary is False
    assert type(info.value.__cause__).__module__.startswith(("keystoneauth1", "openstack"))
    assert "认证失败" in info.value.describe("zh")


def test_endpoint_down_is_unavailable(peer: Any, tmp_path: Path) -> None:
    path = _clouds_yaml(peer, tmp_path, auth_url="http://127.0.0.1:1/v3")
    down = OpenStackDriver("peer", cloud=peer.cloud, clock=_now, clouds_yaml=str(path))
    report = down.health()
    assert not report.reachable and not report.auth_ok
    with pytest.raises(ProviderUnavailable) as info:
        list(down.list_inventory())
    assert info.value.temporary is True
    assert info.value.__cause__ is not None


def test_over_quota_boot_is_quota_exceeded(driver: OpenStackDriver) -> None:
    tenant = _tenant()
    system = SystemRef(tenant, "tight", "req-q", 2)
    driver.set_quotas(tenant, QuotaSet(vcpu=2, memory_gib=64))
    outcomes = {o.name: o for o in driver.apply(system, desired(servers=2, router=False))}
    assert outcomes["web-0"].action == "created"
    error = outcomes["web-1"].error
    assert isinstance(error, ProviderQuotaExceeded), outcomes["web-1"]
    assert error.__cause__ is not None
    assert "超出配额" in error.describe("zh")
    driver.delete(system)


_CHILD = """
import json, sys
from datetime import UTC, datetime
from providers.openstack import OpenStackDriver, _found_or_created
from providers.types import DesiredResource, SystemRef
args = json.loads(sys.argv[1])
driver = OpenStackDriver("peer", cloud=args["cloud"], clock=lambda: datetime.now(UTC),
                         clouds_yaml=args["clouds_yaml"])
items = [DesiredResource(i["kind"], i["name"], i["spec"], tuple(i["deps"])) for i in args["items"]]
driver.apply(SystemRef(args["tenant"], args["system"], "req-crash", 3), items)
"""


def _wait_for(check: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return False


@pytest.mark.parametrize("kill_after", ["network", "security_group", "server"])
def test_crash_resume(peer: Any, driver: OpenStackDriver, raw: Any, kill_after: str) -> None:
    tenant = _tenant()
    system = SystemRef(tenant, "crashy", "req-crash", 3)
    items = desired(servers=3)
    payload = {
        "cloud": peer.cloud,
        "clouds_yaml": peer.clouds_yaml,
        "tenant": tenant,
        "system": system.system,
        "items": [
            {"kind": i.kind, "name": i.name, "spec": dict(i.spec), "deps": list(i.depends_on)}
            for i in items
        ],
    }
    child = subprocess.Popen(
        [sys.executable, "-c", _CHILD, json.dumps(payload)],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )

    def reached() -> bool:
        project = raw.identity.find_project(project_name(tenant))
        if project is None:
            return False
        if kill_after == "server":
            return any(True for _ in raw.compute.servers(all_projects=True, project_id=project.id))
        listing = {
            "network": raw.network.networks,
            "security_group": raw.network.security_groups,
        }[kill_after]
        return any(
            (parse_marker(x.description) or ("", "", "", ""))[1] == system.system
            for x in listing(project_id=project.id)
        )

    try:
        assert _wait_for(reached, 120), "the apply never got that far"
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(30)
    assert child.returncode == -signal.SIGKILL

    outcomes = driver.apply(system, items)
    assert all(o.ok for o in outcomes), outcomes
    project = _project(raw, tenant)
    names = sorted(_govcloud_leftovers(raw, project.id, system))
    assert names == sorted(
        [
            "Network:crashy-net",
            "Subnet:crashy-net",
            "Router:crashy-net",
            "SecurityGroup:crashy-sg",
            *(f"Server:crashy-web-{i}" for i in range(3)),
        ]
    )
    servers = list(raw.compute.servers(all_projects=True, project_id=project.id))
    assert len(servers) == 3 and {s.status for s in servers} == {"ACTIVE"}
    for group in raw.network.security_groups(project_id=project.id):
        if group.name == "crashy-sg":
            assert len(list(raw.network.security_group_rules(security_group_id=group.id))) == 2
    assert {o.action for o in driver.apply(system, items)} == {"unchanged"}
    driver.delete(system)
    assert _govcloud_leftovers(raw, project.id, system) == []


def test_registry_builds_the_driver(peer: Any) -> None:
    config = ProviderConfig(
        "prov-main", "openstack", cloud=peer.cloud, options={"clouds_yaml": peer.clouds_yaml}
    )
    built = build_driver(config, clock=_now)
    assert isinstance(built, OpenStackDriver)
    assert built.health().healthy


def test_a_group_created_meanwhile_by_another_replica_is_used(raw: Any) -> None:
    name = project_name(_tenant())
    theirs = raw.identity.create_group(name=name, domain_id="default")  # the other replica
    lookups: list[str] = []

    def find() -> Any:  # this replica looked before the other one created it
        lookups.append(name)
        if len(lookups) == 1:
            return None
        return raw.identity.find_group(name, domain_id="default")

    try:
        ours = _found_or_created(
            find, lambda: raw.identity.create_group(name=name, domain_id="default")
        )
        assert ours.id == theirs.id and len(lookups) == 2
        assert [g.id for g in raw.identity.groups(name=name)] == [theirs.id]
    finally:
        raw.identity.delete_group(theirs, ignore_missing=True)


def test_a_project_deleted_after_the_listing_is_skipped(
    driver: OpenStackDriver, raw: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    gone = raw.identity.create_project(name=project_name(_tenant()), domain_id="default")
    raw.identity.delete_project(gone)
    listed = driver._department_projects()
    kept = next(iter(listed), None)  # the peer's other departments are still read
    # the listing as it was just before another replica offboarded the department
    monkeypatch.setattr(driver, "_department_projects", lambda: {**listed, gone.id: "gone"})
    quotas = {o.resource_id for o in driver.list_inventory() if o.kind == "project_quota"}
    assert gone.id not in quotas
    assert kept is None or kept in quotas


def _made(raw: Any, kind: str, name: str) -> Any:
    if kind == "volume":
        volume = raw.block_storage.create_volume(size=1, name=name)
        return raw.block_storage.wait_for_status(volume, status="available", wait=120)
    return raw.network.create_network(name=name)


def _gone(raw: Any, kind: str, made: Any) -> None:
    if kind == "volume":
        raw.block_storage.delete_volume(made, ignore_missing=True)
        raw.block_storage.wait_for_delete(made, wait=120)
    else:
        raw.network.delete_network(made, ignore_missing=True)


def _listed_deleting_the_first(
    driver: OpenStackDriver, raw: Any, kind: str, made: dict[str, Any]
) -> list[str]:
    """The ids of ``kind`` a listing yields; the first of ``made`` is deleted once yielded."""
    listed: list[str] = []
    deleted = False
    for item in driver.list_inventory():
        if item.kind == kind:
            listed.append(item.resource_id)
            if not deleted and item.resource_id in made:
                _gone(raw, kind, made[item.resource_id])  # it is the next page's marker
                deleted = True
        elif listed:
            break  # the listing of ``kind`` is over
    return listed


@pytest.mark.parametrize("kind", ["volume", "network"])
def test_an_item_deleted_between_pages_costs_a_relisting_not_the_sync(
    peer: Any, raw: Any, kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One item per page, so every item is the marker of the next page request.

    Without restarts the deletion fails the listing (the service answers 404 for the
    marker: the case is real); with them every item is yielded once, the deleted one
    included (it existed when listed), and nothing is lost.
    """
    stem = f"race-{uuid.uuid4().hex[:6]}"
    made: dict[str, Any] = {}
    try:
        for n in range(4):
            item = _made(raw, kind, f"{stem}-{n}")
            made[str(item.id)] = item
        driver = OpenStackDriver(
            "peer", cloud=peer.cloud, clock=_now, clouds_yaml=peer.clouds_yaml, page_size=1
        )
        with monkeypatch.context() as patched:
            patched.setattr("providers.openstack._LISTING_RESTARTS", 0)
            with pytest.raises(ProviderNotFound):
                _listed_deleting_the_first(driver, raw, kind, made)

        still = {k: v for k, v in made.items() if k in _existing(raw, kind)}
        assert len(still) == 3
        listed = _listed_deleting_the_first(driver, raw, kind, still)
        assert len(listed) == len(set(listed)), "an item was yielded twice"
        assert set(still) <= set(listed)
        assert len(set(still) & _existing(raw, kind)) == 2  # one was listed, then deleted
    finally:
        for item in made.values():
            _gone(raw, kind, item)


def _existing(raw: Any, kind: str) -> set[str]:
    if kind == "volume":
        return {str(v.id) for v in raw.block_storage.volumes(all_projects=True)}
    return {str(n.id) for n in raw.network.networks()}
