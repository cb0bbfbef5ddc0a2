"""Per-incident message and suppression counters, so stats read incidents alone.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

# One delivery writes the same detail at the same time to every incident its message lists:
# the message counts once, on the lowest id it lists (as delivery counts it from now on).
# Both counters are set in one UPDATE: each incident row is rewritten once.
BACKFILL = """
UPDATE incidents SET messages_sent = counted.sent, suppressed_count = counted.held
  FROM (SELECT id, SUM(sent) AS sent, SUM(held) AS held
          FROM (SELECT MIN(incident_id) AS id, 1 AS sent, 0 AS held FROM incident_events
                 WHERE type = 'notified' GROUP BY at, CAST(detail AS TEXT)
                UNION ALL
                SELECT incident_id, 0, 1 FROM incident_events WHERE type = 'suppressed') AS one
         GROUP BY id) AS counted
 WHERE incidents.id = counted.id
"""


def upgrade() -> None:
    op.add_column(
        "incidents", sa.Column("messages_sent", sa.Integer(), nullable=False, server_default="0")
    )
    op.add_column(
        "incidents",
        sa.Column("suppressed_count", sa.Integer(), nullable=False, server_default="0"),
    )
    op.execute(BACKFILL)


def downgrade() -> None:
    with op.batch_alter_table("incidents") as batch:
        batch.drop_column("suppressed_count")
        batch.drop_column("messages_sent")
