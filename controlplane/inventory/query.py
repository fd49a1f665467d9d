"""The read side of inventory: resources and drift as plain views for the CLI and TUI.

Owns ``ResourceFilter``/``ResourceView``/``list_resources`` (what ``govcloud get
resources`` shows, newest observation, open drift per resource) and
``DriftView``/``list_drift``. Read-only; returns frozen values, never table rows.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, literal, not_, or_, tuple_
from sqlalchemy.orm import aliased, sessionmaker
from sqlmodel import Session, col, select

from controlplane.db.models import Provider, Resource, System, Tenant
from controlplane.db.tables_inventory import Drift, SyncRun
from controlplane.inventory.views import ResourceView, resource_key

__all__ = [
    "MATCH_FIELDS",
    "ORDER_COLUMNS",
    "DriftView",
    "ResourceFilter",
    "ResourceView",
    "TextMatch",
    "list_drift",
    "list_resources",
    "order_value",
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


def _sort_columns() -> tuple[Any, ...]:
    # unowned resources have no tenant/system: '' keeps the key total for keyset paging
    return (
        col(Provider.name), func.coalesce(col(Tenant.code), ""),
        func.coalesce(col(System.name), ""), col(Resource.kind), col(Resource.name),
        col(Resource.resource_id),
    )  # fmt: skip


def _columns() -> dict[str, Any]:
    return {
        "provider": col(Provider.name),
        "tenant": func.coalesce(col(Tenant.code), ""),
        "system": func.coalesce(col(System.name), ""),
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


def _condition(term: TextMatch) -> Any:
    columns = _columns()
    if term.field == "managed":
        wanted = term.value.lower() in ("true", "yes", "1", "是")
        cond = columns["managed"] == wanted
    else:
        needle = term.value.lower()
        names = ("name", "resource_id") if term.field is None else (term.field,)
        parts = [func.lower(columns[n]).contains(needle, autoescape=True) for n in names]
        cond = or_(*parts) if len(parts) > 1 else parts[0]
    return not_(cond) if term.invert else cond


def order_value(view: ResourceView, order: str) -> str | int:
    """The order column's value of ``view`` as a token part (times as ISO text)."""
    value = getattr(view, order)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, bool):
        return int(value)
    return value if isinstance(value, str) else "" if value is None else str(value)


def _resource_query(flt: ResourceFilter) -> Select[Any]:
    query = (
        select(Resource, Provider.name, Tenant.code, System.name)
        .join(Provider, col(Provider.id) == col(Resource.provider_id))
        .outerjoin(Tenant, col(Tenant.id) == col(Resource.tenant_id))
        .outerjoin(System, col(System.id) == col(Resource.system_id))
    )
    if flt.tenant is not None:
        query = query.where(col(Tenant.code) == flt.tenant)
    if flt.provider is not None:
        query = query.where(col(Provider.name) == flt.provider)
    if flt.kind is not None:
        query = query.where(col(Resource.kind) == flt.kind)
    if flt.managed is not None:
        query = query.where(col(Resource.managed) == flt.managed)
    if not flt.include_deleted:
        query = query.where(col(Resource.deleted_at).is_(None))
    for term in flt.match:
        query = query.where(_condition(term))
    return query


def _ordering(flt: ResourceFilter) -> tuple[Any, ...]:
    columns = _sort_columns()
    if flt.order is not None:
        columns = (_columns()[flt.order], *columns)
    return columns


def _after(flt: ResourceFilter, key: tuple[str, ...]) -> Any:
    columns = _ordering(flt)
    parts: list[Any] = list(key)
    if flt.order in _TIME_COLUMNS:
        parts[0] = datetime.fromisoformat(str(parts[0]))
    elif flt.order == "managed":
        parts[0] = bool(int(parts[0]))
    row = tuple_(*columns)
    bound = tuple_(*(literal(part) for part in parts))
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


def list_resources(
    sessions: sessionmaker[Session], flt: ResourceFilter = ResourceFilter()
) -> tuple[list[ResourceView], int | None]:
    """Resources matching ``flt`` ordered by provider, tenant, system, kind, name; and
    how many matched in all (the list starts after ``flt.after`` and stops at
    ``flt.limit``)."""
    query = _resource_query(flt)
    with sessions() as session:
        total = None
        if flt.count:
            count = select(func.count()).select_from(query.subquery())
            total = int(session.execute(count).scalar_one())
        ordering = _ordering(flt)
        ordered = query.order_by(*(c.desc() for c in ordering) if flt.descending else ordering)
        if flt.after is not None:
            # the key of the last row shown; a row deleted since then keeps its place
            anchor = session.execute(
                select(*_sort_columns())
                .select_from(Resource)
                .join(Provider, col(Provider.id) == col(Resource.provider_id))
                .outerjoin(Tenant, col(Tenant.id) == col(Resource.tenant_id))
                .outerjoin(System, col(System.id) == col(Resource.system_id))
                .where(col(Resource.id) == flt.after)
            ).one_or_none()
            if anchor is not None:
                after = tuple_(*(literal(part) for part in anchor))
                ordered = ordered.where(tuple_(*_sort_columns()) > after)
        if flt.after_key is not None:
            # the key itself (the facade's continue token): no anchor row to look up
            ordered = ordered.where(_after(flt, flt.after_key))
        if flt.limit is not None:
            ordered = ordered.limit(flt.limit)
        rows = session.execute(ordered).all()
        drift = _open_drift(session, [(r.provider_id, r.kind, r.resource_id) for r, *_ in rows])
        last_done = _last_done(session, {r.provider_id for r, *_ in rows})
    views = [
        ResourceView(
            provider=provider,
            tenant=tenant,
            system=system,
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
        for resource, provider, tenant, system in rows
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
    tenant: str | None = None,
    include_resolved: bool = False,
) -> list[DriftView]:
    """Drift rows (open ones unless ``include_resolved``), oldest first."""
    owner, system = aliased(Tenant), aliased(System)
    query = (
        select(Drift, Provider.name, owner.code, system.name)
        .join(Provider, col(Provider.id) == col(Drift.provider_id))
        .outerjoin(owner, col(owner.id) == col(Drift.tenant_id))
        .outerjoin(system, col(system.id) == col(Drift.system_id))
    )
    if provider is not None:
        query = query.where(col(Provider.name) == provider)
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
