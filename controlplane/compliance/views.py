"""From inventory rows to the policy engine's plain views.

Owns the mapping of ``Resource`` rows (with their ``System``, ``Tenant`` and
``Provider``) to :class:`policies.ResourceView`, one ``system`` view per ``System`` row,
and the scope (tenant, city, sector) each view is audited under. A fact the database
does not hold (a filing number, a province code) stays ``None`` so rules report it as a
missing input instead of passing.

Resource specs are JSON, so times arrive as ISO-8601 text: the attributes rules compare
as times are declared once in :data:`TIME_ATTRS`. Ingress is read from a security
rule's own fields (``direction``, ``protocol``, ``port_min``, ``port_max``,
``remote_cidr`` as the OpenStack inventory records them) or from a security group's
``ingress`` list of ``{source, port_min, port_max, protocol}`` entries.

Reads the database through the session it is given; never writes. Imports
``policies`` and the table models only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Dialect
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from controlplane.db.bulk import driver_rows
from controlplane.db.models import Provider, Resource, System, Tenant
from controlplane.db.tables_inventory import AppliedResource
from controlplane.records import provider_assessment_facts, system_record_facts
from controlplane.timeutil import as_utc
from policies import IngressRule, ProviderFacts, ResourceView, SiteFacts, SystemFacts

__all__ = [
    "TIME_ATTRS",
    "AuditScope",
    "Inventory",
    "ingress_of",
    "provider_facts",
    "resource_attrs",
    "scope_for",
    "system_facts",
]

TIME_ATTRS: Mapping[str, type[date]] = {
    "last_backup_at": datetime,
    "last_login": datetime,
    "oldest_record_at": datetime,
    "expires_at": datetime,
    "authorization_expires": datetime,
    "restore_tested_on": date,
    "patched_on": date,
}
"""Spec keys rules compare as times (datetime) or days (date)."""

_BATCH = 2000


@dataclass(frozen=True, slots=True)
class AuditScope:
    """What picks a resource's policy binding: its tenant and the tenant's city/sector."""

    tenant: str | None
    city: str | None
    sector: str | None


def provider_facts(provider: Provider) -> ProviderFacts:
    """The estate's record of a cloud; an in-province cloud is in China by definition."""
    return ProviderFacts(
        name=provider.name,
        tier=provider.tier,
        country="CN" if provider.in_province else None,
        city=provider.city,
        sector=provider.sector,
        certified_level=provider.certified_level,
        xinchuang=provider.xinchuang,
        arch=provider.arch,
        cpu_vendor=provider.cpu_vendor,
        **provider_assessment_facts(provider.assessment),
    )


def system_facts(system: System, tenant: str) -> SystemFacts:
    """The stored system with its records; it went live when it was first provisioned."""
    return SystemFacts(
        name=system.name,
        tenant=tenant,
        level=system.level,
        data_grade=system.data_classification,
        xinchuang_required=system.xinchuang,
        live_since=system.created_at,
        **system_record_facts(system.records or {}),
    )


def _as_time(value: object, kind: type[date]) -> object:
    if not isinstance(value, str):
        return value
    try:
        if kind is datetime:
            return as_utc(datetime.fromisoformat(value))
        return date.fromisoformat(value[:10])
    except ValueError:
        # a malformed or naive time is kept as text: the rule then names it as unusable
        return value


def resource_attrs(spec: Mapping[str, Any]) -> dict[str, object]:
    """A resource's observed attributes with declared time fields parsed."""
    attrs: dict[str, object] = dict(spec)
    for key, kind in TIME_ATTRS.items():
        if key in attrs:
            attrs[key] = _as_time(attrs[key], kind)
    return attrs


def _port(value: object) -> int | None:
    return value if isinstance(value, int) else None


def ingress_of(kind: str, spec: Mapping[str, Any]) -> tuple[IngressRule, ...]:
    """The inbound flows a security rule or security group allows."""
    if kind == "security_rule":
        if spec.get("direction") != "ingress":
            return ()
        protocol = spec.get("protocol")
        return (
            IngressRule(
                source=str(spec.get("remote_cidr") or "0.0.0.0/0"),
                port_min=_port(spec.get("port_min")),
                port_max=_port(spec.get("port_max")),
                protocol=str(protocol) if protocol else "any",
            ),
        )
    entries = spec.get("ingress")
    if not isinstance(entries, list):
        return ()
    return tuple(
        IngressRule(
            source=str(entry.get("source", "0.0.0.0/0")),
            port_min=_port(entry.get("port_min")),
            port_max=_port(entry.get("port_max")),
            protocol=str(entry.get("protocol", "tcp")),
        )
        for entry in entries
        if isinstance(entry, dict)
    )


def _site(spec: Mapping[str, Any], provider: ProviderFacts) -> SiteFacts:
    def text(key: str) -> str | None:
        value = spec.get(key)
        return str(value) if value is not None else None

    return SiteFacts(
        country=text("country") or provider.country,
        province=text("province"),
        city=text("city") or provider.city,
        az=text("az") or text("availability_zone"),
        site=text("site"),
        storage_backend=text("storage_backend"),
    )


def scope_for(tenant: Tenant | None, provider: ProviderFacts | None) -> AuditScope:
    """A department's own city/sector decide its overlay; else the hosting cloud's."""
    city = provider.city if provider else None
    sector = provider.sector if provider else None
    if tenant is None:
        return AuditScope(None, city, sector)
    return AuditScope(tenant.code, tenant.city or city, tenant.sector or sector)


class Inventory:
    """The current inventory of one database as policy views, streamed in batches."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self.providers = {p.id: provider_facts(p) for p in session.exec(select(Provider))}
        self.tenants = {t.id: t for t in session.exec(select(Tenant))}
        self._system_rows = {s.id: s for s in session.exec(select(System).order_by(col(System.id)))}
        self.systems: dict[int | None, SystemFacts] = {}
        for system in self._system_rows.values():
            tenant = self.tenants.get(system.tenant_id)
            if tenant is not None:
                self.systems[system.id] = system_facts(system, tenant.code)

    def scope_of(self, tenant_id: int | None, provider: ProviderFacts | None) -> AuditScope:
        return scope_for(self.tenants.get(tenant_id) if tenant_id is not None else None, provider)

    def system_views(self) -> Iterator[tuple[ResourceView, AuditScope]]:
        """One ``system`` view per system record (level-wide and pending rules run here)."""
        for system_id, facts in self.systems.items():
            row = self._system_rows[system_id]
            provider = self.providers.get(row.provider_id) if row.provider_id else None
            view = ResourceView(
                kind="system",
                id=f"{facts.tenant}/{facts.name}",
                name=facts.name,
                tenant=facts.tenant,
                system=facts,
                provider=provider,
                created_at=row.created_at,
            )
            yield view, self.scope_of(row.tenant_id, provider)

    def resource_views(self) -> Iterator[tuple[ResourceView, AuditScope]]:
        """Every live (not deleted) resource, in id order, fetched ``_BATCH`` at a time.

        A province holds ~100k resources: the rows come straight from the driver (a
        server-side cursor on PostgreSQL), each value through its column type's own
        result processing, without building ORM or Core rows; sites and scopes, shared
        by most resources of a cloud and a department, are built once each.
        """
        connection = self._session.connection()
        dialect = connection.dialect
        columns = _inventory_columns()
        query = (
            sa_select(*columns)
            # govcloud's own resources are known by the id provisioning recorded
            .outerjoin(
                AppliedResource,
                (col(AppliedResource.provider_id) == col(Resource.provider_id))
                & (col(AppliedResource.kind) == col(Resource.kind))
                & (col(AppliedResource.resource_id) == col(Resource.resource_id)),
            )
            .where(col(Resource.deleted_at).is_(None))
            .order_by(col(Resource.id))
        )
        spec_of = _processor(columns[6], dialect)
        created_of = _processor(columns[7], dialect)
        sites: dict[tuple[Any, ...], SiteFacts] = {}
        scopes: dict[tuple[int | None, int | None], AuditScope] = {}
        rows = driver_rows(self._session, query, size=_BATCH)
        for provider_id, tenant_id, system_id, kind, rid, name, raw, created, req in rows:
            provider = self.providers.get(provider_id)
            system = self.systems.get(system_id) if system_id is not None else None
            if tenant_id is None and system_id is not None:
                owner = self._system_rows.get(system_id)
                tenant_id = owner.tenant_id if owner is not None else None
            tenant = self.tenants.get(tenant_id) if tenant_id is not None else None
            spec: Mapping[str, Any] = (spec_of(raw) if spec_of else raw) or {}
            if provider is None:
                site = SiteFacts()
            else:
                key = (provider_id, *map(spec.get, _SITE_KEYS))
                try:
                    site = sites[key]
                except (KeyError, TypeError):  # new, or a list where text belongs
                    site = _site(spec, provider)
                    if _plain_key(key):
                        sites[key] = site
            scope = scopes.get((tenant_id, provider_id))
            if scope is None:
                scope = scopes[tenant_id, provider_id] = self.scope_of(tenant_id, provider)
            view = ResourceView(
                kind=kind,
                id=rid,
                name=name,
                tenant=tenant.code if tenant is not None else None,
                system=system,
                provider=provider,
                site=site,
                data_grade=_text(spec.get("data_grade")),
                ingress=ingress_of(kind, spec),
                attrs={**resource_attrs(spec), "request_id": req or spec.get("request_id")},
                created_at=created_of(created) if created_of else created,
            )
            yield view, scope

    def views(self) -> Iterator[tuple[ResourceView, AuditScope]]:
        yield from self.system_views()
        yield from self.resource_views()


_SITE_KEYS = ("country", "province", "city", "az", "availability_zone", "site", "storage_backend")
"""The spec keys :func:`_site` reads: two resources alike in these share one site."""


def _plain_key(key: tuple[Any, ...]) -> bool:
    """Site values as text (or absent): anything else is built per resource, uncached
    (``True`` and ``1`` are equal keys but not equal texts)."""
    return all(v is None or type(v) is str for v in key[1:])


def _inventory_columns() -> tuple[Any, ...]:
    r = Resource
    return (
        col(r.provider_id),
        col(r.tenant_id),
        col(r.system_id),
        col(r.kind),
        col(r.resource_id),
        col(r.name),
        col(r.spec),
        col(r.created_at),
        col(AppliedResource.request_id),
    )


def _processor(column: Any, dialect: Dialect) -> Callable[[Any], Any] | None:
    """The column type's own conversion of a driver value (``None``: taken as it is)."""
    processor: Callable[[Any], Any] | None = column.type.dialect_impl(dialect).result_processor(
        dialect, None
    )
    return processor


def _text(value: object) -> str | None:
    return str(value) if value is not None else None
