"""History reads: earlier incidents of one alert name over a time window.

Revision ID: 0004
Revises: 0003
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # (alertname, started_at) serves the message's history line, the list filtered by alert
    # name newest first, and everything the single-column index served.
    op.create_index("ix_incidents_alertname_started", "incidents", ["alertname", "started_at"])
    op.drop_index("ix_incidents_alertname", table_name="incidents")


def downgrade() -> None:
    op.create_index("ix_incidents_alertname", "incidents", ["alertname"])
    op.drop_index("ix_incidents_alertname_started", table_name="incidents")
