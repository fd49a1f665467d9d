"""The flat table of the CSV export: one row per line, adjustment and total.

Owns the column order and how a statement becomes rows of plain values (Decimals kept
as Decimals so each writer decides how to show them). Imports the billing value
modules and ``labels`` only.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from decimal import Decimal

from controlplane.billing.exports.labels import Lang, label, proration_label
from controlplane.billing.statements import Adjustment, Statement

Cell = str | int | Decimal

COLUMNS = (
    "month",
    "tenant",
    "tenant_name",
    "record",
    "system",
    "provider",
    "tier",
    "meter",
    "unit",
    "proration",
    "rate_version",
    "approval_ref",
    "unit_price",
    "billed_quantity",
    "period_units",
    "discount",
    "amount",
    "note",
    "content_hash",
)


def header(lang: Lang) -> list[str]:
    return [label(column, lang) for column in COLUMNS]


def versions_text(statement: Statement) -> str:
    return "; ".join(f"{ref.version} {ref.approval_ref}".strip() for ref in statement.rate_versions)


def _row(values: dict[str, Cell]) -> list[Cell]:
    unknown = set(values) - set(COLUMNS)
    assert not unknown, unknown
    return [values.get(column, "") for column in COLUMNS]


def statement_rows(statements: Iterable[Statement], lang: Lang) -> Iterator[list[Cell]]:
    """Rows (without header) for ``statements``, in statement and line order."""
    for st in statements:
        head: dict[str, Cell] = {
            "month": st.month,
            "tenant": st.tenant,
            "tenant_name": st.tenant_name,
            "content_hash": st.content_hash,
        }
        for line in st.lines:
            yield _row(
                head
                | {
                    "record": label("line", lang),
                    "system": line.system,
                    "provider": line.provider,
                    "tier": label(line.tier.value, lang),
                    "meter": line.meter,
                    "unit": line.unit,
                    "proration": proration_label(line.proration.value, lang),
                    "rate_version": line.rate_version,
                    "approval_ref": line.approval_ref,
                    "unit_price": line.unit_price,
                    "billed_quantity": line.billed_quantity,
                    "period_units": line.period_units,
                    "discount": line.discount_percent,
                    "amount": line.amount,
                    "note": line.discount_ref,
                }
            )
        for adj in st.adjustments:
            yield _row(
                head
                | {
                    "record": label("adjustment", lang),
                    "provider": adj.provider,
                    "amount": adj.amount,
                    "note": adjustment_note(adj, lang),
                }
            )
        yield _row(
            head
            | {
                "record": label("total", lang),
                "rate_version": versions_text(st),
                "amount": st.total,
                "note": f"{label('lines_total', lang)} {st.lines_total}; "
                f"{label('adjustments_total', lang)} {st.adjustments_total}",
            }
        )


def adjustment_note(adj: Adjustment, lang: Lang) -> str:
    """Kind, reason, approver, month concerned and evidence of an adjustment in one text."""
    parts = [
        f"{label(adj.kind.value, lang)}: {adj.reason}",
        f"{label('approver', lang)}: {adj.approver}",
        f"{label('relates_to', lang)}: {adj.relates_to}",
    ]
    if adj.evidence:
        parts.append(f"{label('evidence', lang)}: {adj.evidence}")
    return "; ".join(parts)
