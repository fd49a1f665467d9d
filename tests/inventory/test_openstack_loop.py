"""Closing the loop on the real OpenStack peer: provision, drift, repair, judged by the SDK.

One department (a tenant code unique to this run) with a quota in the estate gets one
system through the whole request flow (real planner, approvals, provisioner, driver).
Then, one out-of-band change at a time, made with openstacksdk as an operator would:

- a clean provision leaves no drift, and the project's Nova/Neutron quotas equal the
  estate's (read back through openstacksdk);
- a rule opening 22/tcp to 0.0.0.0/0 added to govcloud's group → ``unmanaged``
  security_rule of the department *and* system, and the audit fails MLPS-L1-NET-02 on
  the rule and on the group (whose observed ingress now holds it); the repair plan is
  exactly "remove" it;
- a server made by hand in the department's project → ``unmanaged`` server of the
  department (no system), failing MLPS-L3-IDS-01 while govcloud's own server (known by
  the id provisioning recorded) does not; the plan only reports it, and removes it
  when the operator prunes;
- the system's server deleted → ``missing``; the plan is "recreate";
- the project's cores quota changed → ``changed`` project_quota (``vcpu``); "restore";
- govcloud's tags removed from the server → ``changed`` on the same id (not an
  unmanaged newcomer); "retag", and the repair never boots a second server;
- the server renamed → ``changed`` (``cloud_name``); "restore";
- the estate's quota changed → ``changed`` project_quota until the estate's quotas are
  pushed (what ``estate apply`` does), then the SDK reads the new quota;
- a clean delete leaves no drift, and the department stays onboarded (project and
  quota kept) because the estate declares its quota there; without a declared quota,
  deleting its last system offboards it (project and group gone, read with the SDK).

After each repair the cloud is checked through openstacksdk (not govcloud's records),
and a fresh sync shows no drift. A clean delete leaves no drift either.
"""

from __future__ import annotations

import importlib.util
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openstack
import openstack.config
import pytest

from controlplane.app import App
from controlplane.compliance import compliance_service
from controlplane.estate.schema import parse_estate
from controlplane.inventory import list_drift, sync_service
from controlplane.planning.service import PlanService
from controlplane.requests import provisioner, request_service
from controlplane.requests.from_plan import PlanServicePlanner
from providers.openstack_tags import project_name
from tenants import load_requests, load_yaml_documents
from tests.inventory.test_openstack_sync import openstack_peer

from .conftest import EXAMPLE

pytestmark = [
    pytest.mark.openstack,
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore::openstack.warnings.RemovedInSDK50Warning"),
    pytest.mark.filterwarnings("ignore::openstack.warnings.RemovedInSDK60Warning"),
    pytest.mark.filterwarnings("ignore::openstack.warnings.OpenStackDeprecationWarning"),
]

OPERATOR = "local-operator"

_spec = importlib.util.spec_from_file_location(
    "custodian_peer", Path(__file__).resolve().parents[1] / "peers" / "custodian_peer.py"
)
assert _spec is not None and _spec.loader is not None
custodian_peer = sys.modules.setdefault("custodian_peer", importlib.util.module_from_spec(_spec))
_spec.loader.exec_module(custodian_peer)
#: (scenario, tool) → seconds, printed at the end of the walk (run with -s to see them)
TIMES: dict[tuple[str, str], float] = {}


@pytest.fixture(scope="module")
def peer() -> Iterator[Any]:
    started = openstack_peer.start_openstack_peer()
    yield started
    openstack_peer.stop_openstack_peer(started)


def _estate_text(peer: Any, tenant: str, vcpu: int | None) -> str:
    text = EXAMPLE.read_text().replace("cloud: prov-main,", f"cloud: {peer.cloud},")
    text = text.replace(
        "  tenants:\n",
        f"  tenants:\n    - {{code: {tenant}, name: 回路测试厅, level: provincial, "
        'budget: "900000.00"}\n',
    )
    if vcpu is None:
        return text
    quota = (
        f"  quotas:\n    - {{tenant: {tenant}, provider: prov-main, vcpu: {vcpu}, "
        "memoryGiB: 24, publicIPs: 2}\n"
    )
    return text.replace("  catalog:\n", quota + "  catalog:\n")


def _apply_estate(app: App, text: str) -> None:
    app.estate.apply(
        parse_estate(load_yaml_documents(text, "estate.yaml"), "estate.yaml"), actor="ops"
    )


def _manifest(tenant: str, system: str) -> str:
    return f"""apiVersion: govcloud.io/v1
kind: SystemRequest
metadata: {{name: {system}, tenant: {tenant}}}
spec:
  classifiedProtection: 1
  dataClassification: general
  placement: {{provider: prov-main}}
  compute:
    - {{name: web, flavor: c2m4, count: 1, image: kylin-v10-sp3}}
  network:
    ingress:
      - {{port: 443, protocol: tcp, from: 10.20.0.0/16}}
  backup: {{enabled: true, retentionDays: 30}}
  logging: {{retentionDays: 180}}
  encryption: {{atRest: sm4, inTransit: tls}}
"""


class Loop:
    """The app, the raw SDK connection and the system under test."""

    def __init__(
        self, app: App, peer: Any, tenant: str, system: str, workdir: Path, executable: str
    ) -> None:
        self.app, self.peer, self.tenant, self.system = app, peer, tenant, system
        self.workdir, self.executable = workdir, executable
        config = openstack.config.OpenStackConfig(config_files=[peer.clouds_yaml])
        self.raw: Any = openstack.connection.Connection(config=config.get_one(cloud=peer.cloud))
        self.requests = request_service(
            app, PlanServicePlanner(PlanService(app.sessions, app.clock, app.settings))
        )

    def submit(self, *, delete: bool = False) -> None:
        parsed = load_requests(_manifest(self.tenant, self.system), name="loop.yaml")[0]
        act = self.requests.delete if delete else self.requests.apply
        result = act(parsed, actor=OPERATOR)
        assert result.request is not None, result.describe("en")
        assert result.request.state == "Approved", (result.request.state, result.request.plan)
        done = provisioner(self.app).provision(result.request.id or 0, actor=OPERATOR)
        assert not done.failed, [(o.kind, o.name, o.error) for o in done.failed]

    @property
    def project(self) -> Any:
        return self.raw.identity.find_project(project_name(self.tenant), ignore_missing=False)

    @property
    def scoped(self) -> Any:
        return self.raw.connect_as(project_id=self.project.id)

    def servers(self) -> list[Any]:
        return list(self.raw.compute.servers(all_projects=True, project_id=self.project.id))

    def group(self) -> Any:
        groups = [
            g
            for g in self.raw.network.security_groups(project_id=self.project.id)
            if g.name == f"{self.system}-sg"
        ]
        assert len(groups) == 1, groups
        return groups[0]

    def sync(self) -> list[Any]:
        sync_service(self.app).sync("prov-main", actor="ops")
        return [d for d in list_drift(self.app.sessions) if d.tenant == self.tenant]

    def repair_plan(self, *, prune: bool = False) -> list[tuple[str, str, str]]:
        result = provisioner(self.app).repair(
            self.tenant, self.system, actor=OPERATOR, prune=prune, dry_run=True
        )
        return [(s.action, s.kind, s.resource_id) for s in result.plan.steps]

    def repair(self, *, prune: bool = False) -> None:
        result = provisioner(self.app).repair(self.tenant, self.system, actor=OPERATOR, prune=prune)
        assert not result.failed, [(o.kind, o.name, o.error) for o in result.failed]
        assert self.sync() == [], "drift left after the repair"

    def failing(self) -> set[tuple[str, str]]:
        """``(rule, resource id)`` of every failed verdict of a fresh audit."""
        service = compliance_service(self.app)
        service.audit(actor="ops")
        return {(v.rule_id, v.subject_id) for v in service.results() if v.outcome == "fail"}

    def judged(self, scenario: str) -> tuple[set[str], set[tuple[str, str]]]:
        """govcloud's sync + audit, timed: drifted resource ids and failed verdicts."""
        started = time.perf_counter()
        drifted = {d.resource_id for d in self.sync()}
        failing = self.failing()
        TIMES[scenario, "govcloud sync+audit"] = time.perf_counter() - started
        return drifted, failing

    def custodian(self, scenario: str, policy: dict[str, Any], *, scoped: bool) -> set[str]:
        """What Cloud Custodian flags (servers: listed in the department's project only)."""
        project = project_name(self.tenant)
        clouds = custodian_peer.project_clouds(
            self.peer.clouds_yaml, self.peer.cloud, [project], self.workdir
        )
        run = custodian_peer.run_policy(
            self.executable,
            clouds,
            project if scoped else self.peer.cloud,
            {"name": scenario, **policy},
            self.workdir / scenario,
        )
        TIMES[scenario, "custodian"] = run.seconds
        return set(run.flagged)

    def quota(self) -> tuple[int, int, int]:
        compute = self.raw.compute.get_quota_set(self.project.id)
        network = self.raw.network.get_quota(self.project.id)
        return int(compute.cores), int(compute.ram), int(network.floating_ips)


@pytest.fixture(scope="module")
def custodian() -> str:
    return str(custodian_peer.custodian_executable())


@pytest.fixture(params=[12], ids=["quota"])
def loop(
    app: App,
    peer: Any,
    custodian: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
) -> Iterator[Loop]:
    monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", peer.clouds_yaml)
    tenant = f"loop{uuid.uuid4().hex[:6]}"
    _apply_estate(app, _estate_text(peer, tenant, vcpu=request.param))
    walk = Loop(app, peer, tenant, "portal", tmp_path, custodian)
    try:
        yield walk
    finally:
        project = walk.raw.identity.find_project(project_name(tenant))
        if project is not None:
            for server in walk.raw.compute.servers(all_projects=True, project_id=project.id):
                walk.raw.compute.delete_server(server)
                walk.raw.compute.wait_for_delete(server, wait=120)
            for group in walk.raw.network.security_groups(project_id=project.id):
                if group.name != "default":
                    walk.raw.network.delete_security_group(group)
            for network in walk.raw.network.networks(project_id=project.id):
                walk.raw.network.delete_network(network)
            walk.raw.identity.delete_project(project)
        group = walk.raw.identity.find_group(project_name(tenant))
        if group is not None:
            walk.raw.identity.delete_group(group)


def _drift(found: list[Any]) -> list[tuple[str, str, str | None, str | None]]:
    return sorted((d.drift, d.kind, d.tenant, d.system) for d in found)


def test_drift_and_repair_walk(loop: Loop) -> None:
    loop.submit()
    assert loop.sync() == []
    assert loop.quota() == (12, 24 * 1024, 2)
    (server,) = loop.servers()

    # a rule opening SSH to the world, added by hand to govcloud's group
    rule = loop.raw.network.create_security_group_rule(
        security_group_id=loop.group().id, direction="ingress", protocol="tcp",
        port_range_min=22, port_range_max=22, remote_ip_prefix="0.0.0.0/0",
    )  # fmt: skip
    found = loop.sync()
    assert _drift(found) == [("unmanaged", "security_rule", loop.tenant, loop.system)]
    # 等保: high-risk port open to the internet, judged on the rule and on its group
    drifted, failing = loop.judged("ssh-to-world")
    assert {("MLPS-L1-NET-02", rule.id), ("MLPS-L1-NET-02", loop.group().id)} <= failing
    # Custodian flags the group; govcloud reports at least that
    flagged = loop.custodian("ssh-to-world", _ssh_to_world(loop.project.id), scoped=False)
    assert flagged == {loop.group().id}
    assert flagged <= {subject for _, subject in failing}
    assert loop.repair_plan() == [("remove", "security_rule", rule.id)]
    loop.repair()
    rules = {r.id for r in loop.raw.network.security_group_rules(security_group_id=loop.group().id)}
    assert rule.id not in rules and len(rules) == 1

    # a server made by hand in the department's project: reported, pruned only on request
    network = next(iter(loop.raw.network.networks(project_id=loop.project.id)))
    stray = loop.scoped.compute.create_server(
        name="hand-made", flavor_id=loop.raw.compute.find_flavor("m1.tiny").id,
        image_id=loop.raw.image.find_image("cirros").id, networks=[{"uuid": network.id}],
    )  # fmt: skip
    loop.scoped.compute.wait_for_server(stray, wait=120)
    assert _drift(loop.sync()) == [("unmanaged", "server", loop.tenant, None)]
    # 等保: a VM no approved request created; govcloud's own server is known by its id
    drifted, failing = loop.judged("hand-made-server")
    flagged = loop.custodian("hand-made-server", _UNMARKED_SERVERS, scoped=True)
    assert flagged == {stray.id} and flagged <= drifted
    assert ("MLPS-L3-IDS-01", stray.id) in failing
    assert ("MLPS-L3-IDS-01", server.id) not in failing
    assert loop.repair_plan() == [("report", "server", stray.id)]
    assert loop.repair_plan(prune=True) == [("remove", "server", stray.id)]
    loop.repair(prune=True)
    assert [s.id for s in loop.servers()] == [server.id]

    # the system's server deleted
    loop.raw.compute.delete_server(server)
    loop.raw.compute.wait_for_delete(server, wait=120)
    assert _drift(loop.sync()) == [("missing", "server", loop.tenant, loop.system)]
    assert loop.repair_plan() == [("recreate", "server", server.id)]
    loop.repair()
    (server,) = loop.servers()
    assert server.name == f"{loop.system}-web-1" and server.status == "ACTIVE"

    # the department's quota raised by hand
    loop.raw.set_compute_quotas(loop.project.id, cores=50)
    found = loop.sync()
    assert _drift(found) == [("changed", "project_quota", loop.tenant, None)]
    assert found[0].detail["keys"] == {"vcpu": {"desired": 12, "observed": 50}}
    assert loop.repair_plan() == [("restore", "project_quota", loop.project.id)]
    loop.repair()
    assert loop.quota() == (12, 24 * 1024, 2)

    # govcloud's tags removed from its server: changed on that id, repaired without a twin
    loop.raw.compute.get_server(server.id).set_tags(loop.raw.compute, [])
    found = loop.sync()
    assert _drift(found) == [("changed", "server", loop.tenant, loop.system)]
    assert found[0].resource_id == server.id and "govcloud_tags" in found[0].detail["keys"]
    drifted, _ = loop.judged("removed-tag")
    flagged = loop.custodian("removed-tag", _UNMARKED_SERVERS, scoped=True)
    assert flagged == {server.id} and flagged <= drifted
    assert loop.repair_plan() == [("retag", "server", server.id)]
    loop.repair()
    (again,) = loop.servers()
    assert again.id == server.id
    assert f"govcloud:tenant={loop.tenant}" in (again.tags or [])

    # the server renamed by hand
    loop.raw.compute.update_server(server.id, name="renamed-by-hand")
    found = loop.sync()
    assert _drift(found) == [("changed", "server", loop.tenant, loop.system)]
    assert found[0].detail["keys"]["cloud_name"]["observed"] == "renamed-by-hand"
    assert loop.repair_plan() == [("restore", "server", server.id)]
    loop.repair()
    assert loop.raw.compute.get_server(server.id).name == f"{loop.system}-web-1"

    # an estate change reaches the cloud on the next apply of the department's system
    _apply_estate(loop.app, _estate_text(loop.peer, loop.tenant, vcpu=16))
    found = loop.sync()
    assert [(d.kind, d.detail["keys"]) for d in found] == [
        ("project_quota", {"vcpu": {"desired": 16, "observed": 12}})
    ]
    pushed = provisioner(loop.app).push_quotas(actor=OPERATOR)
    assert (loop.tenant, "prov-main", None) in pushed
    assert loop.quota() == (16, 24 * 1024, 2)
    assert loop.sync() == []

    # a clean delete leaves no drift; the estate's quota keeps the department onboarded
    loop.submit(delete=True)
    assert loop.servers() == []
    assert loop.sync() == []
    assert loop.quota() == (16, 24 * 1024, 2)
    for (scenario, tool), seconds in sorted(TIMES.items()):
        print(f"{scenario:18} {tool:20} {seconds:6.2f} s")


@pytest.mark.parametrize("loop", [None], ids=["no-quota"], indirect=True)
def test_last_system_deleted_offboards_the_department(loop: Loop) -> None:
    """No quota declared on the provider: the department leaves with its last system."""
    loop.submit()
    project = loop.project
    assert loop.quota() == (-1, -1, -1)
    loop.submit(delete=True)
    assert loop.raw.identity.find_project(project.id) is None
    assert loop.raw.identity.find_group(project_name(loop.tenant)) is None
    assert loop.sync() == []


def _ssh_to_world(project_id: str) -> dict[str, Any]:
    """Groups of the department's project with an ingress rule letting 22/tcp from anywhere."""
    return {
        "resource": "openstack.security-group",
        "filters": [
            {"type": "value", "key": "project_id", "value": project_id},
            {
                "type": "list-item",
                "key": "security_group_rules",
                "attrs": [
                    {"type": "value", "key": "direction", "value": "ingress"},
                    {"type": "value", "key": "remote_ip_prefix", "value": "0.0.0.0/0"},
                    {"type": "value", "key": "port_range_min", "value": 22, "op": "lte"},
                    {"type": "value", "key": "port_range_max", "value": 22, "op": "gte"},
                ],
            },
        ],
    }


#: Servers without govcloud's managed tag (made by hand, or stripped of it).
_UNMARKED_SERVERS: dict[str, Any] = {
    "resource": "openstack.server",
    "filters": [
        {
            "not": [
                {"type": "value", "key": "tags", "op": "contains", "value": "govcloud:managed=true"}
            ]
        }
    ],
}
