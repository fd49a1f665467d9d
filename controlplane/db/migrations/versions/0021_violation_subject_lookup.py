"""violation subject lookup: find a resource by its id and kind, whatever its cloud

A violation is on the cloud of the resource it is about (see
``controlplane.compliance.listing``): the violations list and the overview read that
resource by ``(resource_id, kind)`` for each violation, and the resource's unique key
leads with its provider. This index serves the lookup (one probe per violation, not a
scan of the inventory per violation).

Revision ID: violation_subject_lookup
Revises: resource_text_search
Create Date: 2026-12-06 06:30:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "violation_subject_lookup"
down_revision: str | None = "resource_text_search"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_resource_subject", "resource", ["resource_id", "kind"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_resource_subject", table_name="resource")
