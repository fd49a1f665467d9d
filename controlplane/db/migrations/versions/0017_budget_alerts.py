"""budget alerts: a department's projected yearly spend crossed a threshold

Revision ID: budget_alerts
Revises: provider_platform
Create Date: 2026-12-05 22:45:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import controlplane.db.types

revision: str = "budget_alerts"
down_revision: str | None = "provider_platform"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "budget_alert",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant", sa.String(length=63), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("threshold", sa.Integer(), nullable=False),
        sa.Column("annual_budget", controlplane.db.types.Money(), nullable=False),
        sa.Column("projected", controlplane.db.types.Money(), nullable=False),
        sa.Column("raised_at", controlplane.db.types.UTCDateTime(), nullable=False),
        sa.Column("raised_by", sa.String(length=128), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("tenant", "year", "threshold"),
    )
    with op.batch_alter_table("budget_alert", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_budget_alert_tenant"), ["tenant"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("budget_alert", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_budget_alert_tenant"))
    op.drop_table("budget_alert")
