"""Budget reservations: what a department has approved counts, not only what is synced.

A request that is admitted holds its system's yearly cost (12 × the plan's monthly
estimate) against the department's annual budget, the way :mod:`controlplane.quotas`
holds resources. The department's spend is then, per system, the cost its active
reservation holds, or — for a system without one (imported, or older than this
rule) — 12 × what it costs in the synced inventory. A request is over budget when that
spend by the department's other systems plus its own yearly cost exceeds the budget;
the ``overBudget`` approval steps are judged on this, inside the transaction that
records the request.

Race-free: :func:`reserve` locks the department's ``budget_lock`` row
(``SELECT … FOR UPDATE`` on PostgreSQL; on SQLite the insert-or-nothing before it
already holds the single write lock), so parallel applies of one department are judged
one after the other. Lock order everywhere: quota row, then budget row, then the audit
chain. A reservation is released when its request is rejected (restoring what it
superseded) and when its system is deleted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from controlplane.db.tables_requests import BudgetLock, BudgetReservation

__all__ = [
    "BudgetCheck",
    "release",
    "release_system",
    "reserve",
    "reserved_annual",
    "reserved_annual_of",
]


@dataclass(frozen=True)
class BudgetCheck:
    """The judgement made when a reservation was taken."""

    budget: Decimal
    spent_by_others: Decimal
    annual: Decimal

    @property
    def over_budget(self) -> bool:
        return self.spent_by_others + self.annual > self.budget

    def to_record(self) -> dict[str, str | bool]:
        return {
            "budget": str(self.budget),
            "spentByOthers": str(self.spent_by_others),
            "annual": str(self.annual),
            "overBudget": self.over_budget,
        }


def _lock(session: Session, tenant: str) -> None:
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    session.execute(
        insert(BudgetLock)
        .values(tenant=tenant, version=0)
        .on_conflict_do_nothing(index_elements=["tenant"])
    )
    row = session.exec(
        select(BudgetLock)
        .where(BudgetLock.tenant == tenant)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    row.version += 1
    session.add(row)


def lock_tenants(session: Session, tenants: Sequence[str]) -> None:
    """Take the budget locks of ``tenants`` in the order given (callers sort them)."""
    for tenant in tenants:
        _lock(session, tenant)


def _active(session: Session, tenant: str) -> list[BudgetReservation]:
    return list(
        session.exec(
            select(BudgetReservation).where(
                BudgetReservation.tenant == tenant, col(BudgetReservation.active).is_(True)
            )
        ).all()
    )


def reserved_annual(session: Session, tenant: str) -> dict[str, Decimal]:
    """What each of ``tenant``'s systems holds now (read-only, for plans)."""
    out: dict[str, Decimal] = {}
    for r in _active(session, tenant):
        out[r.system_name] = out.get(r.system_name, Decimal(0)) + r.annual
    return out


def reserved_annual_of(session: Session, tenants: Sequence[str]) -> dict[str, dict[str, Decimal]]:
    """:func:`reserved_annual` of several departments at once (tenant → system → cost)."""
    out: dict[str, dict[str, Decimal]] = {}
    for start in range(0, len(tenants), 2000):
        rows = session.exec(
            select(BudgetReservation).where(
                col(BudgetReservation.tenant).in_(tenants[start : start + 2000]),
                col(BudgetReservation.active).is_(True),
            )
        ).all()
        for r in rows:
            held = out.setdefault(r.tenant, {})
            held[r.system_name] = held.get(r.system_name, Decimal(0)) + r.annual
    return out


def reserve(
    session: Session,
    *,
    request_id: int,
    tenant: str,
    system: str,
    annual: Decimal,
    budget: Decimal,
    synced_annual: Mapping[str, Decimal],
    now: datetime,
) -> BudgetCheck:
    """Hold ``annual`` for ``request_id`` and judge it against ``budget``.

    ``synced_annual`` is 12 × the synced monthly cost of each of the department's
    systems; a system with an active reservation counts by its reservation instead.
    The system's earlier reservations are superseded (an update asks for its new total).
    """
    _lock(session, tenant)
    held = _active(session, tenant)
    reserved: dict[str, Decimal] = {}
    for r in held:
        if r.system_name != system:
            reserved[r.system_name] = reserved.get(r.system_name, Decimal(0)) + r.annual
    spent = sum(reserved.values(), Decimal(0)) + sum(
        (cost for name, cost in synced_annual.items() if name != system and name not in reserved),
        Decimal(0),
    )
    for old in held:
        if old.system_name == system:
            old.active, old.superseded_by, old.released_at = False, request_id, now
            session.add(old)
    session.add(
        BudgetReservation(
            request_id=request_id, tenant=tenant, system_name=system, annual=annual, created_at=now
        )
    )
    session.flush()
    return BudgetCheck(budget, spent, annual)


def release(session: Session, request_id: int, now: datetime) -> None:
    """Give back what ``request_id`` holds and restore what it superseded; idempotent."""
    mine = session.exec(
        select(BudgetReservation).where(
            BudgetReservation.request_id == request_id, col(BudgetReservation.active).is_(True)
        )
    ).all()
    for reservation in mine:
        _lock(session, reservation.tenant)
        reservation.active, reservation.released_at = False, now
        session.add(reservation)
    for old in session.exec(
        select(BudgetReservation).where(BudgetReservation.superseded_by == request_id)
    ).all():
        old.active, old.superseded_by, old.released_at = True, None, None
        session.add(old)
    session.flush()


def release_system(session: Session, tenant: str, system: str, now: datetime) -> None:
    """Give back everything ``system`` holds (after it is deleted)."""
    _lock(session, tenant)
    for reservation in (r for r in _active(session, tenant) if r.system_name == system):
        reservation.active, reservation.released_at = False, now
        session.add(reservation)
    session.flush()
