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

from sqlalchemy import Select, func, literal, tuple_
from sqlalchemy.orm import aliased, sessionmaker
from sqlmodel import Session, col, select

from controlplane.db.models import Provider, Resource, System, Tenant
from controlplane.db.tables_inventory import Drift, SyncRun
from providers import ObservedResource

__all__ = [
    "DriftView",
    "ResourceFilter",
    "ResourceView",
    "list_drift",
    "list_resources",
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
    after_key: tuple[str, ...] | None = None


@dataclass(frozen=True)
class ResourceView:
    provider: str
    tenant: str | None
    system: str | None
    kind: str
    resource_id: str
    name: str
    status: str
    managed: bool
    spec: Mapping[str, Any]
    created_at: datetime
    observed_at: datetime
    deleted_at: datetime | None
    drift: tuple[str, ...]
    row_id: int = 0

    def as_observed(self) -> ObservedResource:
        """This row in the drivers' terms, so ``providers.kinds`` columns can render it."""
        return ObservedResource(
            provider=self.provider,
            kind=self.kind,
            resource_id=self.resource_id,
            name=self.name,
            tenant=self.tenant,
            system=self.system,
            request_id=None,
            status=self.status,
            spec=self.spec,
            created_at=self.created_at,
            managed=self.managed,
        )


def resource_key(view: ResourceView) -> tuple[str, ...]:
    """The list order as a key: provider, tenant, system, kind, name, id (no owner: '')."""
    return (
        view.provider,
        view.tenant or "",
        view.system or "",
        view.kind,
        view.name,
        view.resource_id,
    )


def _sort_columns() -> tuple[Any, ...]:
    # unowned resources have no tenant/system: '' keeps the key total for keyset paging
    return (
        col(Provider.name), func.coalesce(col(Tenant.code), ""),
        func.coalesce(col(System.name), ""), col(Resource.kind), col(Resource.name),
        col(Resource.resource_id),
    )  # fmt: skip


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
    return query


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
) -> tuple[list[ResourceView], int]:
    """Resources matching ``flt`` ordered by provider, tenant, system, kind, name; and
    how many matched in all (the list starts after ``flt.after`` and stops at
    ``flt.limit``)."""
    query = _resource_query(flt)
    with sessions() as session:
        total = session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
        ordered = query.order_by(*_sort_columns())
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
            key = tuple_(*(literal(part) for part in flt.after_key))
            ordered = ordered.where(tuple_(*_sort_columns()) > key)
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
    return views, int(total)


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
