"""Benchmark: the overview (领导驾驶舱) of a province of 100,000 resources, both engines.

Builds the province of :mod:`bench.tui` (``--providers`` clouds, ``--tenants``
departments, ``--resources`` resources, servers with vCPU and memory so capacity is
metered) and adds what the overview counts: one system per department placed
round-robin, a day of health probes per cloud (one a minute, as the ``health`` job
writes them), ``--violations`` open violations on those systems and ``--pending``
requests waiting for approval. Then measures, wall and CPU (this process), medians of
three after one warm call:

* ``overview_ms`` — ``Govcloud.overview(month)`` for an operator (the province) and for a
  department (its own figures);
* ``reference_ms`` — the same questions asked as the console asked them before the
  overview had its own read (issue 14's first tiles): every provider paged in, the
  pending requests' total, the open violations' total per severity, open drift's total,
  the resources' total and the month's statements, through the list calls; and the
  ratio;
* ``first_paint_ms`` — from starting the console on the overview until its rows are in;
* ``tile_lists_ms`` — what a cloud's tiles open: its open high violations
  (``violations(provider=…)``) and its pending approvals (``requests(provider=…)``), for
  the cloud with the most; ``counted`` checks each list's length against its figure.

``server_cpu_ms`` is PostgreSQL's share: the CPU its backends serving the bench's
database used over the same call (from /proc; 10 ms ticks). Prints one JSON document::

    .venv/bin/python -m bench.overview [--resources 100000] [--engines sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.sync import backend_cpu, database_url, estate_text, rss_peak
from bench.tui import _populate, _provider, _until

AT = datetime(2026, 3, 1, tzinfo=UTC)


def _governance(app: Any, violations: int, pending: int) -> None:
    """Systems, a day of probes, open violations and pending requests (bulk inserts)."""
    from sqlalchemy import insert, select, update
    from sqlmodel import col

    from controlplane.db import table_of
    from controlplane.db.models import Provider, Request, Resource, System, Tenant
    from controlplane.db.tables_compliance import AuditRun, PolicyViolation
    from controlplane.db.tables_inventory import ProviderHealth

    with app.sessions() as session, session.begin():
        # servers allocate what the overview meters (bench.tui writes only a flavor)
        session.execute(update(table_of(Resource)).where(col(Resource.kind) == "server")
                        .values(spec={"flavor": "c4m8", "vcpu": 4, "memory_mib": 8192}))  # fmt: skip
        providers = session.execute(select(col(Provider.id), col(Provider.name))).all()
        tenants = session.execute(select(col(Tenant.id), col(Tenant.code))).all()
        session.execute(insert(table_of(System)), [
            {"tenant_id": t, "name": "portal", "provider_id": providers[i % len(providers)][0],
             "level": 3, "data_classification": "general", "xinchuang": False,
             "status": "running", "records": {}, "created_at": AT, "updated_at": AT}
            for i, (t, _) in enumerate(tenants)
        ])  # fmt: skip
        session.execute(insert(table_of(ProviderHealth)), [
            {"provider_id": p, "checked_at": AT - timedelta(minutes=m), "reachable": n % 7 != 3,
             "auth_ok": True, "latency_ms": 10.0 + n, "detail": ""}
            for n, (p, _) in enumerate(providers) for m in range(1440)
        ])  # fmt: skip
        run = AuditRun(started_at=AT, finished_at=AT, actor="bench")
        session.add(run)
        session.flush()
        severities = ("critical", "high", "medium", "low")
        session.execute(insert(table_of(PolicyViolation)), [
            {"key": f"v{i}", "rule_id": "GC-1", "subject_kind": "server", "subject_id": f"r{i}",
             "system": "portal", "tenant": tenants[i % len(tenants)][1],
             "severity": severities[i % 4], "high_risk": False,
             "state": "open" if i % 5 else "resolved", "message_zh": "", "message_en": "",
             "opened_at": AT, "last_seen_at": AT, "opened_run_id": run.id,
             "last_run_id": run.id}
            for i in range(violations)
        ])  # fmt: skip
        session.execute(insert(table_of(Request)), [
            {"tenant_id": tenants[i % len(tenants)][0], "system_name": "portal",
             "action": "apply", "state": "PendingApproval", "spec": {}, "spec_hash": "x",
             "requester": "ops", "created_at": AT, "updated_at": AT, "attempts": 0,
             "plan": {"govcloud": {"provider": providers[i % len(providers)][1]}}}
            for i in range(pending)
        ])  # fmt: skip


def _server_cpu(app: Any) -> Callable[[], float]:
    """Milliseconds of CPU the PostgreSQL backends serving this database have used so far
    (:func:`bench.sync.backend_cpu`); SQLite: none, its work is in this process."""
    return lambda: sum(backend_cpu(app.engine).values()) * 1000


def _timed(call: Callable[[], object], server: Callable[[], float]) -> dict[str, float]:
    call()  # warm
    walls, cpus, servers = [], [], []
    for _ in range(3):
        begin, cpu, db = time.perf_counter(), time.process_time(), server()
        call()
        walls.append((time.perf_counter() - begin) * 1000)
        cpus.append((time.process_time() - cpu) * 1000)
        servers.append(server() - db)
    return {"ms": round(statistics.median(walls), 1), "cpu_ms": round(statistics.median(cpus), 1),
            "server_cpu_ms": round(statistics.median(servers), 1)}  # fmt: skip


def _reference(door: Any, month: Any) -> None:
    """The overview's questions through the list calls (how the first tiles read them)."""
    token: str | None = None
    while True:
        page = door.providers(limit=1000, continue_token=token)
        token = page.continue_token
        if token is None:
            break
    door.requests(query="state:pending", limit=1)
    for severity in ("critical", "high", "medium", "low"):
        door.violations(state="open", query=f"severity:{severity}", limit=1)
    door.drift(limit=1)
    door.resources(limit=1)
    token = None
    while True:
        bills = door.bills(month, limit=1000, continue_token=token)
        token = bills.continue_token
        if token is None:
            break


async def _first_paint(door: Any) -> tuple[float, float]:
    from tui.app import ConsoleApp

    console = ConsoleApp(door, start="overview", refresh_seconds=3600)
    start, cpu = time.perf_counter(), time.process_time()
    async with console.run_test(size=(160, 48)) as pilot:
        table = console.query_one("#table")
        await _until(pilot, lambda: not console.loading and table.row_count > 0)
        return (time.perf_counter() - start) * 1000, (time.process_time() - cpu) * 1000


def _engine(url: str, args: argparse.Namespace) -> dict[str, Any]:
    from controlplane.app import App
    from controlplane.billing import Month
    from controlplane.config import Settings
    from controlplane.facade import Govcloud, Manifest

    codes = [f"t{n:04d}" for n in range(args.tenants)]
    principals = "\n".join(["  principals:", "    - {name: ops, roles: [operator]}",
                            "    - {name: dept, roles: [department], tenant: t0001}"])  # fmt: skip
    estate = estate_text([_provider(n) for n in range(args.providers)], codes) + principals + "\n"
    month = Month.parse("2026-03")
    with tempfile.TemporaryDirectory() as home:
        app = App(Settings(home=Path(home), database_url=url), clock=lambda: AT)
        app.init()
        try:
            Govcloud.acting_as(app, "local-operator").apply_estate(Manifest(estate, "estate.yaml"))
            _populate(app, args.resources)
            _governance(app, args.violations, args.pending)
            ops, dept = Govcloud.acting_as(app, "ops"), Govcloud.acting_as(app, "dept")
            server = _server_cpu(app)
            province = _timed(lambda: ops.overview(month), server)
            reference = _timed(lambda: _reference(ops, month), server)
            found = ops.overview(month)
            cloud = max((c for t in found.tiers for c in t.clouds), key=lambda c: c.violations.high)
            high = ops.violations(state="open", provider=cloud.name, query="severity:high")
            waiting = ops.requests(state="PendingApproval", provider=cloud.name)
            tiles = {
                "violations": _timed(lambda: ops.violations(
                    state="open", provider=cloud.name, query="severity:high"), server),
                "pending": _timed(lambda: ops.requests(
                    state="PendingApproval", provider=cloud.name), server),
            }  # fmt: skip
            with rss_peak() as memory:
                paints = [asyncio.run(_first_paint(ops)) for _ in range(3)]
            return {
                "overview_ms": {"province": province,
                                "department": _timed(lambda: dept.overview(month), server)},
                "reference_ms": reference,
                "tile_lists_ms": tiles,
                "ratio_wall": round(province["ms"] / reference["ms"], 2),
                "ratio_cpu": round(province["cpu_ms"] / max(reference["cpu_ms"], 0.1), 2),
                "first_paint_ms": {
                    "median": round(statistics.median(w for w, _ in paints), 1),
                    "cpu_median": round(statistics.median(c for _, c in paints), 1),
                },
                "counted": {"resources": found.province.resources,
                            "open_violations": found.province.violations.total,
                            "pending": found.province.pending,
                            "vcpu_used": str(found.province.vcpu.used),
                            "clouds_down": sum(t.down for t in found.tiers),
                            "cloud": cloud.name,
                            "cloud_high": [cloud.violations.high, high.total],
                            "cloud_pending": [cloud.pending, waiting.total]},
                **memory,
            }  # fmt: skip
        finally:
            app.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--resources", type=int, default=100_000)
    parser.add_argument("--tenants", type=int, default=3000)
    parser.add_argument("--providers", type=int, default=40)
    parser.add_argument("--violations", type=int, default=20_000)
    parser.add_argument("--pending", type=int, default=500)
    parser.add_argument("--engines", default="sqlite,postgresql")
    args = parser.parse_args(argv)
    out: dict[str, Any] = {"resources": args.resources, "tenants": args.tenants,
                           "providers": args.providers, "violations": args.violations,
                           "pending": args.pending, "cpus": os.cpu_count(),
                           "loadavg_before": os.getloadavg()}  # fmt: skip
    for engine in args.engines.split(","):
        with database_url(engine) as url:
            out[engine] = _engine(url, args)
    out["loadavg_after"] = os.getloadavg()
    print(json.dumps(out, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
