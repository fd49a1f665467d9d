"""per-department discounts

Revision ID: discounts
Revises: sla
Create Date: 2026-11-22 03:25:43.278111
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import controlplane.db.types

revision: str = "discounts"
down_revision: str | None = "sla"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "tenant_discount",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant", sa.String(length=63), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("effective_to", sa.Date(), nullable=True),
        sa.Column("percent", controlplane.db.types.Money(), nullable=False),
        sa.Column("reference", sa.String(length=128), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("tenant", "effective_from"),
    )
    with op.batch_alter_table("tenant_discount", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tenant_discount_tenant"), ["tenant"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("tenant_discount", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tenant_discount_tenant"))

    op.drop_table("tenant_discount")
