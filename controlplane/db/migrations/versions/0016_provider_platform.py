"""provider platform: the platform a provider is a pool of (bills total by it)

Revision ID: provider_platform
Revises: serve_jobs
Create Date: 2026-12-05 22:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "provider_platform"
down_revision: str | None = "serve_jobs"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("provider", schema=None) as batch_op:
        batch_op.add_column(sa.Column("platform", sa.String(length=63), nullable=True))
    # a provider grouped under no platform is a platform of its own
    op.execute("UPDATE provider SET platform = name WHERE platform IS NULL")


def downgrade() -> None:
    with op.batch_alter_table("provider", schema=None) as batch_op:
        batch_op.drop_column("platform")
