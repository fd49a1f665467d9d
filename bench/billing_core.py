"""Billing-core benchmark: one synthetic month, 100,000 resources × 4 meters, JSON figures.

Generates a deterministic (seeded) month of raw usage observations — resources created
and deleted at arbitrary minutes, resizes (some to the same size, so intervals must
merge), 5 % of records replayed — with a rate-card version change on the 16th and a
10 % discount for some departments from the 10th. Then it rates the month with the pure
core (``build_intervals`` → ``ownership_from_observations`` → ``rate_month`` →
``build_statements``) and, independently, computes every department's total with one
DuckDB SQL query over the same raw rows (DISTINCT for replays, gaps-and-islands for
merging, integer half-up rounding per line). It prints per-stage seconds, peak RSS, the
ratio of the core's time to DuckDB's, and whether every department total agrees to the
fen (exit status 1 if not). Overlapping observations are not generated here: the
max-not-sum rule is checked against an oracle in ``tests/billing``.

Usage: ``python -m bench.billing_core [--resources N] [--seed S] [--month YYYY-MM]``.
Imports ``controlplane.billing`` and ``duckdb`` only.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import json
import random
import resource
import sys
import tempfile
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

from bench.billing import INTERVALS_SQL
from controlplane.billing import (
    Discount,
    Month,
    Observation,
    Rate,
    RateCard,
    RateCardVersion,
    Tier,
    build_intervals,
    build_statements,
    ownership_from_observations,
    rate_month,
)
from controlplane.billing.meters import meter
from controlplane.billing.period import epoch_seconds, from_epoch

METERS = ("compute.vcpu", "compute.memory", "storage.ssd", "network.public_ip")
PRICES = {  # yuan per unit per month: (v1 provincial, municipal, sector), v2 = v1 − 10 %
    "compute.vcpu": ("45.00", "40.00", "42.00"),
    "compute.memory": ("20.00", "18.00", "19.00"),
    "storage.ssd": ("0.80", "0.70", "0.75"),
    "network.public_ip": ("30.00", "30.00", "30.00"),
}
SIZES = {"compute.vcpu": (1, 2, 4, 8, 16), "compute.memory": (2, 4, 8, 32, 64),
         "storage.ssd": (40, 100, 500, 2000), "network.public_ip": (1,)}  # fmt: skip


def peak_rss_mib() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def rate_card(month: Month, discounted: list[str]) -> RateCard:
    def version(label: str, start: date, factor: Decimal) -> RateCardVersion:
        rates = tuple(
            Rate(m, meter(m).unit, {t: (Decimal(p) * factor).quantize(Decimal("0.01"))
                                    for t, p in zip(Tier, PRICES[m], strict=True)})
            for m in METERS
        )  # fmt: skip
        return RateCardVersion(label, start, rates, f"省数管〔2026〕{label}号", "bench")

    first = month.first_day
    return RateCard.of(
        [version("v1", first.replace(day=1) - timedelta(days=40), Decimal(1)),
         version("v2", first.replace(day=16), Decimal("0.9"))],
        [Discount(t, Decimal(10), first.replace(day=10), reference=f"{t}-disc") for t in discounted],
    )  # fmt: skip


def generate(
    resources: int, month: Month, rnd: random.Random
) -> tuple[list[Observation], dict[str, Tier], dict[str, str]]:
    providers = {
        f"p{i:02d}": (Tier.PROVINCIAL, Tier.MUNICIPAL, Tier.SECTOR)[min(i, 2) if i < 3 else i % 3]
        for i in range(12)
    }
    tenants = {f"d{i:03d}": f"部门{i:03d}" for i in range(300)}
    codes, names = sorted(tenants), sorted(providers)
    lo = epoch_seconds(month.start)
    out: list[Observation] = []
    for r in range(resources):
        provider, tenant = rnd.choice(names), rnd.choice(codes)
        system = f"sys{rnd.randrange(4)}"
        start = lo + rnd.randrange(-5 * 86400, 20 * 86400, 60)
        end = start + rnd.randrange(3600, 40 * 86400, 60)
        for m in METERS:
            cut = rnd.randrange(start + 60, end, 60) if rnd.random() < 0.3 else None
            spans = [(start, end)] if cut is None else [(start, cut), (cut, end)]
            for n, (a, b) in enumerate(spans):
                qty = Decimal(rnd.choice(SIZES[m]))
                out.append(Observation(provider, "poll", f"r{r}|{m}|{n}", f"r{r}", tenant, system,
                                       m, qty, from_epoch(a), from_epoch(b)))  # fmt: skip
    out.extend(rnd.sample(out, len(out) // 20))  # replayed records
    rnd.shuffle(out)
    return out, dict(providers.items()), tenants


SQL = (
    INTERVALS_SQL.format(greatest="greatest", least="least", ms="$ms", me="$me")
    + """
pieces AS (
  SELECT iv.*, v.version, d.pct,
         greatest(iv.s, v.vs, d.ds) AS ps, least(iv.e, v.ve, d.de) AS pe
  FROM iv JOIN versions v ON v.vs < iv.e AND iv.s < v.ve
          JOIN dperiods d ON d.tenant = iv.tenant AND d.ds < iv.e AND iv.s < d.de
  WHERE iv.s < iv.e),
lines AS (
  SELECT p.tenant, p.system, p.provider, p.meter, p.version, p.pct, pr.price_fen, pr.scale,
         SUM(p.q::HUGEINT * CAST(ceil((p.pe - p.ps) / 3600.0) AS HUGEINT)) AS qh
  FROM pieces p JOIN tiers t ON t.provider = p.provider
                JOIN prices pr ON pr.version = p.version AND pr.meter = p.meter AND pr.tier = t.tier
  WHERE p.ps < p.pe
  GROUP BY ALL),
amounts AS (
  SELECT tenant, price_fen::HUGEINT * qh * (100 - pct) AS num,
         scale::HUGEINT * $hours * 100 AS den FROM lines)
SELECT tenant, SUM((2 * num + den) // (2 * den)) AS fen FROM amounts GROUP BY tenant
"""
)


def duckdb_totals(
    observations: list[Observation], month: Month, card: RateCard, tiers: dict[str, Tier],
    tenants: dict[str, str], workdir: Path,
) -> tuple[dict[str, Decimal], float, float]:  # fmt: skip
    path = workdir / "raw.csv"
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(
            [
                "provider",
                "source",
                "source_key",
                "resource_id",
                "tenant",
                "system",
                "meter",
                "q",
                "s",
                "e",
            ]
        )
        for o in observations:
            writer.writerow([o.provider, o.source, o.source_key, o.resource_id, o.tenant, o.system,
                             o.meter, o.base_quantity, epoch_seconds(o.start), epoch_seconds(o.end)])  # fmt: skip
    ms, me = epoch_seconds(month.start), epoch_seconds(month.end)
    con = duckdb.connect()
    started = time.perf_counter()
    con.execute(f"CREATE TABLE raw AS SELECT * FROM read_csv('{path}', header=true, "
                "columns={'provider':'VARCHAR','source':'VARCHAR','source_key':'VARCHAR',"
                "'resource_id':'VARCHAR','tenant':'VARCHAR','system':'VARCHAR','meter':'VARCHAR',"
                "'q':'BIGINT','s':'BIGINT','e':'BIGINT'})")  # fmt: skip
    loaded = time.perf_counter()
    con.execute("CREATE TABLE versions (version VARCHAR, vs BIGINT, ve BIGINT)")
    con.execute(
        "CREATE TABLE prices (version VARCHAR, meter VARCHAR, tier VARCHAR, price_fen BIGINT, scale BIGINT)"
    )
    con.execute("CREATE TABLE dperiods (tenant VARCHAR, ds BIGINT, de BIGINT, pct BIGINT)")
    con.execute("CREATE TABLE tiers (provider VARCHAR, tier VARCHAR)")
    bounds = sorted({ms, me, *(b for b in card.version_boundaries() if ms < b < me)})
    for a, b in itertools.pairwise(bounds):
        v = card.version_at(a)
        assert v is not None
        con.execute("INSERT INTO versions VALUES (?, ?, ?)", [v.version, a, b])
        for rate in v.rates:
            for tier, price in rate.prices.items():
                con.execute("INSERT INTO prices VALUES (?, ?, ?, ?, ?)",
                            [v.version, rate.meter, tier.value, int(price * 100), meter(rate.meter).scale])  # fmt: skip
    for tenant in tenants:
        cuts = sorted({ms, me, *(b for b in card.discount_boundaries(tenant) if ms < b < me)})
        for a, b in itertools.pairwise(cuts):
            d = card.discount_at(tenant, a)
            con.execute(
                "INSERT INTO dperiods VALUES (?, ?, ?, ?)",
                [tenant, a, b, int(d.percent) if d else 0],
            )
    con.executemany("INSERT INTO tiers VALUES (?, ?)", [[p, t.value] for p, t in tiers.items()])
    query_started = time.perf_counter()
    rows = con.execute(SQL, {"ms": ms, "me": me, "hours": month.hours}).fetchall()
    finished = time.perf_counter()
    con.close()
    totals = {tenant: Decimal(int(fen)) / 100 for tenant, fen in rows}
    return totals, loaded - started, finished - query_started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--resources", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--month", default="2026-03")
    args = parser.parse_args(argv)
    month = Month.parse(args.month)
    rnd = random.Random(args.seed)
    figures: dict[str, Any] = {
        "resources": args.resources,
        "meters": len(METERS),
        "month": str(month),
    }
    t0 = time.perf_counter()
    observations, tiers, tenants = generate(args.resources, month, rnd)
    card = rate_card(month, sorted(tenants)[::7])
    t1 = time.perf_counter()
    intervals = build_intervals(observations)
    t2 = time.perf_counter()
    owners = ownership_from_observations(observations)
    t3 = time.perf_counter()
    rating = rate_month(month, intervals, owners, card, tiers)
    t4 = time.perf_counter()
    statements = build_statements(month, rating.lines, [], tenants, card)
    hashes = [s.content_hash for s in statements]
    t5 = time.perf_counter()
    core_seconds = t5 - t1
    figures |= {
        "observations": len(observations),
        "intervals": len(intervals),
        "lines": len(rating.lines),
        "unrated": len(rating.unrated),
        "statements": len(hashes),
        "seconds": {
            "generate": round(t1 - t0, 3),
            "intervals": round(t2 - t1, 3),
            "ownership": round(t3 - t2, 3),
            "rating": round(t4 - t3, 3),
            "statements_and_hashes": round(t5 - t4, 3),
            "core_total": round(core_seconds, 3),
        },
        "peak_rss_mib_core": peak_rss_mib(),
    }
    with tempfile.TemporaryDirectory() as tmp:
        totals, load_seconds, query_seconds = duckdb_totals(
            observations, month, card, tiers, tenants, Path(tmp)
        )
    core_totals = {s.tenant: s.total for s in statements}
    mismatches = {t: (str(core_totals[t]), str(totals.get(t, Decimal(0))))
                  for t in core_totals if core_totals[t] != totals.get(t, Decimal(0))}  # fmt: skip
    figures |= {
        "duckdb_seconds": {"load": round(load_seconds, 3), "query": round(query_seconds, 3)},
        "ratio_core_to_duckdb_query": round(core_seconds / query_seconds, 2),
        "ratio_core_to_duckdb_load_and_query": round(
            core_seconds / (load_seconds + query_seconds), 2
        ),
        "departments": len(core_totals),
        "departments_agreeing_to_the_fen": len(core_totals) - len(mismatches),
        "grand_total": str(sum(core_totals.values(), Decimal(0))),
        "mismatches": dict(list(mismatches.items())[:10]),
        "peak_rss_mib": peak_rss_mib(),
    }
    json.dump(figures, sys.stdout, ensure_ascii=False, indent=2)
    print()
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
