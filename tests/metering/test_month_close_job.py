"""Month close and meter collect as ``govcloud serve`` jobs, with a controllable clock.

Cases: with a server running on the simulator since February, the hourly meter-collect
job collects usage, and the month-close job fires at 00:30 on the 1st (Asia/Shanghai),
not before, and leaves the previous month's statements as drafts, naming the coverage
gaps still open (the sector cloud's usage was never imported).
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import select

from controlplane.app import App
from controlplane.bills import BillsService
from controlplane.db.tables_scheduler import JobRun
from controlplane.scheduler.catalog import catalog
from controlplane.scheduler.daemon import Replica, ReplicaOptions
from tests.conftest import FakeClock

from .conftest import MARCH, start_server


def test_month_close_drafts_the_previous_month_on_the_first(
    billing_app: App, bills: BillsService, clock: FakeClock
) -> None:
    clock.now = datetime(2026, 2, 25, tzinfo=UTC)
    start_server(billing_app)
    names = ("meter-collect", "month-close")
    specs = [s for s in catalog(["sim-prov"], {}) if s.name in names]
    replica = Replica(billing_app, ReplicaOptions(name="replica-a"), specs=lambda: specs)
    try:
        clock.now = datetime(2026, 3, 31, 16, 0, tzinfo=UTC)  # 1 April 00:00 in Shanghai
        replica.lead_once()
        assert replica.run_job_once() is None
        clock.now = datetime(2026, 3, 31, 16, 5, tzinfo=UTC)
        assert replica.run_job_once() == "meter-collect"
        clock.now = datetime(2026, 3, 31, 16, 29, tzinfo=UTC)
        replica.lead_once()
        assert replica.run_job_once() is None
        assert bills.statements(MARCH) == []
        clock.now = datetime(2026, 3, 31, 16, 30, tzinfo=UTC)  # 00:30 on the 1st
        assert replica.run_job_once() == "month-close"
        with billing_app.sessions() as session:
            [run] = session.exec(select(JobRun).where(JobRun.job == "month-close")).all()
        assert run.state == "ok" and run.detail["month"] == "2026-03"
        assert any("water-cloud" in gap for gap in run.detail["open_gaps"])
        views = bills.show(MARCH, None)
        assert [v.statement.tenant for v in views if v.statement.total > 0] == ["hrss"]
        assert {v.state for v in views} == {"draft"}
    finally:
        replica.election.release()
