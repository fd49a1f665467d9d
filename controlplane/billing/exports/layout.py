"""The printed shape of one statement, shared by the XLSX and PDF exports.

Owns what a finance reader sees, in order: the heading fields, one table per
(system, provider) group with its subtotal, the adjustments table and the totals.
Writers only decide fonts, cells and pages. Imports the billing value modules and
``labels`` only.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from controlplane.billing.exports.labels import Lang, label, proration_label
from controlplane.billing.exports.rows import Cell, versions_text
from controlplane.billing.statements import Statement

LINE_COLUMNS = (
    "meter",
    "unit",
    "tier",
    "proration",
    "rate_version",
    "unit_price",
    "billed_quantity",
    "period_units",
    "discount",
    "amount",
)
ADJUSTMENT_COLUMNS = ("kind", "provider", "reason", "approver", "relates_to", "evidence", "amount")


@dataclass(frozen=True)
class Table:
    title: str
    header: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    total_label: str
    total: Decimal


@dataclass(frozen=True)
class Layout:
    title: str
    fields: tuple[tuple[str, str], ...]
    tables: tuple[Table, ...]
    totals: tuple[tuple[str, Decimal], ...]
    note: str = ""


def statement_layout(st: Statement, lang: Lang) -> Layout:
    fields = (
        (label("tenant_name", lang), st.tenant_name),
        (label("tenant", lang), st.tenant),
        (label("month", lang), st.month),
        (label("versions", lang), versions_text(st)),
        (label("content_hash", lang), st.content_hash),
    )
    tables = [
        Table(
            title=f"{label('system', lang)}: {group.system}    {label('provider', lang)}: {group.provider}",
            header=tuple(label(column, lang) for column in LINE_COLUMNS),
            rows=tuple(
                (
                    line.meter,
                    line.unit,
                    label(line.tier.value, lang),
                    proration_label(line.proration.value, lang),
                    line.rate_version,
                    line.unit_price,
                    line.billed_quantity,
                    line.period_units,
                    line.discount_percent,
                    line.amount,
                )
                for line in group.lines
            ),
            total_label=label("subtotal", lang),
            total=group.subtotal,
        )
        for group in st.groups
    ]
    if st.adjustments:
        tables.append(
            Table(
                title=label("adjustments", lang),
                header=tuple(label(column, lang) for column in ADJUSTMENT_COLUMNS),
                rows=tuple(
                    (
                        label(adj.kind.value, lang),
                        adj.provider,
                        adj.reason,
                        adj.approver,
                        adj.relates_to,
                        adj.evidence,
                        adj.amount,
                    )
                    for adj in st.adjustments
                ),
                total_label=label("adjustments_total", lang),
                total=st.adjustments_total,
            )
        )
    totals = (
        (label("lines_total", lang), st.lines_total),
        (label("adjustments_total", lang), st.adjustments_total),
        (label("total", lang), st.total),
    )
    note = "" if st.lines else label("no_lines", lang)
    return Layout(label("title", lang), fields, tuple(tables), totals, note)
