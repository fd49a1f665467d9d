"""Benchmark: ``govcloud provider sync`` end to end, into SQLite and into PostgreSQL.

For each database: a fresh schema, an estate with one simulator cloud and 200
departments, 25,000 systems, and a simulator holding ``--resources`` resources (four
per system, plus 1% unmanaged). Then the real ``SyncService`` (health probe, batched
upserts, drift, audit) runs three times: the first sync (everything new), a second one
with nothing changed, and a third after out-of-band changes (100 tampered, 100 removed,
100 unmanaged added). Memory is sampled from /proc/self/statm every 20 ms during each
sync: the figure is the peak resident-set growth over the level before it started (the
simulator's own records are already resident then).

With the OpenStack peer running (``scripts/peers/openstack up``; or ``--openstack-up``
to start it, ~3 min cold) it also provisions ``--openstack-servers`` fake servers and
syncs that provider through ``driver_for`` from its clouds.yaml name; otherwise the
output says why that part did not run.

Each sync also records the time of every batch (the gap between the driver handing out
one batch and the next): ``batch_ms`` gives the median of the first and of the last ten
(a third of the batches when there are fewer than 30), and their ratio — flat is near 1,
a lookup that slows as the table fills shows here. The batch size is the sync's own per
engine (``default_batch_size``) unless ``--batch-size`` says otherwise. Every figure has
the process CPU time beside the wall time (``cpu_seconds``: user + system of this
process; PostgreSQL's server work is not in it) and the load average when it began;
on a PostgreSQL server on this machine, ``server_cpu_seconds`` is the CPU of the
database's backends over the same span, read from /proc (a backend that exits meanwhile
is missed; the reference's COPY has its own).

The reference, measured in the same run on the same database: the same rows (the
columns a first sync writes) bulk-written by the engine's own fast path into an empty
copy of the ``resource`` table — ``executemany`` on SQLite, ``COPY`` on PostgreSQL —
and ``ratio`` is the first sync's time over it. ``--runs N`` repeats the whole simulator
bench N times per database and reports each figure's median (``runs`` holds them all).
The 10 s first-sync and 3 s no-change targets are issue 17's, on the 2-core machine;
``load_average`` says how busy the machine was.

Prints one JSON document. Run: ``.venv/bin/python -m bench.sync [--resources 100000]``
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import Engine, insert, select, text
from sqlmodel import Session, col

from bench.sync_simulator import PER_SYSTEM, systems
from controlplane.app import App
from controlplane.config import Settings
from controlplane.db.models import Provider, System, Tenant
from controlplane.db.tables_inventory import AppliedResource
from controlplane.estate.schema import parse_estate
from controlplane.inventory import SyncReport, SyncService, sync_service
from controlplane.inventory.compare import resource_values, spec_text
from controlplane.inventory.sync import default_batch_size
from providers import DesiredResource, Driver, ObservedResource, SimulatorDriver
from providers.sim.clock import ManualClock
from tenants import load_yaml_documents

REPO = Path(__file__).resolve().parents[1]
START = datetime(2026, 3, 1, tzinfo=UTC)
PG_SERVER = os.environ.get("GOVCLOUD_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432")
DEPARTMENTS = 200
FIRST_SYNC_TARGET_S = 10.0
NO_CHANGE_TARGET_S = 3.0
_COLUMNS = (
    "provider_id", "tenant_id", "system_id", "kind", "resource_id", "name", "status", "managed",
    "spec", "created_at", "observed_at", "deleted_at", "provider_name", "tenant_code",
    "system_name",
)  # fmt: skip
_PAGE = os.sysconf("SC_PAGE_SIZE")
_TICKS = os.sysconf("SC_CLK_TCK")

_ESTATE = """\
apiVersion: govcloud.io/v1
kind: Estate
metadata: {{name: bench-sync}}
spec:
  providers:
{providers}
  tenants:
{tenants}
  catalog:
    flavors: [{{name: c4m8, vcpu: 4, memoryGiB: 8}}]
    images: [{{name: kylin-v10-sp3, os: kylin, xinchuang: true, hardened: true, arch: [x86_64]}}]
  rateCard:
    version: "2026.1"
    effectiveFrom: 2026-01-01
    rates:
      - {{meter: compute.vcpu, unit: vCPU, prices: {{provincial: "45.00", municipal: "40.00", sector: "42.00"}}}}
"""
_SIM = (
    "    - {name: bench-sim, tier: provincial, kind: simulator, seed: 1, region: province,\n"
    "       certifiedLevel: 4, capacity: {vcpu: 10000000, memoryGiB: 40000000,"
    " storageGiB: 100000000, publicIPs: 1000000}}"
)
_OPENSTACK = (
    "    - {{name: bench-openstack, tier: provincial, kind: openstack, cloud: {cloud},"
    " region: province,\n       certifiedLevel: 4, capacity: {{vcpu: 100000, memoryGiB: 100000,"
    " storageGiB: 100000}}}}"
)


def estate_text(providers: list[str], tenants: list[str]) -> str:
    rows = "\n".join(
        f'    - {{code: {code}, name: 部门{code}, level: provincial, budget: "100000.00"}}'
        for code in tenants
    )
    return _ESTATE.format(providers="\n".join(providers), tenants=rows)


@contextmanager
def rss_peak() -> Iterator[dict[str, float]]:
    """Peak resident-set growth (MiB) while the body runs, sampled every 20 ms."""
    figures: dict[str, float] = {}

    def rss() -> int:
        with open("/proc/self/statm") as handle:
            return int(handle.read().split()[1]) * _PAGE

    base = peak = rss()
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not stop.wait(0.02):
            peak = max(peak, rss())

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        yield figures
    finally:
        stop.set()
        sampler.join()
        peak = max(peak, rss())
        figures["peak_rss_growth_mib"] = round((peak - base) / 2**20, 1)
        figures["rss_before_mib"] = round(base / 2**20, 1)


class BatchClock:
    """A driver whose inventory stream notes the time each batch is handed out."""

    def __init__(self, driver: Driver, batch_size: int) -> None:
        self.driver = driver
        self.batch_size = batch_size
        self.marks: list[float] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.driver, name)

    def list_inventory(self) -> Iterator[ObservedResource]:
        self.marks = []
        for index, item in enumerate(self.driver.list_inventory()):
            if index % self.batch_size == 0:
                self.marks.append(time.perf_counter())
            yield item
        self.marks.append(time.perf_counter())

    def batch_ms(self) -> dict[str, float]:
        gaps = [(b - a) * 1000 for a, b in zip(self.marks, self.marks[1:], strict=False)]
        if len(gaps) < 3:
            return {}
        # the last gap also holds the pull that found the stream empty: leave it out
        gaps = gaps[:-1]
        window = max(1, min(10, len(gaps) // 3))
        head, tail = statistics.median(gaps[:window]), statistics.median(gaps[-window:])
        return {
            "batches": len(gaps),
            "window": window,
            "first_median_ms": round(head, 1),
            "last_median_ms": round(tail, 1),
            "last_over_first": round(tail / head, 2) if head else 0.0,
        }


def backend_cpu(engine: Engine) -> dict[int, float]:
    """CPU seconds (user + system) of each PostgreSQL backend serving ``engine``'s
    database, by pid, read from /proc: the server must run on this machine (``{}``
    elsewhere, or on SQLite, whose work is in this process)."""
    if engine.dialect.name != "postgresql":
        return {}
    with engine.connect() as connection:
        query = text("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
        pids = list(connection.execute(query).scalars())
    found: dict[int, float] = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return {}
        found[pid] = (int(fields[11]) + int(fields[12])) / _TICKS
    return found


def server_seconds(before: dict[int, float], after: dict[int, float]) -> float | None:
    """The backends' CPU between two :func:`backend_cpu` readings (a backend that exited
    in between is missed), or ``None`` where they cannot be read."""
    if not after:
        return None
    return round(sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items()), 2)


def timed_sync(
    service: SyncService, name: str, clock: BatchClock | None = None, engine: Engine | None = None
) -> dict[str, Any]:
    load = _load()[0]
    server = backend_cpu(engine) if engine is not None else {}
    cpu = time.process_time()
    with rss_peak() as memory:
        report: SyncReport = service.sync(name)
    cpu = time.process_time() - cpu
    server_cpu = server_seconds(server, backend_cpu(engine)) if engine is not None else None
    return {
        "seconds": round(report.seconds, 2),
        "cpu_seconds": round(cpu, 2),
        **({"server_cpu_seconds": server_cpu} if server_cpu is not None else {}),
        "load_average": load,
        "resources_per_second": round(report.observed / report.seconds),
        "observed": report.observed,
        "created": report.created,
        "updated": report.updated,
        "unchanged": report.unchanged,
        "gone": report.gone,
        "drift_found": dict(report.drift_opened),
        "drift_open": dict(report.drift_open),
        **({"batch_ms": clock.batch_ms()} if clock is not None else {}),
        **memory,
    }


def reference_bulk_write(app: App, sim: SimulatorDriver) -> tuple[float, float, float | None]:
    """Seconds (wall, process CPU, server CPU where readable) to bulk-write the first sync's rows into an empty
    copy of ``resource`` by the engine's own fast path (rows prepared beforehand, commit
    included)."""
    with app.sessions() as session:
        provider_id = bench_provider_id(session)
        owners = {
            (tenant, name): (tenant_id, system_id)
            for system_id, tenant_id, name, tenant in session.execute(
                select(
                    col(System.id), col(System.tenant_id), col(System.name), col(Tenant.code)
                ).join(Tenant, col(Tenant.id) == col(System.tenant_id))
            )
        }
    rows = []
    for item in sim.list_inventory():
        tenant_id, system_id = owners.get((item.tenant, item.system), (None, None))
        values = resource_values(
            item, provider_id=provider_id, tenant_id=tenant_id, system_id=system_id,
            names=("bench-sim", item.tenant if tenant_id else None, item.system if system_id else None),
            stamp=START, spec=spec_text(item.spec),
        )  # fmt: skip
        rows.append(tuple(values[c] for c in _COLUMNS))
    postgresql = app.engine.dialect.name == "postgresql"
    names = ", ".join(_COLUMNS)
    with app.engine.connect() as connection:
        if postgresql:
            connection.execute(
                text("CREATE TABLE resource_reference (LIKE resource INCLUDING ALL)")
            )
        else:
            # the table and its indexes; not the triggers that keep the trigram search
            # table in step (the reference writes no search table)
            for (ddl,) in connection.execute(
                text(
                    "SELECT sql FROM sqlite_master WHERE tbl_name = 'resource'"
                    " AND type IN ('table', 'index') AND sql IS NOT NULL"
                )
            ):
                connection.execute(text(_sqlite_copy(ddl)))
        connection.commit()
        driver = connection.connection.driver_connection
        assert driver is not None
        server = backend_cpu(app.engine)
        began, cpu = time.perf_counter(), time.process_time()
        cursor = driver.cursor()
        if postgresql:
            with cursor.copy(f"COPY resource_reference ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join("?" * len(_COLUMNS))
            naive = [
                (*r[:9], r[9].replace(tzinfo=None), r[10].replace(tzinfo=None), *r[11:])
                for r in rows
            ]
            cursor.executemany(f"INSERT INTO resource_reference ({names}) VALUES ({marks})", naive)
        driver.commit()
        seconds, cpu = time.perf_counter() - began, time.process_time() - cpu
        server_cpu = server_seconds(server, backend_cpu(app.engine))
        cursor.close()
        connection.execute(text("DROP TABLE resource_reference"))
        connection.commit()
    return seconds, cpu, server_cpu


def _sqlite_copy(ddl: str) -> str:
    """``resource``'s DDL for a table ``resource_reference`` (indexes renamed too)."""
    # a table a migration rebuilt (batch mode) is stored as "resource", quoted
    ddl = re.sub(r'^CREATE TABLE "?resource"? \(', "CREATE TABLE resource_reference (", ddl)
    ddl = re.sub(r' ON "?resource"? \(', " ON resource_reference (", ddl, count=1)
    return ddl.replace("CREATE INDEX ix_", "CREATE INDEX ref_ix_", 1).replace(
        "CREATE UNIQUE INDEX ", "CREATE UNIQUE INDEX ref_", 1
    )


def bench_provider_id(session: Session) -> int:
    query = select(col(Provider.id)).where(col(Provider.name) == "bench-sim")
    return int(session.execute(query).scalar_one())


def add_systems(app: App, count: int) -> None:
    with app.sessions() as session, session.begin():
        codes = session.execute(select(col(Tenant.code), col(Tenant.id))).tuples()
        tenant_ids: dict[str, int] = dict(codes.all())
        provider_id = bench_provider_id(session)
        now = datetime.now(UTC)
        rows = [
            {
                "tenant_id": tenant_ids[ref.tenant],
                "name": ref.system,
                "provider_id": provider_id,
                "level": ref.level,
                "data_classification": "general",
                "xinchuang": False,
                "status": "active",
                "created_at": now,
                "updated_at": now,
            }
            for ref, _ in systems(count)
        ]
        session.execute(insert(System), rows)


def record_applied_specs(app: App, sim: SimulatorDriver) -> None:
    """What provisioning would have recorded: the applied spec of every managed resource."""
    with app.sessions() as session, session.begin():
        provider_id = bench_provider_id(session)
        system_ids = {
            (tenant, name): system_id
            for system_id, name, tenant in session.execute(
                select(col(System.id), col(System.name), col(Tenant.code)).join(
                    Tenant, col(Tenant.id) == col(System.tenant_id)
                )
            )
        }
        batch: list[dict[str, Any]] = []
        for item in sim.list_inventory():
            if not item.managed:
                continue
            batch.append(
                {
                    "provider_id": provider_id,
                    "system_id": system_ids[item.tenant, item.system],
                    "kind": item.kind,
                    "resource_id": item.resource_id,
                    "name": item.name,
                    "request_id": item.request_id,
                    "spec": dict(item.spec),
                    "applied_at": START,
                }
            )
            if len(batch) == 5000:
                session.execute(insert(AppliedResource), batch)
                batch = []
        if batch:
            session.execute(insert(AppliedResource), batch)


def bench_simulator(url: str, resources: int, batch_size: int | None) -> dict[str, Any]:
    clock = ManualClock(START)
    with tempfile.TemporaryDirectory() as home:
        app = App(Settings(home=Path(home), database_url=url), clock=clock)
        try:
            app.init()
            tenants = [f"dept-{i:03d}" for i in range(DEPARTMENTS)]
            text = estate_text([_SIM], tenants)
            app.estate.apply(
                parse_estate(load_yaml_documents(text, "bench"), "bench"), actor="bench"
            )
            count = resources // len(PER_SYSTEM)
            add_systems(app, count)
            sim = SimulatorDriver("bench-sim", clock=clock, seed=1)
            began = time.perf_counter()
            sim.populate(systems(count), created_at=START)
            sim.add_unmanaged(
                DesiredResource("server", f"by-hand-{i}", {"vcpu": 1}) for i in range(count // 25)
            )
            populate_s = time.perf_counter() - began
            record_applied_specs(app, sim)
            clock.advance(minutes=1)  # provisioning comes before the sync that sees it
            size = batch_size or default_batch_size(app.engine.dialect.name)
            timer = BatchClock(sim, size)
            service = SyncService(app.sessions, clock, lambda _p: timer, batch_size=size)
            result: dict[str, Any] = {
                "database": url.split(":", 1)[0],
                "cloud_resources": sim.resource_count,
                "batch_size": size,
                "populate_simulator_seconds": round(populate_s, 2),
            }
            result["first_sync"] = timed_sync(service, "bench-sim", timer, app.engine)
            clock.advance(hours=1)
            result["second_sync_nothing_changed"] = timed_sync(
                service, "bench-sim", timer, app.engine
            )
            ids = [r.resource_id for r in islice_inventory(sim, 200)]
            for rid in ids[:100]:
                sim.tamper(rid, {"vcpu": 16})
            for rid in ids[100:]:
                sim.remove_out_of_band(rid)
            sim.add_unmanaged(
                DesiredResource("server", f"late-{i}", {"vcpu": 1}) for i in range(100)
            )
            clock.advance(hours=1)
            result["third_sync_after_300_changes"] = timed_sync(
                service, "bench-sim", timer, app.engine
            )
            wall, cpu, server_cpu = reference_bulk_write(app, sim)
            result["reference_bulk_write_seconds"] = round(wall, 2)
            result["reference_bulk_write_cpu_seconds"] = round(cpu, 2)
            if server_cpu is not None:
                result["reference_bulk_write_server_cpu_seconds"] = server_cpu
            return result
        finally:
            app.close()


def islice_inventory(sim: SimulatorDriver, count: int) -> list[Any]:
    found = []
    for item in sim.list_inventory():
        if item.managed:
            found.append(item)
            if len(found) == count:
                break
    return found


@contextmanager
def pg_database() -> Iterator[str]:
    admin = PG_SERVER.replace("postgresql+psycopg://", "postgresql://") + "/postgres"
    # GOVCLOUD_BENCH_DB_PREFIX: whose databases these are on a shared server
    name = f"{os.environ.get('GOVCLOUD_BENCH_DB_PREFIX', 'govcloud_bench_')}{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{PG_SERVER}/{name}"
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def database_url(engine: str) -> Iterator[str]:
    """A fresh, empty database of ``engine`` (``sqlite`` or ``postgresql``) for one run."""
    if engine == "postgresql":
        with pg_database() as url:
            yield url
        return
    with tempfile.TemporaryDirectory() as directory:
        yield f"sqlite:///{directory}/govcloud.db"


def openstack_peer(start: bool) -> tuple[str, str] | str:
    """``(clouds_yaml, cloud)`` of a running peer, or why there is none."""
    script = REPO / "scripts" / "peers" / "openstack"
    if not script.exists():
        return "scripts/peers/openstack is missing"
    status = subprocess.run([str(script), "status"], capture_output=True, text=True, check=False)
    if status.returncode != 0 and not start:
        return "OpenStack peer not running (start it with scripts/peers/openstack up, or --openstack-up)"
    up = subprocess.run(
        [str(script), "up"], capture_output=True, text=True, check=False, timeout=1800
    )
    if up.returncode != 0:
        return f"scripts/peers/openstack up failed: {up.stderr[-500:]}"
    return up.stdout.strip().splitlines()[-1], "govcloud-peer"


def bench_openstack(url: str, servers: int, start: bool, keep: bool) -> dict[str, Any]:
    try:
        from bench.sync_openstack import system_resources
        from providers.openstack import OpenStackDriver
    except ImportError as exc:
        return {"skipped": f"OpenStack driver unavailable: {exc}"}
    peer = openstack_peer(start)
    if isinstance(peer, str):
        return {"skipped": peer}
    clouds_yaml, cloud = peer
    # driver_for builds the driver from the cloud name; openstacksdk finds the file here
    os.environ["OS_CLIENT_CONFIG_FILE"] = clouds_yaml
    tenant = "bench-sync-os"
    provisioner = OpenStackDriver(
        "bench-openstack", cloud=cloud, clock=lambda: datetime.now(UTC), clouds_yaml=clouds_yaml
    )
    from providers import QuotaSet, SystemRef

    provisioner.set_quotas(tenant, QuotaSet(vcpu=100_000, memory_gib=100_000, public_ips=10))
    refs: list[SystemRef] = []
    began, remaining = time.perf_counter(), servers
    while remaining > 0:
        count = min(50, remaining)
        ref = SystemRef(tenant, f"sys-{len(refs):03d}", "req-bench", 2)
        failed = [o for o in provisioner.apply(ref, system_resources(count)) if not o.ok]
        if failed:
            return {
                "skipped": f"provisioning failed: {failed[0].kind}/{failed[0].name}: {failed[0].error}"
            }
        refs.append(ref)
        remaining -= count
    result: dict[str, Any] = {
        "servers": servers,
        "provision_seconds": round(time.perf_counter() - began, 1),
    }
    with tempfile.TemporaryDirectory() as home:
        app = App(Settings(home=Path(home), database_url=url))
        try:
            app.init()
            text = estate_text([_OPENSTACK.format(cloud=cloud)], [tenant])
            app.estate.apply(
                parse_estate(load_yaml_documents(text, "bench"), "bench"), actor="bench"
            )
            service = sync_service(app)
            result["first_sync"] = timed_sync(service, "bench-openstack")
            result["second_sync_nothing_changed"] = timed_sync(service, "bench-openstack")
        finally:
            app.close()
    if not keep:
        for ref in refs:
            provisioner.delete(ref)
    return result


def summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Medians over runs of one database: the figures, the reference, ratio, targets."""

    def median(pick: Callable[[dict[str, Any]], float]) -> float:
        return round(statistics.median(pick(r) for r in runs), 2)

    def cpu(step: str) -> float:
        return median(lambda r: float(r[step]["cpu_seconds"]))

    steps = ("first_sync", "second_sync_nothing_changed", "third_sync_after_300_changes")
    first = median(lambda r: r["first_sync"]["seconds"])
    again = median(lambda r: r["second_sync_nothing_changed"]["seconds"])
    reference = median(lambda r: r["reference_bulk_write_seconds"])
    return {
        "first_sync_seconds": first,
        "no_change_resync_seconds": again,
        "after_300_changes_seconds": median(lambda r: r["third_sync_after_300_changes"]["seconds"]),
        "cpu_seconds": {step: cpu(step) for step in steps},
        **(
            {
                "server_cpu_seconds": {
                    step: median(lambda r, step=step: float(r[step]["server_cpu_seconds"]))
                    for step in steps
                },
                "reference_bulk_write_server_cpu_seconds": median(
                    lambda r: float(r["reference_bulk_write_server_cpu_seconds"])
                ),
            }
            if all("reference_bulk_write_server_cpu_seconds" in r for r in runs)
            and all("server_cpu_seconds" in r[step] for r in runs for step in steps)
            else {}
        ),
        "load_average": [
            min(r[s]["load_average"] for r in runs for s in steps),
            max(r[s]["load_average"] for r in runs for s in steps),
        ],
        "reference_bulk_write_seconds": reference,
        "reference_bulk_write_cpu_seconds": median(lambda r: r["reference_bulk_write_cpu_seconds"]),
        "ratio_first_sync_to_reference": round(first / reference, 1) if reference else None,
        "ratio_no_change_to_reference": round(again / reference, 1) if reference else None,
        "first_sync_batch_last_over_first": median(
            lambda r: r["first_sync"]["batch_ms"].get("last_over_first", 0.0)
        ),
        "targets_seconds": {"first_sync": FIRST_SYNC_TARGET_S, "no_change": NO_CHANGE_TARGET_S},
        "within_targets": first <= FIRST_SYNC_TARGET_S and again <= NO_CHANGE_TARGET_S,
        "peak_rss_growth_mib": max(r[step]["peak_rss_growth_mib"] for r in runs for step in steps),
        "runs": len(runs),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resources", type=int, default=100_000)
    parser.add_argument(
        "--batch-size", type=int, default=None, help="the sync's own per engine when not given"
    )
    parser.add_argument("--runs", type=int, default=1, help="simulator runs per database")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--openstack-servers", type=int, default=200)
    parser.add_argument("--openstack-up", action="store_true", help="start the peer if needed")
    parser.add_argument("--keep", action="store_true", help="leave the OpenStack servers")
    args = parser.parse_args(argv)

    results: dict[str, Any] = {"resources": args.resources, "load_average_before": _load()}
    if not args.skip_sqlite:
        done = []
        for _ in range(args.runs):
            with tempfile.TemporaryDirectory() as scratch:
                url = f"sqlite:///{scratch}/bench.db"
                done.append(bench_simulator(url, args.resources, args.batch_size))
        results["sqlite"] = summary(done)
        results["simulator_sqlite"] = done
    if not args.skip_postgres:
        done = []
        for _ in range(args.runs):
            with pg_database() as url:
                done.append(bench_simulator(url, args.resources, args.batch_size))
        results["postgresql"] = summary(done)
        results["simulator_postgresql"] = done
    if args.openstack_servers:
        with pg_database() as url:
            results["openstack_peer"] = bench_openstack(
                url, args.openstack_servers, args.openstack_up, args.keep
            )
    results["load_average_after"] = _load()
    print(json.dumps(results, indent=2, ensure_ascii=False))


def _load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


if __name__ == "__main__":
    main()
