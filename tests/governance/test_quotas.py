"""Quota reservations.

Cases: a request over quota is recorded Denied with an error naming the quota, the
limit, what is in use and what was asked (zh and en); a request exactly at the limit
is admitted; unlimited resources and providers without a quota never refuse; and on
PostgreSQL 50 parallel applies (threads, each with its own sessions) racing for one
100-vCPU quota never exceed it — exactly 25 four-vCPU winners — and every loser gets
the quota error.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from sqlmodel import col, func, select

from controlplane import quotas
from controlplane.app import App
from controlplane.db.tables_requests import QuotaReservation, QuotaUsage
from controlplane.requests import ApplyResult, request_service

from .support import CataloguePlanner, apply_estate, manifest


def test_over_quota_is_denied_with_a_clear_error(app: App) -> None:
    apply_estate(app)
    service = request_service(app, CataloguePlanner(app))
    assert service.apply(manifest("a", count=48), actor="hrss-wang").quota_error is None
    result = service.apply(manifest("b", count=3), actor="hrss-wang")
    assert result.request is not None and result.request.state == "Denied"
    error = result.quota_error
    assert error is not None
    assert [(i.resource, i.limit, i.in_use, i.asked) for i in error.items] == [
        ("vcpu", 100, Decimal(96), Decimal(6))
    ]
    assert "vCPU quota 100, in use 96, asked 6" in error.describe("en")
    assert "hrss" in error.describe("en") and "prov-sim" in error.describe("en")
    assert "配额 100，已用 96，本次申请 6" in result.describe("zh")
    detail = service.show(result.request.id or 0, actor="ops-li")
    assert "quota exceeded" in (detail.events[-1].reason or "")
    with app.sessions() as session:
        assert quotas.usage(session, "hrss", "prov-sim").vcpu == 96
    # exactly at the limit is allowed
    assert service.apply(manifest("c", count=2), actor="hrss-wang").quota_error is None


def test_unlimited_fields_and_providers_never_refuse(app: App) -> None:
    apply_estate(app)
    service = request_service(app, CataloguePlanner(app))
    # city-a-edu's quota on city-a-sim limits vCPU only; memory is unlimited
    big = service.apply(
        manifest("lab", "city-a-edu", count=4, flavor="c4m8", provider="city-a-sim"),
        actor="edu-liu",
    )
    assert big.quota_error is None
    # hrss has no quota on city-a-sim at all
    free = service.apply(manifest("x", count=100, provider="city-a-sim"), actor="hrss-wang")
    assert free.quota_error is None and free.request is not None


@pytest.mark.postgres
@pytest.mark.slow
def test_fifty_parallel_applies_never_exceed_a_quota(pg_database: str, tmp_path, clock) -> None:  # type: ignore[no-untyped-def]
    from controlplane.config import Settings

    app = App(Settings(home=tmp_path / "home", database_url=pg_database), clock=clock)
    app.init()
    try:
        apply_estate(app)
        service = request_service(app, CataloguePlanner(app))
        parsed = [manifest(f"sys-{i}", count=2) for i in range(50)]  # 4 vCPU each
        start = threading.Barrier(50)

        def one(i: int) -> ApplyResult:
            start.wait()
            return service.apply(parsed[i], actor="hrss-wang")

        with ThreadPoolExecutor(max_workers=50) as pool:
            results = list(pool.map(one, range(50)))
        winners = [r for r in results if r.quota_error is None]
        losers = [r for r in results if r.quota_error is not None]
        assert len(winners) == 25 and len(losers) == 25
        assert all(r.request is not None and r.request.state == "Approved" for r in winners)
        for loser in losers:
            assert loser.request is not None and loser.request.state == "Denied"
            assert loser.quota_error is not None
            item = loser.quota_error.items[0]
            assert (item.resource, item.limit, item.in_use, item.asked) == (
                "vcpu",
                100,
                Decimal(100),
                Decimal(4),
            )
        with app.sessions() as session:
            usage = session.exec(select(QuotaUsage)).one()
            held = session.exec(
                select(func.count(col(QuotaReservation.id))).where(
                    col(QuotaReservation.active).is_(True)
                )
            ).one()
        assert usage.vcpu == 100 and held == 25
    finally:
        app.close()
