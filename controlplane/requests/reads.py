"""Tenant and resource reads that honour RBAC (a department sees only its own tenant),
and where a request places its system.

The estate and inventory services read without asking who reads; commands acting for a
principal go through these, so the scoping rule is enforced in the service layer.

A request's cloud (its *provider*) is the one its plan placed it on
(``plan.govcloud.provider``, what provisioning will act on; a delete request keeps the
cloud of the system it removes); ``None`` when the plan placed it nowhere (denied before
placement). :func:`request_provider` reads it in SQL, so the requests list filters on
it and the overview counts pending approvals by it alike; :func:`planned_provider` reads
it from a loaded row.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col, select

from controlplane import rbac
from controlplane.db.models import Provider, Request, Resource, System, Tenant

__all__ = ["GovernedReads", "TenantNotFound", "planned_provider", "request_provider"]


def request_provider() -> ColumnElement[str | None]:
    """The name of the cloud a request's plan placed it on (``None``: nowhere)."""
    placed: ColumnElement[str | None] = col(Request.plan)[("govcloud", "provider")].as_string()
    return placed


def planned_provider(plan: Mapping[str, Any]) -> str | None:
    """:func:`request_provider` of a loaded request's ``plan``."""
    facts = plan.get("govcloud")
    found = facts.get("provider") if isinstance(facts, Mapping) else None
    return str(found) if found is not None else None


class TenantNotFound(LookupError):
    """No tenant has that code."""


class GovernedReads:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def tenants(self, *, actor: str) -> list[Tenant]:
        """Every tenant for wide roles; a department gets its own only."""
        with self._sessions() as session:
            identity = rbac.resolve(session, actor)
            query = select(Tenant).order_by(Tenant.code)
            if identity.scoped():
                rbac.authorize(identity, "tenant.show", identity.tenant)
                query = query.where(Tenant.code == identity.tenant)
            else:
                rbac.authorize(identity, "tenant.list")
            return list(session.exec(query).all())

    def tenant(self, code: str, *, actor: str) -> Tenant:
        with self._sessions() as session:
            identity = rbac.resolve(session, actor)
            rbac.authorize(identity, "tenant.show", code)
            tenant = session.exec(select(Tenant).where(Tenant.code == code)).first()
            if tenant is None:
                raise TenantNotFound(code)
            return tenant

    def systems(
        self, *, actor: str, tenant: str | None = None
    ) -> list[tuple[System, str, str | None]]:
        """Systems the principal may see (a department: its own), with their tenant's code
        and their provider's name (``None``: not placed yet)."""
        with self._sessions() as session:
            identity = rbac.resolve(session, actor)
            rbac.authorize(identity, "system.list", tenant)
            scope = identity.tenant if identity.scoped() else tenant
            query = (
                select(System, Tenant.code, Provider.name)
                .join(Tenant, col(Tenant.id) == col(System.tenant_id))
                .outerjoin(Provider, col(Provider.id) == col(System.provider_id))
            )
            if scope is not None:
                query = query.where(Tenant.code == scope)
            rows = session.exec(query.order_by(col(System.id))).all()
            return [(system, code, provider) for system, code, provider in rows]

    def resources(
        self, *, actor: str, tenant: str | None = None, provider: str | None = None
    ) -> list[Resource]:
        """Live resources the principal may see, optionally of one tenant or provider."""
        with self._sessions() as session:
            identity = rbac.resolve(session, actor)
            rbac.authorize(identity, "resource.list", tenant)
            scope = identity.tenant if identity.scoped() else tenant
            query = select(Resource).where(col(Resource.deleted_at).is_(None))
            if scope is not None:
                query = query.join(Tenant, col(Tenant.id) == col(Resource.tenant_id)).where(
                    Tenant.code == scope
                )
            if provider is not None:
                query = query.join(Provider, col(Provider.id) == col(Resource.provider_id)).where(
                    Provider.name == provider
                )
            return list(session.exec(query.order_by(col(Resource.id))).all())
