"""History reads: an alert's earlier incidents, open incidents, a stats window's messages.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

SENT = sa.text("type IN ('notified', 'suppressed')")


def upgrade() -> None:
    # (alertname, started_at) serves the message's history line, the list filtered by alert
    # name newest first, and everything the single-column index served.
    op.create_index("ix_incidents_alertname_started", "incidents", ["alertname", "started_at"])
    op.drop_index("ix_incidents_alertname", table_name="incidents")
    # The open incidents (a handful among millions) without walking the whole history.
    op.create_index("ix_incidents_status_started", "incidents", ["status", "started_at"])
    # Messages and suppressions of a stats window: only these events, found by time.
    op.create_index(
        "ix_incident_events_sent", "incident_events", ["type", "at"],
        sqlite_where=SENT, postgresql_where=SENT,
    )  # fmt: skip


def downgrade() -> None:
    op.drop_index("ix_incident_events_sent", table_name="incident_events")
    op.drop_index("ix_incidents_status_started", table_name="incidents")
    op.create_index("ix_incidents_alertname", "incidents", ["alertname"])
    op.drop_index("ix_incidents_alertname_started", table_name="incidents")
