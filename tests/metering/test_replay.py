"""Replaying collection and imports never changes a statement (both databases).

Cases: three collection runs (to different instants) and three overlapping import files,
each performed 1–5 times in a seeded random order, give March statements whose content
hashes equal those the pure core computes from the union of the records, and replaying
everything again in another order changes no statement (``bill run`` reports nothing
changed); on PostgreSQL, two processes importing the same files concurrently (in
opposite orders, three times each) and running ``bill run`` leave one copy of every
record and the same statements.
"""

from __future__ import annotations

import random
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from controlplane.app import App
from controlplane.billing import (
    Observation,
    build_intervals,
    build_statements,
    ownership_from_observations,
    rate_month,
)
from controlplane.bills import BillsService, load_inputs
from controlplane.config import Settings
from controlplane.db.tables_billing import IngestBatch, UsageObservationRow
from controlplane.metering import MeteringService, RawUsage, parse_import
from controlplane.metering.collect import COLLECT_SOURCE

from .conftest import MARCH, apply_estate, hashes, sim_driver, start_server, usage_csv, water_row

T0 = datetime(2026, 2, 25, tzinfo=UTC)
UNTILS = (datetime(2026, 3, 9, 5, 17, tzinfo=UTC), datetime(2026, 3, 20, tzinfo=UTC),
          datetime(2026, 4, 2, tzinfo=UTC))  # fmt: skip
ROWS = [
    water_row("ns-1", "compute.vcpu", "2", "2026-03-01T00:00:00+08:00", "2026-03-11T00:00:00+08:00"),
    water_row("ns-1", "compute.memory", "4", "2026-03-01T00:00:00+08:00", "2026-03-11T00:00:00+08:00"),
    water_row("ns-1", "compute.vcpu", "4", "2026-03-11T00:00:00+08:00", "2026-03-20T07:30:00+08:00"),
    water_row("pv-1", "storage.ssd", "100", "2026-03-05T12:30:00+08:00", "2026-04-01T00:00:00+08:00"),
    water_row("ip-1", "network.public_ip", "1", "2026-02-27T00:00:00+08:00", "2026-03-02T00:00:00+08:00"),
]  # fmt: skip


def files(tmp_path: Path) -> list[Path]:
    return [
        usage_csv(tmp_path / "a.csv", ROWS[:3]),
        usage_csv(tmp_path / "b.csv", ROWS[2:]),
        usage_csv(tmp_path / "c.csv", [ROWS[4], ROWS[0]]),
    ]


def core_hashes(app: App, paths: list[Path], usage: list[RawUsage]) -> dict[str, str]:
    """The statements the pure core gives for the union of the records (the reference)."""
    with app.sessions() as session:
        inputs = load_inputs(session)
    records = [r for p in paths for r in parse_import(p, inputs.tiers, inputs.tenant_names).records]
    observations = [o for o in (r.observation() for r in [*records, *usage]) if o is not None]
    assert all(isinstance(o, Observation) for o in observations)
    rating = rate_month(MARCH, build_intervals(observations),
                        ownership_from_observations(observations), inputs.card, inputs.tiers)  # fmt: skip
    statements = build_statements(MARCH, rating.lines, [], inputs.tenant_names, inputs.card)
    return {s.tenant: s.content_hash for s in statements}


def simulator_usage(app: App) -> list[RawUsage]:
    return [
        RawUsage(o.provider, COLLECT_SOURCE, o.source_key, o.resource_id, o.tenant, o.system,
                 o.meter, o.quantity, o.start, o.end)
        for o in sim_driver(app).observe_usage(T0 - timedelta(days=10), UNTILS[-1])
    ]  # fmt: skip


def replay(metering: MeteringService, paths: list[Path], rnd: random.Random) -> None:
    ops = [("collect", until) for until in UNTILS] + [("import", path) for path in paths]
    plan = [op for op in ops for _ in range(rnd.randint(1, 5))]
    rnd.shuffle(plan)
    for kind, arg in plan:
        if kind == "collect":
            assert isinstance(arg, datetime)
            metering.collect(actor="ops", until=arg, providers=["sim-prov"])
        else:
            metering.import_file(arg, actor="ops")


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_any_order_any_repetition_gives_the_same_statements(
    billing_app: App, metering: MeteringService, bills: BillsService, tmp_path: Path, seed: int
) -> None:
    billing_app.clock.now = T0  # type: ignore[attr-defined]
    start_server(billing_app)
    billing_app.clock.now = datetime(2026, 3, 14, tzinfo=UTC)  # type: ignore[attr-defined]
    start_server(billing_app, vcpu=8)  # a resize mid-month
    billing_app.clock.now = UNTILS[-1] + timedelta(hours=1)  # type: ignore[attr-defined]
    paths = files(tmp_path)
    rnd = random.Random(seed)
    replay(metering, paths, rnd)
    result = bills.run(MARCH, actor="finance")
    assert result.unattributed == 0 and result.unrated == 0
    expected = core_hashes(billing_app, paths, simulator_usage(billing_app))
    assert hashes(bills, MARCH) == expected
    replay(metering, paths, rnd)
    assert bills.run(MARCH, actor="finance").changed == ()
    assert hashes(bills, MARCH) == expected


WORKER = """
import sys
from pathlib import Path
from controlplane.app import App
from controlplane.billing import Month
from controlplane.bills import bills_service
from controlplane.config import Settings
from controlplane.metering import metering_service

app = App(Settings(home=Path(sys.argv[1]), database_url=sys.argv[2]))
metering, bills = metering_service(app), bills_service(app)
for _ in range(3):
    for path in sys.argv[3:]:
        metering.import_file(path, actor="worker")
    bills.run(Month(2026, 3), actor="worker")
app.close()
"""


@pytest.mark.postgres
def test_two_processes_replaying_on_postgresql(pg_database: str, tmp_path: Path) -> None:
    app = App(Settings(home=tmp_path / "home", database_url=pg_database))
    app.init()
    try:
        apply_estate(app)
        paths = files(tmp_path)
        names = [str(p) for p in paths]
        workers = [
            subprocess.Popen(
                [sys.executable, "-c", WORKER, str(tmp_path / "home"), pg_database, *order],
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            )
            for order in (names, names[::-1])
        ]  # fmt: skip
        for worker in workers:
            _, err = worker.communicate(timeout=300)
            assert worker.returncode == 0, err
        with app.sessions() as session:
            stored = session.execute(select(func.count()).select_from(UsageObservationRow))
            batches = session.execute(select(func.count()).select_from(IngestBatch))
            assert (stored.scalar_one(), batches.scalar_one()) == (len(ROWS), len(paths))
        bills = BillsService(app.sessions, app.clock)
        assert bills.run(MARCH, actor="finance").changed == ()
        assert hashes(bills, MARCH) == core_hashes(app, paths, [])
        assert set(hashes(bills, MARCH)) == {"hrss", "water-dept"}
    finally:
        app.close()
