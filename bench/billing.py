"""Billing through the database: the generator's province, one month, SQLite and PostgreSQL.

Generates the province of ``bench.generate`` (42 clouds, 3,000 departments, 10,000
systems, ~100,000 cloud resources), applies its estate (providers, departments, rate card
with hour/day/month prorations) through the estate service, and synthesises a month of
usage for every *metered* resource the requests imply — servers (vCPU, memory), volumes
(ssd/hdd GiB), public IPs and Kubernetes namespaces (cores, GiB) — on the system's home
cloud, with arbitrary start/stop minutes, 30 % of series resized (some to the same size,
so intervals must merge) and 5 % of records replayed. Then, per database:

* **ingest** — ``MeteringService.ingest_records`` (one batch, ON CONFLICT DO NOTHING);
* **bill run** — ``BillsService.run``: load, intervals, rating, statements, one transaction;
* **re-run** — the same again (nothing changes);
* **DuckDB** — the raw rows read back from the database, and every department's total
  computed by one independent SQL query (DISTINCT, gaps-and-islands merging, hour/day
  ceilings, month peaks, integer half-up rounding per line);
* **the row store's own query** — the same query run by SQLite or PostgreSQL itself over
  the same rows in temporary tables: what set-based SQL costs where govcloud's data lives,
  before anything is stored.

Prints JSON: per database ``figure`` (the bill run's seconds, median of ``--runs`` runs
each from an emptied month), ``reference`` (the DuckDB query's seconds, median of as
many), their ``ratio`` beside the target of 5, the row store's query (its seconds, its ratio to
DuckDB, how many department totals it agrees on), per-stage seconds, peak RSS, the load
average (the machine is shared), and whether every department total agrees to the fen
(exit status 1 if not; also when the row store's totals disagree).
Usage: ``python -m bench.billing [--database sqlite|postgresql|both] [--month YYYY-MM]
[--runs N]``.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, NamedTuple

import duckdb
import psycopg
from ruamel.yaml import YAML
from sqlalchemy import text

from bench.generate import PRESETS, Province, generate
from controlplane.app import App
from controlplane.billing import Month, meter
from controlplane.billing.period import epoch_seconds, from_epoch
from controlplane.bills import bills_service
from controlplane.config import Settings
from controlplane.estate.schema import parse_estate
from controlplane.metering import RawUsage, metering_service
from tenants import load_yaml_file

PG_SERVER = os.environ.get("GOVCLOUD_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432")
SOURCE = "bench"


def peak_rss_mib() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _series(
    request: dict[str, Any], flavors: dict[str, tuple[int, int]]
) -> Iterator[tuple[str, str, int]]:
    """(resource id suffix, meter, quantity) of every metered resource of a request."""
    spec = request["spec"]
    for group in spec.get("compute", []):
        vcpu, memory = flavors[group["flavor"]]
        for n in range(group["count"]):
            server = f"{group['name']}-{n}"
            yield server, "compute.vcpu", vcpu
            yield server, "compute.memory", memory
            for v, volume in enumerate(group.get("volumes", [])):
                yield f"{server}-vol{v}", f"storage.{volume.get('type', 'ssd')}", volume["sizeGiB"]
    if any(rule["from"] == "internet" for rule in spec.get("network", {}).get("ingress", [])):
        yield "public-ip", "network.public_ip", 1
    if "kubernetes" in spec:
        quota = spec["kubernetes"]["quota"]
        yield "namespace", "k8s.cpu", int(str(quota["cpu"]))
        yield "namespace", "k8s.memory", int(str(quota["memory"]).removesuffix("Gi"))


def synthesise(province: Province, month: Month, seed: int) -> tuple[list[RawUsage], int]:
    rnd = random.Random(seed)
    flavors = {
        f["name"]: (f["vcpu"], f["memoryGiB"])
        for f in province.estate["spec"]["catalog"]["flavors"]
    }
    lo = epoch_seconds(month.start)
    out: list[RawUsage] = []
    resources: set[str] = set()
    for request in province.requests:
        tenant, system = request["metadata"]["tenant"], request["metadata"]["name"]
        provider = province.homes.get(f"{tenant}/{system}")
        if provider is None:
            continue
        start = lo + rnd.randrange(-5 * 86400, 20 * 86400, 60)
        end = start + rnd.randrange(3600, 40 * 86400, 60)
        for suffix, meter_name, quantity in _series(request, flavors):
            resource_id = f"{tenant}/{system}/{suffix}"
            resources.add(resource_id)
            cut = rnd.randrange(start + 60, end, 60) if rnd.random() < 0.3 else None
            spans = [(start, end)] if cut is None else [(start, cut), (cut, end)]
            for n, (a, b) in enumerate(spans):
                size = quantity if n == 0 else rnd.choice((quantity, quantity * 2))
                out.append(RawUsage(provider, SOURCE, f"{resource_id}|{meter_name}|{n}", resource_id,
                                    tenant, system, meter_name, Decimal(size), from_epoch(a),
                                    from_epoch(b)))  # fmt: skip
    out.extend(rnd.sample(out, len(out) // 20))
    rnd.shuffle(out)
    return out, len(resources)


# The month's usage intervals from the raw rows: DISTINCT drops replays, gaps and islands
# merge touching records of one quantity, clipped to the month. The first CTEs of every
# reference query (here and in ``bench.billing_core``); ``{greatest}``/``{least}``: the
# dialect's scalar max and min, ``{ms}``/``{me}``: the month's bounds in epoch seconds. MIN,
# not ``any_value``: every series of these months has one owner, and MIN is the same in
# every engine.
INTERVALS_SQL = """
WITH obs AS (SELECT DISTINCT * FROM raw),
ordered AS (
  SELECT *, lag(e) OVER w AS pe, lag(q) OVER w AS pq FROM obs
  WINDOW w AS (PARTITION BY provider, resource_id, meter ORDER BY s)),
grouped AS (
  SELECT *, SUM(CASE WHEN pe = s AND pq = q THEN 0 ELSE 1 END)
    OVER (PARTITION BY provider, resource_id, meter ORDER BY s ROWS UNBOUNDED PRECEDING) AS g
  FROM ordered),
iv AS (
  SELECT provider, resource_id, meter, MIN(tenant) AS tenant, MIN(system) AS system,
         q, {greatest}(MIN(s), {ms}) AS s, {least}(MAX(e), {me}) AS e
  FROM grouped GROUP BY provider, resource_id, meter, g, q),"""

# Every department's total in fen from the intervals: hour/day ceilings, month peaks,
# integer half-up rounding per line. One text for DuckDB and the row stores (set-based SQL
# where govcloud's data lives, as issue 17 proposed for rating); each engine's words:
# ``{div}`` integer division of two integers (DuckDB's ``/`` is a float's), ``{half_up}``
# the rounding of num / den (PostgreSQL's SUM of BIGINT is NUMERIC, so ``div``). Every
# product fits in 63 bits (a wrap would show as a total that disagrees).
MONTH_TOTALS_SQL = (
    INTERVALS_SQL
    + """
priced AS (
  SELECT iv.*, p.price_num, p.price_den, p.scale, p.proration
  FROM iv JOIN tiers t ON t.provider = iv.provider
          JOIN prices p ON p.meter = iv.meter AND p.tier = t.tier
  WHERE iv.s < iv.e),
timed AS (
  SELECT tenant, price_num, price_den, scale, SUM(q * ((e - s + 3599) {div} 3600)) AS qty,
         {hours} AS period
  FROM priced WHERE proration = 'hour'
  GROUP BY tenant, system, provider, meter, price_num, price_den, scale
  UNION ALL
  SELECT tenant, price_num, price_den, scale, SUM(q * ((e - s + 86399) {div} 86400)) AS qty,
         {days} AS period
  FROM priced WHERE proration = 'day'
  GROUP BY tenant, system, provider, meter, price_num, price_den, scale
  UNION ALL
  SELECT tenant, price_num, price_den, scale, SUM(peak) AS qty, 1 AS period
  FROM (SELECT tenant, system, provider, meter, resource_id, price_num, price_den, scale,
               MAX(q) AS peak
        FROM priced WHERE proration = 'month'
        GROUP BY tenant, system, provider, meter, resource_id, price_num, price_den, scale) m
  GROUP BY tenant, system, provider, meter, price_num, price_den, scale),
amounts AS (
  SELECT tenant, price_num * qty * 100 AS num, price_den * scale * period AS den FROM timed)
SELECT tenant, SUM({half_up}) AS fen FROM amounts GROUP BY tenant
"""
)
# each engine's words for MONTH_TOTALS_SQL
_DUCKDB_WORDS = {"greatest": "greatest", "least": "least", "div": "//",
                 "half_up": "(2 * num + den) // (2 * den)"}  # fmt: skip
_POSTGRESQL_WORDS = {"greatest": "greatest", "least": "least", "div": "/",
                     "half_up": "div(2 * num + den, 2 * den)"}  # fmt: skip
_SQLITE_WORDS = {"greatest": "max", "least": "min", "div": "/",
                 "half_up": "(2 * num + den) / (2 * den)"}  # fmt: skip


def month_totals_sql(words: dict[str, str], month: Month) -> str:
    """``MONTH_TOTALS_SQL`` in one engine's ``words`` for ``month``."""
    return MONTH_TOTALS_SQL.format(**words, ms=epoch_seconds(month.start),
                                   me=epoch_seconds(month.end), hours=month.hours,
                                   days=month.days)  # fmt: skip


_RAW_COLUMNS = ("provider", "source", "source_key", "resource_id", "tenant", "system", "meter",
                "q", "s", "e")  # fmt: skip
_EPOCH_OR_BASE = frozenset({"q", "s", "e"})  # the integer columns of ``raw``


class RawMonth(NamedTuple):
    """The rows both references read: raw records (quantity in base units, epoch
    seconds), provider tiers and prices as integer ratios with the meter's scale."""

    rows: list[tuple[Any, ...]]
    tiers: list[tuple[Any, ...]]
    prices: list[tuple[str, str, int, int, int, str]]


def read_raw(app: App) -> RawMonth:
    """Every stored record, tier and price, as the references take them."""
    with app.engine.connect() as conn:
        rows = []
        for row in conn.execute(text(
            'SELECT provider, source, source_key, resource_id, tenant, system, meter, quantity, '
            '"start", "end" FROM usage_observation'
        )):  # fmt: skip
            q = meter(row.meter).to_base(Decimal(row.quantity))
            start, end = (row.start if isinstance(row.start, str) else row.start.isoformat(),
                          row.end if isinstance(row.end, str) else row.end.isoformat())  # fmt: skip
            rows.append((*row[:7], q, _epoch(start), _epoch(end)))
        tiers = [tuple(r) for r in conn.execute(text("SELECT name, tier FROM provider"))]
        prices = []
        for meter_name, tier, price, proration in conn.execute(
            text("SELECT meter, tier, price, proration FROM rate")
        ):
            num, den = Decimal(price).as_integer_ratio()
            prices.append((meter_name, tier, num, den, meter(meter_name).scale, proration))
    return RawMonth(rows, tiers, prices)


def _fen(result: Iterable[Sequence[Any]]) -> dict[str, Decimal]:
    return {t: Decimal(int(fen)) / 100 for t, fen in result}


def duckdb_totals(
    raw: RawMonth, month: Month, workdir: Path
) -> tuple[dict[str, Decimal], float, float]:
    """Every department's total by one DuckDB query over the raw rows (through a CSV)."""
    path = workdir / "raw.csv"
    started = time.perf_counter()
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(_RAW_COLUMNS)
        writer.writerows(raw.rows)
    con = duckdb.connect()
    con.execute(f"CREATE TABLE raw AS SELECT * FROM read_csv('{path}', header=true, "
                "columns={'provider':'VARCHAR','source':'VARCHAR','source_key':'VARCHAR',"
                "'resource_id':'VARCHAR','tenant':'VARCHAR','system':'VARCHAR','meter':'VARCHAR',"
                "'q':'BIGINT','s':'BIGINT','e':'BIGINT'})")  # fmt: skip
    con.execute("CREATE TABLE tiers (provider VARCHAR, tier VARCHAR)")
    con.executemany("INSERT INTO tiers VALUES (?, ?)", raw.tiers)
    con.execute("CREATE TABLE prices (meter VARCHAR, tier VARCHAR, price_num BIGINT, "
                "price_den BIGINT, scale BIGINT, proration VARCHAR)")  # fmt: skip
    con.executemany("INSERT INTO prices VALUES (?, ?, ?, ?, ?, ?)", raw.prices)
    loaded = time.perf_counter()
    result = con.execute(month_totals_sql(_DUCKDB_WORDS, month)).fetchall()
    finished = time.perf_counter()
    con.close()
    return _fen(result), loaded - started, finished - loaded


def row_store_totals(app: App, raw: RawMonth, month: Month) -> tuple[dict[str, Decimal], float]:
    """Every department's total by ``MONTH_TOTALS_SQL`` in govcloud's own database, over the
    same rows loaded into temporary tables (the load is not timed, as DuckDB's is not)."""
    postgresql = app.engine.dialect.name == "postgresql"
    mark = "%s" if postgresql else "?"
    text_type, int_type = ("text", "bigint") if postgresql else ("TEXT", "INTEGER")
    sql = month_totals_sql(_POSTGRESQL_WORDS if postgresql else _SQLITE_WORDS, month)
    connection = app.engine.raw_connection()
    try:
        cursor = connection.cursor()
        columns = ", ".join(f"{name} {int_type if name in _EPOCH_OR_BASE else text_type}"
                            for name in _RAW_COLUMNS)  # fmt: skip
        cursor.execute(f"CREATE TEMPORARY TABLE raw ({columns})")
        cursor.executemany(f"INSERT INTO raw VALUES ({', '.join([mark] * 10)})", raw.rows)
        cursor.execute(f"CREATE TEMPORARY TABLE tiers (provider {text_type}, tier {text_type})")
        cursor.executemany(f"INSERT INTO tiers VALUES ({mark}, {mark})", raw.tiers)
        cursor.execute(f"CREATE TEMPORARY TABLE prices (meter {text_type}, tier {text_type}, "
                       f"price_num {int_type}, price_den {int_type}, scale {int_type}, "
                       f"proration {text_type})")  # fmt: skip
        cursor.executemany(f"INSERT INTO prices VALUES ({', '.join([mark] * 6)})", raw.prices)
        if postgresql:
            cursor.execute("ANALYZE raw")
        connection.commit()
        started = time.perf_counter()
        cursor.execute(sql)
        result = cursor.fetchall()
        elapsed = time.perf_counter() - started
        for table in ("raw", "tiers", "prices"):
            cursor.execute(f"DROP TABLE {table}")
        connection.commit()
    finally:
        connection.close()
    return _fen(result), elapsed


def _epoch(text_value: str) -> int:
    value = datetime.fromisoformat(text_value)
    return epoch_seconds(value if value.tzinfo else value.replace(tzinfo=UTC))


def _pg_database() -> tuple[str, str]:
    name = f"govcloud_bench_{uuid.uuid4().hex[:10]}"
    admin = PG_SERVER.replace("postgresql+psycopg://", "postgresql://") + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{PG_SERVER}/{name}", name


def _drop_pg(name: str) -> None:
    admin = PG_SERVER.replace("postgresql+psycopg://", "postgresql://") + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _clear_bills(app: App) -> None:
    """Forget every statement, line, run and stored interval, so the next run is a first one."""
    with app.engine.begin() as conn:
        for table in ("bill_line", "bill_adjustment", "bill_statement", "rating_run",
                      "usage_interval"):  # fmt: skip
            conn.execute(text(f"DELETE FROM {table}"))


def bench_one(
    url: str, home: Path, estate_file: Path, usage: list[RawUsage], month: Month, runs: int = 1
) -> dict[str, Any]:
    app = App(Settings(home=home, database_url=url))
    try:
        app.init()
        t0 = time.perf_counter()
        app.estate.apply(
            parse_estate(load_yaml_file(str(estate_file)), str(estate_file)), actor="bench"
        )
        t1 = time.perf_counter()
        outcome = metering_service(app).ingest_records(
            usage, kind="import", origin="bench", actor="bench"
        )
        t2 = time.perf_counter()
        bills = bills_service(app)
        c2 = time.process_time()
        run = bills.run(month, actor="bench")
        t3, c3 = time.perf_counter(), time.process_time()
        rerun = bills.run(month, actor="bench")
        t4 = time.perf_counter()
        statements = {s.tenant: s.total for s in bills.statements(month)}
        t5 = time.perf_counter()
        run_times, run_cpu = [t3 - t2], [c3 - c2]
        for _ in range(runs - 1):
            _clear_bills(app)
            started, cpu = time.perf_counter(), time.process_time()
            bills.run(month, actor="bench")
            run_times.append(time.perf_counter() - started)
            run_cpu.append(time.process_time() - cpu)
        query_times, query_cpu, row_store_times = [], [], []
        for _ in range(runs):
            with tempfile.TemporaryDirectory() as tmp:
                cpu = time.process_time()
                raw = read_raw(app)
                totals, load_s, query_s = duckdb_totals(raw, month, Path(tmp))
            query_times.append(query_s)
            query_cpu.append(time.process_time() - cpu)
            row_totals, row_s = row_store_totals(app, raw, month)
            row_store_times.append(row_s)
            del raw
        row_store = statistics.median(row_store_times)
        figure, reference = statistics.median(run_times), statistics.median(query_times)
        mismatches = {t: (str(v), str(totals.get(t, Decimal(0)))) for t, v in statements.items()
                      if v != totals.get(t, Decimal(0))}  # fmt: skip
        db_path = (t2 - t1) + (t3 - t2)
        return {
            "database": url.split(":")[0],
            "figure": {
                "what": "bill run (month close), seconds, median",
                "runs": [round(x, 3) for x in run_times],
                "median": round(figure, 3),
            },
            "reference": {
                "what": "DuckDB query over the raw rows, seconds, median",
                "runs": [round(x, 3) for x in query_times],
                "median": round(reference, 3),
            },
            "ratio": round(figure / reference, 1),
            "row_store_query": {
                "what": "the reference query run by this database itself over the same rows "
                "(totals only, nothing stored), seconds, median",
                "runs": [round(x, 3) for x in row_store_times],
                "median": round(row_store, 3),
                "ratio_to_duckdb": round(row_store / reference, 1),
                "departments_agreeing_with_duckdb": sum(
                    row_totals.get(t, Decimal(0)) == totals.get(t, Decimal(0)) for t in statements
                ),
            },
            "process_cpu_seconds": {
                "bill_run": [round(x, 3) for x in run_cpu],
                "duckdb_read_back_load_and_query": [round(x, 3) for x in query_cpu],
            },
            "target_ratio": 5,
            "records": len(usage),
            "new_records": outcome.new_records,
            "intervals": run.intervals,
            "lines": run.lines,
            "unrated": run.unrated,
            "statements": run.statements,
            "rerun_changed": len(rerun.changed),
            "seconds": {
                "estate_apply": round(t1 - t0, 3),
                "ingest": round(t2 - t1, 3),
                "bill_run": round(t3 - t2, 3),
                "bill_rerun": round(t4 - t3, 3),
                "read_statements": round(t5 - t4, 3),
                "db_path_ingest_plus_run": round(db_path, 3),
                "duckdb_read_back_and_load": round(load_s, 3),
                "duckdb_query": round(query_s, 3),
            },
            "ratio_db_path_to_duckdb_query": round(db_path / query_s, 1),
            "ratio_bill_run_to_duckdb_query": round((t3 - t2) / query_s, 1),
            "grand_total": str(sum(statements.values(), Decimal(0))),
            "departments": len(statements),
            "departments_agreeing_to_the_fen": len(statements) - len(mismatches),
            "mismatches": dict(list(mismatches.items())[:10]),
            "peak_rss_mib": peak_rss_mib(),
        }
    finally:
        app.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--scale", choices=sorted(PRESETS), default="province")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--month", default="2026-03")
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--runs", type=int, default=1, help="bill runs (from empty) and queries")
    args = parser.parse_args(argv)
    month = Month.parse(args.month)
    t0 = time.perf_counter()
    province = generate(PRESETS[args.scale], args.seed)
    usage, metered = synthesise(province, month, args.seed)
    figures: dict[str, Any] = {
        "scale": args.scale,
        "month": str(month),
        "resources_generated": province.resource_counts().total(),
        "metered_resources": metered,
        "usage_records": len(usage),
        "generate_seconds": round(time.perf_counter() - t0, 3),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "runs": [],
    }
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        estate_file = Path(tmp) / "estate.yaml"
        yaml = YAML(typ="safe", pure=True)
        with estate_file.open("w", encoding="utf-8") as fh:
            yaml.dump(province.estate, fh)
        targets = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
        for target in targets:
            home = Path(tmp) / target
            if target == "sqlite":
                result = bench_one(
                    f"sqlite:///{home / 'govcloud.db'}", home, estate_file, usage, month, args.runs
                )
            else:
                url, name = _pg_database()
                try:
                    result = bench_one(url, home, estate_file, usage, month, args.runs)
                finally:
                    _drop_pg(name)
            row_store = result["row_store_query"]
            ok = ok and not result["mismatches"]
            ok = ok and row_store["departments_agreeing_with_duckdb"] == result["departments"]
            figures["runs"].append(result)
    figures["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    json.dump(figures, sys.stdout, ensure_ascii=False, indent=2)
    print()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
