"""Audit benchmark: every built-in pack bound, 100,000 inventory resources, JSON figures.

Synthesises a deterministic (seeded) province-scale inventory of ``ResourceView`` values
— servers, volumes, security groups, ports, pods, images, snapshots, backups, log sinks,
users, role assignments and the system records themselves, spread over systems of
levels 1–4 with about one resource in ten carrying a defect — then streams it through
``policies.audit`` and prints::

    {"resources": ..., "verdicts": ..., "rule_evaluations_per_second": ...,
     "resources_per_second": ..., "seconds": ..., "peak_rss_mib": ...}

``rule_evaluations_per_second`` counts (resource × applicable rule) evaluations.

``--store`` measures the control plane's stored audit instead: the same inventory is
written as ``System``/``Resource`` rows into a database (a temporary SQLite file, or
``--database-url``, which must be empty), then, ``--runs`` times (3 by default), the
stored audits are forgotten and ``ComplianceService.audit`` runs twice: a first audit
(every result written) and an unchanged re-audit (the same inventory again: results that
did not change are not rewritten; the violation lifecycle still moves). Each audit gives
its wall time, this process's CPU time, the PostgreSQL backends' CPU time (read from
``/proc``: the server is on this machine) and the load average; the JSON gives their
medians beside the references measured in the same process — the pure engine over the
same inventory (``--runs`` times) and the same result rows written by the driver's bulk
path alone (``COPY`` on PostgreSQL, ``executemany`` on SQLite) — the ratio of each
median to the engine's, the 10 s target and the peak memory.

Usage: ``python -m bench.audit [--resources N] [--seed S] [--store [--database-url URL]
[--runs N]]``.
The engine mode imports ``policies`` only; ``--store`` also imports ``controlplane``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import sys
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from policies import (
    BUILTIN_PACKS,
    IngressRule,
    ProviderFacts,
    ResourceView,
    SiteFacts,
    SystemFacts,
    audit,
    bind_packs,
)

NOW = datetime(2026, 6, 1, tzinfo=UTC)
TARGET_SECONDS = 10.0  # issue 17: a stored audit of 100k resources on the 2-core machine
RESOURCES_PER_SYSTEM = 20
KIND_WEIGHTS = {
    "server": 22,
    "volume": 22,
    "security_group": 10,
    "port": 14,
    "network": 4,
    "namespace": 3,
    "pod": 8,
    "image": 2,
    "snapshot": 4,
    "backup": 3,
    "log_sink": 2,
    "user": 2,
    "role_assignment": 2,
    "load_balancer": 1,
    "floating_ip": 1,
}


def _provider(i: int) -> ProviderFacts:
    return ProviderFacts(
        name=f"cloud-{i}",
        tier="provincial" if i == 0 else "municipal",
        country="CN",
        province="GD",
        site=f"dc-{i}",
        certified_level=4 if i == 0 else 3,
    )


def _system(rng: random.Random, i: int) -> SystemFacts:
    level = rng.choices((1, 2, 3, 4), weights=(5, 45, 45, 5))[0]
    return SystemFacts(
        name=f"sys-{i:05d}",
        tenant=f"dept-{i % 300:03d}",
        level=level,
        data_grade=rng.choice(("general", "general", "important", "core")),
        filing_number=None if rng.random() < 0.03 else f"F-{i}",
        owner_province="GD",
        data_security_officer="officer",
        risk_assessed_on=date(2026, 1, 1),
        assessed_on=date(2025, 9, 1) if rng.random() < 0.9 else date(2024, 1, 1),
        local_export_on=date(2026, 3, 1),
    )


def _attrs(rng: random.Random, kind: str, good: bool) -> dict[str, Any]:
    if kind == "server":
        return {
            "image_hardened": good,
            "request_id": "req" if good else None,
            "patched_on": date(2026, 5, 1),
        }
    if kind == "volume":
        return {
            "encrypted": good,
            "key_owner": "tenant",
            "cipher": "sm4",
            "kms_gm_certified": True,
            "backup_policy": True,
            "last_backup_at": NOW - timedelta(hours=6 if good else 90),
            "restore_tested_on": date(2026, 3, 1),
            "replica_count": 3 if good else 1,
        }
    if kind == "security_group":
        return {"attached_ports": 1 if good else 0}
    if kind == "port":
        return {"port_security_enabled": good, "security_groups": ["sg"], "network_tags": []}
    if kind == "network":
        return {"shared": not good, "flow_logs": True}
    if kind == "namespace":
        return {
            "default_deny": good,
            "network_policy_count": 1,
            "audit_enabled": True,
            "default_sa_automount": False,
        }
    if kind == "pod":
        return {"privileged": not good, "request_id": "req"}
    if kind in ("image", "snapshot", "backup"):
        return {
            "visibility": "private" if good else "public",
            "os_hash_value": "ab",
            "signed": True,
            "patched_on": date(2026, 5, 1),
            "target_site": "dc-9",
        }
    if kind == "log_sink":
        return {
            "retention_days": 180 if good else 90,
            "worm": True,
            "tenant_deletable": False,
            "backup": True,
        }
    if kind == "user":
        return {
            "human": True,
            "mfa_enabled": good,
            "mfa_methods": ["password", "totp"],
            "enabled": True,
            "last_login": NOW - timedelta(days=3),
            "duties": ["sysadmin"],
        }
    if kind == "role_assignment":
        return {"principal_type": "department", "role": "member" if good else "admin"}
    if kind == "load_balancer":
        return {"protocol": "HTTPS" if good else "HTTP", "external": True, "protected_by": ["waf"]}
    return {"protected_by": ["waf"] if good else []}


def inventory(count: int, seed: int) -> Iterator[ResourceView]:
    """``count`` resources, the same for the same seed; system records included."""
    rng = random.Random(f"{seed}/inventory")
    providers = [_provider(i) for i in range(8)]
    kinds = list(KIND_WEIGHTS)
    weights = list(KIND_WEIGHTS.values())
    system: SystemFacts | None = None
    provider = providers[0]
    for i in range(count):
        if i % RESOURCES_PER_SYSTEM == 0:
            system = _system(rng, i // RESOURCES_PER_SYSTEM)
            provider = providers[rng.randrange(len(providers))]
            yield ResourceView("system", system.name, system.name, system.tenant, system, provider)
            continue
        kind = rng.choices(kinds, weights)[0]
        good = rng.random() >= 0.1
        site = SiteFacts("CN", "GD", "gz", "az1", provider.site, "ceph")
        view = ResourceView(
            kind=kind,
            id=f"{kind}-{i}",
            name=f"{kind}-{i}",
            tenant=system.tenant if system else None,
            system=system if rng.random() > 0.01 else None,
            provider=provider,
            site=site,
            attrs=_attrs(rng, kind, good),
            created_at=NOW - timedelta(days=30),
        )
        if kind == "security_group":
            rules: tuple[IngressRule, ...] = (
                IngressRule("internet", 443),
                IngressRule("10.0.0.0/8", 22),
            )
            if not good:
                rules = (*rules, IngressRule("internet", 3389))
            view = replace(view, ingress=rules)
        yield view


def run(count: int, seed: int) -> dict[str, Any]:
    bound = bind_packs(BUILTIN_PACKS)
    _ = bound.audit_index  # built once, outside the timed loop like a long-running auditor
    outcomes: Counter[str] = Counter()
    resources = list(inventory(count, seed))
    started = time.perf_counter()
    for verdict in audit(resources, bound, NOW):
        outcomes[verdict.outcome] += 1
    seconds = time.perf_counter() - started
    evaluations = sum(outcomes.values())
    return {
        "resources": len(resources),
        "rules_bound": len(bound.rules),
        "packs": list(BUILTIN_PACKS),
        "verdicts": evaluations,
        "outcomes": {str(k): v for k, v in sorted(outcomes.items())},
        "seconds": round(seconds, 3),
        "resources_per_second": round(len(resources) / seconds),
        "rule_evaluations_per_second": round(evaluations / seconds),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "seed": seed,
    }


def _peak_mib() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _plain(value: object) -> object:
    if isinstance(value, date):  # datetimes included
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _spec(view: ResourceView) -> dict[str, Any]:
    """A resource's attributes as a sync would store them (JSON, times as ISO text)."""
    spec = {key: _plain(value) for key, value in view.attrs.items()}
    site = view.site
    spec.update(
        {
            "country": site.country,
            "province": site.province,
            "city": site.city,
            "az": site.az,
            "site": site.site,
            "storage_backend": site.storage_backend,
        }
    )
    if view.ingress:
        spec["ingress"] = [
            {"source": r.source, "port_min": r.port_min, "port_max": r.port_max}
            for r in view.ingress
        ]
    return spec


def _seed(app: Any, count: int, seed: int) -> int:
    """Write the synthetic inventory as database rows; returns the resource rows written."""
    from sqlalchemy import insert

    from controlplane.db import table_of
    from controlplane.db.engine import transaction
    from controlplane.db.models import Provider, Resource, System, Tenant

    providers: dict[str, int] = {}
    tenants: dict[str, int] = {}
    systems: dict[str, int] = {}
    rows: list[dict[str, Any]] = []
    written = 0
    with transaction(app.sessions) as session:
        for view in inventory(count, seed):
            cloud = view.provider
            assert cloud is not None
            if cloud.name not in providers:
                row = Provider(
                    name=cloud.name, tier=cloud.tier, kind="simulator", region="province",
                    certified_level=cloud.certified_level or 3, arch="x86_64",
                    capacity_vcpu=1, capacity_memory_gib=1, capacity_storage_gib=1,
                    created_at=NOW, updated_at=NOW,
                )  # fmt: skip
                session.add(row)
                session.flush()
                providers[cloud.name] = row.id or 0
            if view.tenant is not None and view.tenant not in tenants:
                dept = Tenant(
                    code=view.tenant, name=view.tenant, level="provincial",
                    budget=Decimal("0"), created_at=NOW, updated_at=NOW,
                )  # fmt: skip
                session.add(dept)
                session.flush()
                tenants[view.tenant] = dept.id or 0
            if view.kind == "system":
                facts = view.system
                assert facts is not None and facts.level is not None
                system = System(
                    tenant_id=tenants[facts.tenant], name=facts.name,
                    provider_id=providers[cloud.name], level=facts.level,
                    data_classification=facts.data_grade or "general",
                    created_at=NOW, updated_at=NOW,
                )  # fmt: skip
                session.add(system)
                session.flush()
                systems[facts.name] = system.id or 0
                continue
            rows.append(
                {
                    "provider_id": providers[cloud.name],
                    "tenant_id": tenants.get(view.tenant or ""),
                    "system_id": systems[view.system.name] if view.system else None,
                    "provider_name": cloud.name,
                    "tenant_code": view.tenant if view.tenant in tenants else "",
                    "system_name": view.system.name if view.system else "",
                    "kind": view.kind,
                    "resource_id": view.id,
                    "name": view.name,
                    "status": "ACTIVE",
                    "managed": True,
                    "spec": _spec(view),
                    "created_at": view.created_at or NOW,
                    "observed_at": NOW,
                }
            )
            if len(rows) >= 5000:
                session.execute(insert(table_of(Resource)), rows)
                written += len(rows)
                rows = []
        if rows:
            session.execute(insert(table_of(Resource)), rows)
            written += len(rows)
    return written


def _cpu() -> float:
    """This process's CPU time (user + system) so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _reset(app: Any) -> None:
    """Forget every audit (results, violations, runs) so the next run is a first audit."""
    from sqlalchemy import delete

    from controlplane.db import table_of
    from controlplane.db.engine import transaction
    from controlplane.db.tables_compliance import (
        AuditRun,
        PolicyResult,
        PolicySubjectDigest,
        PolicyViolation,
    )

    with transaction(app.sessions) as session:
        for model in (PolicySubjectDigest, PolicyResult, PolicyViolation, AuditRun):
            session.execute(delete(table_of(model)))


def _timed_audit(app: Any, service: Any) -> dict[str, Any]:
    from bench.sync import backend_cpu, server_seconds

    server = backend_cpu(app.engine)
    cpu, started = _cpu(), time.perf_counter()
    audit_run = service.audit(actor="bench")
    seconds, cpu = time.perf_counter() - started, _cpu() - cpu
    return {
        "seconds": round(seconds, 3),
        "cpu_seconds": round(cpu, 3),
        "server_cpu_seconds": server_seconds(server, backend_cpu(app.engine)),
        "resources": audit_run.resources,
        "results": audit_run.results,
        "results_per_second": round(audit_run.results / seconds),
        "outcomes": {
            "pass": audit_run.passed,
            "fail": audit_run.failed,
            "not_applicable": audit_run.not_applicable,
            "not_evaluable": audit_run.not_evaluable,
        },
        "violations_opened": audit_run.opened,
        "violations_resolved": audit_run.resolved,
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "peak_rss_mib": _peak_mib(),
    }


def _bulk_reference(app: Any, count: int, seed: int) -> dict[str, Any]:
    """The same result rows as a run stores, written by the driver's bulk path alone.

    The pure engine's verdicts over the inventory become ``policy_result`` rows (the
    store's own row builder) and go into an empty copy of the table (with its indexes on
    PostgreSQL, without them on SQLite) by ``controlplane.db.bulk.BulkInsert``, as the
    store writes them: ``COPY`` on PostgreSQL, ``executemany`` on SQLite, 5,000 a
    batch; only the writes are timed.
    """
    from sqlalchemy import MetaData, text

    from controlplane.compliance.store import COLUMNS, result_values
    from controlplane.db import table_of
    from controlplane.db.bulk import BulkInsert
    from controlplane.db.engine import transaction
    from controlplane.db.tables_compliance import PolicyResult

    bound = bind_packs(BUILTIN_PACKS)
    postgresql = app.engine.dialect.name == "postgresql"
    seconds = cpu = 0.0
    rows: list[tuple[Any, ...]] = []
    written = 0
    copy = table_of(PolicyResult).to_metadata(MetaData(), name="result_copy")
    with transaction(app.sessions) as session:
        if postgresql:
            session.execute(
                text("CREATE TEMP TABLE result_copy (LIKE policy_result INCLUDING ALL)")
            )
        else:
            sql = session.execute(
                text("SELECT sql FROM sqlite_master WHERE name = 'policy_result'")
            ).scalar_one()
            session.execute(text(sql.replace("policy_result", "result_copy", 1)))
        writer = BulkInsert(session, copy, COLUMNS, raw=COLUMNS)
        stamp = NOW.isoformat(" ") if not postgresql else NOW

        def write() -> None:
            nonlocal seconds, cpu, written, rows
            took, started = _cpu(), time.perf_counter()
            written += writer.write(rows)
            seconds += time.perf_counter() - started
            cpu += _cpu() - took
            rows = []

        run = session.execute(text("SELECT max(id) FROM policy_audit_run")).scalar_one()
        for verdict in audit(inventory(count, seed), bound, NOW):
            rows.append(result_values(run, stamp, verdict))
            if len(rows) >= 5000:
                write()
        write()
        session.execute(text("DROP TABLE result_copy"))
    method = "copy" if postgresql else "executemany"
    return {
        "rows": written,
        f"{method}_seconds": round(seconds, 3),
        f"{method}_cpu_seconds": round(cpu, 3),
    }


def _median(values: list[float]) -> float:
    return round(statistics.median(values), 3)


def run_stored(count: int, seed: int, database_url: str | None, runs: int) -> dict[str, Any]:
    """Seed a database with the inventory, then time ``runs`` first audits, each followed
    by an unchanged re-audit (the same inventory audited again)."""
    import tempfile
    from pathlib import Path

    from controlplane.app import App
    from controlplane.compliance import ComplianceService
    from controlplane.config import Settings

    with tempfile.TemporaryDirectory(prefix="govcloud-bench-") as home:
        url = database_url or f"sqlite:///{Path(home) / 'govcloud.db'}"
        app = App(Settings(home=Path(home), database_url=url), clock=lambda: NOW)
        try:
            app.init()
            started = time.perf_counter()
            stored = _seed(app, count, seed)
            seeded = time.perf_counter() - started
            seed_peak = _peak_mib()
            document = {"baseline": {"packs": list(BUILTIN_PACKS)}}
            service = ComplianceService(app.sessions, app.clock, lambda: document)
            first: list[dict[str, Any]] = []
            again: list[dict[str, Any]] = []
            for index in range(runs):
                if index:
                    _reset(app)
                first.append(_timed_audit(app, service))
                again.append(_timed_audit(app, service))
            # the references, in the same process: the pure engine over the same inventory,
            # and the same result rows written by the driver's bulk path alone
            engines = []
            for _ in range(runs):
                took = _cpu()
                engine = run(count, seed)
                engines.append((engine["seconds"], _cpu() - took))
            bulk = _bulk_reference(app, count, seed)
            engine_s = _median([s for s, _ in engines])
            figures: dict[str, dict[str, Any]] = {
                kind: {
                    "median_seconds": _median([r["seconds"] for r in rs]),
                    "median_cpu_seconds": _median([r["cpu_seconds"] for r in rs]),
                    "median_server_cpu_seconds": (
                        _median([r["server_cpu_seconds"] for r in rs])
                        if rs[0]["server_cpu_seconds"] is not None
                        else None
                    ),
                }
                for kind, rs in (("first_audit", first), ("unchanged_reaudit", again))
            }
            for entry in figures.values():
                entry["ratio_to_engine"] = round(entry["median_seconds"] / engine_s, 2)
            worst = max(entry["median_seconds"] for entry in figures.values())
            return {
                "figures": figures,
                "reference": {
                    "pure_engine_median_seconds": engine_s,
                    "pure_engine_runs_cpu_seconds": [round(c, 3) for _, c in engines],
                    "bulk_write": bulk,
                },
                "target_seconds": TARGET_SECONDS,
                "within_target": worst <= TARGET_SECONDS,
                "load_average": [round(x, 2) for x in os.getloadavg()],
                "database": app.engine.dialect.name,
                "resources": count,
                "resource_rows": stored,
                "audited_views": first[0]["resources"],
                "seed_seconds": round(seeded, 3),
                "peak_rss_after_seed_mib": seed_peak,
                "peak_rss_mib": _peak_mib(),
                "first_audits": first,
                "unchanged_reaudits": again,
                "seed": seed,
            }
        finally:
            app.close()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resources", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--store", action="store_true", help="audit stored inventory rows")
    parser.add_argument("--database-url", help="with --store: an empty database to use")
    parser.add_argument("--runs", type=int, default=3, help="with --store: audits to time")
    args = parser.parse_args(argv)
    if args.store:
        figures = run_stored(args.resources, args.seed, args.database_url, args.runs)
    else:
        figures = run(args.resources, args.seed)
    json.dump(figures, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
