"""give contact ids AUTOINCREMENT on SQLite, so an erased contact's id is never reused

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-05 02:10:00

Tokens in mail sent before an erasure still carry the erased contact's id. SQLite
hands the highest id out again after that row is deleted, so a new contact could
inherit those banner loads. AUTOINCREMENT never reuses an id. PostgreSQL sequences
never do, so there this migration changes nothing.

Recreating the table drops the old one. Where foreign keys are enforced, that drop
deletes the rows of `target_group_contacts` by cascade, so they are saved first and
written back afterwards.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Every place a contact id may still be named after its row is gone.
USED_CONTACT_IDS = """
SELECT MAX(value) FROM (
    SELECT MAX(id) AS value FROM contacts
    UNION ALL SELECT MAX(contact_id) FROM tracking_events
    UNION ALL SELECT MAX(contact_id) FROM daily_rollups
    UNION ALL SELECT MAX(contact_id) FROM relay_log
    UNION ALL SELECT MAX(CAST(entity_id AS INTEGER)) FROM audit_log
        WHERE entity_type = 'contact' AND entity_id NOT GLOB '*[^0-9]*'
)
"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    highest_used = op.get_bind().execute(sa.text(USED_CONTACT_IDS)).scalar() or 0
    recreate_contacts(autoincrement=True)
    # Continue numbering above every id used so far, including erased ones.
    op.execute(sa.text("DELETE FROM sqlite_sequence WHERE name = 'contacts'"))
    op.get_bind().execute(
        sa.text("INSERT INTO sqlite_sequence (name, seq) VALUES ('contacts', :seq)"),
        {"seq": highest_used},
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    recreate_contacts(autoincrement=False)


def recreate_contacts(*, autoincrement: bool) -> None:
    memberships = (
        op.get_bind()
        .execute(sa.text("SELECT target_group_id, contact_id FROM target_group_contacts"))
        .all()
    )
    with op.batch_alter_table(
        "contacts", recreate="always", table_kwargs={"sqlite_autoincrement": autoincrement}
    ):
        pass
    if memberships:
        op.get_bind().execute(
            sa.text(
                "INSERT OR IGNORE INTO target_group_contacts (target_group_id, contact_id) "
                "VALUES (:group_id, :contact_id)"
            ),
            [{"group_id": group, "contact_id": contact} for group, contact in memberships],
        )
