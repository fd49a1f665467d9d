"""Budget alerts: a department's projected yearly spend crossing a share of its budget.

The projection is what plans judge a request against (see
:class:`controlplane.planning.model.BudgetImpact`): per system, the yearly cost its
active reservation holds, or for a system without one 12 × its synced monthly cost —
what is committed and reserved for the year. When that reaches a threshold (percent of
the annual budget; 80 and 100 by default) an alert record is written, once per
department, budget year (Asia/Shanghai calendar year) and threshold: the unique key
and ``ON CONFLICT DO NOTHING`` keep re-firings and concurrent replicas from raising
it twice. Run by the ``budget-alerts`` job of ``govcloud serve``; read through the
facade (``budget.alerts``: a department sees its own).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col, select

from controlplane import budgets
from controlplane.db.engine import transaction
from controlplane.db.models import System, Tenant
from controlplane.db.tables_budget_alerts import BudgetAlert
from controlplane.planning.snapshot import load_snapshot
from controlplane.timeutil import SHANGHAI, Clock

__all__ = ["DEFAULT_THRESHOLDS", "BudgetAlertInfo", "BudgetAlertService", "Projection"]

DEFAULT_THRESHOLDS: tuple[int, ...] = (80, 100)


@dataclass(frozen=True)
class Projection:
    tenant: str
    annual_budget: Decimal
    projected: Decimal

    @property
    def percent(self) -> Decimal:
        return self.projected * 100 / self.annual_budget


@dataclass(frozen=True)
class BudgetAlertInfo:
    id: int
    tenant: str
    year: int
    threshold: int
    annual_budget: Decimal
    projected: Decimal
    raised_at: datetime
    raised_by: str

    @classmethod
    def of(cls, row: BudgetAlert) -> BudgetAlertInfo:
        return cls(
            id=row.id or 0,
            tenant=row.tenant,
            year=row.year,
            threshold=row.threshold,
            annual_budget=row.annual_budget,
            projected=row.projected,
            raised_at=row.raised_at,
            raised_by=row.raised_by,
        )


def check_thresholds(thresholds: Sequence[int]) -> tuple[int, ...]:
    chosen = tuple(sorted(set(thresholds)))
    if not chosen or any(t <= 0 for t in chosen):
        raise ValueError(f"budget thresholds must be positive percents, got {list(thresholds)}")
    return chosen


class BudgetAlertService:
    def __init__(self, sessions: sessionmaker[Session], clock: Clock) -> None:
        self._sessions = sessions
        self._clock = clock

    def projections(self, session: Session, now: datetime) -> list[Projection]:
        """Every department with a budget: its committed and reserved yearly spend."""
        tenants = [
            t
            for t in session.exec(select(Tenant).order_by(col(Tenant.code))).all()
            if t.budget > 0 and t.id is not None
        ]
        if not tenants:
            return []
        ids = [t.id for t in tenants if t.id is not None]
        snapshot = load_snapshot(session, now, None, ids)
        query = select(col(System.id), col(System.name)).where(col(System.tenant_id).in_(ids))
        names = {int(sid): str(name) for sid, name in session.execute(query).all()}
        reserved = budgets.reserved_annual_of(session, [t.code for t in tenants])
        # each department's systems' yearly synced cost, in one pass over the costs
        yearly: dict[int, dict[str, Decimal]] = {}
        for (owner, system_id), monthly in snapshot.system_cost.items():
            name = names.get(system_id, "") if system_id is not None else ""
            mine = yearly.setdefault(owner, {})
            mine[name] = mine.get(name, Decimal(0)) + monthly * 12
        out = []
        for tenant in tenants:
            held = reserved.get(tenant.code, {})
            synced = yearly.get(tenant.id or 0, {})
            projected = sum(held.values(), Decimal(0)) + sum(
                (cost for name, cost in synced.items() if name not in held), Decimal(0)
            )
            out.append(Projection(tenant.code, tenant.budget, projected))
        return out

    def raise_alerts(
        self, *, actor: str, thresholds: Sequence[int] = DEFAULT_THRESHOLDS
    ) -> list[BudgetAlertInfo]:
        """Write an alert for each threshold a projection reached and not yet alerted
        this budget year; returns the alerts raised now (none on a re-firing)."""
        chosen = check_thresholds(thresholds)
        now = self._clock()
        year = now.astimezone(SHANGHAI).year
        raised: list[BudgetAlertInfo] = []
        with transaction(self._sessions) as session:
            insert = (
                postgresql.insert
                if session.get_bind().dialect.name == "postgresql"
                else sqlite.insert
            )
            for p in self.projections(session, now):
                for threshold in chosen:
                    if p.percent < threshold:
                        break
                    inserted = session.execute(
                        insert(BudgetAlert)
                        .values(
                            tenant=p.tenant,
                            year=year,
                            threshold=threshold,
                            annual_budget=p.annual_budget,
                            projected=p.projected,
                            raised_at=now,
                            raised_by=actor,
                        )
                        .on_conflict_do_nothing(index_elements=["tenant", "year", "threshold"])
                        .returning(col(BudgetAlert.id))
                    ).scalar_one_or_none()
                    if inserted is not None:
                        row = session.get(BudgetAlert, inserted)
                        assert row is not None
                        raised.append(BudgetAlertInfo.of(row))
        return raised

    def list(self, *, tenant: str | None = None, year: int | None = None) -> list[BudgetAlertInfo]:
        """Alerts, newest first (``tenant``: that department's only)."""
        with self._sessions() as session:
            query = select(BudgetAlert)
            if tenant is not None:
                query = query.where(BudgetAlert.tenant == tenant)
            if year is not None:
                query = query.where(BudgetAlert.year == year)
            rows = session.exec(
                query.order_by(col(BudgetAlert.raised_at).desc(), col(BudgetAlert.id).desc())
            ).all()
            return [BudgetAlertInfo.of(r) for r in rows]
