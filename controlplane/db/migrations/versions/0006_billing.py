"""billing: usage, coverage, rating runs, statements

Revision ID: billing
Revises: inventory
Create Date: 2026-11-22 02:41:29.915134
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import controlplane.db.types

revision: str = "billing"
down_revision: str | None = "inventory"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "availability_measurement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(length=63), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("availability", controlplane.db.types.Money(), nullable=False),
        sa.Column("evidence", sa.String(length=1000), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("at", controlplane.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("provider", "month"),
    )
    op.create_table(
        "coverage_gap_ack",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(length=63), nullable=False),
        sa.Column("start", controlplane.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("end", controlplane.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(length=1000), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("at", controlplane.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("provider", "start", "end"),
    )
    with op.batch_alter_table("coverage_gap_ack", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_coverage_gap_ack_provider"), ["provider"], unique=False
        )

    op.create_table(
        "ingest_batch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("origin", sa.String(length=255), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("records", sa.Integer(), nullable=False),
        sa.Column("new_records", sa.Integer(), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("at", controlplane.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("kind", "digest"),
    )
    op.create_table(
        "manual_adjustment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("tenant", sa.String(length=63), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=2000), nullable=False),
        sa.Column("approver", sa.String(length=128), nullable=False),
        sa.Column("amount", controlplane.db.types.Money(), nullable=False),
        sa.Column("relates_to", sa.String(length=7), nullable=False),
        sa.Column("provider", sa.String(length=63), nullable=False),
        sa.Column("evidence", sa.String(length=1000), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("at", controlplane.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("manual_adjustment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_manual_adjustment_month"), ["month"], unique=False)

    op.create_table(
        "rating_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("at", controlplane.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("observations", sa.Integer(), nullable=False),
        sa.Column("intervals", sa.Integer(), nullable=False),
        sa.Column("lines", sa.Integer(), nullable=False),
        sa.Column("unrated", sa.Integer(), nullable=False),
        sa.Column("statements_changed", sa.Integer(), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("rating_run", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rating_run_month"), ["month"], unique=False)

    op.create_table(
        "usage_interval",
        sa.Column("interval_id", sa.String(length=20), nullable=False),
        sa.Column("provider", sa.String(length=63), nullable=False),
        sa.Column("resource_id", sa.String(length=128), nullable=False),
        sa.Column("meter", sa.String(length=63), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("start", controlplane.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("end", controlplane.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("observations", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("interval_id"),
    )
    op.create_table(
        "bill_statement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("tenant", sa.String(length=63), nullable=False),
        sa.Column("tenant_name", sa.String(length=200), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("rate_versions", sa.JSON(), nullable=False),
        sa.Column("lines_total", controlplane.db.types.Money(), nullable=False),
        sa.Column("adjustments_total", controlplane.db.types.Money(), nullable=False),
        sa.Column("total", controlplane.db.types.Money(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("created_at", controlplane.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", controlplane.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("confirmed_at", controlplane.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("confirmed_by", sa.String(length=128), nullable=True),
        sa.Column("finalized_at", controlplane.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("finalized_by", sa.String(length=128), nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["rating_run.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("month", "tenant"),
    )
    with op.batch_alter_table("bill_statement", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bill_statement_month"), ["month"], unique=False)

    op.create_table(
        "collection_window",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(length=63), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("start", controlplane.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("end", controlplane.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["ingest_batch.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("provider", "source", "start", "end"),
    )
    with op.batch_alter_table("collection_window", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_collection_window_provider"), ["provider"], unique=False
        )

    op.create_table(
        "usage_observation",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("provider", sa.String(length=63), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("source_key", sa.String(length=255), nullable=False),
        sa.Column("resource_id", sa.String(length=128), nullable=False),
        sa.Column("tenant", sa.String(length=63), nullable=True),
        sa.Column("system", sa.String(length=63), nullable=True),
        sa.Column("meter", sa.String(length=63), nullable=False),
        sa.Column("quantity", controlplane.db.types.Money(), nullable=False),
        sa.Column("start", controlplane.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("end", controlplane.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["ingest_batch.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("provider", "source", "source_key"),
    )
    with op.batch_alter_table("usage_observation", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_usage_observation_batch_id"), ["batch_id"], unique=False
        )
        batch_op.create_index("ix_usage_observation_span", ["end", "start"], unique=False)

    op.create_table(
        "bill_adjustment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("statement_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=2000), nullable=False),
        sa.Column("approver", sa.String(length=128), nullable=False),
        sa.Column("amount", controlplane.db.types.Money(), nullable=False),
        sa.Column("relates_to", sa.String(length=7), nullable=False),
        sa.Column("provider", sa.String(length=63), nullable=False),
        sa.Column("evidence", sa.String(length=1000), nullable=False),
        sa.ForeignKeyConstraint(
            ["statement_id"],
            ["bill_statement.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("bill_adjustment", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_bill_adjustment_statement_id"), ["statement_id"], unique=False
        )

    op.create_table(
        "bill_line",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("statement_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("line_id", sa.String(length=20), nullable=False),
        sa.Column("system", sa.String(length=63), nullable=False),
        sa.Column("provider", sa.String(length=63), nullable=False),
        sa.Column("tier", sa.String(length=16), nullable=False),
        sa.Column("meter", sa.String(length=63), nullable=False),
        sa.Column("unit", sa.String(length=16), nullable=False),
        sa.Column("proration", sa.String(length=8), nullable=False),
        sa.Column("rate_version", sa.String(length=32), nullable=False),
        sa.Column("approval_ref", sa.String(length=128), nullable=False),
        sa.Column("unit_price", controlplane.db.types.Money(), nullable=False),
        sa.Column("period_units", sa.Integer(), nullable=False),
        sa.Column("billed_quantity", controlplane.db.types.Money(), nullable=False),
        sa.Column("discount_percent", controlplane.db.types.Money(), nullable=False),
        sa.Column("discount_ref", sa.String(length=128), nullable=False),
        sa.Column("amount", controlplane.db.types.Money(), nullable=False),
        sa.Column("interval_ids", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["statement_id"],
            ["bill_statement.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("statement_id", "line_id"),
    )
    with op.batch_alter_table("bill_line", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_bill_line_statement_id"), ["statement_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("bill_line", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bill_line_statement_id"))

    op.drop_table("bill_line")
    with op.batch_alter_table("bill_adjustment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bill_adjustment_statement_id"))

    op.drop_table("bill_adjustment")
    with op.batch_alter_table("usage_observation", schema=None) as batch_op:
        batch_op.drop_index("ix_usage_observation_span")
        batch_op.drop_index(batch_op.f("ix_usage_observation_batch_id"))

    op.drop_table("usage_observation")
    with op.batch_alter_table("collection_window", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_collection_window_provider"))

    op.drop_table("collection_window")
    with op.batch_alter_table("bill_statement", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bill_statement_month"))

    op.drop_table("bill_statement")
    op.drop_table("usage_interval")
    with op.batch_alter_table("rating_run", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rating_run_month"))

    op.drop_table("rating_run")
    with op.batch_alter_table("manual_adjustment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_manual_adjustment_month"))

    op.drop_table("manual_adjustment")
    op.drop_table("ingest_batch")
    with op.batch_alter_table("coverage_gap_ack", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_coverage_gap_ack_provider"))

    op.drop_table("coverage_gap_ack")
    op.drop_table("availability_measurement")
