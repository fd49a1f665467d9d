"""audit result intervals: a result is stored once while it holds, not once per run

A province's audit produces ~530k results per run and most do not change between runs.
A result row now holds from the run that produced it until ``superseded_run_id``, the
first run whose results of that subject differ; ``policy_subject_digest`` keeps one
digest per subject so a run knows which subjects changed without reading their rows.
Existing rows were written by every run: each is superseded by the run after its own
(the last run's rows stay current), so every run still reads exactly its own rows. The
digests start empty: the first run after this migration writes every subject once.

Revision ID: audit_result_intervals
Revises: resource_list_order
Create Date: 2026-12-06 03:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "audit_result_intervals"
down_revision: str | None = "resource_list_order"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_CURRENT = "superseded_run_id IS NULL"


def upgrade() -> None:
    with op.batch_alter_table("policy_result", schema=None) as batch_op:
        batch_op.add_column(sa.Column("superseded_run_id", sa.Integer(), nullable=True))
        batch_op.drop_index("ix_policy_result_run_system")
        batch_op.create_index("ix_policy_result_system_run", ["system", "run_id"], unique=False)
    op.execute(
        "UPDATE policy_result SET superseded_run_id = ("
        "SELECT MIN(later.id) FROM policy_audit_run later"
        " WHERE later.id > policy_result.run_id)"
    )
    op.create_index(
        "ix_policy_result_current",
        "policy_result",
        ["subject_kind", "subject_id"],
        unique=False,
        sqlite_where=sa.text(_CURRENT),
        postgresql_where=sa.text(_CURRENT),
    )
    op.create_table(
        "policy_subject_digest",
        sa.Column("subject_kind", sa.String(length=32), nullable=False),
        sa.Column("subject_id", sa.String(length=128), nullable=False),
        sa.Column("digest", sa.String(length=32), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("subject_kind", "subject_id"),
    )


def downgrade() -> None:
    op.drop_table("policy_subject_digest")
    op.drop_index("ix_policy_result_current", table_name="policy_result")
    # back to rows per run: a result that later runs shared stays only with the run that
    # first produced it, so those later runs lose it (their totals are kept)
    with op.batch_alter_table("policy_result", schema=None) as batch_op:
        batch_op.drop_index("ix_policy_result_system_run")
        batch_op.create_index("ix_policy_result_run_system", ["run_id", "system"], unique=False)
        batch_op.drop_column("superseded_run_id")
