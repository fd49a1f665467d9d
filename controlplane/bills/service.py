"""The bills service: rating runs, statement states, adjustments, budgets, exports.

Owns the transactions of billing. ``run`` rates a month and writes its statements in
one transaction (a statement whose content is unchanged is not touched; a changed one
goes back to draft); ``confirm`` moves draft → confirmed; ``finalize`` freezes a month
after checking it has ended, has no unacknowledged coverage gap and that the stored
statements are what the stored data gives now. Nothing ever writes to a finalized
statement: every write path checks the state first, and every read re-checks the stored
content hash. Receives its session factory and clock in the constructor;
``bills_service(app)`` builds it from an ``App``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from sqlalchemy import Table, delete, func, select, text, update
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from controlplane import audit
from controlplane.billing import (
    Adjustment,
    AdjustmentKind,
    BudgetStatus,
    Month,
    Statement,
    budget_status,
)
from controlplane.billing.exports import export
from controlplane.bills.bulk import store_intervals
from controlplane.bills.compute import MonthResult, compute_month
from controlplane.bills.corrections import RERATE_EVIDENCE
from controlplane.bills.errors import BillError, FinalizeRefused, StatementFinalized
from controlplane.bills.inputs import load_inputs
from controlplane.bills.rows import month_rows, read_statements, replace_contents, statement_values
from controlplane.db import locks, table_of
from controlplane.db.bulk import BulkInsert
from controlplane.db.engine import transaction
from controlplane.db.tables_billing import (
    BillAdjustmentRow,
    BillLineRow,
    BillStatement,
    ManualAdjustment,
    RatingRun,
)
from controlplane.metering import load_usage, month_coverage
from controlplane.timeutil import Clock
from tenants import without_cycle_collection

if TYPE_CHECKING:
    from controlplane.app import App

__all__ = ["BillsService", "RunResult", "StatementView", "bills_service"]

STATEMENTS: Table = table_of(BillStatement)
RUNS: Table = table_of(RatingRun)
_PG_LOCK_KEY = locks.BILL_WRITE  # serialises bill writes across processes on PostgreSQL
DRAFT, CONFIRMED, FINALIZED = "draft", "confirmed", "finalized"


@dataclass(frozen=True)
class RunResult:
    month: str
    run_id: int | None
    finalized: bool
    statements: int
    changed: tuple[str, ...]
    records: int
    unattributed: int
    intervals: int
    lines: int
    unrated: int
    total: Decimal
    drift: dict[str, tuple[Decimal, Decimal]] = field(default_factory=dict)


@dataclass(frozen=True)
class StatementView:
    """A stored statement (hash re-checked) with its department's budget position."""

    state: str
    statement: Statement
    budget: BudgetStatus
    finalized_at: datetime | None
    finalized_by: str | None


def _lock(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK_KEY})


def _month_finalized(rows: Sequence[BillStatement]) -> bool:
    return any(row.state == FINALIZED for row in rows)


class BillsService:
    def __init__(self, sessions: sessionmaker[Session], clock: Clock) -> None:
        self._sessions = sessions
        self._clock = clock

    # ---- run ---------------------------------------------------------------------

    def run(self, month: Month, *, actor: str) -> RunResult:
        """Rate ``month`` and write its statements (one transaction, deterministic)."""
        # a province's close builds ~10^6 small acyclic objects (records, intervals, lines):
        # without the pause, collections that walk them all again cost a fifth of the run.
        # They are all dropped (``_run``'s frame) before the collector resumes: alive then,
        # the first collection after it would walk them once more (~0.25 s CPU).
        with without_cycle_collection(), transaction(self._sessions) as session:
            return self._run(session, month, actor)

    def _run(self, session: Session, month: Month, actor: str) -> RunResult:
        _lock(session)
        stored = month_rows(session, str(month))
        result = compute_month(session, month, load_inputs(session), actor)
        if _month_finalized(stored):
            return self._finalized_drift(month, stored, result)
        changed = self._write(session, month, stored, result, actor)
        return self._summary(month, result, changed, session)

    def _finalized_drift(
        self, month: Month, stored: Sequence[BillStatement], result: MonthResult
    ) -> RunResult:
        fresh = {s.tenant: s.lines_total for s in result.statements}
        drift = {
            row.tenant: (row.lines_total, fresh.get(row.tenant, Decimal("0.00")))
            for row in stored
            if fresh.get(row.tenant, Decimal("0.00")) != row.lines_total
        }
        return RunResult(str(month), None, True, len(stored), (), result.rated.records,
                         result.rated.unattributed, len(result.rated.intervals),
                         len(result.rated.rating.lines), len(result.rated.rating.unrated),
                         sum((row.total for row in stored), Decimal("0.00")), drift)  # fmt: skip

    def _write(
        self,
        session: Session,
        month: Month,
        stored: Sequence[BillStatement],
        result: MonthResult,
        actor: str,
    ) -> list[str]:
        now = self._clock()
        rated = result.rated
        run = RatingRun(month=str(month), at=now, actor=actor, observations=rated.records,
                        intervals=len(rated.intervals), lines=len(rated.rating.lines),
                        unrated=len(rated.rating.unrated), statements_changed=0)  # fmt: skip
        session.add(run)
        session.flush()
        assert run.id is not None
        by_tenant = {row.tenant: row for row in stored}
        changed: list[str] = []
        rewritten: list[Statement] = []
        ids: dict[str, int] = {}
        new_rows: list[dict[str, object]] = []
        updates: list[dict[str, object]] = []
        for statement in result.statements:
            row = by_tenant.pop(statement.tenant, None)
            if row is not None and row.content_hash == statement.content_hash:
                continue
            values = statement_values(statement)
            if row is None:
                values["rate_versions"] = json.dumps(values["rate_versions"])  # as JSON writes
                new_rows.append({"month": str(month), "tenant": statement.tenant,
                                 "state": DRAFT, "run_id": run.id, "created_at": now,
                                 "updated_at": now, **values})  # fmt: skip
            else:
                if row.state == FINALIZED or row.id is None:
                    raise StatementFinalized(f"statement {row.month}/{row.tenant} is finalized")
                ids[row.tenant] = row.id
                updates.append({**values, "id": row.id, "state": DRAFT, "run_id": run.id,
                                "updated_at": now, "confirmed_at": None,
                                "confirmed_by": None})  # fmt: skip
            rewritten.append(statement)
            changed.append(statement.tenant)
        if updates:  # bulk UPDATE by primary key
            session.execute(update(BillStatement), updates)
        if new_rows:  # COPY / one executemany, then their ids by the month's unique key
            columns = tuple(new_rows[0])  # every row's keys, in one order
            BulkInsert(session, STATEMENTS, columns, raw=("rate_versions",)).write(
                [tuple(new.values()) for new in new_rows]
            )
            c = STATEMENTS.c
            for tenant, statement_id in session.execute(
                select(c.tenant, c.id).where(c.month == str(month))
            ):
                ids[tenant] = statement_id
        # the intervals the rewritten statements cite; an unchanged statement's were
        # stored with it (content-addressed, never deleted), so a re-run writes none
        cited = {i for s in rewritten for line in s.lines for i in line.interval_ids}
        if cited:
            store_intervals(session, [iv for iv in rated.intervals if iv.interval_id in cited])
        replace_contents(session, [(ids[s.tenant], s) for s in rewritten])
        for gone in by_tenant.values():  # departments no longer in the estate
            self._delete(session, gone)
            changed.append(gone.tenant)
        hashes = {s.tenant: s.content_hash for s in result.statements}
        run.statements_changed = len(changed)
        run.summary = {"changed": changed, "unattributed": rated.unattributed,
                       "unrated": [str(u) for u in rated.rating.unrated[:50]]}  # fmt: skip
        session.add(run)
        audit.append(session, at=now, actor=actor, action="bill.run", subject=f"bill/{month}",
                     payload={"run": run.id, "changed": {t: hashes.get(t) for t in changed}})  # fmt: skip
        return changed

    @staticmethod
    def _delete(session: Session, row: BillStatement) -> None:
        if row.state == FINALIZED:
            raise StatementFinalized(f"statement {row.month}/{row.tenant} is finalized")
        lines: Table = table_of(BillLineRow)
        adjustments: Table = table_of(BillAdjustmentRow)
        session.execute(delete(lines).where(lines.c.statement_id == row.id))
        session.execute(delete(adjustments).where(adjustments.c.statement_id == row.id))
        session.delete(row)

    def _summary(
        self, month: Month, result: MonthResult, changed: list[str], session: Session
    ) -> RunResult:
        run_id = session.execute(
            select(func.max(RUNS.c.id)).where(RUNS.c.month == str(month))
        ).scalar_one()
        rated = result.rated
        return RunResult(str(month), run_id, False, len(result.statements), tuple(changed),
                         rated.records, rated.unattributed, len(rated.intervals),
                         len(rated.rating.lines), len(rated.rating.unrated),
                         sum((s.total for s in result.statements), Decimal("0.00")))  # fmt: skip

    # ---- read --------------------------------------------------------------------

    def statements(self, month: Month, tenant: str | None = None) -> list[Statement]:
        """The stored statements of ``month`` (hash re-checked), by department code."""
        with self._sessions() as session:
            return [s for _, s in read_statements(session, month_rows(session, str(month), tenant))]

    def show(self, month: Month, tenant: str | None = None) -> list[StatementView]:
        """Statements with month-to-date spend and the linear projection of each budget."""
        now = self._clock()
        with self._sessions() as session:
            inputs = load_inputs(session)
            pairs = read_statements(session, month_rows(session, str(month), tenant))
            year_start = Month(month.year, 1)
            views = []
            for row, statement in pairs:
                before = session.execute(
                    select(STATEMENTS.c.total).where(
                        STATEMENTS.c.tenant == row.tenant,
                        STATEMENTS.c.month >= str(year_start),
                        STATEMENTS.c.month < str(month),
                    )
                ).scalars()
                budget = budget_status(row.tenant, inputs.budgets.get(row.tenant, Decimal(0)),
                                       month, now, statement.total,
                                       sum(before, Decimal("0.00")))  # fmt: skip
                views.append(StatementView(row.state, statement, budget, row.finalized_at,
                                           row.finalized_by))  # fmt: skip
            return views

    # ---- state transitions -------------------------------------------------------

    def confirm(self, month: Month, *, actor: str, tenant: str | None = None) -> list[str]:
        """Draft → confirmed (a department or finance has checked the statement)."""
        with transaction(self._sessions) as session:
            _lock(session)
            rows = month_rows(session, str(month), tenant)
            if not rows:
                raise BillError(f"no statement for {month}{' / ' + tenant if tenant else ''}: "
                                "run `govcloud bill run` first")  # fmt: skip
            read_statements(session, rows)
            now, done = self._clock(), []
            for row in rows:
                if row.state == DRAFT:
                    row.sqlmodel_update({"state": CONFIRMED, "confirmed_at": now,
                                         "confirmed_by": actor, "updated_at": now})  # fmt: skip
                    session.add(row)
                    done.append(row.tenant)
            if done:
                audit.append(session, at=now, actor=actor, action="bill.confirm",
                             subject=f"bill/{month}", payload={"tenants": done})  # fmt: skip
            return done

    def finalize(self, month: Month, *, actor: str) -> list[str]:
        """Freeze every statement of ``month``; refuses with every reason it finds."""
        now = self._clock()
        with without_cycle_collection(), transaction(self._sessions) as session:  # see run
            _lock(session)
            rows = month_rows(session, str(month))
            if _month_finalized(rows):
                raise FinalizeRefused(str(month), ["it is already finalized"])
            reasons = []
            if now < month.end:
                reasons.append(f"the month has not ended (it ends {month.end.isoformat()})")
            providers = list(load_inputs(session).tiers)
            usage = load_usage(session, month.start, month.end)
            coverage = month_coverage(session, month, providers, usage, now)
            reasons += [f"unacknowledged coverage gap {gap}" for gap in coverage.open_gaps]
            if not rows:
                reasons.append("it has no statements: run `govcloud bill run` first")
            else:
                read_statements(session, rows)
                fresh = {s.tenant: s.content_hash for s in
                         compute_month(session, month, load_inputs(session), actor).statements}  # fmt: skip
                stale = sorted(r.tenant for r in rows if fresh.get(r.tenant) != r.content_hash)
                stale += sorted(set(fresh) - {r.tenant for r in rows})
                if stale:
                    reasons.append("the stored data has changed since the last run for "
                                   f"{', '.join(stale)}: run `govcloud bill run` again")  # fmt: skip
            if reasons:
                raise FinalizeRefused(str(month), reasons)
            for row in rows:
                row.sqlmodel_update({"state": FINALIZED, "finalized_at": now,
                                     "finalized_by": actor, "updated_at": now})  # fmt: skip
                session.add(row)
            audit.append(session, at=now, actor=actor, action="bill.finalize",
                         subject=f"bill/{month}",
                         payload={r.tenant: [r.content_hash, str(r.total)] for r in rows})  # fmt: skip
            return [row.tenant for row in rows]

    # ---- adjustments -------------------------------------------------------------

    def next_open_month(self, month: Month) -> Month:
        """``month`` itself if open, else the first month after it that is not finalized."""
        with self._sessions() as session:
            probe = month
            while _month_finalized(month_rows(session, str(probe))):
                probe = probe.next
            return probe

    def adjust(
        self,
        tenant: str,
        amount: Decimal,
        *,
        reason: str,
        approver: str,
        relates_to: Month,
        actor: str,
        provider: str = "",
        evidence: str = "",
    ) -> ManualAdjustment:
        """Record an approved correction on the next open month from ``relates_to``."""
        if evidence.startswith(RERATE_EVIDENCE):
            raise BillError(f"evidence may not start with {RERATE_EVIDENCE!r} (reserved)")
        target = self.next_open_month(relates_to)
        checked = Adjustment(tenant, AdjustmentKind.CORRECTION, reason, approver, amount, str(relates_to),
                             provider, evidence or "manual")  # fmt: skip
        with transaction(self._sessions) as session:
            _lock(session)
            if tenant not in load_inputs(session).tenant_names:
                raise BillError(f"unknown department {tenant!r}")
            now = self._clock()
            row = ManualAdjustment(month=str(target), tenant=tenant, kind=checked.kind.value,
                                   reason=checked.reason, approver=checked.approver,
                                   amount=checked.amount, relates_to=checked.relates_to,
                                   provider=provider, evidence=checked.evidence, actor=actor,
                                   at=now)  # fmt: skip
            session.add(row)
            session.flush()
            audit.append(session, at=now, actor=actor, action="bill.adjust",
                         subject=f"bill/{target}/{tenant}",
                         payload={"amount": str(checked.amount), "reason": checked.reason,
                                  "approver": approver, "relates_to": str(relates_to)})  # fmt: skip
            return row

    # ---- export ------------------------------------------------------------------

    def export(
        self,
        month: Month,
        fmt: str,
        out: BinaryIO | Path | str,
        *,
        tenant: str | None = None,
        lang: str = "zh",
    ) -> list[Statement]:
        """Write the stored statements of ``month`` (hash re-checked) as ``fmt``."""
        statements = self.statements(month, tenant)
        if not statements:
            raise BillError(f"no statement for {month}{' / ' + tenant if tenant else ''}: "
                            "run `govcloud bill run` first")  # fmt: skip
        export(statements, fmt, out, lang)
        return statements


def bills_service(app: App) -> BillsService:
    """The bills service ``app`` built."""
    return app.bills
