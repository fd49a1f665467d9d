"""Corrections of finalized months, carried into the next open month.

Owns the rule that keeps finalized statements frozen without losing money: when month N
is rated, every finalized month F whose next open month is N (the finalized months
immediately before N) is re-rated from what is stored *now* — late imports, changed
prices, newly measured availability. For each department the difference between what F
should have charged and what has been billed for F so far (its finalized lines, plus
re-rating corrections already finalized on later statements) becomes a ``correction``
adjustment on N; likewise per provider for SLA deductions. Re-running N recomputes the
same corrections; once N is finalized they count as billed, so nothing is corrected
twice. Automatic corrections carry ``RERATE_EVIDENCE`` so hand-entered adjustments are
never reversed by them. Reads through the caller's session.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from sqlalchemy import Table, select
from sqlmodel import Session

from controlplane.billing import Adjustment, AdjustmentKind, Month
from controlplane.bills.inputs import EstateInputs
from controlplane.bills.rated import rate_stored_month
from controlplane.db import table_of
from controlplane.db.tables_billing import BillAdjustmentRow, BillStatement

__all__ = ["LOOKBACK_MONTHS", "RERATE_EVIDENCE", "corrections", "finalized_chain"]

RERATE_EVIDENCE = "re-rating of "
STATEMENTS: Table = table_of(BillStatement)
ADJUSTMENTS: Table = table_of(BillAdjustmentRow)
LOOKBACK_MONTHS = 24


def _is_finalized(session: Session, month: Month) -> bool:
    states = set(
        session.execute(select(STATEMENTS.c.state).where(STATEMENTS.c.month == str(month)))
        .scalars()
        .all()
    )
    return states == {"finalized"}


def finalized_chain(session: Session, month: Month) -> list[Month]:
    """The finalized months immediately before ``month`` (newest first)."""
    chain: list[Month] = []
    probe = month.previous
    while len(chain) < LOOKBACK_MONTHS and _is_finalized(session, probe):
        chain.append(probe)
        probe = probe.previous
    return chain


def _billed(
    session: Session, month: Month
) -> tuple[dict[str, Decimal], dict[tuple[str, str], Decimal]]:
    """What has been billed for ``month``: usage per tenant, SLA per (tenant, provider)."""
    usage: dict[str, Decimal] = defaultdict(Decimal)
    sla: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for tenant, total in session.execute(
        select(STATEMENTS.c.tenant, STATEMENTS.c.lines_total).where(
            STATEMENTS.c.month == str(month), STATEMENTS.c.state == "finalized"
        )
    ):
        usage[tenant] += total
    adjustments = session.execute(
        select(STATEMENTS.c.tenant, ADJUSTMENTS.c.kind, ADJUSTMENTS.c.provider,
               ADJUSTMENTS.c.evidence, ADJUSTMENTS.c.amount)
        .join(STATEMENTS, STATEMENTS.c.id == ADJUSTMENTS.c.statement_id)
        .where(ADJUSTMENTS.c.relates_to == str(month), STATEMENTS.c.state == "finalized")
    )  # fmt: skip
    for tenant, kind, provider, evidence, amount in adjustments:
        if kind == AdjustmentKind.CORRECTION and evidence.startswith(RERATE_EVIDENCE):
            usage[tenant] += amount
        elif kind == AdjustmentKind.SLA:
            sla[(tenant, provider)] += amount
    return usage, sla


def corrections(
    session: Session,
    month: Month,
    inputs: EstateInputs,
    approver: str,
) -> list[Adjustment]:
    """Adjustments on ``month`` that true up the finalized months before it."""
    out: list[Adjustment] = []
    for finalized in finalized_chain(session, month):
        fresh = rate_stored_month(session, finalized, inputs, approver)
        expected_usage: dict[str, Decimal] = defaultdict(Decimal)
        for line in fresh.rating.lines:
            expected_usage[line.tenant] += line.amount
        expected_sla: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
        for adj in fresh.sla:
            expected_sla[(adj.tenant, adj.provider)] += adj.amount
        billed_usage, billed_sla = _billed(session, finalized)
        for tenant in sorted(set(expected_usage) | set(billed_usage)):
            delta = expected_usage[tenant] - billed_usage[tenant]
            if delta and tenant in inputs.tenant_names:
                out.append(
                    Adjustment(
                        tenant, AdjustmentKind.CORRECTION,
                        f"更正 correction of {finalized}: 已结算 billed {billed_usage[tenant]}, "
                        f"重新计费 re-rated {expected_usage[tenant]}",
                        approver, delta, str(finalized),
                        evidence=f"{RERATE_EVIDENCE}{finalized}",
                    )
                )  # fmt: skip
        for tenant, provider in sorted(set(expected_sla) | set(billed_sla)):
            delta = expected_sla[(tenant, provider)] - billed_sla[(tenant, provider)]
            if delta and tenant in inputs.tenant_names:
                out.append(
                    Adjustment(
                        tenant, AdjustmentKind.SLA,
                        f"服务水平考核更正 SLA correction of {finalized} on {provider}: "
                        f"已扣减 deducted {billed_sla[(tenant, provider)]}, "
                        f"应扣减 due {expected_sla[(tenant, provider)]}",
                        approver, delta, str(finalized), provider,
                        evidence=f"{RERATE_EVIDENCE}{finalized}",
                    )
                )  # fmt: skip
    return out
