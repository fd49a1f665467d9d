"""等保 records: a system's paperwork, a provider's assessment, image provenance

Revision ID: system_records
Revises: discounts
Create Date: 2026-12-05 18:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "system_records"
down_revision: str | None = "discounts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("system", schema=None) as batch_op:
        batch_op.add_column(sa.Column("records", sa.JSON(), nullable=False, server_default="{}"))
    with op.batch_alter_table("provider", schema=None) as batch_op:
        batch_op.add_column(sa.Column("assessment", sa.JSON(), nullable=True))
    with op.batch_alter_table("image", schema=None) as batch_op:
        batch_op.add_column(sa.Column("checksum", sa.String(length=140), nullable=True))
        batch_op.add_column(sa.Column("signature", sa.String(length=256), nullable=True))
        batch_op.add_column(sa.Column("patched_on", sa.Date(), nullable=True))
    with op.batch_alter_table("policy_result", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("deferred", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("policy_result", schema=None) as batch_op:
        batch_op.drop_column("deferred")
    with op.batch_alter_table("image", schema=None) as batch_op:
        batch_op.drop_column("patched_on")
        batch_op.drop_column("signature")
        batch_op.drop_column("checksum")
    with op.batch_alter_table("provider", schema=None) as batch_op:
        batch_op.drop_column("assessment")
    with op.batch_alter_table("system", schema=None) as batch_op:
        batch_op.drop_column("records")
