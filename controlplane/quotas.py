"""Quota reservations: what a department holds per provider, checked race-free.

Every (tenant, provider) pair has one ``quota_usage`` row holding the amounts reserved
there. :func:`reserve` locks that row (``SELECT … FOR UPDATE`` on PostgreSQL; on SQLite
the insert-or-nothing that precedes it already holds the database's single write lock),
so concurrent applies are serialised per department and provider and can never together
exceed a quota. A reservation belongs to a request; an update request supersedes the
system's previous reservation, which comes back if the update is refused
(:func:`release`).

Runs inside the caller's transaction and must be called before the transaction appends
to the audit log (one lock order everywhere: quota row, then the audit chain).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from controlplane.db.tables_requests import Quota, QuotaReservation, QuotaUsage
from controlplane.i18n import Lang
from tenants import ResourceAmounts

__all__ = [
    "QuotaExceeded",
    "QuotaExcessItem",
    "amounts_of",
    "release",
    "release_system",
    "reserve",
    "usage",
]

_FIELDS = tuple(f.name for f in fields(ResourceAmounts))
_ZERO = ResourceAmounts()
_WORDS = {
    "vcpu": ("vCPU", "vCPU"),
    "memory_gib": ("内存 GiB", "memory GiB"),
    "storage_gib": ("存储 GiB", "storage GiB"),
    "public_ips": ("公网 IP", "public IPs"),
    "namespaces": ("命名空间", "namespaces"),
}


@dataclass(frozen=True)
class QuotaExcessItem:
    """One quota a reservation would break: its limit, what is in use, what was asked."""

    resource: str
    limit: int
    in_use: Decimal
    asked: Decimal


class QuotaExceeded(Exception):
    """The request would push a department over its quota on a provider."""

    def __init__(self, tenant: str, provider: str, items: list[QuotaExcessItem]) -> None:
        self.tenant = tenant
        self.provider = provider
        self.items = items
        super().__init__(self.describe("en"))

    def describe(self, lang: Lang = "en") -> str:
        if lang == "zh":
            parts = "；".join(
                f"{_WORDS[i.resource][0]} 配额 {i.limit}，已用 {i.in_use}，本次申请 {i.asked}"
                for i in self.items
            )
            return f"超出部门 {self.tenant} 在云平台 {self.provider} 上的配额：{parts}"
        parts = "; ".join(
            f"{_WORDS[i.resource][1]} quota {i.limit}, in use {i.in_use}, asked {i.asked}"
            for i in self.items
        )
        return f"quota exceeded for tenant {self.tenant} on provider {self.provider}: {parts}"


def amounts_of(row: QuotaUsage | QuotaReservation) -> ResourceAmounts:
    return ResourceAmounts(**{name: getattr(row, name) for name in _FIELDS})


def _set(row: QuotaUsage | QuotaReservation, amounts: ResourceAmounts) -> None:
    for name in _FIELDS:
        setattr(row, name, getattr(amounts, name))


def _locked_usage(session: Session, tenant: str, provider: str) -> QuotaUsage:
    values: dict[str, Any] = {"tenant": tenant, "provider": provider, "version": 0}
    values.update({name: getattr(_ZERO, name) for name in _FIELDS})
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    session.execute(
        insert(QuotaUsage)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["tenant", "provider"])
    )
    row = session.exec(
        select(QuotaUsage)
        .where(QuotaUsage.tenant == tenant, QuotaUsage.provider == provider)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    return row


def lock_usage(session: Session, pairs: Sequence[tuple[str, str]]) -> None:
    """Lock the usage rows of these (tenant, provider) pairs, in the order given (callers
    sort them: one order everywhere); a later :func:`reserve` in the same transaction
    already holds its row."""
    for tenant, provider in pairs:
        _locked_usage(session, tenant, provider)


def usage(session: Session, tenant: str, provider: str) -> ResourceAmounts:
    """What ``tenant`` holds on ``provider`` now (zero if nothing was ever reserved)."""
    row = session.exec(
        select(QuotaUsage).where(QuotaUsage.tenant == tenant, QuotaUsage.provider == provider)
    ).first()
    return amounts_of(row) if row else ResourceAmounts()


def _excess(
    quota: Quota | None, in_use: ResourceAmounts, asked: ResourceAmounts
) -> list[QuotaExcessItem]:
    if quota is None:
        return []
    items: list[QuotaExcessItem] = []
    for name in _FIELDS:
        limit: int | None = getattr(quota, name)
        used, wanted = Decimal(getattr(in_use, name)), Decimal(getattr(asked, name))
        if limit is not None and wanted > 0 and used + wanted > limit:
            items.append(QuotaExcessItem(name, limit, used, wanted))
    return items


def reserve(
    session: Session,
    *,
    request_id: int,
    tenant: str,
    provider: str,
    system: str,
    amounts: ResourceAmounts,
    now: datetime,
) -> QuotaReservation:
    """Hold ``amounts`` for ``request_id`` or raise :class:`QuotaExceeded` (nothing held).

    The system's earlier reservations on this provider are superseded: an update asks
    for the system's new total, not for an addition to it.
    """
    row = _locked_usage(session, tenant, provider)
    earlier = list(
        session.exec(
            select(QuotaReservation).where(
                QuotaReservation.tenant == tenant,
                QuotaReservation.provider == provider,
                QuotaReservation.system_name == system,
                col(QuotaReservation.active).is_(True),
            )
        ).all()
    )
    held_by_system = sum((amounts_of(r) for r in earlier), ResourceAmounts())
    in_use = amounts_of(row) - held_by_system
    quota = session.exec(
        select(Quota).where(Quota.tenant == tenant, Quota.provider == provider)
    ).first()
    items = _excess(quota, in_use, amounts)
    if items:
        raise QuotaExceeded(tenant, provider, items)
    for old in earlier:
        old.active = False
        old.superseded_by = request_id
        old.released_at = now
        session.add(old)
    reservation = QuotaReservation(
        request_id=request_id,
        tenant=tenant,
        provider=provider,
        system_name=system,
        created_at=now,
    )
    _set(reservation, amounts)
    _set(row, in_use + amounts)
    row.version += 1
    session.add_all([reservation, row])
    session.flush()
    return reservation


def release(session: Session, request_id: int, now: datetime) -> ResourceAmounts:
    """Give back what ``request_id`` holds and restore what it superseded; idempotent."""
    mine = list(
        session.exec(
            select(QuotaReservation).where(
                QuotaReservation.request_id == request_id, col(QuotaReservation.active).is_(True)
            )
        ).all()
    )
    restored = list(
        session.exec(
            select(QuotaReservation).where(QuotaReservation.superseded_by == request_id)
        ).all()
    )
    freed = ResourceAmounts()
    for reservation in mine:
        row = _locked_usage(session, reservation.tenant, reservation.provider)
        back = [r for r in restored if r.provider == reservation.provider]
        giving = amounts_of(reservation) - sum((amounts_of(r) for r in back), ResourceAmounts())
        _set(row, amounts_of(row) - giving)
        row.version += 1
        reservation.active = False
        reservation.released_at = now
        for old in back:
            old.active, old.superseded_by, old.released_at = True, None, None
            session.add(old)
        session.add_all([row, reservation])
        freed = freed + giving
    session.flush()
    return freed


def release_system(session: Session, tenant: str, system: str, now: datetime) -> None:
    """Give back everything ``system`` holds (after it is deleted)."""
    held = session.exec(
        select(QuotaReservation).where(
            QuotaReservation.tenant == tenant,
            QuotaReservation.system_name == system,
            col(QuotaReservation.active).is_(True),
        )
    ).all()
    for reservation in held:
        row = _locked_usage(session, reservation.tenant, reservation.provider)
        _set(row, amounts_of(row) - amounts_of(reservation))
        row.version += 1
        reservation.active = False
        reservation.released_at = now
        session.add_all([row, reservation])
    session.flush()
