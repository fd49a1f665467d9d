"""resource list order: the owners' names on the row and the indexes that serve its pages

The inventory list is ordered by provider, tenant, system, kind, name and id. Those
names lived only in the owners' tables, so every page sorted every match across three
joins. They are now copied onto the row (written with the ids by sync; an owner's name
never changes) and one index per leading sort column serves a page as a range scan.

Revision ID: resource_list_order
Revises: budget_alerts
Create Date: 2026-12-06 00:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "resource_list_order"
down_revision: str | None = "budget_alerts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_NAMES = ("provider_name", "tenant_code", "system_name")
_KEY = ["provider_name", "tenant_code", "system_name", "kind", "name", "resource_id"]
_LEADING = ("tenant_code", "kind", "name", "status")


def upgrade() -> None:
    with op.batch_alter_table("resource", schema=None) as batch_op:
        for name in _NAMES:
            batch_op.add_column(
                sa.Column(name, sa.String(length=63), nullable=False, server_default="")
            )
    op.execute(
        "UPDATE resource SET"
        " provider_name = (SELECT name FROM provider WHERE provider.id = resource.provider_id),"
        " tenant_code = COALESCE("
        "(SELECT code FROM tenant WHERE tenant.id = resource.tenant_id), ''),"
        " system_name = COALESCE("
        "(SELECT name FROM system WHERE system.id = resource.system_id), '')"
    )
    with op.batch_alter_table("resource", schema=None) as batch_op:
        for name in _NAMES:  # every writer names them: no default hides one that forgets
            batch_op.alter_column(name, existing_type=sa.String(length=63), server_default=None)
        batch_op.create_index("ix_resource_list", _KEY, unique=False)
        for column in _LEADING:
            rest = [c for c in _KEY if c != column]
            batch_op.create_index(f"ix_resource_list_{column}", [column, *rest], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("resource", schema=None) as batch_op:
        for column in reversed(_LEADING):
            batch_op.drop_index(f"ix_resource_list_{column}")
        batch_op.drop_index("ix_resource_list")
        for name in reversed(_NAMES):
            batch_op.drop_column(name)
