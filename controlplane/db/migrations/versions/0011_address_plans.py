"""address plans: provider address pools and per-system subnet allocations

Revision ID: address_plans
Revises: audit_key
Create Date: 2026-12-05 18:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import controlplane.db.types

revision: str = "address_plans"
down_revision: str | None = "audit_key"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("provider", schema=None) as batch_op:
        batch_op.add_column(sa.Column("address_pool", sa.String(length=43), nullable=True))
    op.create_table(
        "subnet_allocation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("system", sa.String(length=63), nullable=False),
        sa.Column("cidr", sa.String(length=43), nullable=False),
        sa.Column("allocated_at", controlplane.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["provider_id"], ["provider.id"]),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenant.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("provider_id", "cidr"),
        sa.UniqueConstraint("provider_id", "tenant_id", "system"),
    )


def downgrade() -> None:
    op.drop_table("subnet_allocation")
    with op.batch_alter_table("provider", schema=None) as batch_op:
        batch_op.drop_column("address_pool")
