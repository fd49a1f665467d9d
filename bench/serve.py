"""govcloud serve, measured: latency, crash safety, failover, back-off (prints JSON).

Every run makes its own PostgreSQL database on the local server (``GOVCLOUD_TEST_PG``)
and a temporary home whose simulator clouds the replicas share (the simulator keeps its
state in a file under an flock). Replicas are real ``govcloud serve --no-api``
processes; requests are applied through the facade as the operator, the way
``govcloud apply -f`` does, and level-2 requests are approved on admission.

    python -m bench.serve latency --requests 1000 --replicas 1
    python -m bench.serve latency --requests 1000 --replicas 2
    python -m bench.serve kill --rounds 30 --requests 200
    python -m bench.serve kill-openstack --rounds 3 --requests 6   # OS_CLIENT_CONFIG_FILE
    python -m bench.serve failover --firings 20
    python -m bench.serve unreachable
    python -m bench.serve peer-down --requests 8 --down-for 120   # a private OpenStack peer

``latency``: approved→Ready p50/p99 (from the requests' own events) while requests are
submitted at full speed. ``kill``: ``kill -9`` of a random replica at a random moment,
``rounds`` times, a new replica started each time; then every request must be Ready or
Failed with a reason, no cloud resource may exist twice and none may be orphaned (a
resource of a system the database does not hold). ``kill-openstack``: the same, smaller,
against the OpenStack peer (cloud ``govcloud-peer`` of ``OS_CLIENT_CONFIG_FILE``) in
departments unique to the run, the cloud judged by openstacksdk itself (servers by their
govcloud tags, across all projects); afterwards every system is deleted through govcloud
and the SDK must find none of the run's servers left. ``failover``: two replicas, a job
every second; each firing must have run exactly once, and after killing the leader the
other must lead within 15 s (measured from the kill to its first firing queued).
``unreachable``: an OpenStack provider pointing at a closed 127.0.0.1 port (the shared
OpenStack peer is never stopped): its sync records temporary errors with growing
back-off, and when the provider is pointed back at a reachable cloud the queued work
completes. ``peer-down``: the real thing, on a second, private OpenStack peer
(``scripts/peers/openstack`` with the ``GOVCLOUD_OS_*`` overrides of :data:`PRIVATE_PEER`,
each taken from the environment when set there; the shared peer is never touched): two
replicas provision level-1 requests on it, the peer is stopped with its own ``down``
while they provision, the sync job and the requests record temporary errors with
growing back-off, the peer comes back with ``resume`` (its databases kept), every
request must reach Ready and openstacksdk must find each system's server exactly once;
then everything is deleted through govcloud and the private peer is purged (its
databases, vhost, account and run directory) unless ``--keep-peer``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
from sqlmodel import col, select

from controlplane.app import App
from controlplane.config import Settings
from controlplane.db.models import Request, RequestEvent, System, Tenant
from controlplane.db.tables_scheduler import JobRun
from controlplane.errors import GovcloudError
from controlplane.facade import Govcloud, Manifest

PG = os.environ.get("GOVCLOUD_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432")
TENANTS = 20


def estate_yaml(tenants: int = TENANTS, extra_providers: str = "") -> str:
    rows = "\n".join(
        f'    - {{code: d{i:03d}, name: 部门{i}, level: provincial, budget: "100000000.00"}}'
        for i in range(tenants)
    )
    quotas = "\n".join(
        f"    - {{tenant: d{i:03d}, provider: prov-sim, vcpu: 100000, memoryGiB: 400000,"
        " storageGiB: 10000000, publicIPs: 1000, namespaces: 100}"
        for i in range(tenants)
    )
    return f"""apiVersion: govcloud.io/v1
kind: Estate
metadata: {{name: bench-serve}}
spec:
  providers:
    - {{name: prov-sim, tier: provincial, kind: simulator, seed: 1, certifiedLevel: 4,
       capacity: {{vcpu: 10000000, memoryGiB: 40000000, storageGiB: 1000000000, publicIPs: 100000}}}}
{extra_providers}  tenants:
{rows}
  catalog:
    flavors:
      - {{name: c2m4, vcpu: 2, memoryGiB: 4}}
    images:
      - {{name: kylin-v10-sp3, os: kylin, xinchuang: true, hardened: true, arch: [aarch64, x86_64]}}
  principals:
    - {{name: local-operator, roles: [operator]}}
  quotas:
{quotas}
"""


def manifest(name: str, tenant: str, provider: str = "prov-sim") -> str:
    return f"""apiVersion: govcloud.io/v1
kind: SystemRequest
metadata: {{name: {name}, tenant: {tenant}}}
spec:
  classifiedProtection: 2
  dataClassification: general
  placement: {{provider: {provider}}}
  compute:
    - {{name: web, flavor: c2m4, count: 2, image: kylin-v10-sp3}}
  backup: {{enabled: true, retentionDays: 30}}
"""


@dataclass
class Bench:
    home: Path
    url: str
    app: App
    replicas: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    ports: dict[str, int] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)

    def start(self, name: str, *, workers: int = 4, lease: int = 10,
              config: Path | None = None) -> None:  # fmt: skip
        port = _free_port()
        args = [sys.executable, "-m", "controlplane.cli.main", "serve", "--no-api",
                "--listen", f"127.0.0.1:{port}", "--replica", name, "--workers", str(workers),
                "--lease", str(lease), "-o", "json"]  # fmt: skip
        if config is not None:
            args += ["--jobs-config", str(config)]
        log = (self.home / f"{name}.log").open("ab")
        self.replicas[name] = subprocess.Popen(args, env=self.env, stdout=log, stderr=log)
        self.ports[name] = port

    def wait_ready(self, *names: str, timeout: float = 180) -> None:
        """Until each replica's /readyz answers 200 (start-up is slow on a busy machine)."""
        import httpx

        deadline = time.monotonic() + timeout
        for name in names:
            while True:
                if self.replicas[name].poll() is not None:
                    raise RuntimeError(f"replica {name} exited; see {self.home}/{name}.log")
                try:
                    if httpx.get(f"http://127.0.0.1:{self.ports[name]}/readyz").status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"replica {name} not ready after {timeout} s")
                time.sleep(0.3)

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        process = self.replicas.pop(name)
        process.send_signal(sig)
        process.wait(60)

    def stop_all(self) -> None:
        for name in list(self.replicas):
            self.kill(name, signal.SIGTERM)

    def facade(self) -> Govcloud:
        return Govcloud.acting_as(self.app, "local-operator")

    def submit(self, names: list[tuple[str, str]]) -> list[int]:
        text = "---\n".join(manifest(n, t) for n, t in names)
        applied = self.facade().apply(Manifest(text, "bench.yaml"))
        return [a.request.id for a in applied if a.request is not None]

    def states(self) -> Counter[str]:
        with self.app.sessions() as session:
            return Counter(r.state for r in session.exec(select(Request)))

    def wait_settled(self, timeout: float) -> float:
        """Seconds until no request is Approved/Provisioning/Deleting (or the timeout)."""
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            dead = [n for n, p in self.replicas.items() if p.poll() is not None]
            if dead:
                raise RuntimeError(f"replica(s) {dead} exited; see {self.home}/*.log")
            states = self.states()
            if not states["Approved"] and not states["Provisioning"] and not states["Deleting"]:
                return time.monotonic() - started
            time.sleep(0.5)
        return float("nan")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _admin() -> str:
    return PG.replace("postgresql+psycopg://", "postgresql://") + "/postgres"


@contextmanager
def bench(estate: str | None = None, env: dict[str, str] | None = None) -> Iterator[Bench]:
    name = f"govcloud_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(_admin(), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    home = Path(tempfile.mkdtemp(prefix="govcloud-serve-bench-"))
    url = f"{PG}/{name}"
    app = App(Settings(home=home, database_url=url))
    made = Bench(home, url, app, env={**os.environ, "GOVCLOUD_HOME": str(home),
                                      "GOVCLOUD_DATABASE_URL": url, **(env or {})})  # fmt: skip
    try:
        app.init()
        from controlplane.estate.schema import parse_estate
        from tenants import load_yaml_documents

        text = estate or estate_yaml()
        app.estate.apply(parse_estate(load_yaml_documents(text, "e.yaml"), "e.yaml"),
                         actor="local-operator")  # fmt: skip
        yield made
    finally:
        made.stop_all()
        app.close()
        with psycopg.connect(_admin(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def latencies(app: App) -> list[float]:
    with app.sessions() as session:
        events = session.exec(
            select(RequestEvent).where(col(RequestEvent.to_state).in_(("Approved", "Ready")))
        ).all()
    approved: dict[int, datetime] = {}
    ready: dict[int, datetime] = {}
    for e in events:
        (approved if e.to_state == "Approved" else ready)[e.request_id] = e.at
    return [(ready[i] - approved[i]).total_seconds() for i in ready if i in approved]


def run_latency(requests: int, replicas: int, workers: int) -> dict[str, Any]:
    with bench() as b:
        for i in range(replicas):
            b.start(f"r{i}", workers=workers)
        b.wait_ready(*(f"r{i}" for i in range(replicas)))
        names = [(f"s{i:05d}", f"d{i % TENANTS:03d}") for i in range(requests)]
        started = time.monotonic()
        for chunk in range(0, requests, 20):
            b.submit(names[chunk : chunk + 20])
        submitted = time.monotonic() - started
        settled = b.wait_settled(900)
        values = latencies(b.app)
        with b.app.sessions() as session:
            provisioned_by = Counter(
                e.actor
                for e in session.exec(select(RequestEvent).where(RequestEvent.to_state == "Ready"))
            )
        return {
            "bench": "latency", "requests": requests, "replicas": replicas,
            "workers_per_replica": workers, "submit_seconds": round(submitted, 1),
            "settled_after_submit_seconds": round(settled, 1), "states": dict(b.states()),
            "ready": len(values), "p50_seconds": round(_percentile(values, 0.5), 3),
            "p99_seconds": round(_percentile(values, 0.99), 3),
            "max_seconds": round(max(values), 3) if values else None,
            "throughput_per_second": round(len(values) / (submitted + settled), 1),
            "ready_events_by_actor": dict(provisioned_by),
        }  # fmt: skip


def cloud_check(b: Bench) -> dict[str, Any]:
    """Duplicates and orphans: the simulator's resources against the database."""
    from controlplane.db.models import Provider

    provider = b.app.estate.provider("prov-sim")
    assert isinstance(provider, Provider)
    driver = b.app.driver(provider)
    seen: Counter[tuple[str, str, str, str]] = Counter()
    for r in driver.list_inventory():
        seen[(r.tenant or "", r.system or "", r.kind, r.name)] += 1
    with b.app.sessions() as session:
        live = {
            (t.code, s.name)
            for s, t in session.exec(
                select(System, Tenant).join(Tenant, col(Tenant.id) == col(System.tenant_id))
            )
            if s.status not in ("deleted",)
        }
    duplicates = {"/".join(k): n for k, n in seen.items() if n > 1}
    orphans = sorted({f"{k[0]}/{k[1]}" for k in seen if k[1] and (k[0], k[1]) not in live})
    return {"cloud_resources": sum(seen.values()), "duplicates": duplicates,
            "orphans": orphans}  # fmt: skip


def run_kill(rounds: int, requests: int, seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    with bench() as b:
        for name in ("r0", "r1"):
            b.start(name, workers=2, lease=5)
        b.wait_ready("r0", "r1")
        names = [(f"k{i:05d}", f"d{i % TENANTS:03d}") for i in range(requests)]
        per_round = max(1, requests // rounds)
        killed = []
        serial = 2
        for round_ in range(rounds):
            batch = names[round_ * per_round : (round_ + 1) * per_round]
            if batch:
                b.submit(batch)
            time.sleep(rng.uniform(0.2, 1.5))
            victim = rng.choice(sorted(b.replicas))
            b.kill(victim)
            killed.append(victim)
            b.start(f"r{serial}", workers=2, lease=5)
            serial += 1
        leftover = names[rounds * per_round :]
        if leftover:
            b.submit(leftover)
        settled = b.wait_settled(600)
        states = b.states()
        failed_without_reason = _failed_without_reason(b)
        return {"bench": "kill", "rounds": rounds, "requests": requests,
                "settled_seconds": round(settled, 1), "states": dict(states),
                "failed_without_reason": failed_without_reason, **cloud_check(b)}  # fmt: skip


def _failed_without_reason(b: Bench) -> list[int | None]:
    """The Failed requests whose last event gives no reason (there should be none)."""
    with b.app.sessions() as session:
        return [
            r.id
            for r in session.exec(select(Request).where(Request.state == "Failed"))
            if not _last_reason(session, r.id or 0)
        ]


def _last_reason(session: Any, request_id: int) -> str | None:
    event = session.exec(
        select(RequestEvent)
        .where(RequestEvent.request_id == request_id)
        .order_by(col(RequestEvent.id).desc())
    ).first()
    return event.reason if event is not None else None


def _jobs_config(home: Path, text: str) -> Path:
    path = home / "jobs.yaml"
    path.write_text(text, encoding="utf-8")
    return path


ONLY_HEALTH = """jobs:
  health: {every: 1}
  sync: {enabled: false}
  policy-audit: {enabled: false}
  meter-collect: {enabled: false}
  month-close: {enabled: false}
  audit-verify: {enabled: false}
  budget-alerts: {enabled: false}
"""


def _leader(b: Bench) -> str | None:
    with b.app.sessions() as session:
        last = session.exec(select(JobRun).order_by(col(JobRun.id).desc())).first()
        return last.requested_by if last is not None else None


def run_failover(firings: int) -> dict[str, Any]:
    with bench() as b:
        config = _jobs_config(b.home, ONLY_HEALTH)
        b.start("a", workers=1, config=config)
        b.wait_ready("a")
        b.start("b", workers=1, config=config)
        b.wait_ready("b")
        time.sleep(firings + 2)
        leader = _leader(b)
        assert leader in ("a", "b"), leader
        other = "b" if leader == "a" else "a"
        killed_at = time.time()
        b.kill(leader)
        took = float("nan")
        while time.time() - killed_at < 60:
            with b.app.sessions() as session:
                mine = session.exec(
                    select(JobRun).where(JobRun.requested_by == other).order_by(col(JobRun.id))
                ).first()
            if mine is not None:
                took = time.time() - killed_at
                break
            time.sleep(0.1)
        time.sleep(5)
        b.stop_all()
        with b.app.sessions() as session:
            rows = session.exec(select(JobRun).where(JobRun.job == "health")).all()
        by_due = Counter(r.due_at for r in rows)
        done = [r for r in rows if r.state not in ("queued",)]
        return {"bench": "failover", "firings": len(done),
                "states": dict(Counter(r.state for r in rows)),
                "firings_run_more_than_once": sum(1 for n in by_due.values() if n > 1),
                "ran_by": dict(Counter(r.replica for r in done)),
                "queued_by": dict(Counter(r.requested_by for r in rows)),
                "killed_leader": leader, "new_leader": other,
                "failover_seconds": round(took, 2)}  # fmt: skip


def run_unreachable(wait: float) -> dict[str, Any]:
    port = _free_port()  # nobody listens there
    clouds = Path(tempfile.mkdtemp()) / "clouds.yaml"
    clouds.write_text(
        "clouds:\n  down-cloud:\n    auth:\n"
        f"      auth_url: http://127.0.0.1:{port}/v3\n"
        "      username: u\n      password: p\n      project_name: p\n"
        "      user_domain_name: Default\n      project_domain_name: Default\n"
        "    region_name: RegionOne\n    identity_api_version: 3\n",
        encoding="utf-8",
    )
    extra = ("    - {name: down-os, tier: provincial, kind: openstack, cloud: down-cloud,\n"
             "       certifiedLevel: 4, capacity: {vcpu: 1000, memoryGiB: 4000, storageGiB: 100000}}\n")  # fmt: skip
    with bench(estate_yaml(2, extra), env={"OS_CLIENT_CONFIG_FILE": str(clouds)}) as b:
        config = _jobs_config(b.home, ONLY_HEALTH.replace("sync: {enabled: false}",
                                                          "sync: {every: 600}"))  # fmt: skip
        b.start("a", workers=1, config=config)
        b.wait_ready("a")
        time.sleep(wait)
        b.stop_all()
        with b.app.sessions() as session:
            runs = session.exec(
                select(JobRun).where(JobRun.job == "sync:down-os").order_by(col(JobRun.due_at))
            ).all()
        finished = [r for r in runs if r.state != "queued"]
        gaps = [round((y.due_at - x.due_at).total_seconds(), 1)
                for x, y in itertools.pairwise(finished)]  # fmt: skip
        return {"bench": "unreachable", "provider": f"down-os -> 127.0.0.1:{port} (closed)",
                "runs": len(finished), "states": dict(Counter(r.state for r in finished)),
                "retry_in": [r.retry_in for r in finished], "intervals_seconds": gaps,
                "first_error": finished[0].error[:200] if finished and finished[0].error else None}  # fmt: skip


NO_JOBS = """jobs:
  health: {enabled: false}
  sync: {enabled: false}
  policy-audit: {enabled: false}
  meter-collect: {enabled: false}
  month-close: {enabled: false}
  audit-verify: {enabled: false}
  budget-alerts: {enabled: false}
"""


def _openstack_estate(cloud: str, tenants: list[str]) -> str:
    rows = "\n".join(
        f'    - {{code: {t}, name: 压测{t}, level: provincial, budget: "100000000.00"}}'
        for t in tenants
    )
    return f"""apiVersion: govcloud.io/v1
kind: Estate
metadata: {{name: bench-serve-openstack}}
spec:
  providers:
    - {{name: prov-main, tier: provincial, kind: openstack, cloud: {cloud},
       region: province, certifiedLevel: 4, xinchuang: true, arch: aarch64,
       capacity: {{vcpu: 20000, memoryGiB: 80000, storageGiB: 2000000}}}}
  tenants:
{rows}
  catalog:
    flavors:
      - {{name: c2m4, vcpu: 2, memoryGiB: 4}}
    images:
      - {{name: kylin-v10-sp3, os: kylin, xinchuang: true, hardened: true,
          arch: [aarch64, x86_64]}}
"""


def _openstack_manifest(name: str, tenant: str) -> str:
    return f"""apiVersion: govcloud.io/v1
kind: SystemRequest
metadata: {{name: {name}, tenant: {tenant}}}
spec:
  classifiedProtection: 1
  dataClassification: general
  placement: {{provider: prov-main}}
  compute:
    - {{name: web, flavor: c2m4, count: 1, image: kylin-v10-sp3}}
  backup: {{enabled: true, retentionDays: 30}}
"""


def _sdk_servers(cloud: str, tenants: list[str]) -> Counter[tuple[str, str, str]]:
    """(tenant, system, name tag) → how many servers openstacksdk finds with those tags."""
    import openstack  # the bench judges the cloud with the SDK itself

    conn = openstack.connect(cloud=cloud)
    found: Counter[tuple[str, str, str]] = Counter()
    try:
        for server in conn.compute.servers(all_projects=True):
            tags = dict(t.split("=", 1) for t in (server.tags or []) if "=" in t)
            tenant = tags.get("govcloud:tenant")
            if tenant in tenants:
                found[(tenant, tags.get("govcloud:system", ""),
                       tags.get("govcloud:name", server.name))] += 1  # fmt: skip
    finally:
        conn.close()
    return found


def _live_systems(b: Bench) -> set[tuple[str, str]]:
    with b.app.sessions() as session:
        return {(t.code, s.name) for s, t in session.exec(
            select(System, Tenant).join(Tenant, col(Tenant.id) == col(System.tenant_id))
        ) if s.status != "deleted"}  # fmt: skip


def _judge_cloud(b: Bench, cloud: str, tenants: list[str]) -> dict[str, Any]:
    """The cloud as openstacksdk sees it against the database: each live system's server
    exactly once, none of a system the database does not hold."""
    live = _live_systems(b)
    servers = _sdk_servers(cloud, tenants)
    return {
        "sdk_servers": sum(servers.values()),
        "duplicates": {"/".join(k): n for k, n in servers.items() if n > 1},
        "orphans": sorted({f"{k[0]}/{k[1]}" for k in servers if (k[0], k[1]) not in live}),
        "systems_without_server": sorted(
            f"{t}/{s}" for t, s in live if not any(k[:2] == (t, s) for k in servers)
        ),
    }


def _delete_all(b: Bench, names: list[tuple[str, str]], cloud: str,
                tenants: list[str]) -> dict[str, Any]:  # fmt: skip
    """Delete every system through govcloud, then ask the SDK what is left."""
    refused = []
    for n, t in names:
        try:
            b.facade().delete(Manifest(_openstack_manifest(n, t), "bench.yaml"))
        except GovcloudError as exc:
            refused.append(f"{t}/{n}: {exc}")
    settled = round(b.wait_settled(600), 1)
    return {"cleanup_refused": refused, "cleanup_settled_seconds": settled,
            "sdk_servers_after_cleanup": sum(_sdk_servers(cloud, tenants).values())}  # fmt: skip


def run_kill_openstack(rounds: int, requests: int, seed: int, cloud: str) -> dict[str, Any]:
    rng = random.Random(seed)
    run = uuid.uuid4().hex[:6]
    tenants = [f"k{run}a", f"k{run}b"]
    with bench(_openstack_estate(cloud, tenants)) as b:
        config = _jobs_config(b.home, NO_JOBS)
        for name in ("r0", "r1"):
            b.start(name, workers=2, lease=10, config=config)
        b.wait_ready("r0", "r1")
        names = [(f"k{i:03d}", tenants[i % 2]) for i in range(requests)]

        def submit(batch: list[tuple[str, str]]) -> None:
            text = "---\n".join(_openstack_manifest(n, t) for n, t in batch)
            b.facade().apply(Manifest(text, "bench.yaml"))

        per_round = max(1, requests // rounds)
        serial = 2
        for round_ in range(rounds):
            batch = names[round_ * per_round : (round_ + 1) * per_round]
            if batch:
                submit(batch)
            time.sleep(rng.uniform(2.0, 12.0))  # into the middle of the applies
            b.kill(rng.choice(sorted(b.replicas)))
            b.start(f"r{serial}", workers=2, lease=10, config=config)
            serial += 1
        if names[rounds * per_round :]:
            submit(names[rounds * per_round :])
        settled = b.wait_settled(600)
        states = b.states()
        failed_without_reason = _failed_without_reason(b)
        with b.app.sessions() as session:
            # a request provisioned more than once: a killed replica's claim was resumed
            resumed = sum(1 for r in session.exec(select(Request)) if r.attempts > 1)
        result: dict[str, Any] = {
            "bench": "kill-openstack", "rounds": rounds, "requests": requests,
            "settled_seconds": round(settled, 1), "states": dict(states),
            "failed_without_reason": failed_without_reason,
            "requests_resumed_after_a_kill": resumed, **_judge_cloud(b, cloud, tenants),
        }  # fmt: skip
        # clean the shared peer: delete every system through govcloud, then ask the SDK
        return {**result, **_delete_all(b, names, cloud, tenants)}


#: The private peer's instance settings (``scripts/peers/openstack``'s overrides).
PRIVATE_PEER = {
    "GOVCLOUD_PEERS_RUN": "/tmp/govcloud-peers-private",
    "GOVCLOUD_OS_PORT_OFFSET": "10000",
    "GOVCLOUD_OS_DB_PREFIX": "govcloud_osp_",
    "GOVCLOUD_OS_DB_USER": "govcloud_peer_p",
    "GOVCLOUD_OS_VHOST": "govcloud_peer_p",
    "GOVCLOUD_OS_CLOUD": "govcloud-peer-private",
}
PEER_SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "peers" / "openstack"

PEER_DOWN_JOBS = """jobs:
  health: {every: 30}
  sync: {every: 120}
  policy-audit: {enabled: false}
  meter-collect: {enabled: false}
  month-close: {enabled: false}
  audit-verify: {enabled: false}
  budget-alerts: {enabled: false}
"""


def _peer(command: str, env: dict[str, str]) -> float:
    """Run ``scripts/peers/openstack COMMAND`` for the private instance; its seconds."""
    started = time.monotonic()
    done = subprocess.run([str(PEER_SCRIPT), command], env={**os.environ, **env},
                          capture_output=True, text=True, check=False)  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"scripts/peers/openstack {command} failed:\n{done.stderr[-3000:]}")
    return round(time.monotonic() - started, 1)


def _gaps(times: list[datetime]) -> list[float]:
    return [round((b - a).total_seconds(), 1) for a, b in itertools.pairwise(times)]


def _attempts(app: App) -> dict[str, Any]:
    """Per request: when each provisioning attempt started, the gaps between them and
    the reasons its failed attempts gave."""
    with app.sessions() as session:
        events = session.exec(select(RequestEvent).order_by(col(RequestEvent.id))).all()
    starts: dict[int, list[datetime]] = {}
    reasons: dict[int, list[str]] = {}
    for e in events:
        if e.to_state == "Provisioning":
            starts.setdefault(e.request_id, []).append(e.at)
        elif e.to_state == "Failed":
            reasons.setdefault(e.request_id, []).append((e.reason or "")[:160])
    return {str(i): {"attempts": len(t), "gaps_seconds": _gaps(t),
                     "failed_reasons": reasons.get(i, [])}
            for i, t in sorted(starts.items())}  # fmt: skip


def _sync_runs(app: App, job: str) -> list[JobRun]:
    with app.sessions() as session:
        rows = session.exec(select(JobRun).where(JobRun.job == job).order_by(col(JobRun.due_at)))
        return [r for r in rows if r.state not in ("queued",)]


def _wait_ready(b: Bench, expected: int, timeout: float) -> float:
    """Seconds until ``expected`` requests are Ready (NaN when a request fails for good
    or the timeout passes: a Failed request with ``retry_at`` is still being retried)."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        with b.app.sessions() as session:
            rows = session.exec(select(Request)).all()
        if sum(1 for r in rows if r.state == "Ready") >= expected:
            return time.monotonic() - started
        if any(r.state == "Failed" and r.retry_at is None for r in rows):
            return float("nan")
        time.sleep(1)
    return float("nan")


def run_peer_down(requests: int, down_after: float, down_for: float,
                  keep_peer: bool) -> dict[str, Any]:  # fmt: skip
    peer = {k: os.environ.get(k, v) for k, v in PRIVATE_PEER.items()}
    cloud = peer["GOVCLOUD_OS_CLOUD"]
    clouds = Path(peer["GOVCLOUD_PEERS_RUN"]) / "openstack" / "clouds.yaml"
    result: dict[str, Any] = {"bench": "peer-down", "requests": requests, "cloud": cloud,
                              "port_offset": peer["GOVCLOUD_OS_PORT_OFFSET"]}  # fmt: skip
    result["peer_up_seconds"] = _peer("up", peer)
    os.environ["OS_CLIENT_CONFIG_FILE"] = str(clouds)  # the SDK judging the cloud, here
    run = uuid.uuid4().hex[:6]
    tenants = [f"p{run}a", f"p{run}b"]
    try:
        with bench(_openstack_estate(cloud, tenants),
                   env={"OS_CLIENT_CONFIG_FILE": str(clouds)}) as b:  # fmt: skip
            result.update(_peer_down_rounds(b, peer, tenants, requests, down_after, down_for))
            # the measured replicas are stopped (their records are final): one deletes
            b.start("cleanup", workers=2, lease=10, config=_jobs_config(b.home, NO_JOBS))
            b.wait_ready("cleanup")
            names = [(f"q{i:03d}", tenants[i % 2]) for i in range(requests)]
            result.update(_delete_all(b, names, cloud, tenants))
    finally:
        if not keep_peer:
            result["peer_purge_seconds"] = _peer("purge", peer)
    return result


def _peer_down_rounds(b: Bench, peer: dict[str, str], tenants: list[str], requests: int,
                      down_after: float, down_for: float) -> dict[str, Any]:  # fmt: skip
    cloud = peer["GOVCLOUD_OS_CLOUD"]
    config = _jobs_config(b.home, PEER_DOWN_JOBS)
    for name in ("r0", "r1"):
        b.start(name, workers=2, lease=10, config=config)
    b.wait_ready("r0", "r1")
    names = [(f"q{i:03d}", tenants[i % 2]) for i in range(requests)]
    text = "---\n".join(_openstack_manifest(n, t) for n, t in names)
    b.facade().apply(Manifest(text, "bench.yaml"))
    submitted = time.monotonic()
    while time.monotonic() - submitted < down_after:  # into the middle of the applies
        time.sleep(0.5)
    at_stop = dict(b.states())
    stop_seconds = _peer("down", peer)
    stopped_at = datetime.now(UTC)
    time.sleep(down_for)
    while_down = dict(b.states())
    resume_seconds = _peer("resume", peer)
    resumed_at = datetime.now(UTC)
    ready_after = _wait_ready(b, requests, 900)
    # one more sync after the return, so the records show the normal schedule again
    after = time.monotonic()
    while time.monotonic() - after < 180:
        runs = _sync_runs(b.app, "sync:prov-main")
        if runs and runs[-1].state == "ok" and runs[-1].due_at > resumed_at:
            break
        time.sleep(2)
    b.stop_all()
    runs = _sync_runs(b.app, "sync:prov-main")
    down_runs = [r for r in runs if r.due_at >= stopped_at]
    with b.app.sessions() as session:
        rows = session.exec(select(Request)).all()
    attempts = _attempts(b.app)
    return {
        "states_at_stop": at_stop, "peer_down_seconds": stop_seconds,
        "states_while_down": while_down, "peer_resume_seconds": resume_seconds,
        "all_ready_seconds_after_resume": round(ready_after, 1),
        "states": dict(Counter(r.state for r in rows)),
        "sync_runs_from_stop": [
            {"due": r.due_at.isoformat(timespec="seconds"), "state": r.state,
             "retry_in": r.retry_in, "failures": r.failures,
             "error": (r.error or "")[:120] or None}
            for r in down_runs
        ],
        "sync_due_intervals_seconds": _gaps([r.due_at for r in down_runs]),
        "requests_with_temporary_failures": sum(
            1 for a in attempts.values() if a["failed_reasons"]
        ),
        "max_attempts": max((a["attempts"] for a in attempts.values()), default=0),
        "attempts": attempts, **_judge_cloud(b, cloud, tenants),
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="bench", required=True)
    latency = sub.add_parser("latency")
    latency.add_argument("--requests", type=int, default=1000)
    latency.add_argument("--replicas", type=int, default=1)
    latency.add_argument("--workers", type=int, default=4)
    kill = sub.add_parser("kill")
    kill.add_argument("--rounds", type=int, default=30)
    kill.add_argument("--requests", type=int, default=300)
    kill.add_argument("--seed", type=int, default=7)
    kill_os = sub.add_parser("kill-openstack")
    kill_os.add_argument("--rounds", type=int, default=3)
    kill_os.add_argument("--requests", type=int, default=6)
    kill_os.add_argument("--seed", type=int, default=7)
    kill_os.add_argument("--cloud", default="govcloud-peer")
    failover = sub.add_parser("failover")
    failover.add_argument("--firings", type=int, default=20)
    unreachable = sub.add_parser("unreachable")
    unreachable.add_argument("--wait", type=float, default=90)
    peer_down = sub.add_parser("peer-down")
    peer_down.add_argument("--requests", type=int, default=8)
    peer_down.add_argument(
        "--down-after",
        type=float,
        default=8.0,
        help="seconds after submitting before the peer is stopped",
    )
    peer_down.add_argument("--down-for", type=float, default=120.0)
    peer_down.add_argument(
        "--keep-peer",
        action="store_true",
        help="leave the private peer running (not purged) afterwards",
    )
    args = parser.parse_args()
    if args.bench == "latency":
        result = run_latency(args.requests, args.replicas, args.workers)
    elif args.bench == "kill":
        result = run_kill(args.rounds, args.requests, args.seed)
    elif args.bench == "kill-openstack":
        result = run_kill_openstack(args.rounds, args.requests, args.seed, args.cloud)
    elif args.bench == "failover":
        result = run_failover(args.firings)
    elif args.bench == "peer-down":
        result = run_peer_down(args.requests, args.down_after, args.down_for, args.keep_peer)
    else:
        result = run_unreachable(args.wait)
    print(json.dumps(result, ensure_ascii=False, default=str))


if __name__ == "__main__":
    main()
