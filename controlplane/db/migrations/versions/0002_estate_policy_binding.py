"""estate policy binding

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 02:32:29.720149
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import controlplane.db.types

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "policy_binding",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("updated_at", controlplane.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:

    op.drop_table("policy_binding")
