"""List filters and sorts by field (what the console's `/` and column sort send).

Resources filter and sort in the database (both engines), keyset pages stay total under
any sort and direction; the lists read whole filter and sort on typed values; an unknown
field or sort is refused naming the valid ones."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar

import pytest

from controlplane.app import App
from controlplane.db.engine import transaction
from controlplane.db.tables_scheduler import JobRun
from controlplane.facade import Govcloud, InvalidInput
from controlplane.facade.models import TenantInfo
from controlplane.facade.paging import Page, keyset
from controlplane.facade.query import Term, field_getters, parse_query
from controlplane.scheduler.service import JobRunInfo
from tests.tui.support import PER_PROVIDER, populate

T = TypeVar("T")


def test_parse_query_terms() -> None:
    assert parse_query("  ", ["kind"]) == ()
    assert parse_query("web !kind:volume", ["kind"]) == (
        Term(None, "web"),
        Term("kind", "volume", invert=True),
    )
    with pytest.raises(InvalidInput) as refused:
        parse_query("colour:red", ["kind", "name"])
    assert "kind, name" in refused.value.describe("en")


def _pages(fetch: Callable[..., Page[T]], **kw: object) -> list[T]:
    """Every item of a list, read 40 to a page by following the continue tokens."""
    seen: list[T] = []
    token = None
    while True:
        page = fetch(limit=40, continue_token=token, **kw)
        seen.extend(page.items)
        token = page.continue_token
        if token is None:
            return seen


def _walk(door: Govcloud, **kw: object) -> list[Any]:
    return _pages(door.resources, **kw)


def test_resources_filter_and_sort_in_the_database(app: App) -> None:
    populate(app)
    door = Govcloud.acting_as(app, "ops-li")
    volumes = door.resources(query="provider:city-a kind:volume !vm-000", limit=1000)
    expected = sum(1 for i in range(PER_PROVIDER) if i % 3 == 0 and i >= 10)
    assert volumes.total == len(volumes.items) == expected
    assert {r.provider for r in volumes.items} == {"city-a-sim"}
    assert door.resources(query="status:ERROR").total == 2
    assert door.resources(query="managed:false").total == 0
    assert door.resources(query="hrss-vm-0042", count=False).total is None
    for sort in ("-created_at", "created_at", "status", "-name", "name"):
        rows = _walk(door, sort=sort)
        assert len(rows) == 2 * PER_PROVIDER, sort
        assert len({(r.provider, r.resource_id) for r in rows}) == len(rows), sort  # type: ignore[attr-defined]
    newest_first = [r.created_at for r in _walk(door, sort="-created_at")]  # type: ignore[attr-defined]
    assert newest_first == sorted(newest_first, reverse=True)
    with pytest.raises(InvalidInput):
        door.resources(sort="colour")
    with pytest.raises(InvalidInput):
        door.resources(query="colour:red")
    # a department's filter never reaches past its own tenant
    own = Govcloud.acting_as(app, "hrss-wang").resources(query="city-a", tenant="hrss")
    assert own.total == 0


def test_whole_lists_filter_and_sort_on_typed_values(app: App) -> None:
    populate(app)
    door = Govcloud.acting_as(app, "ops-li")
    assert [t.code for t in door.tenants(sort="-budget").items] == ["hrss", "city-a-edu"]
    assert [t.code for t in door.tenants(query="!city:city-a").items] == ["hrss"]
    assert door.providers(query="tier:municipal").total == 1
    pending = door.requests(query="state:pending tenant:hrss")
    assert [r.tenant for r in pending.items] == ["hrss"]
    with pytest.raises(InvalidInput) as refused:
        door.requests(sort="colour")
    assert "system_name" in refused.value.describe("en")


def test_decimal_sort_is_numeric_across_pages() -> None:
    rows = [
        TenantInfo.model_validate(
            {
                "code": f"t{i}",
                "name": f"T{i}",
                "name_en": None,
                "level": "municipal",
                "city": None,
                "sector": None,
                "budget": Decimal(b),
                "updated_at": "2026-03-01T00:00:00+00:00",
            }
        )
        for i, b in enumerate(["9.50", "10.00", "100.00", "0.99", "10.00"])
    ]
    sorts = {"code": lambda t: (t.code,)}
    fields = field_getters(TenantInfo)
    order: list[str] = []
    token = None
    while True:
        page = keyset(rows, sorts, sort="-budget", limit=2, token=token, fields=fields)
        order += [t.code for t in page.items]
        token = page.continue_token
        if token is None:
            break
    assert order == ["t2", "t4", "t1", "t0", "t3"]


def test_audit_log_pages_newest_first_and_filters_in_the_database(app: App) -> None:
    populate(app)
    door = Govcloud.acting_as(app, "audit-zhou")
    seen, token = [], None
    while True:
        page = door.audit_log(limit=3, continue_token=token, query="!authz")
        seen.extend(page.items)
        token = page.continue_token
        if token is None:
            break
    seqs = [e.seq for e in seen]
    assert len(seqs) == page.total and len(seqs) > 3  # more than one page, nothing twice
    assert seqs == sorted(seqs, reverse=True) and len(set(seqs)) == len(seqs)
    applied = door.audit_log(query="action:request. subject:request/2", sort="seq")
    assert len(applied.items) == 3 and all(
        "request." in e.action and e.subject == "request/2" for e in applied.items
    )
    assert door.audit_log(query="action:request_").total == 0  # "_" is no wildcard
    assert [e.seq for e in applied.items] == sorted(e.seq for e in applied.items)
    none = door.audit_log(query="!action:request. action:request.")
    assert none.total == 0 and none.items == ()
    with pytest.raises(InvalidInput):
        door.audit_log(query="payload:x")
    with pytest.raises(InvalidInput):
        door.audit_log(sort="actor")


def test_systems_and_job_runs_filter_and_sort(app: App) -> None:
    populate(app)
    door = Govcloud.acting_as(app, "ops-li")
    systems = door.systems(sort="-tenant")
    assert [(s.tenant, s.name, s.provider) for s in systems.items] == [
        ("hrss", "payroll", "prov-sim"),
        ("city-a-edu", "exams", "city-a-sim"),
    ]
    assert [s.level for s in door.systems(sort="-level").items] == [3, 2]  # typed order
    assert [s.tenant for s in door.systems(query="tenant:city").items] == ["city-a-edu"]
    own = Govcloud.acting_as(app, "hrss-wang").systems()
    assert [s.tenant for s in own.items] == ["hrss"]  # a department: its own only
    jobs = door.job_list(query="sync", sort="-name")
    names = [j.name for j in jobs.items]
    assert names and all("sync" in n for n in names) and names == sorted(names, reverse=True)
    door.run_job(names[0])
    runs = door.job_runs(job=names[0])
    assert [(r.job, r.state, r.requested_by) for r in runs.items] == [
        (names[0], "queued", "ops-li")
    ]
    assert door.job_runs(query=f"!job:{names[0]}").total == 0


def test_job_runs_page_in_the_database_under_every_sort(app: App) -> None:
    """Runs grow by the hundred thousand a year: filtered, sorted and paged in SQL, the
    pages of every sort and direction are total, ordered by the typed value with ties by
    id, and a filter's total is counted in the database."""
    start = datetime(2026, 3, 1, tzinfo=UTC)
    with transaction(app.sessions) as session:
        for i in range(57):
            session.add(
                JobRun(
                    job=("health", "inventory-sync", "meter-collect")[i % 3],
                    due_at=start + timedelta(minutes=5 * (i // 2)),  # pairs tie on due_at
                    state=("ok", "failed", "temporary", "queued")[i % 4],
                    requested_by="leader-a" if i % 5 else "ops-li",
                    failures=i % 4,
                    error=None if i % 3 else f"timeout_{i}% of 100",
                )
            )
    door = Govcloud.acting_as(app, "local-operator")  # no estate yet: the bootstrap operator
    every = _pages(door.job_runs)
    assert len(every) == 57 and len({r.id for r in every}) == 57

    def typed(run: JobRunInfo, field: str) -> object:
        value = getattr(run, field)
        return "" if value is None else value

    for field in ("id", "job", "due_at", "state", "requested_by", "failures", "error"):
        for descending in (False, True):
            sort = f"-{field}" if descending else field
            walked = [r.id for r in _pages(door.job_runs, sort=sort)]
            expected = sorted(every, key=lambda r: (typed(r, field), r.id), reverse=descending)
            assert walked == [r.id for r in expected], sort

    # LIKE's wildcards in the text match themselves; an inverted term keeps the NULLs
    # "0%" is in timeout_0% and timeout_30% only; as a pattern it would match every error
    assert door.job_runs(query="error:0%", limit=100).total == 2
    assert door.job_runs(query="error:timeou__", limit=100).total == 0
    assert door.job_runs(query="error:%", limit=100).total == 19
    assert door.job_runs(query="!error:timeout", limit=100).total == 38
    assert door.job_runs(query="ops-li", limit=100).total == 12
    failed = door.job_runs(job="health", query="state:fail", limit=100)
    assert failed.total == len(failed.items) == 4  # i = 9, 21, 33, 45
    with pytest.raises(InvalidInput):
        door.job_runs(sort="replica")
    page = door.job_runs(limit=7, sort="due_at")
    assert page.continue_token is not None
    with pytest.raises(InvalidInput):
        door.job_runs(limit=7, sort="-due_at", continue_token=page.continue_token)
