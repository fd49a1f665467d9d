"""The read side of inventory: resources and drift as plain views for the CLI and TUI.

Owns ``ResourceFilter``/``ResourceView``/``list_resources`` (what ``govcloud get
resources`` shows, newest observation, open drift per resource) and
``DriftView``/``list_drift``. Read-only; returns frozen values, never table rows.

The resource list is a hundred thousand rows and is read a page at a time (the console,
the API, the CLI). Its order (provider, tenant, system, kind, name, id) is made of the
row's own columns (the owners' names are stored beside their ids), and an index serves
it, alone or after a leading sort column (tenant, kind, name, status); a page is a
keyset range of that index from the last row shown, read in order until the limit, so
it costs its length plus the rows a filter skips, never a join or a sort of every
match. Owner terms (``provider:``, ``tenant:``) are matched against the owners' own
small tables first and select resources by equality; other terms are tested during the
ordered scan. A substring of the name or provider id is also served by a trigram index
(:mod:`controlplane.db.text_search`): on PostgreSQL ``ILIKE`` uses the ``pg_trgm`` index
when the planner's statistics say the term is rare; on SQLite a term of three or more
characters is looked up in the FTS5 trigram table first, and when it is rare (at most
:data:`RARE` rows) only those rows are read and tested, while a common one is left to
the ordered scan, which finds a page of it sooner. The count (``ResourceFilter.count``)
is a separate pass over all matches.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, column, func, literal, not_, or_, table, tuple_
from sqlalchemy.orm import aliased, sessionmaker
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from controlplane.db.clouds import tier_clouds
from controlplane.db.models import Provider, Resource, System, Tenant
from controlplane.db.substring import ilike_contains
from controlplane.db.tables_inventory import Drift, SyncRun
from controlplane.db.text_search import FTS_TABLE, MIN_TERM, SEARCHED, fts_table
from controlplane.inventory.views import ResourceView, resource_key

__all__ = [
    "MATCH_FIELDS",
    "ORDER_COLUMNS",
    "RARE",
    "DriftView",
    "ResourceFilter",
    "ResourceView",
    "TextMatch",
    "list_drift",
    "list_resources",
    "order_value",
    "page_query",
    "resource_key",
]


@dataclass(frozen=True)
class ResourceFilter:
    tenant: str | None = None
    provider: str | None = None
    kind: str | None = None
    managed: bool | None = None
    include_deleted: bool = False
    limit: int | None = None
    #: keyset paging: only resources after this one (a ``ResourceView.row_id``) in the
    #: list's order
    after: int | None = None
    #: keyset paging by key: only resources whose :func:`resource_key` sorts after this
    #: (with ``order``: the order column's value first, then the key)
    after_key: tuple[str, ...] | None = None
    #: conditions that must all hold (``None`` field: the name or the resource id)
    match: tuple[TextMatch, ...] = ()
    #: order by this column of :data:`ORDER_COLUMNS` first (then the list's order)
    order: str | None = None
    descending: bool = False
    #: count the matches (a second pass over them; ``False``: the total is ``None``)
    count: bool = True


@dataclass(frozen=True)
class TextMatch:
    """``field`` (see :data:`MATCH_FIELDS`; ``None``: name or resource id) contains
    ``value``, case-insensitively; ``invert`` negates it. ``managed`` compares a boolean."""

    field: str | None
    value: str
    invert: bool = False


#: the fields of :func:`resource_key`: the list's order, every one a column of the row
#: (the owners' names are stored beside their ids), so one index serves a page
_KEY_FIELDS = ("provider", "tenant", "system", "kind", "name", "resource_id")


def _columns() -> dict[str, Any]:
    return {
        "provider": col(Resource.provider_name),
        "tenant": col(Resource.tenant_code),
        "system": col(Resource.system_name),
        "kind": col(Resource.kind),
        "name": col(Resource.name),
        "resource_id": col(Resource.resource_id),
        "status": col(Resource.status),
        "managed": col(Resource.managed),
        "created_at": col(Resource.created_at),
        "observed_at": col(Resource.observed_at),
    }


#: the fields a :class:`TextMatch` may name, and the columns the list may be ordered by
MATCH_FIELDS = ("provider", "tenant", "system", "kind", "name", "resource_id", "status", "managed")
ORDER_COLUMNS = (*MATCH_FIELDS, "created_at", "observed_at")
_TIME_COLUMNS = frozenset({"created_at", "observed_at"})
#: owners whose names a term matches in their own (small) table first: the matching names
#: then select the resources by equality, which the list's indexes serve
_OWNER_NAMES: dict[str, Any] = {"provider": Provider.name, "tenant": Tenant.code}


#: a term the trigram table finds in at most this many rows is read through it (SQLite)
RARE = 1000


def _trigram_rows(session: Session, names: tuple[str, ...], needle: str) -> Any | None:
    """The rows whose ``names`` may contain ``needle`` as SQLite's FTS5 trigram table
    finds them (a superset of the ``LIKE`` matches: it folds case beyond ASCII), when
    that narrows the list to at most :data:`RARE` rows; ``None`` otherwise (PostgreSQL,
    whose planner chooses its trigram index itself; a term shorter than a trigram; a
    database without the table; a common term)."""
    if len(needle) < MIN_TERM or not set(names) <= set(SEARCHED):
        return None
    connection = session.connection()
    if connection.dialect.name != "sqlite" or not fts_table(connection):
        return None
    fts = table(FTS_TABLE, column("rowid"), column(FTS_TABLE))
    phrase = '"' + needle.replace('"', '""') + '"'  # a literal in FTS5's query syntax
    rows = select(fts.c.rowid).where(
        fts.c[FTS_TABLE].op("MATCH")(f"{{{' '.join(names)}}} : {phrase}")
    )
    found = session.execute(select(func.count()).select_from(rows.limit(RARE + 1).subquery()))
    if found.scalar_one() > RARE:
        return None
    return col(Resource.id).in_(rows)


def _condition(session: Session, term: TextMatch) -> Any:
    columns = _columns()
    needle = term.value.lower()
    if term.field == "managed":
        cond = columns["managed"] == (needle in ("true", "yes", "1", "是"))
    elif term.field in _OWNER_NAMES and needle:
        owner = col(_OWNER_NAMES[term.field])
        names = session.scalars(select(owner).where(ilike_contains(owner, needle))).all()
        cond = columns[term.field].in_(sorted(names))
    else:
        names = ("name", "resource_id") if term.field is None else (term.field,)
        parts = [ilike_contains(columns[n], needle) for n in names]
        cond = or_(*parts) if len(parts) > 1 else parts[0]
        # the index narrows a term that must hold (a negated one holds for nearly every
        # row); ``LIKE`` still decides, so the matches are exactly its own
        narrowed = None if term.invert else _trigram_rows(session, names, needle)
        if narrowed is not None:
            cond = and_(narrowed, cond)
    return not_(cond) if term.invert else cond


def order_value(view: ResourceView, order: str) -> str | int:
    """The order column's value of ``view`` as a token part (times as ISO text)."""
    value = getattr(view, order)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, bool):
        return int(value)
    return value if isinstance(value, str) else "" if value is None else str(value)


def _conditions(session: Session, flt: ResourceFilter) -> list[Any]:
    conditions: list[Any] = []
    if flt.tenant is not None:
        # the scope by the tenant's id, the authoritative owner
        tenant = select(Tenant.id).where(col(Tenant.code) == flt.tenant).scalar_subquery()
        conditions.append(col(Resource.tenant_id) == tenant)
    if flt.provider is not None:
        conditions.append(col(Resource.provider_name) == flt.provider)
    if flt.kind is not None:
        conditions.append(col(Resource.kind) == flt.kind)
    if flt.managed is not None:
        conditions.append(col(Resource.managed) == flt.managed)
    if not flt.include_deleted:
        conditions.append(col(Resource.deleted_at).is_(None))
    conditions.extend(_condition(session, term) for term in flt.match)
    return conditions


def _ordering(flt: ResourceFilter) -> tuple[str, ...]:
    """The fields the list is ordered by: the key, after ``flt.order`` when given (not
    repeated in the key, which orders the same): the columns of one of the indexes."""
    if flt.order is None:
        return _KEY_FIELDS
    return (flt.order, *(f for f in _KEY_FIELDS if f != flt.order))


def _after(flt: ResourceFilter, key: tuple[str, ...]) -> Any:
    """Rows after ``key`` (the order column's value first when ordered) in the list's
    order, as one row-value comparison an index range can start from."""
    parts: dict[str, Any] = dict(zip(_KEY_FIELDS, key[-len(_KEY_FIELDS) :], strict=True))
    if flt.order is not None:
        first: Any = key[0]
        if flt.order in _TIME_COLUMNS:
            first = datetime.fromisoformat(str(first))
        elif flt.order == "managed":
            first = bool(int(first))
        parts[flt.order] = first
    columns = _columns()
    fields = _ordering(flt)
    row = tuple_(*(columns[f] for f in fields))
    bound = tuple_(*(literal(parts[f]) for f in fields))
    return row < bound if flt.descending else row > bound


def _open_drift(session: Session, ids: list[tuple[int, str, str]]) -> dict[Any, list[str]]:
    found: dict[Any, list[str]] = defaultdict(list)
    if not ids:
        return found
    rows = session.exec(
        select(Drift).where(
            col(Drift.resolved_at).is_(None),
            col(Drift.provider_id).in_(sorted({p for p, _, _ in ids})),
            col(Drift.resource_id).in_(sorted({r for _, _, r in ids})),
        )
    )
    for row in rows:
        found[row.provider_id, row.kind, row.resource_id].append(row.drift)
    return found


def _last_done(session: Session, provider_ids: set[int]) -> dict[int, datetime]:
    """Each provider's last completed sync stamp: that run saw every row still live."""
    if not provider_ids:
        return {}
    rows = session.execute(
        select(col(SyncRun.provider_id), func.max(col(SyncRun.stamp)))
        .where(col(SyncRun.state) == "done", col(SyncRun.provider_id).in_(sorted(provider_ids)))
        .group_by(col(SyncRun.provider_id))
    )
    return {int(provider_id): stamp for provider_id, stamp in rows if stamp is not None}


def _observed_at(resource: Resource, last_done: Mapping[int, datetime]) -> datetime:
    """When the resource was last observed: a sync writes only the rows that changed, so
    a live row was also observed by its provider's last completed sync."""
    done = last_done.get(resource.provider_id)
    if resource.deleted_at is not None or done is None:
        return resource.observed_at
    return max(resource.observed_at, done)


def page_query(
    session: Session, flt: ResourceFilter, conditions: list[Any] | None = None
) -> SelectOfScalar[Resource]:
    """The statement of one page: the matching rows in the list's order, from the key
    after the last row shown, at most ``flt.limit`` of them (``conditions``: those of
    ``flt``, when already made)."""
    columns = _columns()
    ordering = [columns[f] for f in _ordering(flt)]
    query = select(Resource).where(
        *(_conditions(session, flt) if conditions is None else conditions)
    )
    query = query.order_by(*(c.desc() for c in ordering) if flt.descending else ordering)
    if flt.after is not None:
        # the key of the last row shown; a row deleted since then keeps its place
        key_columns = [columns[f] for f in _KEY_FIELDS]
        anchor = session.execute(
            select(*key_columns).where(col(Resource.id) == flt.after)
        ).one_or_none()
        if anchor is not None:
            query = query.where(tuple_(*key_columns) > tuple_(*map(literal, anchor)))
    if flt.after_key is not None:
        # the key itself (the facade's continue token): no anchor row to look up
        query = query.where(_after(flt, flt.after_key))
    if flt.limit is not None:
        query = query.limit(flt.limit)
    return query


def list_resources(
    sessions: sessionmaker[Session], flt: ResourceFilter = ResourceFilter()
) -> tuple[list[ResourceView], int | None]:
    """Resources matching ``flt`` ordered by provider, tenant, system, kind, name; and
    how many matched in all (the list starts after ``flt.after`` and stops at
    ``flt.limit``).

    A page reads the rows of one table in the order of one of its indexes and stops at
    the limit, so it costs about its length plus the rows a filter skips, never a sort
    of every match; the count is a pass over all the matches (``flt.count``)."""
    with sessions() as session:
        conditions = _conditions(session, flt)
        total = None
        if flt.count:
            count = select(func.count()).select_from(Resource).where(*conditions)
            total = int(session.execute(count).scalar_one())
        rows = list(session.scalars(page_query(session, flt, conditions)))
        drift = _open_drift(session, [(r.provider_id, r.kind, r.resource_id) for r in rows])
        last_done = _last_done(session, {r.provider_id for r in rows})
    views = [
        ResourceView(
            provider=resource.provider_name,
            tenant=resource.tenant_code or None,
            system=resource.system_name or None,
            kind=resource.kind,
            resource_id=resource.resource_id,
            name=resource.name,
            status=resource.status,
            managed=resource.managed,
            spec=dict(resource.spec),
            created_at=resource.created_at,
            observed_at=_observed_at(resource, last_done),
            deleted_at=resource.deleted_at,
            drift=tuple(
                sorted(drift.get((resource.provider_id, resource.kind, resource.resource_id), []))
            ),
            row_id=resource.id or 0,
        )
        for resource in rows
    ]
    return views, total


@dataclass(frozen=True)
class DriftView:
    provider: str
    kind: str
    resource_id: str
    name: str
    tenant: str | None
    system: str | None
    drift: str
    detail: Mapping[str, Any]
    first_seen: datetime
    last_seen: datetime
    resolved_at: datetime | None


def list_drift(
    sessions: sessionmaker[Session],
    *,
    provider: str | None = None,
    tier: str | None = None,
    tenant: str | None = None,
    include_resolved: bool = False,
) -> list[DriftView]:
    """Drift rows (open ones unless ``include_resolved``), oldest first; ``provider``
    (the cloud's exact name) and ``tier`` (one of its clouds,
    :func:`~controlplane.db.clouds.tier_clouds`) narrow to the cloud the drift is on."""
    owner, system = aliased(Tenant), aliased(System)
    query = (
        select(Drift, Provider.name, owner.code, system.name)
        .join(Provider, col(Provider.id) == col(Drift.provider_id))
        .outerjoin(owner, col(owner.id) == col(Drift.tenant_id))
        .outerjoin(system, col(system.id) == col(Drift.system_id))
    )
    if provider is not None:
        query = query.where(col(Provider.name) == provider)
    if tier is not None:
        query = query.where(col(Provider.name).in_(tier_clouds(tier)))
    if tenant is not None:
        query = query.where(col(owner.code) == tenant)
    if not include_resolved:
        query = query.where(col(Drift.resolved_at).is_(None))
    query = query.order_by(col(Drift.first_seen), col(Drift.id))
    with sessions() as session:
        rows = session.execute(query).all()
    return [
        DriftView(
            provider=provider_name,
            kind=row.kind,
            resource_id=row.resource_id,
            name=row.name,
            tenant=tenant_code,
            system=system_name,
            drift=row.drift,
            detail=dict(row.detail),
            first_seen=row.first_seen,
            last_seen=row.last_seen,
            resolved_at=row.resolved_at,
        )
        for row, provider_name, tenant_code, system_name in rows
    ]
