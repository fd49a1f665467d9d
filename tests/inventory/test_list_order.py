"""The inventory list's order, served by its indexes, on both engines: for every sort
column, ascending and descending, the pages the facade's continue tokens walk equal the
whole list sorted in Python (the column's typed value, then provider, tenant, system,
kind, name, id; no owner sorts as ''), with nothing served twice or skipped; owner
terms keep their substring meaning; and a page's statement is an index range scan with
no sort of the matches, for the list's order and for each indexed leading column."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import insert, select
from sqlmodel import col

from controlplane.app import App
from controlplane.db import table_of
from controlplane.db.models import Provider, Resource, System, Tenant
from controlplane.facade import Govcloud
from controlplane.inventory import ResourceFilter
from controlplane.inventory.query import ORDER_COLUMNS, resource_key
from tests.governance.support import apply_estate
from tests.inventory.plans import page_plan

AT = datetime(2026, 3, 1, tzinfo=UTC)


def _seed(app: App) -> int:
    """Resources over two providers, two tenants and none, two systems each and none,
    with names, statuses and times that tie across them (so the key decides)."""
    apply_estate(app)
    with app.sessions() as session, session.begin():
        providers = session.execute(select(col(Provider.id), col(Provider.name))).all()
        tenants = session.execute(select(col(Tenant.id), col(Tenant.code))).all()
        systems: list[tuple[int | None, str, int | None, str]] = [(None, "", None, "")]
        for tenant_id, code in tenants:
            systems.append((tenant_id, code, None, ""))
            for name in ("billing", "portal"):
                row = System(tenant_id=tenant_id, name=name, level=2,
                             data_classification="general", created_at=AT, updated_at=AT)  # fmt: skip
                session.add(row)
                session.flush()
                systems.append((tenant_id, code, row.id, name))
        rows: list[dict[str, Any]] = []
        for i in range(90):
            provider_id, provider = providers[i % len(providers)]
            tenant_id, code, system_id, system = systems[i % len(systems)]
            rows.append({
                "provider_id": provider_id, "tenant_id": tenant_id, "system_id": system_id,
                "provider_name": provider, "tenant_code": code, "system_name": system,
                "kind": ("server", "volume", "network")[i % 3], "resource_id": f"r-{i:03d}",
                "name": f"n-{i % 4}", "status": ("ACTIVE", "ERROR", "SHUTOFF")[i % 5 % 3],
                "managed": i % 4 != 0, "spec": {}, "created_at": AT - timedelta(hours=i % 6),
                "observed_at": AT, "deleted_at": AT if i % 17 == 0 else None,
            })  # fmt: skip
        session.execute(insert(table_of(Resource)), rows)
    return sum(1 for i in range(90) if i % 17 != 0)


def _typed(view: Any, column: str) -> object:
    value = getattr(view, column)
    return "" if value is None else value  # no owner: ''


@pytest.mark.parametrize("descending", [False, True])
def test_every_sort_pages_through_the_whole_list_in_order(app: App, descending: bool) -> None:
    live = _seed(app)
    door = Govcloud.acting_as(app, "ops-li")
    everything = list(door.resources(limit=500).items)
    assert len(everything) == live
    for column in ORDER_COLUMNS:
        sort = f"-{column}" if descending else column
        shown: list[Any] = []
        token = None
        while True:
            page = door.resources(sort=sort, limit=7, continue_token=token, count=False)
            shown.extend(page.items)
            token = page.continue_token
            if token is None:
                break
        if sort == "name":  # the facade's default: the list's own order
            expected = sorted(everything, key=resource_key)
        else:
            expected = sorted(
                everything,
                key=lambda v: (_typed(v, column), resource_key(v)),
                reverse=descending,
            )
        assert [resource_key(v) for v in shown] == [resource_key(v) for v in expected], sort


def test_owner_terms_match_a_substring_of_the_owners_name(app: App) -> None:
    _seed(app)
    door = Govcloud.acting_as(app, "ops-li")
    city = door.resources(query="provider:city-a", limit=500).items
    assert city and {v.provider for v in city} == {"city-a-sim"}
    hrss = door.resources(query="tenant:hrs", limit=500).items
    assert hrss and {v.tenant for v in hrss} == {"hrss"}
    others = door.resources(query="!tenant:hrs", limit=500).items
    assert None in {v.tenant for v in others} and "hrss" not in {v.tenant for v in others}
    assert door.resources(query="tenant:nobody", limit=5).total == 0


def _plan(app: App, flt: ResourceFilter) -> str:
    # a table this small is cheaper to scan: ask whether an index can serve the page
    return page_plan(app, flt, switched_off=("seqscan", "sort"))


@pytest.mark.parametrize(
    ("order", "index"),
    [(None, "ix_resource_list"), ("tenant", "ix_resource_list_tenant_code"),
     ("kind", "ix_resource_list_kind"), ("name", "ix_resource_list_name"),
     ("status", "ix_resource_list_status"), ("provider", "ix_resource_list")],
)  # fmt: skip
def test_a_page_is_a_range_of_an_index_without_a_sort(
    app: App, order: str | None, index: str
) -> None:
    _seed(app)
    after = ("x", "prov-sim", "hrss", "portal", "server", "n-1", "r-001")
    for descending in (False, True):
        flt = ResourceFilter(limit=101, order=order, descending=descending,
                             after_key=after if order else after[1:])  # fmt: skip
        plan = _plan(app, flt)
        assert index in plan, plan
        assert "TEMP B-TREE" not in plan and "Sort" not in plan, plan
