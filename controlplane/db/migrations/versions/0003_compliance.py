"""compliance: audit runs, results, violations, waivers

Revision ID: compliance
Revises: 0002
Create Date: 2026-11-22 02:35:35.262352
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import controlplane.db.types

revision: str = "compliance"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "policy_audit_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("started_at", controlplane.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", controlplane.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("resources", sa.Integer(), nullable=False),
        sa.Column("rules_bound", sa.Integer(), nullable=False),
        sa.Column("results", sa.Integer(), nullable=False),
        sa.Column("passed", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("waived", sa.Integer(), nullable=False),
        sa.Column("not_applicable", sa.Integer(), nullable=False),
        sa.Column("not_evaluable", sa.Integer(), nullable=False),
        sa.Column("opened", sa.Integer(), nullable=False),
        sa.Column("resolved", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("policy_audit_run", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_policy_audit_run_started_at"), ["started_at"], unique=False
        )

    op.create_table(
        "policy_waiver",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rule_id", sa.String(length=32), nullable=False),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("target", sa.String(length=128), nullable=False),
        sa.Column("reason", sa.String(), nullable=False),
        sa.Column("requester", sa.String(length=128), nullable=False),
        sa.Column("requested_at", controlplane.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", controlplane.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("approver", sa.String(length=128), nullable=True),
        sa.Column("approved_at", controlplane.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("policy_waiver", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_policy_waiver_rule_id"), ["rule_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_policy_waiver_state"), ["state"], unique=False)

    op.create_table(
        "policy_result",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("evaluated_at", controlplane.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("rule_id", sa.String(length=32), nullable=False),
        sa.Column("subject_kind", sa.String(length=32), nullable=False),
        sa.Column("subject_id", sa.String(length=128), nullable=False),
        sa.Column("system", sa.String(length=63), nullable=True),
        sa.Column("tenant", sa.String(length=63), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("severity", sa.String(length=8), nullable=False),
        sa.Column("enforcement", sa.String(length=8), nullable=False),
        sa.Column("field", sa.String(length=255), nullable=True),
        sa.Column("message_zh", sa.String(), nullable=True),
        sa.Column("message_en", sa.String(), nullable=True),
        sa.Column("missing", sa.String(length=255), nullable=True),
        sa.Column("high_risk", sa.Boolean(), nullable=False),
        sa.Column("waiver_id", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(["run_id"], ["policy_audit_run.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("policy_result", schema=None) as batch_op:
        batch_op.create_index("ix_policy_result_run_rule", ["run_id", "rule_id"], unique=False)
        batch_op.create_index("ix_policy_result_run_system", ["run_id", "system"], unique=False)

    op.create_table(
        "policy_violation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=512), nullable=False),
        sa.Column("rule_id", sa.String(length=32), nullable=False),
        sa.Column("subject_kind", sa.String(length=32), nullable=False),
        sa.Column("subject_id", sa.String(length=128), nullable=False),
        sa.Column("field", sa.String(length=255), nullable=True),
        sa.Column("system", sa.String(length=63), nullable=True),
        sa.Column("tenant", sa.String(length=63), nullable=True),
        sa.Column("severity", sa.String(length=8), nullable=False),
        sa.Column("high_risk", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("resolution", sa.String(length=12), nullable=True),
        sa.Column("waiver_id", sa.String(length=32), nullable=True),
        sa.Column("message_zh", sa.String(), nullable=False),
        sa.Column("message_en", sa.String(), nullable=False),
        sa.Column("opened_at", controlplane.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", controlplane.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", controlplane.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("opened_run_id", sa.Integer(), nullable=False),
        sa.Column("last_run_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["last_run_id"],
            ["policy_audit_run.id"],
        ),
        sa.ForeignKeyConstraint(
            ["opened_run_id"],
            ["policy_audit_run.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("policy_violation", schema=None) as batch_op:
        batch_op.create_index("ix_policy_violation_key_state", ["key", "state"], unique=False)
        batch_op.create_index(batch_op.f("ix_policy_violation_rule_id"), ["rule_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_policy_violation_state"), ["state"], unique=False)
        batch_op.create_index(batch_op.f("ix_policy_violation_system"), ["system"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("policy_violation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_policy_violation_system"))
        batch_op.drop_index(batch_op.f("ix_policy_violation_state"))
        batch_op.drop_index(batch_op.f("ix_policy_violation_rule_id"))
        batch_op.drop_index("ix_policy_violation_key_state")

    op.drop_table("policy_violation")
    with op.batch_alter_table("policy_result", schema=None) as batch_op:
        batch_op.drop_index("ix_policy_result_run_system")
        batch_op.drop_index("ix_policy_result_run_rule")

    op.drop_table("policy_result")
    with op.batch_alter_table("policy_waiver", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_policy_waiver_state"))
        batch_op.drop_index(batch_op.f("ix_policy_waiver_rule_id"))

    op.drop_table("policy_waiver")
    with op.batch_alter_table("policy_audit_run", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_policy_audit_run_started_at"))

    op.drop_table("policy_audit_run")
