"""inventory: provider health probes, sync runs, applied specs, drift history

Revision ID: inventory
Revises: requests
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import controlplane.db.types

revision: str = "inventory"
down_revision: str | None = "requests"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OPEN = "resolved_at IS NULL"


def _ts(name: str, *, nullable: bool = False) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, controlplane.db.types.UTCDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "provider_health",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        _ts("checked_at"),
        sa.Column("reachable", sa.Boolean(), nullable=False),
        sa.Column("auth_ok", sa.Boolean(), nullable=False),
        sa.Column("latency_ms", sa.Float(), nullable=True),
        sa.Column("detail", sa.String(length=1000), nullable=False),
        sa.Column("error_code", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(["provider_id"], ["provider.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("provider_health", schema=None) as batch_op:
        batch_op.create_index(
            "ix_provider_health_provider_at", ["provider_id", "checked_at"], unique=False
        )

    op.create_table(
        "sync_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        _ts("stamp"),
        _ts("started_at"),
        _ts("finished_at", nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("error", sa.String(length=1000), nullable=True),
        sa.ForeignKeyConstraint(["provider_id"], ["provider.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("sync_run", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sync_run_provider_id"), ["provider_id"], unique=False)

    op.create_table(
        "applied_resource",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("system_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("resource_id", sa.String(length=128), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("request_id", sa.String(length=64), nullable=True),
        sa.Column("spec", sa.JSON(), nullable=False),
        _ts("applied_at"),
        sa.ForeignKeyConstraint(["provider_id"], ["provider.id"]),
        sa.ForeignKeyConstraint(["system_id"], ["system.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("provider_id", "kind", "resource_id"),
    )
    with op.batch_alter_table("applied_resource", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_applied_resource_system_id"), ["system_id"], unique=False
        )

    op.create_table(
        "drift",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("resource_id", sa.String(length=128), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=True),
        sa.Column("system_id", sa.Integer(), nullable=True),
        sa.Column("drift", sa.String(length=16), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        _ts("first_seen"),
        _ts("last_seen"),
        _ts("resolved_at", nullable=True),
        sa.ForeignKeyConstraint(["provider_id"], ["provider.id"]),
        sa.ForeignKeyConstraint(["system_id"], ["system.id"]),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenant.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("drift", schema=None) as batch_op:
        batch_op.create_index(
            "ix_drift_provider_resolved", ["provider_id", "resolved_at"], unique=False
        )
        # at most one open row per resource and drift type; resolved rows are history
        batch_op.create_index(
            "uq_drift_open",
            ["provider_id", "kind", "resource_id", "drift"],
            unique=True,
            sqlite_where=sa.text(_OPEN),
            postgresql_where=sa.text(_OPEN),
        )


def downgrade() -> None:
    op.drop_table("drift")
    op.drop_table("applied_resource")
    op.drop_table("sync_run")
    op.drop_table("provider_health")
