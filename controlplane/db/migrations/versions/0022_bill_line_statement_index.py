"""bill line statement index: drop ix_bill_line_statement_id, which the unique key covers

``bill_line`` has ``UNIQUE (statement_id, line_id)``; its index leads with
``statement_id``, so it serves every lookup by statement (a statement's lines, the
month close's DELETE of rewritten statements' lines, the foreign-key check when a
statement is deleted) as well as the single-column index did. A month close inserts
~40,000 lines: each kept a third index up to date for nothing.

Revision ID: bill_line_statement_index
Revises: violation_subject_lookup
Create Date: 2026-12-06 09:40:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "bill_line_statement_index"
down_revision: str | None = "violation_subject_lookup"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_bill_line_statement_id", table_name="bill_line")


def downgrade() -> None:
    op.create_index("ix_bill_line_statement_id", "bill_line", ["statement_id"], unique=False)
