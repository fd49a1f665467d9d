"""provider SLA deduction tiers

Revision ID: sla
Revises: billing
Create Date: 2026-11-22 03:16:33.830665
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "sla"
down_revision: str | None = "billing"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    with op.batch_alter_table("provider", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("sla_deductions", sa.JSON(), server_default="[]", nullable=False)
        )


def downgrade() -> None:

    with op.batch_alter_table("provider", schema=None) as batch_op:
        batch_op.drop_column("sla_deductions")
