"""Budget alerts raised by the ``budget-alerts`` job, on SQLite and PostgreSQL.

Cases, with a controllable clock and the job driven by two replicas: hrss (budget
1,200,000.00 a year) holds two systems at 41,000.00 a month (984,000.00 = 82 %): the
firing raises one 80 % alert; re-firings (by either replica) raise none; a third
system (123 %, held while finance decides) raises the 100 % alert and nothing more; a
new budget year alerts afresh. Operators, finance and hrss itself see hrss's alerts,
city-a-edu's department sees none of them — through the facade, `govcloud budget
alerts -o json` and the HTTP API; thresholds come from the jobs config; four
concurrent projections (threads, as replicas would) raise the alert once.
"""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlmodel import col, select
from typer.testing import CliRunner

from controlplane.app import App
from controlplane.cli.main import app as cli_app
from controlplane.db.tables_budget_alerts import BudgetAlert
from controlplane.db.tables_scheduler import JobRun
from controlplane.facade import Govcloud
from controlplane.remote import RemoteGovcloud
from controlplane.requests import request_service
from controlplane.scheduler.catalog import JobConfigError, catalog, load_config
from controlplane.scheduler.daemon import Replica, ReplicaOptions
from tests.api.conftest import run_server
from tests.conftest import FakeClock
from tests.governance.support import CataloguePlanner, apply_estate, manifest

MONTHLY = Decimal("41000.00")


def _alerts(app: App) -> list[tuple[str, int, int]]:
    with app.sessions() as session:
        rows = session.exec(select(BudgetAlert).order_by(col(BudgetAlert.id))).all()
        return [(r.tenant, r.year, r.threshold) for r in rows]


def test_crossing_thresholds_raises_each_alert_once(
    app: App, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock.now = datetime(2026, 6, 1, 2, 0, tzinfo=UTC)
    apply_estate(app)
    service = request_service(app, CataloguePlanner(app, monthly_price=MONTHLY))
    specs = [s for s in catalog([], {"budget-alerts": {"every": 60}}) if s.name == "budget-alerts"]
    a = Replica(app, ReplicaOptions(name="replica-a"), specs=lambda: specs)
    b = Replica(app, ReplicaOptions(name="replica-b"), specs=lambda: specs)
    try:

        def fire() -> None:
            assert a.lead_once() and not b.lead_once()
            taken = [r.run_job_once() for r in (b, a)]
            assert taken.count("budget-alerts") == 1
            clock.advance(seconds=60)

        service.apply(manifest("portal", count=1), actor="hrss-wang")
        fire()  # 41 %: nothing
        assert _alerts(app) == []
        service.apply(manifest("archive", count=1), actor="hrss-wang")
        fire()  # 82 %
        assert _alerts(app) == [("hrss", 2026, 80)]
        for _ in range(3):
            fire()
        assert _alerts(app) == [("hrss", 2026, 80)]
        third = service.apply(manifest("ledger", count=1), actor="hrss-wang")
        assert third.request is not None and third.request.state == "PendingApproval"
        fire()  # 123 %: the reservation of a request waiting for finance counts
        fire()
        assert _alerts(app) == [("hrss", 2026, 80), ("hrss", 2026, 100)]
        with app.sessions() as session:
            runs = session.exec(select(JobRun).where(JobRun.job == "budget-alerts")).all()
        assert all(r.state == "ok" for r in runs) and len(runs) == 7
        raised = [r.detail["raised"] for r in sorted(runs, key=lambda r: r.due_at)]
        assert [len(x) for x in raised] == [0, 1, 0, 0, 0, 1, 0]
        assert raised[5][0] == {"tenant": "hrss", "year": 2026, "threshold": 100,
                                "projected": "1476000.00"}  # fmt: skip

        # a new budget year (Asia/Shanghai) alerts afresh
        clock.now = datetime(2026, 12, 31, 16, 5, tzinfo=UTC)
        fire()
        assert _alerts(app)[2:] == [("hrss", 2027, 80), ("hrss", 2027, 100)]
    finally:
        a.election.release()
        b.election.release()

    # who sees them
    def seen(principal: str, tenant: str | None = None) -> list[tuple[str, int]]:
        found = Govcloud.acting_as(app, principal).budget_alerts(tenant=tenant)
        return [(x.tenant, x.threshold) for x in found]

    for reader in ("ops-li", "fin-chen", "audit-zhou", "hrss-wang"):
        assert sorted(seen(reader)) == [("hrss", 80), ("hrss", 80), ("hrss", 100), ("hrss", 100)]
    assert seen("edu-liu") == []
    assert seen("ops-li", tenant="city-a-edu") == []
    assert [a.year for a in Govcloud.acting_as(app, "fin-chen").budget_alerts(year=2027)] == [
        2027,
        2027,
    ]

    # the command, -o json: hrss's own; city-a-edu's department gets an empty list
    monkeypatch.setenv("GOVCLOUD_DATABASE_URL", app.settings.database_url)
    home = ["--home", str(app.settings.home)]
    runner = CliRunner()
    own = runner.invoke(
        cli_app, [*home, "--as", "hrss-wang", "budget", "alerts", "--year", "2026", "-o", "json"]
    )
    assert own.exit_code == 0, own.output
    assert [(r["tenant"], r["threshold"], r["projected"]) for r in json.loads(own.output)] == [
        ("hrss", 100, "1476000.00"),
        ("hrss", 80, "984000.00"),
    ]
    other = runner.invoke(cli_app, [*home, "--as", "edu-liu", "budget", "alerts", "-o", "json"])
    assert other.exit_code == 0 and json.loads(other.output) == []
    table = runner.invoke(cli_app, [*home, "--lang", "en", "--as", "fin-chen", "budget", "alerts"])
    assert table.exit_code == 0 and "1,476,000.00" in table.output, table.output

    # over the HTTP API: the same records, the same scope; a projection now raises nothing
    for server in run_server(app):
        doors = {
            p: RemoteGovcloud(server.url, server.token(p))
            for p in ("hrss-wang", "edu-liu", "ops-li")
        }
        try:
            own_remote = doors["hrss-wang"].budget_alerts()
            assert own_remote == Govcloud.acting_as(app, "hrss-wang").budget_alerts()
            assert len(own_remote) == 4
            assert doors["edu-liu"].budget_alerts() == []
            assert doors["ops-li"].project_budgets() == []
        finally:
            for door in doors.values():
                door.close()


def test_thresholds_come_from_the_jobs_config(app: App, clock: FakeClock, tmp_path: Path) -> None:
    clock.now = datetime(2026, 6, 1, 2, 0, tzinfo=UTC)
    apply_estate(app)
    service = request_service(app, CataloguePlanner(app, monthly_price=MONTHLY))
    service.apply(manifest("portal", count=1), actor="hrss-wang")  # 41 %
    path = tmp_path / "jobs.yaml"
    path.write_text("jobs:\n  budget-alerts: {every: 60, thresholds: [25, 40, 50]}\n")
    specs = [s for s in catalog([], load_config(path)) if s.name == "budget-alerts"]
    assert specs[0].options == {"thresholds": [25, 40, 50]}
    replica = Replica(app, ReplicaOptions(name="replica-a"), specs=lambda: specs)
    try:
        replica.lead_once()
        assert replica.run_job_once() == "budget-alerts"
    finally:
        replica.election.release()
    assert _alerts(app) == [("hrss", 2026, 25), ("hrss", 2026, 40)]
    path.write_text("jobs:\n  budget-alerts: {thresholds: [0]}\n")
    with pytest.raises(JobConfigError, match="thresholds"):
        load_config(path)
    path.write_text("jobs:\n  month-close: {thresholds: [80]}\n")
    with pytest.raises(JobConfigError, match="unknown key"):
        load_config(path)


def test_concurrent_projections_raise_each_alert_once(app: App, clock: FakeClock) -> None:
    """Four replicas' projections at once (threads, own sessions): one 80 % alert."""
    clock.now = datetime(2026, 6, 1, 2, 0, tzinfo=UTC)
    apply_estate(app)
    service = request_service(app, CataloguePlanner(app, monthly_price=MONTHLY))
    for name in ("portal", "archive"):
        service.apply(manifest(name, count=1), actor="hrss-wang")
    start = threading.Barrier(4)

    def project(_: int) -> int:
        start.wait()
        return len(Govcloud.system(app).project_budgets())

    with ThreadPoolExecutor(max_workers=4) as pool:
        raised = list(pool.map(project, range(4)))
    assert sorted(raised) == [0, 0, 0, 1]
    assert _alerts(app) == [("hrss", 2026, 80)]
