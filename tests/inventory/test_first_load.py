"""A provider's first load into an empty resource table (``deferred_indexes.defer_indexes``;
the mechanism's own cases: tests/controlplane/test_deferred_indexes.py), on both engines.

Cases:
- a first sync into an empty table: every row found by the ``/`` filter as ``LIKE``
  finds it, one audit event per batch and a chain that verifies; the secondary indexes
  (list orders, trigram GINs on PostgreSQL) were built after the load (new indexes,
  the very same definitions), on PostgreSQL a rare term's page reads the trigram ones
  (``EXPLAIN``), and the table is analyzed;
- mid-load, another connection still sees the indexes in the catalog, and a reader of
  the table waits for the load (PostgreSQL) or reads the table as it was before it
  (SQLite) rather than reading part of it;
- an error mid-load leaves no row, no audit event of the batches and the same indexes;
  the next sync loads everything once;
- a table that already holds rows (another provider's) and a table another transaction
  is reading (PostgreSQL: its lock not free) are loaded batch by batch with the indexes kept as
  they are, and found all the same.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, insert, select, text
from sqlalchemy.exc import OperationalError
from sqlmodel import col

from controlplane import audit
from controlplane.db import table_of
from controlplane.db.deferred_indexes import NEARLY_EMPTY
from controlplane.db.models import AuditEvent, Provider, Resource
from controlplane.db.substring import ilike_contains
from controlplane.facade import Govcloud
from controlplane.inventory import ResourceFilter
from controlplane.inventory.query import TextMatch
from controlplane.rbac import BOOTSTRAP_OPERATOR
from providers import DesiredResource

from .conftest import Watched, World, breaks, server
from .plans import page_plan

AT = datetime(2026, 3, 1, tzinfo=UTC)
_INDEXES = ("ix_resource_name_trgm", "ix_resource_resource_id_trgm")


def _seed(world: World) -> None:
    world.apply([server(f"web-{i}") for i in range(8)])
    world.sim.add_unmanaged([DesiredResource("server", "hand-made", {"vcpu": 1})])


def _indexes(world: World) -> dict[str, tuple[int, str]]:
    """The resource table's non-unique indexes: ``(oid, definition)`` by name (SQLite:
    its catalog row's rowid for the oid, a new one when it is created again)."""
    with world.app.engine.connect() as connection:
        if world.app.engine.dialect.name != "postgresql":
            rows = connection.execute(
                text(
                    "SELECT master.name, master.rowid, master.sql FROM sqlite_master AS"
                    " master JOIN pragma_index_list('resource') AS listed"
                    " ON listed.name = master.name WHERE master.type = 'index'"
                    ' AND NOT listed."unique" AND master.sql IS NOT NULL'
                )
            )
            return {str(name): (int(page), str(ddl)) for name, page, ddl in rows}
        rows = connection.execute(
            text(
                "SELECT index.relname, index.oid, pg_get_indexdef(index.oid) FROM pg_index"
                " JOIN pg_class AS index ON index.oid = pg_index.indexrelid"
                " WHERE pg_index.indrelid = 'resource'::regclass AND NOT pg_index.indisunique"
            )
        )
        return {str(name): (int(oid), str(ddl)) for name, oid, ddl in rows}


def _catalog(world: World) -> set[str]:
    """The names of the resource table's indexes, as another transaction reads the
    catalog (a statement that waited more than 5 s would fail the test, not hang it)."""
    with world.app.engine.connect() as connection:
        if world.app.engine.dialect.name != "postgresql":
            rows = connection.execute(
                text(
                    "SELECT name FROM sqlite_master WHERE tbl_name = 'resource' AND type = 'index'"
                )
            )
            return {str(name) for (name,) in rows}
        connection.execute(text("SET statement_timeout = '5s'"))
        rows = connection.execute(
            text(
                "SELECT index.relname FROM pg_index"
                " JOIN pg_class AS index ON index.oid = pg_index.indexrelid"
                " JOIN pg_class AS owner ON owner.oid = pg_index.indrelid"
                " WHERE owner.relname = 'resource'"
            )
        )
        return {str(name) for (name,) in rows}


def _found(world: World, term: str) -> tuple[list[str], list[str]]:
    """The provider ids the console's ``/`` filter shows for ``term``, and those LIKE finds."""
    page = Govcloud.acting_as(world.app, BOOTSTRAP_OPERATOR).resources(query=term, limit=1000)
    assert page.continue_token is None
    match = ilike_contains(col(Resource.name), term) | ilike_contains(
        col(Resource.resource_id), term
    )
    with world.app.sessions() as session:
        like = session.scalars(
            select(col(Resource.resource_id)).where(match, col(Resource.deleted_at).is_(None))
        ).all()
    return sorted(v.resource_id for v in page.items), sorted(like)


def _count(world: World, model: Any) -> int:
    with world.app.sessions() as session:
        return int(session.execute(select(func.count()).select_from(model)).scalar_one())


def _batch_events(world: World) -> int:
    with world.app.sessions() as session:
        query = select(func.count()).where(col(AuditEvent.action) == "inventory.batch")
        return int(session.execute(query).scalar_one())


def test_a_first_load_builds_the_indexes_after_it(world: World) -> None:
    _seed(world)
    before = _indexes(world)
    report = world.service(batch_size=3).sync("sim-health")

    assert (report.observed, report.created, report.batches) == (9, 9, 3)
    shown, like = _found(world, "web-")
    assert shown == like and len(shown) == 8
    shown, like = _found(world, "hand-made")
    assert shown == like and len(shown) == 1
    assert _batch_events(world) == 3
    with world.app.sessions() as session:
        assert audit.verify(session) == []
    after = _indexes(world)
    assert set(after) == set(before) and "ix_resource_list" in after
    for name in after:
        assert after[name][0] != before[name][0], name  # dropped and built again
        assert after[name][1] == before[name][1], name  # exactly as the migration made it
    if world.app.engine.dialect.name != "postgresql":
        return
    assert set(_INDEXES) < set(after) and len(after) == 10
    assert "gin_pending_list_limit" in after["ix_resource_name_trgm"][1]
    plan = page_plan(
        world.app,
        ResourceFilter(limit=101, match=(TextMatch(None, "web-3"),)),
        switched_off=("seqscan", "indexscan"),
    )
    assert all(name in plan for name in _INDEXES), plan
    with world.app.engine.connect() as connection:
        analyzed = connection.execute(
            text("SELECT last_analyze FROM pg_stat_user_tables WHERE relname = 'resource'")
        ).scalar_one()
        tuples = connection.execute(
            text("SELECT reltuples FROM pg_class WHERE relname = 'resource'")
        ).scalar_one()
    assert analyzed is not None and tuples == 9


def test_mid_load_others_see_the_indexes_and_wait_for_the_rows(world: World) -> None:
    postgresql = world.app.engine.dialect.name == "postgresql"
    _seed(world)
    seen: dict[str, Any] = {}

    everyone = _catalog(world)

    def look() -> None:
        seen["indexes"] = _catalog(world)
        with world.app.engine.connect() as reader:
            if postgresql:
                reader.execute(text("SET lock_timeout = '200ms'"))
            try:
                seen["reader"] = reader.execute(text("SELECT count(*) FROM resource")).scalar_one()
            except OperationalError as exc:
                seen["reader"] = getattr(exc.orig, "sqlstate", None)

    world.service(batch_size=3, driver=Watched(world.sim, 5, look)).sync("sim-health")

    # PostgreSQL: lock_not_available; SQLite: the table as it was before the load
    assert seen == {"indexes": everyone, "reader": "55P03" if postgresql else 0}
    assert "ix_resource_list" in everyone
    assert _count(world, Resource) == 9


def test_an_error_mid_load_leaves_nothing_and_the_next_sync_loads_once(world: World) -> None:
    _seed(world)
    before = _indexes(world)

    with pytest.raises(RuntimeError, match="process killed"):
        world.service(
            batch_size=3, driver=Watched(world.sim, 7, breaks(RuntimeError("process killed")))
        ).sync("sim-health")

    # the load was one transaction
    assert _count(world, Resource) == 0
    assert _batch_events(world) == 0
    assert _indexes(world) == before
    report = world.service(batch_size=3).sync("sim-health")
    assert report.observed == 9 and _count(world, Resource) == 9
    assert _found(world, "web-")[0] == _found(world, "web-")[1]
    assert len(_found(world, "web-")[0]) == 8


def _fill(world: World, rows: int) -> None:
    """``rows`` resources of another provider (prov-main), straight into the table."""
    with world.app.sessions() as session, session.begin():
        provider_id = session.execute(
            select(col(Provider.id)).where(col(Provider.name) == "prov-main")
        ).scalar_one()
        session.execute(insert(table_of(Resource)), [{
            "provider_id": provider_id, "tenant_id": None, "system_id": None,
            "provider_name": "prov-main", "tenant_code": "", "system_name": "",
            "kind": "server", "resource_id": f"FILL-{i:05d}", "name": f"fill-{i:05d}",
            "status": "ACTIVE", "managed": False, "spec": {}, "created_at": AT,
            "observed_at": AT, "deleted_at": None,
        } for i in range(rows)])  # fmt: skip


def test_a_table_already_holding_rows_keeps_its_indexes(world: World) -> None:
    _fill(world, NEARLY_EMPTY)
    _seed(world)
    before = _indexes(world)
    report = world.service(batch_size=3).sync("sim-health")
    assert report.created == 9
    assert _indexes(world) == before  # the very same indexes: not dropped
    shown, like = _found(world, "web-")
    assert shown == like and len(shown) == 8
    assert _batch_events(world) == 3


def test_a_table_being_read_is_loaded_batch_by_batch(world: World) -> None:
    if world.app.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's table lock: a SQLite reader never holds up a writer")
    _seed(world)
    before = _indexes(world)
    with world.app.engine.connect() as reader:
        reader.execute(text("SELECT count(*) FROM resource")).scalar_one()  # holds its lock
        report = world.service(batch_size=3).sync("sim-health")
        reader.rollback()
    assert report.created == 9
    assert _indexes(world) == before
    shown, like = _found(world, "web-")
    assert shown == like and len(shown) == 8
