"""The violations list as operators read it: each violation with the cloud it is on.

A violation's cloud (its *provider*) is the cloud of the resource it is about — the
inventory row of its subject's kind and id (the newest row, should two clouds ever hold
the same id) — else the cloud its system is placed on (a ``system`` subject, or a
resource no longer in the inventory); ``None`` when neither is known (a department's
finding of no placed system). :func:`violation_provider` is that rule as one SQL
expression: the list filters on it and the overview (:mod:`controlplane.overview`)
counts by it, so a cloud's figure is exactly the rows its list shows. It is derived when
read, never stored: it follows the inventory and a system's placement as they are now.

Every filter runs in the database (``provider`` and ``tier`` exactly, ``matches``
case-blind through :mod:`controlplane.db.substring`). Reads only; imports the table
models and :mod:`controlplane.db.substring`.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col

from controlplane.db.clouds import tier_clouds
from controlplane.db.models import Provider, Resource, System, Tenant
from controlplane.db.substring import contains
from controlplane.db.tables_compliance import PolicyViolation

__all__ = ["list_violations", "violation_provider"]


def violation_provider() -> ColumnElement[str | None]:
    """The name of the cloud a violation is on (``None``: not known), correlated to the
    ``policy_violation`` row of the enclosing statement."""
    v = PolicyViolation
    of_resource = (
        select(col(Resource.provider_name))
        .where(
            col(Resource.resource_id) == col(v.subject_id),
            col(Resource.kind) == col(v.subject_kind),
        )
        .order_by(col(Resource.id).desc())
        .limit(1)
        .correlate(v)
        .scalar_subquery()
    )
    of_system = (
        select(col(Provider.name))
        .select_from(System)
        .join(Tenant, col(Tenant.id) == col(System.tenant_id))
        .join(Provider, col(Provider.id) == col(System.provider_id))
        .where(and_(col(Tenant.code) == col(v.tenant), col(System.name) == col(v.system)))
        .limit(1)
        .correlate(v)
        .scalar_subquery()
    )
    found: ColumnElement[str | None] = func.coalesce(of_resource, of_system)
    return found


def list_violations(
    sessions: sessionmaker[Session],
    *,
    state: str | None = None,
    system: str | None = None,
    tenant: str | None = None,
    provider: str | None = None,
    tier: str | None = None,
    matches: Sequence[tuple[str, bool]] = (),
) -> list[tuple[PolicyViolation, str | None]]:
    """Violations by id with their cloud, narrowed in the database: ``state``, ``system``,
    ``tenant``, ``provider`` (the cloud's exact name) and ``tier`` (one of its clouds)
    are equalities; each of ``matches`` (``(text, invert)``, a ``/`` term on the cloud)
    a case-blind substring of the cloud's name (or its absence)."""
    where = violation_provider()
    v = PolicyViolation
    equal = ((col(v.state), state), (col(v.system), system), (col(v.tenant), tenant),
             (where, provider))  # fmt: skip
    query = (
        select(v, where.label("provider"))
        .where(*(column == value for column, value in equal if value is not None))
        .order_by(col(v.id))
    )
    if tier is not None:
        query = query.where(where.in_(tier_clouds(tier)))
    for text, invert in matches:
        query = query.where(contains([where], text, invert=invert))
    with sessions() as session:
        return [(row, name) for row, name in session.execute(query).tuples()]
