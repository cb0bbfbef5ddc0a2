"""The notification log (what each receiver was told) and sent message ids per channel.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

from hub.store.schema import Id, UtcDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

OPEN = sa.text("closed_at IS NULL")


def upgrade() -> None:
    op.create_table(
        "notifications",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("group_hash", sa.String(64), nullable=False),
        sa.Column("receiver", sa.String(255), nullable=False),
        sa.Column("channel", sa.String(64), nullable=False),
        sa.Column("incident_id", Id, nullable=False),
        sa.Column("message_id", sa.String(512), nullable=False),
        sa.Column("thread_id", sa.String(512), nullable=True),
        sa.Column("state", sa.JSON, nullable=False),
        sa.Column("sent_at", UtcDateTime, nullable=False),
        sa.Column("updated_at", UtcDateTime, nullable=False),
        sa.Column("closed_at", UtcDateTime, nullable=True),
    )
    op.create_index(
        "uq_notifications_open",
        "notifications",
        ["group_hash", "receiver", "channel"],
        unique=True,
        sqlite_where=OPEN,
        postgresql_where=OPEN,
    )
    op.create_index("ix_notifications_incident", "notifications", ["incident_id"])
    op.create_table(
        "notify_log",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("group_hash", sa.String(64), nullable=False),
        sa.Column("receiver", sa.String(255), nullable=False),
        sa.Column("state", sa.JSON, nullable=False),
        sa.Column("sent_at", UtcDateTime, nullable=False),
        sa.UniqueConstraint("group_hash", "receiver", name="uq_notify_log_group_receiver"),
    )


def downgrade() -> None:
    op.drop_table("notify_log")
    op.drop_table("notifications")
