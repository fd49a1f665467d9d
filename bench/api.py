"""Benchmark: the HTTP API on one server process over 100,000 resources in PostgreSQL.

Builds a fresh PostgreSQL database with a simulator provider, ``--tenants`` departments
and ``--resources`` resources spread over them (bulk-inserted: this measures reads, not
sync), starts ``govcloud serve``'s ASGI app on uvicorn (127.0.0.1, random port, one
process) and measures with one keep-alive client:

* ``page`` — ``GET /api/v1/resources?tenant=T&kind=server&limit=100`` for random
  tenants, each with a token of that tenant's department (filter, scope, page and total
  count): p50/p99 latency and requests/s;
* ``walk`` — the next pages through a ``continue`` token (keyset, as the operator);
* ``plan`` — ``POST /api/v1/plans`` of one SystemRequest: plans/s.

Prints one JSON document with a ``reference`` beside each figure::

    .venv/bin/python -m bench.api [--resources 100000] [--requests 400]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import socket
import statistics
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.sync import estate_text, pg_database

#: Kubernetes' published API-call latency SLO (sig-scalability, api_call_latency.md):
#: 99th percentile of a namespace-scoped LIST ≤ 5 s, of a single-object call ≤ 1 s —
#: the bar the issue names (kube-apiserver as the model of one door).
REFERENCE = {
    "page_p99_ms": "kube-apiserver SLO: namespace-scoped LIST p99 <= 5000 ms",
    "plan_p99_ms": "kube-apiserver SLO: single-object mutating call p99 <= 1000 ms",
}

_MANIFEST = """apiVersion: govcloud.io/v1
kind: SystemRequest
metadata: {{name: bench-api-{n}, tenant: {tenant}}}
spec:
  classifiedProtection: 2
  dataClassification: general
  placement: {{provider: bench-sim}}
  compute:
    - {{name: web, flavor: c4m8, count: 2, image: kylin-v10-sp3}}
  backup: {{enabled: true, retentionDays: 30}}
"""


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 2)


def _populate(app: Any, tenants: list[str], resources: int) -> None:
    from sqlalchemy import insert, select
    from sqlmodel import col

    from controlplane.db import table_of
    from controlplane.db.models import Provider, Resource, Tenant

    now = datetime(2026, 3, 1, tzinfo=UTC)
    with app.sessions() as session, session.begin():
        provider_id, provider = session.execute(select(col(Provider.id), col(Provider.name))).one()
        ids = dict(session.execute(select(col(Tenant.code), col(Tenant.id))).all())
        rows = [
            {
                "provider_id": provider_id,
                "tenant_id": ids[tenants[i % len(tenants)]],
                "system_id": None,
                "provider_name": provider,
                "tenant_code": tenants[i % len(tenants)],
                "system_name": "",
                "kind": "server" if i % 3 else "volume",
                "resource_id": f"r-{i:07d}",
                "name": f"res-{i:07d}",
                "status": "ACTIVE",
                "managed": True,
                "spec": {},
                "created_at": now - timedelta(seconds=i),
                "observed_at": now,
                "deleted_at": None,
            }
            for i in range(resources)
        ]
        for start in range(0, len(rows), 10_000):
            session.execute(insert(table_of(Resource)), rows[start : start + 10_000])


@contextmanager
def _server(app: Any) -> Iterator[str]:
    import uvicorn

    from controlplane.api import asgi, create_api

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(asgi(create_api(app)), log_level="warning", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/api/v1"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def _timed(call: Any) -> float:
    start = time.perf_counter()
    answer = call()
    elapsed = (time.perf_counter() - start) * 1000
    if answer.status_code != 200:
        raise RuntimeError(f"{answer.status_code}: {answer.text[:500]}")
    return elapsed


def _reference_pages(app: Any, tenants: list[str], requests: int, rng: Any) -> list[float]:
    from sqlalchemy import func, select
    from sqlmodel import col

    from controlplane.db import table_of
    from controlplane.db.models import Resource, Tenant

    out: list[float] = []
    with app.engine.connect() as conn:
        ids = dict(conn.execute(select(col(Tenant.code), col(Tenant.id))).all())
        for _ in range(requests):
            tid = ids[rng.choice(tenants)]
            start = time.perf_counter()
            where = (col(Resource.tenant_id) == tid, col(Resource.kind) == "server")
            page = select(table_of(Resource)).where(*where).order_by(col(Resource.id)).limit(101)
            rows = conn.execute(page).all()
            conn.execute(select(func.count()).select_from(table_of(Resource)).where(*where)).one()
            out.append((time.perf_counter() - start) * 1000)
            assert rows
    return out


def _reference_plans(app: Any, tenants: list[str], plans: int) -> list[float]:
    from controlplane.planning import PlanService
    from tenants import load_requests

    service = PlanService(app.sessions, app.clock, app.settings)
    out: list[float] = []
    for n in range(plans):
        text = _MANIFEST.format(n=n, tenant=tenants[n % len(tenants)])
        start = time.perf_counter()
        service.plan(load_requests(text, name=f"bench-{n}.yaml")[0], principal="ops")
        out.append((time.perf_counter() - start) * 1000)
    return out


def run(resources: int, tenant_count: int, requests: int, plans: int) -> dict[str, Any]:
    import httpx

    from controlplane.app import App
    from controlplane.config import Settings
    from controlplane.facade import Govcloud, Manifest

    tenants = [f"t{n:04d}" for n in range(tenant_count)]
    principals = "\n".join(
        ["  principals:", "    - {name: ops, roles: [operator]}"]
        + [f"    - {{name: dept-{t}, roles: [department], tenant: {t}}}" for t in tenants]
    )
    simulator = (
        "    - {name: bench-sim, tier: provincial, kind: simulator, seed: 1, region: province,\n"
        "       certifiedLevel: 4, capacity: {vcpu: 10000000, memoryGiB: 40000000,"
        " storageGiB: 100000000, publicIPs: 1000000}}"
    )
    estate = estate_text([simulator], tenants) + principals + "\n"
    rng = random.Random(7)
    with pg_database() as url:
        import tempfile
        from pathlib import Path

        with tempfile.TemporaryDirectory() as home:
            app = App(Settings(home=Path(home), database_url=url))
            app.init()
            Govcloud.acting_as(app, "local-operator").apply_estate(Manifest(estate, "estate.yaml"))
            started = time.perf_counter()
            _populate(app, tenants, resources)
            populate_s = time.perf_counter() - started
            ops = app.tokens.create("ops", expires_in=timedelta(hours=1), actor="bench").token
            dept = {
                t: app.tokens.create(f"dept-{t}", expires_in=timedelta(hours=1), actor="bench")
                for t in tenants
            }
            with _server(app) as base, httpx.Client(base_url=base, timeout=900) as http:
                # warm-up: connections, caches, the planner's first estate snapshot
                for t in tenants[:5]:
                    http.get(f"/resources?tenant={t}&kind=server&limit=100",
                             headers={"Authorization": f"Bearer {dept[t].token}"})  # fmt: skip
                page_ms: list[float] = []
                begin = time.perf_counter()
                for _ in range(requests):
                    t = rng.choice(tenants)
                    auth = {"Authorization": f"Bearer {dept[t].token}"}
                    page_ms.append(_timed(lambda t=t, auth=auth: http.get(
                        f"/resources?tenant={t}&kind=server&limit=100", headers=auth)))  # fmt: skip
                page_s = time.perf_counter() - begin
                walk_ms: list[float] = []
                auth = {"Authorization": f"Bearer {ops}"}
                token: str | None = None
                for _ in range(min(requests, 100)):
                    query = "/resources?limit=100" + (f"&continue={token}" if token else "")
                    start = time.perf_counter()
                    answer = http.get(query, headers=auth)
                    walk_ms.append((time.perf_counter() - start) * 1000)
                    token = answer.json()["continue"]
                plan_ms: list[float] = []
                exits: Counter[int] = Counter()
                begin = time.perf_counter()
                for n in range(plans):
                    body = {"manifest": _MANIFEST.format(n=n, tenant=tenants[n % len(tenants)]),
                            "source": f"bench-{n}.yaml"}  # fmt: skip
                    start = time.perf_counter()
                    answer = http.post("/plans", json=body, headers=auth)
                    plan_ms.append((time.perf_counter() - start) * 1000)
                    if answer.status_code != 200:
                        raise RuntimeError(f"{answer.status_code}: {answer.text[:500]}")
                    exits[answer.json()["exit_code"]] += 1
                plan_s = time.perf_counter() - begin
            # references, same process and database: the page's two statements straight
            # through SQLAlchemy Core, and a plan in process (no HTTP, no JSON)
            ref_page_ms = _reference_pages(app, tenants, requests, rng)
            ref_plan_ms = _reference_plans(app, tenants, plans)
            app.close()
    return {
        "resources": resources,
        "tenants": tenant_count,
        "populate_s": round(populate_s, 1),
        "page": {
            "request": "GET /api/v1/resources?tenant=T&kind=server&limit=100 (department token)",
            "requests": requests,
            "p50_ms": _percentile(page_ms, 0.5),
            "p99_ms": _percentile(page_ms, 0.99),
            "mean_ms": round(statistics.fmean(page_ms), 2),
            "req_per_s": round(requests / page_s, 1),
            "slo": REFERENCE["page_p99_ms"],
            "reference": {
                "what": "the same page's SELECT … LIMIT 101 and COUNT(*) by SQLAlchemy Core",
                "p50_ms": _percentile(ref_page_ms, 0.5),
                "p99_ms": _percentile(ref_page_ms, 0.99),
            },
            "ratio_p50": round(_percentile(page_ms, 0.5) / _percentile(ref_page_ms, 0.5), 2),
        },
        "walk": {
            "request": "GET /api/v1/resources?limit=100&continue=… (operator, all tenants)",
            "pages": len(walk_ms),
            "p50_ms": _percentile(walk_ms, 0.5),
            "p99_ms": _percentile(walk_ms, 0.99),
            "slo": REFERENCE["page_p99_ms"],
        },
        "plan": {
            "request": "POST /api/v1/plans (one SystemRequest, 2 servers)",
            "plans": plans,
            "p50_ms": _percentile(plan_ms, 0.5),
            "p99_ms": _percentile(plan_ms, 0.99),
            "plans_per_s": round(plans / plan_s, 2),
            "exit_codes": {str(k): v for k, v in sorted(exits.items())},
            "slo": REFERENCE["plan_p99_ms"],
            "reference": {
                "what": "PlanService.plan of the same manifest in process (no HTTP)",
                "p50_ms": _percentile(ref_plan_ms, 0.5),
                "p99_ms": _percentile(ref_plan_ms, 0.99),
            },
            "ratio_p50": round(_percentile(plan_ms, 0.5) / _percentile(ref_plan_ms, 0.5), 2),
        },
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "server": "uvicorn, one process, 127.0.0.1; client: one keep-alive connection",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resources", type=int, default=100_000)
    parser.add_argument("--tenants", type=int, default=100)
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--plans", type=int, default=50)
    args = parser.parse_args()
    print(json.dumps(run(args.resources, args.tenants, args.requests, args.plans), indent=2))


if __name__ == "__main__":
    main()
