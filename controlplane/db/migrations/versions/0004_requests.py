"""request governance: principals, quotas, approvals, provisioning outcomes

Revision ID: requests
Revises: compliance
Create Date: 2026-11-22 02:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import controlplane.db.types

revision: str = "requests"
down_revision: str | None = "compliance"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _amount(name: str) -> sa.Column[object]:
    return sa.Column(name, controlplane.db.types.Money(), nullable=False)


def upgrade() -> None:
    op.create_table(
        "approval_step",
        sa.Column("name", sa.String(length=63), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("condition", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "principal",
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("roles", sa.JSON(), nullable=False),
        sa.Column("tenant", sa.String(length=63), nullable=True),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "quota",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant", sa.String(length=63), nullable=False),
        sa.Column("provider", sa.String(length=63), nullable=False),
        sa.Column("vcpu", sa.Integer(), nullable=True),
        sa.Column("memory_gib", sa.Integer(), nullable=True),
        sa.Column("storage_gib", sa.Integer(), nullable=True),
        sa.Column("public_ips", sa.Integer(), nullable=True),
        sa.Column("namespaces", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("tenant", "provider"),
    )
    op.create_table(
        "quota_usage",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant", sa.String(length=63), nullable=False),
        sa.Column("provider", sa.String(length=63), nullable=False),
        _amount("vcpu"),
        _amount("memory_gib"),
        _amount("storage_gib"),
        sa.Column("public_ips", sa.Integer(), nullable=False),
        sa.Column("namespaces", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("tenant", "provider"),
    )
    op.create_table(
        "quota_reservation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("tenant", sa.String(length=63), nullable=False),
        sa.Column("provider", sa.String(length=63), nullable=False),
        sa.Column("system_name", sa.String(length=63), nullable=False),
        _amount("vcpu"),
        _amount("memory_gib"),
        _amount("storage_gib"),
        sa.Column("public_ips", sa.Integer(), nullable=False),
        sa.Column("namespaces", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("superseded_by", sa.Integer(), nullable=True),
        sa.Column("created_at", controlplane.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("released_at", controlplane.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["request_id"], ["request.id"]),
        sa.ForeignKeyConstraint(["superseded_by"], ["request.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_quota_reservation_request_id"), "quota_reservation", ["request_id"], unique=False
    )
    op.create_table(
        "request_approval",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("step", sa.String(length=63), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("decided_by", sa.String(length=128), nullable=True),
        sa.Column("decided_at", controlplane.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.String(), nullable=True),
        sa.ForeignKeyConstraint(["request_id"], ["request.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("request_id", "step"),
    )
    op.create_index(
        op.f("ix_request_approval_request_id"), "request_approval", ["request_id"], unique=False
    )
    op.create_table(
        "request_outcome",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("resource_id", sa.String(length=128), nullable=True),
        sa.Column("error", sa.String(), nullable=True),
        sa.Column("retryable", sa.Boolean(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("at", controlplane.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["request_id"], ["request.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("request_id", "kind", "name"),
    )
    op.create_index(
        op.f("ix_request_outcome_request_id"), "request_outcome", ["request_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_request_outcome_request_id"), table_name="request_outcome")
    op.drop_table("request_outcome")
    op.drop_index(op.f("ix_request_approval_request_id"), table_name="request_approval")
    op.drop_table("request_approval")
    op.drop_index(op.f("ix_quota_reservation_request_id"), table_name="quota_reservation")
    op.drop_table("quota_reservation")
    op.drop_table("quota_usage")
    op.drop_table("quota")
    op.drop_table("principal")
    op.drop_table("approval_step")
