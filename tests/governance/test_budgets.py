"""Budgets count what is approved: yearly cost reserved at admission, race-free.

Cases, on SQLite and PostgreSQL: twenty parallel applies of one department (threads,
each with its own sessions) against an annual budget that fits twelve of them: exactly
twelve are approved at once and exactly the eight beyond the budget wait for the
finance step, each holding a reservation; the admission event records the judgement;
deleting one approved system releases its reservation, so the next request fits again;
rejecting a request gives its reservation back.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path

import pytest
from sqlmodel import col, select

from controlplane.app import App
from controlplane.config import Settings
from controlplane.db.models import AuditEvent
from controlplane.db.tables_requests import BudgetReservation, RequestApproval
from controlplane.requests import ApplyResult, provisioner, request_service
from tests.conftest import FakeClock

from .support import CataloguePlanner, apply_estate, manifest

# hrss's budget is 1,200,000.00 a year: twelve systems at 8,333.33 a month fit, a 13th not
MONTHLY = Decimal("8333.33")


@pytest.fixture
def budgeted(database_url: str, tmp_path: Path, clock: FakeClock) -> Iterator[App]:
    """The governed estate, with a thread-safe app (each call opens its own sessions)."""
    app = App(Settings(home=tmp_path / "home", database_url=database_url), clock=clock)
    app.init()
    apply_estate(app)
    try:
        yield app
    finally:
        app.close()


def _active(app: App) -> list[BudgetReservation]:
    with app.sessions() as session:
        query = select(BudgetReservation).where(col(BudgetReservation.active).is_(True))
        return list(session.exec(query))


@pytest.mark.slow
def test_twenty_parallel_applies_against_a_budget_for_twelve(budgeted: App) -> None:
    app = budgeted
    service = request_service(app, CataloguePlanner(app, monthly_price=MONTHLY))
    parsed = [manifest(f"sys-{i}", count=1) for i in range(20)]
    start = threading.Barrier(20)

    def one(i: int) -> ApplyResult:
        start.wait()
        return service.apply(parsed[i], actor="hrss-wang")

    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(one, range(20)))
    states = sorted(r.request.state for r in results if r.request is not None)
    assert states == ["Approved"] * 12 + ["PendingApproval"] * 8
    with app.sessions() as session:
        steps = list(session.exec(select(RequestApproval)))
        admitted = list(
            session.exec(select(AuditEvent).where(col(AuditEvent.action) == "request.admitted"))
        )
    assert sorted(s.step for s in steps) == ["finance-budget"] * 8
    judged = sorted(Decimal(e.payload["budget"]["spentByOthers"]) for e in admitted)
    assert judged == [MONTHLY * 12 * n for n in range(20)]  # one after another
    assert len(_active(app)) == 20


def test_deleting_a_system_releases_its_reservation(budgeted: App) -> None:
    app = budgeted
    service = request_service(app, CataloguePlanner(app, monthly_price=MONTHLY))
    results = [service.apply(manifest(f"sys-{i}", count=1), actor="hrss-wang") for i in range(12)]
    assert all(r.request is not None and r.request.state == "Approved" for r in results)
    first = results[0].request
    assert first is not None and first.id is not None
    builder = provisioner(app)
    assert builder.provision(first.id, actor="local-operator").state == "Ready"
    over = service.apply(manifest("sys-12", count=1), actor="hrss-wang")
    assert over.request is not None and over.request.state == "PendingApproval"
    service.reject(over.request.id or 0, actor="fin-chen", reason="超预算")
    assert {r.system_name for r in _active(app)} == {f"sys-{i}" for i in range(12)}

    gone = service.delete(manifest("sys-0", count=1), actor="hrss-wang")
    assert gone.request is not None and gone.request.id is not None
    assert builder.provision(gone.request.id, actor="local-operator").state == "Deleted"
    assert "sys-0" not in {r.system_name for r in _active(app)}
    fits = service.apply(manifest("sys-13", count=1), actor="hrss-wang")
    assert fits.request is not None and fits.request.state == "Approved"
