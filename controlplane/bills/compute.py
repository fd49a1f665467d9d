"""Computing a month's statements from what is stored, without writing anything.

Owns the composition of a rating run: the month's stored usage → intervals and owners
→ ``rate_month`` with the estate's rate card and tiers → SLA deductions from measured
availability → corrections of finalized earlier months (``corrections``) → approved
manual adjustments → one ``Statement`` per department. Deterministic: the same stored
rows give the same statements, whatever order they were ingested in. ``bill run``
writes the result; ``bill finalize`` recomputes it to refuse freezing a stale statement.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, select

from controlplane.billing import (
    Adjustment,
    AdjustmentKind,
    BillingError,
    Month,
    Statement,
    build_statements,
)
from controlplane.bills.corrections import corrections
from controlplane.bills.errors import BillRunError
from controlplane.bills.inputs import EstateInputs
from controlplane.bills.rated import MonthRating, rate_stored_month
from controlplane.db.tables_billing import ManualAdjustment

__all__ = ["MonthResult", "compute_month"]


@dataclass(frozen=True)
class MonthResult:
    rated: MonthRating
    statements: tuple[Statement, ...]


def _manual(session: Session, month: Month) -> list[Adjustment]:
    rows = session.exec(select(ManualAdjustment).where(ManualAdjustment.month == str(month)))
    return [
        Adjustment(row.tenant, AdjustmentKind(row.kind), row.reason, row.approver, row.amount, row.relates_to,
                   row.provider, row.evidence)
        for row in rows
    ]  # fmt: skip


def compute_month(
    session: Session, month: Month, inputs: EstateInputs, approver: str
) -> MonthResult:
    """The statements ``bill run`` would write for ``month`` now."""
    rated = rate_stored_month(session, month, inputs, approver)
    adjustments = [
        *rated.sla,
        *corrections(session, month, inputs, approver),
        *_manual(session, month),
    ]
    try:
        statements = build_statements(
            month, rated.rating.lines, adjustments, inputs.tenant_names, inputs.card
        )
    except BillingError as exc:
        raise BillRunError(f"{month}: {exc}") from exc
    return MonthResult(rated, statements)
