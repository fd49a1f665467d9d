"""Benchmark: the ``budget-alerts`` projection at province scale (prints JSON).

A generated province (``bench.generate``, 3,000 departments and 10,000 systems at the
``province`` preset) is applied as an estate to a fresh database; each system gets its
``system`` row on its home provider and one synced ``resource`` row per server and per
volume its request declares (bulk-inserted: this measures the projection, not sync),
with the flavour's vCPU and memory and the volume's type and size in the spec, as sync
writes them. Then the job's own work runs: :meth:`BudgetAlertService.raise_alerts` (the
projection of every department and the alert rows, in one transaction), a second time
(a re-firing: nothing new), and the projection alone.

The reference, in the same run on the same database: one SQL aggregate over the same
rows (per department, system and spec the resource count) — the least the database
must read for the projection; ``ratio`` is the projection's time over it. CPU seconds
are the bench process's (``time.process_time``); ``load_average`` says how busy the
machine was.

    .venv/bin/python -m bench.budget_alerts [--scale province] [--sqlite]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import String, cast, func, insert, select
from sqlmodel import col

from bench.generate import PRESETS, Province, generate
from bench.sync import pg_database
from controlplane.app import App
from controlplane.config import Settings
from controlplane.db import table_of
from controlplane.db.models import Provider, Resource, System, Tenant
from controlplane.estate.schema import parse_estate

NOW = datetime(2026, 6, 15, 4, 0, tzinfo=UTC)


def _rows(app: App, province: Province) -> tuple[int, int]:
    """System and resource rows for every generated request; (systems, resources)."""
    flavors = {f["name"]: f for f in province.estate["spec"]["catalog"]["flavors"]}
    with app.sessions() as session, session.begin():
        providers: dict[str, int] = {
            str(k): int(v) for k, v in session.execute(select(col(Provider.name), col(Provider.id)))
        }
        tenants: dict[str, int] = {
            str(k): int(v) for k, v in session.execute(select(col(Tenant.code), col(Tenant.id)))
        }
        systems = [
            {"tenant_id": tenants[r["metadata"]["tenant"]], "name": r["metadata"]["name"],
             "provider_id": providers[province.homes[_key(r)]],
             "level": r["spec"]["classifiedProtection"],
             "data_classification": r["spec"]["dataClassification"],
             "xinchuang": bool(r["spec"].get("xinchuang")), "status": "ready", "records": {},
             "created_at": NOW, "updated_at": NOW}
            for r in province.requests
        ]  # fmt: skip
        session.execute(insert(table_of(System)), systems)
        ids = {
            (tenant, name): sid
            for sid, tenant, name in session.execute(
                select(col(System.id), col(System.tenant_id), col(System.name))
            ).all()
        }
        resources: list[dict[str, Any]] = []
        for r in province.requests:
            tenant_id = tenants[r["metadata"]["tenant"]]
            base = {"provider_id": providers[province.homes[_key(r)]], "tenant_id": tenant_id,
                    "system_id": ids[tenant_id, r["metadata"]["name"]],
                    "provider_name": province.homes[_key(r)],
                    "tenant_code": r["metadata"]["tenant"],
                    "system_name": r["metadata"]["name"], "status": "ACTIVE",
                    "managed": True, "created_at": NOW, "observed_at": NOW,
                    "deleted_at": None}  # fmt: skip
            for item in r["spec"].get("compute", []):
                flavor = flavors[item["flavor"]]
                for n in range(int(item.get("count", 1))):
                    name = f"{r['metadata']['name']}-{item['name']}-{n}"
                    resources.append({**base, "kind": "server", "name": name,
                                      "resource_id": f"srv-{len(resources)}",
                                      "spec": {"vcpu": flavor["vcpu"],
                                               "memory_mib": flavor["memoryGiB"] * 1024}})  # fmt: skip
                    for v, volume in enumerate(item.get("volumes", [])):
                        resources.append({**base, "kind": "volume", "name": f"{name}-v{v}",
                                          "resource_id": f"vol-{len(resources)}",
                                          "spec": {"type": volume.get("type", "ssd"),
                                                   "size_gib": volume["sizeGiB"]}})  # fmt: skip
        for start in range(0, len(resources), 10_000):
            session.execute(insert(table_of(Resource)), resources[start : start + 10_000])
    return len(systems), len(resources)


def _key(request: dict[str, Any]) -> str:
    return f"{request['metadata']['tenant']}/{request['metadata']['name']}"


def _timed(call: Any) -> tuple[Any, float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    value = call()
    return value, round(time.perf_counter() - wall, 3), round(time.process_time() - cpu, 3)


def _reference(app: App) -> int:
    spec = cast(col(Resource.spec), String)
    keys = (col(Resource.tenant_id), col(Resource.system_id), col(Resource.kind), spec)
    query = (
        select(*keys, func.count())
        .where(col(Resource.deleted_at).is_(None), col(Resource.managed))
        .group_by(*keys)
    )
    with app.sessions() as session:
        return len(session.execute(query).all())


@contextmanager
def _database(sqlite: bool) -> Iterator[str]:
    if sqlite:
        with tempfile.TemporaryDirectory() as scratch:
            yield f"sqlite:///{scratch}/budget.db"
    else:
        with pg_database() as url:
            yield url


def run(scale: str, seed: int, sqlite: bool) -> dict[str, Any]:
    province = generate(PRESETS[scale], seed)
    from tenants import load_yaml_documents

    with _database(sqlite) as url, tempfile.TemporaryDirectory() as home:
        app = App(Settings(home=Path(home), database_url=url))
        try:
            app.init()
            estate_text = json.dumps(province.estate, ensure_ascii=False, default=str)
            started = time.perf_counter()
            app.estate.apply(parse_estate(load_yaml_documents(estate_text, "estate.yaml"),
                                          "estate.yaml"), actor="bench")  # fmt: skip
            systems, resources = _rows(app, province)
            populate = round(time.perf_counter() - started, 1)
            service = app.budget_alerts
            service._clock = lambda: NOW  # the budget year of the rows above
            raised, first_s, first_cpu = _timed(lambda: service.raise_alerts(actor="bench"))
            again, second_s, second_cpu = _timed(lambda: service.raise_alerts(actor="bench"))

            def project() -> int:
                with app.sessions() as session:
                    return len(service.projections(session, NOW))

            projected, project_s, project_cpu = _timed(project)
            groups, reference_s, reference_cpu = _timed(lambda: _reference(app))
        finally:
            app.close()
    return {
        "bench": "budget-alerts", "database": url.split(":")[0], "scale": scale,
        "departments": len(province.tenants), "systems": systems, "resources": resources,
        "populate_seconds": populate,
        "raise_alerts": {"seconds": first_s, "cpu_seconds": first_cpu, "raised": len(raised)},
        "refiring": {"seconds": second_s, "cpu_seconds": second_cpu, "raised": len(again)},
        "projection_only": {"seconds": project_s, "cpu_seconds": project_cpu,
                            "departments": projected},
        "reference_sql_aggregate": {"seconds": reference_s, "cpu_seconds": reference_cpu,
                                    "groups": groups},
        "ratio_raise_alerts_to_reference": round(first_s / reference_s, 1),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="province", choices=sorted(PRESETS))
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--sqlite", action="store_true", help="SQLite instead of PostgreSQL")
    args = parser.parse_args()
    print(json.dumps(run(args.scale, args.seed, args.sqlite), ensure_ascii=False))


if __name__ == "__main__":
    main()
