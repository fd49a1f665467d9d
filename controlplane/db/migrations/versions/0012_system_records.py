"""等保 records (a system's paperwork, a provider's assessment, image provenance);
capacities that may be left untracked

Revision ID: system_records
Revises: address_plans
Create Date: 2026-12-05 18:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "system_records"
down_revision: str | None = "address_plans"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_CAPACITIES = (
    "capacity_vcpu",
    "capacity_memory_gib",
    "capacity_storage_gib",
    "capacity_public_ips",
)


def upgrade() -> None:
    with op.batch_alter_table("system", schema=None) as batch_op:
        batch_op.add_column(sa.Column("records", sa.JSON(), nullable=False, server_default="{}"))
    with op.batch_alter_table("provider", schema=None) as batch_op:
        batch_op.add_column(sa.Column("assessment", sa.JSON(), nullable=True))
        for column in _CAPACITIES:
            batch_op.alter_column(column, existing_type=sa.Integer(), nullable=True)
    # 0 public IPs used to mean "not declared": say so explicitly now
    op.execute("UPDATE provider SET capacity_public_ips = NULL WHERE capacity_public_ips = 0")
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
    op.execute("UPDATE provider SET capacity_public_ips = 0 WHERE capacity_public_ips IS NULL")
    for column in _CAPACITIES[:3]:
        op.execute(f"UPDATE provider SET {column} = 0 WHERE {column} IS NULL")
    with op.batch_alter_table("provider", schema=None) as batch_op:
        batch_op.drop_column("assessment")
        for column in _CAPACITIES:
            batch_op.alter_column(column, existing_type=sa.Integer(), nullable=False)
    with op.batch_alter_table("system", schema=None) as batch_op:
        batch_op.drop_column("records")
