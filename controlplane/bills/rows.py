"""Statements to rows and back, with the stored content hash re-checked.

Owns the mapping between the core's ``Statement`` and the ``bill_statement`` /
``bill_line`` / ``bill_adjustment`` rows, and the integrity check: a statement read back
is rebuilt from its line and adjustment rows and its SHA-256 recomputed; if that differs
from the hash stored when it was written (someone edited a row behind the service's
back) reading it fails with ``StatementTampered`` naming the statement. Works inside the
caller's session.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table, delete, insert, select
from sqlmodel import Session, col
from sqlmodel import select as sm_select

from controlplane.billing import (
    Adjustment,
    BillLine,
    Proration,
    RateVersionRef,
    Statement,
    Tier,
)
from controlplane.bills.bulk import insert_lines
from controlplane.bills.errors import StatementTampered
from controlplane.db import table_of
from controlplane.db.tables_billing import BillAdjustmentRow, BillLineRow, BillStatement

__all__ = [
    "month_rows",
    "read_statements",
    "replace_content",
    "replace_contents",
    "statement_values",
]

LINES: Table = table_of(BillLineRow)
ADJUSTMENTS: Table = table_of(BillAdjustmentRow)
_CHUNK = 500  # statement ids per IN (…) list
_ROWS = 5000  # rows per multi-row INSERT


def statement_values(statement: Statement) -> dict[str, Any]:
    """The ``bill_statement`` columns that follow from the statement's content."""
    return {
        "tenant_name": statement.tenant_name,
        "content_hash": statement.content_hash,
        "rate_versions": [
            {"version": r.version, "approval_ref": r.approval_ref, "approver": r.approver}
            for r in statement.rate_versions
        ],
        "lines_total": statement.lines_total,
        "adjustments_total": statement.adjustments_total,
        "total": statement.total,
    }


def _adjustment_row(statement_id: int, position: int, adj: Adjustment) -> dict[str, Any]:
    return {
        "statement_id": statement_id,
        "position": position,
        "kind": adj.kind.value,
        "reason": adj.reason,
        "approver": adj.approver,
        "amount": adj.amount,
        "relates_to": adj.relates_to,
        "provider": adj.provider,
        "evidence": adj.evidence,
    }


def replace_content(session: Session, row: BillStatement, statement: Statement) -> None:
    """Make ``row``'s lines and adjustments exactly ``statement``'s (never for finalized)."""
    assert row.id is not None and row.state != "finalized"
    replace_contents(session, [(row.id, statement)])


def replace_contents(session: Session, contents: Sequence[tuple[int, Statement]]) -> None:
    """Make each statement row's lines and adjustments exactly its statement's, in bulk.

    A month close rewrites up to every department's statement: one DELETE per
    ``_CHUNK`` statements, lines by ``bulk.insert_lines`` (COPY / one executemany) and
    multi-row adjustment INSERTs, not four statements per department.
    The caller has checked that none of the rows is finalized.
    """
    ids = [statement_id for statement_id, _ in contents]
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        session.execute(delete(LINES).where(LINES.c.statement_id.in_(chunk)))
        session.execute(delete(ADJUSTMENTS).where(ADJUSTMENTS.c.statement_id.in_(chunk)))
    insert_lines(
        session,
        (
            (statement_id, i, line)
            for statement_id, statement in contents
            for i, line in enumerate(statement.lines)
        ),
    )
    adjustments = [
        _adjustment_row(statement_id, i, adj)
        for statement_id, statement in contents
        for i, adj in enumerate(statement.adjustments)
    ]
    for start in range(0, len(adjustments), _ROWS):
        session.execute(insert(ADJUSTMENTS), adjustments[start : start + _ROWS])


def _line(month: str, tenant: str, r: Any) -> BillLine:
    return BillLine(
        month=month,
        tenant=tenant,
        system=r.system,
        provider=r.provider,
        tier=Tier(r.tier),
        meter=r.meter,
        unit=r.unit,
        proration=Proration(r.proration),
        rate_version=r.rate_version,
        approval_ref=r.approval_ref,
        unit_price=r.unit_price,
        period_units=r.period_units,
        billed_quantity=r.billed_quantity,
        discount_percent=r.discount_percent,
        discount_ref=r.discount_ref,
        amount=r.amount,
        interval_ids=tuple(r.interval_ids),
    )


def read_statements(
    session: Session, rows: Sequence[BillStatement]
) -> list[tuple[BillStatement, Statement]]:
    """Rebuild each row's ``Statement`` and check it against the stored hash."""
    ids = [row.id for row in rows]
    lines: dict[int, list[Any]] = defaultdict(list)
    adjustments: dict[int, list[Any]] = defaultdict(list)
    for chunk in range(0, len(ids), 500):
        part = ids[chunk : chunk + 500]
        for r in session.execute(
            select(LINES).where(LINES.c.statement_id.in_(part)).order_by(LINES.c.position)
        ):
            lines[r.statement_id].append(r)
        for r in session.execute(
            select(ADJUSTMENTS)
            .where(ADJUSTMENTS.c.statement_id.in_(part))
            .order_by(ADJUSTMENTS.c.position)
        ):
            adjustments[r.statement_id].append(r)
    out = []
    for row in rows:
        assert row.id is not None
        statement = Statement(
            row.month,
            row.tenant,
            row.tenant_name,
            tuple(_line(row.month, row.tenant, r) for r in lines[row.id]),
            tuple(
                Adjustment(
                    row.tenant,
                    r.kind,
                    r.reason,
                    r.approver,
                    r.amount,
                    r.relates_to,
                    r.provider,
                    r.evidence,
                )
                for r in adjustments[row.id]
            ),
            tuple(
                RateVersionRef(r["version"], r["approval_ref"], r["approver"])
                for r in row.rate_versions
            ),
        )
        if statement.content_hash != row.content_hash or statement.total != row.total:
            raise StatementTampered(
                f"statement {row.month}/{row.tenant} ({row.state}) does not match its stored "
                f"content hash {row.content_hash[:16]}… (rebuilt {statement.content_hash[:16]}…, "
                f"total {statement.total} vs stored {row.total}): its rows were changed outside "
                "govcloud"
            )
        out.append((row, statement))
    return out


def month_rows(session: Session, month: str, tenant: str | None = None) -> list[BillStatement]:
    """The stored statements of ``month`` (one department's with ``tenant``), by code."""
    query = sm_select(BillStatement).where(BillStatement.month == month)
    if tenant is not None:
        query = query.where(BillStatement.tenant == tenant)
    return list(session.exec(query.order_by(col(BillStatement.tenant))).all())
