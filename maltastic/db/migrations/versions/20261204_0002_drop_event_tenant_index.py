"""drop the single-column tenant index of tracking events

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-04 23:40:00

The (tenant_id, occurred_at) index covers every lookup by tenant, so the second index
only slowed down event inserts.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_tracking_events_tenant_id", table_name="tracking_events")


def downgrade() -> None:
    op.create_index("ix_tracking_events_tenant_id", "tracking_events", ["tenant_id"], unique=False)
