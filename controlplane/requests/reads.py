"""Tenant and resource reads that honour RBAC (a department sees only its own tenant).

The estate and inventory services read without asking who reads; commands acting for a
principal go through these, so the scoping rule is enforced in the service layer.
"""

from __future__ import annotations

from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col, select

from controlplane import rbac
from controlplane.db.models import Provider, Resource, System, Tenant

__all__ = ["GovernedReads", "TenantNotFound"]


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
