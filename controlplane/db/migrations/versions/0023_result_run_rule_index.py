"""result run rule index: drop ix_policy_result_run_rule, which no query reads

Since results hold across runs (``audit_result_intervals``), ``policy_result`` is read
only by ``held_at`` — the results a run held, a range over ``run_id`` and
``superseded_run_id`` that covers most of the table for any recent run, optionally of
one system (``ix_policy_result_system_run``) — and by the supersede of a subject's
current rows (``ix_policy_result_current``); nothing selects by ``(run_id, rule_id)``.
A first audit writes ~550,000 rows per 100k resources and built this index after them
for nothing (bench.audit: about a third of the deferred index build on PostgreSQL).
Deleting an audit run (nothing does) would find its results by a scan.

Revision ID: result_run_rule_index
Revises: bill_line_statement_index
Create Date: 2026-12-06 13:20:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "result_run_rule_index"
down_revision: str | None = "bill_line_statement_index"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_policy_result_run_rule", table_name="policy_result")


def downgrade() -> None:
    op.create_index(
        "ix_policy_result_run_rule", "policy_result", ["run_id", "rule_id"], unique=False
    )
