"""``apply`` of a file: planned whole, recorded in batched transactions, on both databases.

Cases: five documents with a batch of two are recorded in three transactions and each
ends where a lone ``apply`` would; a crash in the second batch keeps the first batch and
nothing of the second, and applying the file again records each remaining document once
and the committed ones not again (one request per system, quota held once); a document
that is refused (unknown department, or a planner refusing it located) refuses the file
and nothing is written, not even the documents before it; every batch takes its quota
rows, budget locks and the audit chain lock up front, each sorted, before recording;
a planned file keeps no parsed document (their located trees are freed once the caller
drops them), gives each batch's plans up as it is recorded and yields its results once
it has committed; what is packed for recording is the spec and plan the request then stores.
"""

from __future__ import annotations

import enum
import gc
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest
from sqlmodel import Session, col, select

from controlplane import audit, budgets, quotas
from controlplane.app import App
from controlplane.db.models import AuditEvent, Request
from controlplane.requests import PlanSummary, RequestService, request_service
from controlplane.requests import service as service_module
from tenants import ManifestError, ParsedRequest, load_requests

from .support import CataloguePlanner, apply_estate, manifest_text


@pytest.fixture
def planner(app: App) -> CataloguePlanner:
    apply_estate(app)
    return CataloguePlanner(app)


@pytest.fixture
def service(app: App, planner: CataloguePlanner) -> RequestService:
    return request_service(app, planner)


@pytest.fixture(autouse=True)
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(service_module, "APPLY_BATCH", 2)


def _file(*systems: tuple[str, str]) -> list[ParsedRequest]:
    text = "---\n".join(
        manifest_text(
            name,
            tenant,
            count=1,
            provider="prov-sim" if tenant == "hrss" else "city-a-sim",
        )
        for name, tenant in systems
    )
    return load_requests(text, name="file.yaml")


FIVE = [("s0", "hrss"), ("s1", "city-a-edu"), ("s2", "hrss"), ("s3", "hrss"), ("s4", "city-a-edu")]


def _requests(app: App) -> list[tuple[str, str]]:
    with app.sessions() as session:
        rows = session.exec(select(Request).order_by(col(Request.id))).all()
        return [(r.system_name, r.state) for r in rows]


def _audit_count(app: App) -> int:
    with app.sessions() as session:
        return len(session.exec(select(AuditEvent)).all())


def _count_transactions(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    opened: list[int] = []
    real = service_module.transaction

    @contextmanager
    def counting(factory: Any) -> Iterator[Session]:
        opened.append(1)
        with real(factory) as session:
            yield session

    monkeypatch.setattr(service_module, "transaction", counting)
    return opened


def test_file_recorded_in_batches(
    app: App, service: RequestService, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened = _count_transactions(monkeypatch)
    results = service.apply_all(_file(*FIVE), actor="local-operator")
    assert len(opened) == 3  # 2 + 2 + 1, not one per document
    assert [r.request.system_name for r in results if r.request] == [n for n, _ in FIVE]
    assert _requests(app) == [(n, "Approved") for n, _ in FIVE]
    with app.sessions() as session:
        assert quotas.usage(session, "hrss", "prov-sim").vcpu == 6
        assert quotas.usage(session, "city-a-edu", "city-a-sim").vcpu == 4


def test_crash_mid_way_loses_nothing_and_duplicates_nothing(
    app: App, service: RequestService, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = RequestService._record_in
    crash = {"s3"}

    def failing(self: RequestService, session: Session, parsed: ParsedRequest, *a: Any) -> Any:
        if parsed.name in crash:
            raise RuntimeError("power cut")
        return real(self, session, parsed, *a)

    monkeypatch.setattr(RequestService, "_record_in", failing)
    with pytest.raises(RuntimeError):
        service.apply_all(_file(*FIVE), actor="local-operator")
    # the first batch committed; of the second (s2, s3) nothing
    assert _requests(app) == [("s0", "Approved"), ("s1", "Approved")]
    crash.clear()
    results = service.apply_all(_file(*FIVE), actor="local-operator")
    assert [r.noop for r in results] == [True, True, False, False, False]
    assert sorted(_requests(app)) == sorted((n, "Approved") for n, _ in FIVE)
    with app.sessions() as session:
        assert quotas.usage(session, "hrss", "prov-sim").vcpu == 6
        assert quotas.usage(session, "city-a-edu", "city-a-sim").vcpu == 4


def test_unknown_department_refuses_the_file(app: App, service: RequestService) -> None:
    before = _audit_count(app)
    with pytest.raises(ManifestError) as refused:
        service.apply_all(_file(("s0", "hrss"), ("s1", "nobody")), actor="local-operator")
    assert "unknown tenant 'nobody'" in str(refused.value)
    assert "file.yaml:" in str(refused.value)
    assert _requests(app) == []
    assert _audit_count(app) == before


def test_document_refused_by_the_planner_refuses_the_file(
    app: App, planner: CataloguePlanner, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Refusing(CataloguePlanner):
        def plan(self, parsed: ParsedRequest, *, principal: str) -> PlanSummary:
            if parsed.name == "s4":
                raise ManifestError([parsed.document.problem(("spec",), "no room in the pool")])
            return super().plan(parsed, principal=principal)

    service = request_service(app, Refusing(app))
    before = _audit_count(app)
    with pytest.raises(ManifestError):
        service.apply_all(_file(*FIVE), actor="local-operator")
    assert _requests(app) == []  # not even s0..s3, planned before s4 was refused
    assert _audit_count(app) == before


def test_locks_taken_up_front_in_the_global_order(
    app: App, service: RequestService, monkeypatch: pytest.MonkeyPatch
) -> None:
    taken: list[Any] = []
    for module, name in ((quotas, "lock_usage"), (budgets, "lock_tenants")):
        real = getattr(module, name)

        def spy(session: Session, keys: Any, real: Any = real, name: str = name) -> None:
            taken.append((name, list(keys)))
            real(session, keys)

        monkeypatch.setattr(module, name, spy)
    real_chain, real_reserve = audit.lock_chain, quotas.reserve
    monkeypatch.setattr(
        audit, "lock_chain", lambda s: (taken.append(("audit", [])), real_chain(s))[1]
    )
    monkeypatch.setattr(
        quotas,
        "reserve",
        lambda s, **k: (taken.append(("reserve", [k["system"]])), real_reserve(s, **k))[1],
    )
    service.apply_all(_file(("s1", "city-a-edu"), ("s0", "hrss")), actor="local-operator")
    assert taken[:3] == [
        ("lock_usage", [("city-a-edu", "city-a-sim"), ("hrss", "prov-sim")]),
        ("lock_tenants", ["city-a-edu", "hrss"]),
        ("audit", []),
    ]
    assert [name for name, _ in taken[3:]] == ["reserve", "reserve"]


def test_budget_of_a_later_document_counts_the_earlier_ones(app: App) -> None:
    """The file is planned before it is recorded; a batch planner is told what each
    document will reserve, so the department's next plan counts it."""
    from controlplane.planning import PlanService

    apply_estate(app)
    parsed = _file(("s0", "hrss"), ("s2", "hrss"))
    planner = PlanService(app.sessions, app.clock).planner(batch=parsed, independent=True)
    alone = planner.plan(parsed[1], principal="local-operator").budget.committed_annual
    planner.plan(parsed[0], principal="local-operator")
    planner.will_reserve("hrss", "s0", Decimal("1234.00"))
    after = planner.plan(parsed[1], principal="local-operator").budget.committed_annual
    assert after - alone == Decimal("1234.00")
    planner.will_reserve("hrss", "s0", None)  # denied: what s0 holds stays as it was
    again = planner.plan(parsed[1], principal="local-operator").budget.committed_annual
    assert again == after


def test_planned_file_keeps_no_parsed_document(app: App, service: RequestService) -> None:
    parsed = _file(*FIVE)
    alive = [weakref.ref(p.document) for p in parsed]
    planned = service.plan_file(parsed, actor="local-operator")
    del parsed
    gc.collect()
    assert [ref() for ref in alive] == [None] * 5
    results = service.record_file(planned)
    first = [next(results), next(results)]  # the first batch, committed
    assert planned.items == [None, None, *planned.items[2:]] and all(planned.items[2:])
    rest = list(results)
    assert planned.items == [None] * 5  # each batch's plans given up as it was recorded
    recorded = [r.request for r in first + rest]
    assert [(r.system_name, r.state) for r in recorded if r] == _requests(app)


class _Level(enum.StrEnum):
    HIGH = "high"


def test_packed_spec_and_plan_are_what_the_request_stores(
    app: App, planner: CataloguePlanner
) -> None:
    class Annotating(CataloguePlanner):
        def plan(self, parsed: ParsedRequest, *, principal: str) -> PlanSummary:
            base = super().plan(parsed, principal=principal)
            # a str subclass and a tuple, as a planner's record may hold: stored as JSON
            extra = {"level": _Level.HIGH, "pair": (1, "二")}
            return replace(
                base, document={**base.document, **(extra if parsed.name == "s1" else {})}
            )

    service = request_service(app, Annotating(app))
    service.apply_all(_file(*FIVE[:2]), actor="local-operator")
    with app.sessions() as session:
        rows = session.exec(select(Request).order_by(col(Request.id))).all()
        plans = {r.system_name: r.plan for r in rows}
        specs = {r.system_name: r.spec for r in rows}
    assert plans["s1"]["level"] == "high" and plans["s1"]["pair"] == [1, "二"]
    assert plans["s0"]["system"] == "s0" and plans["s0"]["govcloud"]["provider"] == "prov-sim"
    assert specs["s0"]["compute"][0]["count"] == 1
