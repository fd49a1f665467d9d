"""provider engine: who provisions on a provider (sdk | pulumi)

Revision ID: provider_engine
Revises: discounts
Create Date: 2026-12-05 18:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "provider_engine"
down_revision: str | None = "discounts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("provider", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("engine", sa.String(length=8), nullable=False, server_default="sdk")
        )


def downgrade() -> None:
    with op.batch_alter_table("provider", schema=None) as batch_op:
        batch_op.drop_column("engine")
