"""initial schema: estate, systems, requests, resources, audit log

Revision ID: 0001
Revises:
Create Date: 2026-11-22 02:21:14.795438
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import controlplane.db.types

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "audit_event",
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("at", controlplane.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("algorithm", sa.String(length=8), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
        sa.UniqueConstraint("hash"),
    )
    op.create_table(
        "estate_revision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("spec_hash", sa.String(length=64), nullable=False),
        sa.Column("applied_by", sa.String(), nullable=False),
        sa.Column("applied_at", controlplane.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "flavor",
        sa.Column("name", sa.String(length=63), nullable=False),
        sa.Column("vcpu", sa.Integer(), nullable=False),
        sa.Column("memory_gib", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "image",
        sa.Column("name", sa.String(length=63), nullable=False),
        sa.Column("os", sa.String(length=63), nullable=False),
        sa.Column("xinchuang", sa.Boolean(), nullable=False),
        sa.Column("hardened", sa.Boolean(), nullable=False),
        sa.Column("arches", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "provider",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=63), nullable=False),
        sa.Column("tier", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("cloud", sa.String(length=128), nullable=True),
        sa.Column("context", sa.String(length=128), nullable=True),
        sa.Column("region", sa.String(length=63), nullable=False),
        sa.Column("city", sa.String(length=63), nullable=True),
        sa.Column("sector", sa.String(length=63), nullable=True),
        sa.Column("certified_level", sa.Integer(), nullable=False),
        sa.Column("xinchuang", sa.Boolean(), nullable=False),
        sa.Column("arch", sa.String(length=16), nullable=False),
        sa.Column("cpu_vendor", sa.String(length=32), nullable=True),
        sa.Column("in_province", sa.Boolean(), nullable=False),
        sa.Column("capacity_vcpu", sa.Integer(), nullable=False),
        sa.Column("capacity_memory_gib", sa.Integer(), nullable=False),
        sa.Column("capacity_storage_gib", sa.Integer(), nullable=False),
        sa.Column("capacity_public_ips", sa.Integer(), nullable=False),
        sa.Column("availability_target", controlplane.db.types.Money(), nullable=True),
        sa.Column("seed", sa.Integer(), nullable=True),
        sa.Column("created_at", controlplane.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", controlplane.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    with op.batch_alter_table("provider", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_provider_city"), ["city"], unique=False)
        batch_op.create_index(batch_op.f("ix_provider_sector"), ["sector"], unique=False)

    op.create_table(
        "rate_card",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.String(length=32), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("effective_to", sa.Date(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("approval_ref", sa.String(length=128), nullable=True),
        sa.Column("approved_by", sa.String(length=128), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("version"),
    )
    op.create_table(
        "tenant",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=63), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=True),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("city", sa.String(length=63), nullable=True),
        sa.Column("sector", sa.String(length=63), nullable=True),
        sa.Column("budget", controlplane.db.types.Money(), nullable=False),
        sa.Column("created_at", controlplane.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", controlplane.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    with op.batch_alter_table("tenant", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tenant_city"), ["city"], unique=False)

    op.create_table(
        "rate",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rate_card_id", sa.Integer(), nullable=False),
        sa.Column("meter", sa.String(length=63), nullable=False),
        sa.Column("unit", sa.String(length=16), nullable=False),
        sa.Column("proration", sa.String(length=8), nullable=False),
        sa.Column("tier", sa.String(length=16), nullable=False),
        sa.Column("price", controlplane.db.types.Money(), nullable=False),
        sa.ForeignKeyConstraint(
            ["rate_card_id"],
            ["rate_card.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("rate_card_id", "meter", "tier"),
    )
    with op.batch_alter_table("rate", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rate_rate_card_id"), ["rate_card_id"], unique=False)

    op.create_table(
        "system",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=63), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=True),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("data_classification", sa.String(length=16), nullable=False),
        sa.Column("xinchuang", sa.Boolean(), nullable=False),
        sa.Column("spec_hash", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("created_at", controlplane.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", controlplane.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["provider.id"],
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("tenant_id", "name"),
    )
    with op.batch_alter_table("system", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_system_provider_id"), ["provider_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_system_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("system_id", sa.Integer(), nullable=True),
        sa.Column("system_name", sa.String(length=63), nullable=False),
        sa.Column("action", sa.String(length=8), nullable=False),
        sa.Column("state", sa.String(length=24), nullable=False),
        sa.Column("spec", sa.JSON(), nullable=False),
        sa.Column("spec_hash", sa.String(length=64), nullable=False),
        sa.Column("requester", sa.String(length=128), nullable=False),
        sa.Column("plan", sa.JSON(), nullable=False),
        sa.Column("created_at", controlplane.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", controlplane.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["system_id"],
            ["system.id"],
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("request", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_request_state"), ["state"], unique=False)
        batch_op.create_index(batch_op.f("ix_request_system_id"), ["system_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_request_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "resource",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=True),
        sa.Column("system_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("resource_id", sa.String(length=128), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("managed", sa.Boolean(), nullable=False),
        sa.Column("spec", sa.JSON(), nullable=False),
        sa.Column("created_at", controlplane.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("observed_at", controlplane.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", controlplane.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["provider.id"],
        ),
        sa.ForeignKeyConstraint(
            ["system_id"],
            ["system.id"],
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("provider_id", "kind", "resource_id"),
    )
    with op.batch_alter_table("resource", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_resource_provider_id"), ["provider_id"], unique=False)
        batch_op.create_index("ix_resource_tenant_system", ["tenant_id", "system_id"], unique=False)

    op.create_table(
        "request_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("at", controlplane.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("from_state", sa.String(length=24), nullable=True),
        sa.Column("to_state", sa.String(length=24), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("reason", sa.String(), nullable=True),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["request.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("request_event", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_request_event_request_id"), ["request_id"], unique=False
        )


def downgrade() -> None:

    with op.batch_alter_table("request_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_request_event_request_id"))

    op.drop_table("request_event")
    with op.batch_alter_table("resource", schema=None) as batch_op:
        batch_op.drop_index("ix_resource_tenant_system")
        batch_op.drop_index(batch_op.f("ix_resource_provider_id"))

    op.drop_table("resource")
    with op.batch_alter_table("request", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_request_tenant_id"))
        batch_op.drop_index(batch_op.f("ix_request_system_id"))
        batch_op.drop_index(batch_op.f("ix_request_state"))

    op.drop_table("request")
    with op.batch_alter_table("system", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_system_tenant_id"))
        batch_op.drop_index(batch_op.f("ix_system_provider_id"))

    op.drop_table("system")
    with op.batch_alter_table("rate", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rate_rate_card_id"))

    op.drop_table("rate")
    with op.batch_alter_table("tenant", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tenant_city"))

    op.drop_table("tenant")
    op.drop_table("rate_card")
    with op.batch_alter_table("provider", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_provider_sector"))
        batch_op.drop_index(batch_op.f("ix_provider_city"))

    op.drop_table("provider")
    op.drop_table("image")
    op.drop_table("flavor")
    op.drop_table("estate_revision")
    op.drop_table("audit_event")
