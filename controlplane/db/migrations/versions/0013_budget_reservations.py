"""budget reservations: the yearly cost of what is approved, held per request

Revision ID: budget_reservations
Revises: system_records
Create Date: 2026-12-05 18:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import controlplane.db.types

revision: str = "budget_reservations"
down_revision: str | None = "system_records"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "budget_lock",
        sa.Column("tenant", sa.String(length=63), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("tenant"),
    )
    op.create_table(
        "budget_reservation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("tenant", sa.String(length=63), nullable=False),
        sa.Column("system_name", sa.String(length=63), nullable=False),
        sa.Column("annual", controlplane.db.types.Money(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("superseded_by", sa.Integer(), nullable=True),
        sa.Column("created_at", controlplane.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("released_at", controlplane.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["request_id"], ["request.id"]),
        sa.ForeignKeyConstraint(["superseded_by"], ["request.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_budget_reservation_request_id"), "budget_reservation", ["request_id"])
    op.create_index(op.f("ix_budget_reservation_tenant"), "budget_reservation", ["tenant"])


def downgrade() -> None:
    op.drop_index(op.f("ix_budget_reservation_tenant"), table_name="budget_reservation")
    op.drop_index(op.f("ix_budget_reservation_request_id"), table_name="budget_reservation")
    op.drop_table("budget_reservation")
    op.drop_table("budget_lock")
