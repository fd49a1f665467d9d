"""audit events record the key that sealed them

Events already stored keep ``key_id`` NULL: they were chained with a plain digest before
the key ring existed and still verify that way; the first keyed event appended after
this migration covers their head's hash and so seals them (see controlplane.audit).

Revision ID: audit_key
Revises: provider_engine
Create Date: 2026-12-05 18:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "audit_key"
down_revision: str | None = "provider_engine"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("key_id", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_column("key_id")
