"""Substring filters served by the trigram indexes (migration ``resource_text_search``),
on both engines.

Cases: the facade's pages for a term equal the plain ``LIKE``'s matches (name or
provider id, or one field named) — mixed case, ``%``, ``_``, ``/`` and ``"`` taken
literally, double-width text, a term of two characters (no trigram: the plain scan),
a term common enough to be left to the ordered scan, a negated term, and after rows
are inserted, renamed and deleted (the SQLite triggers keep the index in step); and a
page's plan reads the trigram index for a rare term (SQLite: the FTS5 table drives the
rows; PostgreSQL: the ``pg_trgm`` GIN indexes, analyzed and merged as after a sync's
bulk load), and on SQLite not for a two-character one (PostgreSQL prices a pattern without
a trigram as a read of the whole index itself).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import delete, insert, or_, select, text, update
from sqlmodel import col

from controlplane.app import App
from controlplane.db import table_of
from controlplane.db.models import Provider, Resource, Tenant
from controlplane.db.statistics import analyze
from controlplane.db.substring import ilike_contains
from controlplane.db.text_search import BULK_TABLE, indexed_in_bulk
from controlplane.facade import Govcloud
from controlplane.inventory import ResourceFilter
from controlplane.inventory.query import RARE, TextMatch
from tests.governance.support import apply_estate
from tests.inventory.plans import page_plan

AT = datetime(2026, 3, 1, tzinfo=UTC)
#: names that exercise case, LIKE's wildcards and escape, FTS5's quote, wide text
_NAMES = ["Web-Portal-01", "web-portal-02", "db-50%-full", "db-50-full", "a_b-node",
          "axb-node", "path/to/vol", "pathXtoXvol", 'say "hi" box', "云平台-主机-甲",
          "云平台-主机-乙", "CamelCaseHost"]  # fmt: skip


def _seed(app: App) -> None:
    """The names above once each, then filler (``fill-NNNN``) past :data:`RARE`."""
    apply_estate(app)
    with app.sessions() as session, session.begin():
        provider_id, provider = session.execute(
            select(col(Provider.id), col(Provider.name)).limit(1)
        ).one()
        tenant_id, code = session.execute(select(col(Tenant.id), col(Tenant.code)).limit(1)).one()
        names = _NAMES + [f"fill-{i:04d}" for i in range(RARE + 50)]
        rows: list[dict[str, Any]] = [{
            "provider_id": provider_id, "tenant_id": tenant_id, "system_id": None,
            "provider_name": provider, "tenant_code": code, "system_name": "",
            "kind": "server", "resource_id": f"ID-{i:05d}", "name": name, "status": "ACTIVE",
            "managed": True, "spec": {}, "created_at": AT, "observed_at": AT, "deleted_at": None,
        } for i, name in enumerate(names)]  # fmt: skip
        session.execute(insert(table_of(Resource)), rows)


def _like(app: App, term: TextMatch) -> list[str]:
    """The provider ids the plain ``LIKE`` finds for ``term``, in the list's order."""
    names = ("name", "resource_id") if term.field is None else (term.field,)
    found = or_(*(ilike_contains(col(getattr(Resource, n)), term.value.lower()) for n in names))
    with app.sessions() as session:
        ids = session.scalars(
            select(col(Resource.resource_id)).where(
                ~found if term.invert else found, col(Resource.deleted_at).is_(None)
            )
        ).all()
    return sorted(ids)


_TERMS = ["web-portal", "WEB-PORTAL-01", "50%", "a_b", "path/to", 'y "hi', "云平台",
          "台-主", "casehost", "id-0000", "ab", "xb", "fill-0", "fill", "no-such-thing",
          "name:portal", "resource_id:ID-0001", "!portal", "!fill"]  # fmt: skip


def _shown(door: Govcloud, query: str) -> list[str]:
    """Every page of ``query`` (the first with its total), as provider ids."""
    page = door.resources(query=query, limit=1000)
    total, shown = page.total, [v.resource_id for v in page.items]
    while page.continue_token is not None:
        page = door.resources(query=query, limit=1000, continue_token=page.continue_token)
        shown.extend(v.resource_id for v in page.items)
    assert total == len(shown), query
    return sorted(shown)


def _term(query: str) -> TextMatch:
    invert = query.startswith("!")
    body = query.lstrip("!")
    field, sep, value = body.partition(":")
    return TextMatch(field, value, invert) if sep else TextMatch(None, body, invert)


def test_a_term_finds_what_like_finds(app: App) -> None:
    _seed(app)
    door = Govcloud.acting_as(app, "ops-li")
    for query in _TERMS:
        assert _shown(door, query) == _like(app, _term(query)), query
    assert len(_shown(door, "fill")) > RARE  # the common term took the ordered scan
    assert _shown(door, "50%") != _shown(door, "50")  # % is literal
    with app.sessions() as session, session.begin():
        resources = table_of(Resource)
        renamed = col(Resource.name) == "CamelCaseHost"
        session.execute(update(resources).where(renamed).values(name="renamed-host"))
        session.execute(delete(resources).where(col(Resource.name) == "web-portal-02"))
        late = dict(
            session.execute(select(resources).where(col(Resource.name) == "axb-node"))
            .one()
            ._mapping
        )
        late.pop("id")
        session.execute(
            insert(resources), [{**late, "name": "late-portal", "resource_id": "ID-99999"}]
        )
    for query in ("casehost", "renamed", "portal", "web-portal-02", "late-portal"):
        assert _shown(door, query) == _like(app, _term(query)), query
    assert _shown(door, "casehost") == [] and _shown(door, "renamed") == ["ID-00011"]
    assert _shown(door, "web-portal-02") == [] and _shown(door, "late-portal") == ["ID-99999"]


def _plan(app: App, term: str) -> str:
    # a table this small is cheaper to scan, or to walk in the list's order: ask whether
    # the trigram index can serve the term (at 100,000 rows the planner takes it unasked
    # for a rare term: bench/tui.py's facade figures)
    flt = ResourceFilter(limit=101, match=(TextMatch(None, term),))
    return page_plan(app, flt, switched_off=("seqscan", "indexscan"))


def test_a_rare_term_is_read_through_the_trigram_index(app: App) -> None:
    _seed(app)
    if app.engine.dialect.name == "postgresql":
        with app.sessions() as session, session.begin():
            # as sync leaves a bulk load (refresh_statistics, once the server's counters
            # show the rows): analyzed, the GIN indexes' pending lists merged
            analyze(session, "resource")
    plan = _plan(app, "portal-01")
    if app.engine.dialect.name == "sqlite":
        assert "resource_trgm VIRTUAL TABLE" in plan and "INTEGER PRIMARY KEY" in plan, plan
        assert "resource_trgm" not in _plan(app, "01")
    else:
        assert "ix_resource_name_trgm" in plan and "ix_resource_resource_id_trgm" in plan, plan


def test_rows_a_bulk_writer_inserts_are_found_like_the_triggers_rows(app: App) -> None:
    """The sync inserts inside ``indexed_in_bulk`` (one indexing statement, not the per-row
    trigger): its rows are found as LIKE finds them; a failed bulk block leaves no mark
    behind, so the trigger indexes the next ordinary insert."""
    _seed(app)
    door = Govcloud.acting_as(app, "ops-li")
    resources = table_of(Resource)

    def template(session: Any) -> dict[str, Any]:
        row = session.execute(select(resources).where(col(Resource.name) == "axb-node")).one()
        found = dict(row._mapping)
        found.pop("id")
        return found

    with app.sessions() as session, session.begin():
        late = template(session)
        with indexed_in_bulk(session.connection()):
            session.execute(insert(resources), [
                {**late, "name": f"bulk-portal-{i}", "resource_id": f"BULK-{i:05d}"}
                for i in range(3)
            ])  # fmt: skip
    assert _shown(door, "bulk-portal") == [f"BULK-{i:05d}" for i in range(3)]
    assert _shown(door, "bulk-portal") == _like(app, _term("bulk-portal"))

    def failed_batch() -> None:
        with app.sessions() as session, session.begin(), indexed_in_bulk(session.connection()):
            lost = {**late, "name": "lost-portal", "resource_id": "LOST-1"}
            session.execute(insert(resources), [lost])
            raise RuntimeError("the batch failed")

    with pytest.raises(RuntimeError):
        failed_batch()
    with app.sessions() as session, session.begin():
        if session.get_bind().dialect.name == "sqlite":
            marks = session.execute(text(f"SELECT count(*) FROM {BULK_TABLE}")).scalar_one()
            assert marks == 0
        after = {**late, "name": "after-portal", "resource_id": "A-1"}
        session.execute(insert(resources), [after])
    assert _shown(door, "lost-portal") == []
    assert _shown(door, "after-portal") == ["A-1"] == _like(app, _term("after-portal"))
