"""Alert-fatigue state: silences, flapping history, rate buckets, held notifications.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

from hub.store.schema import Id, UtcDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("incidents") as batch:
        batch.add_column(sa.Column("reminders_sent", sa.Integer, nullable=False, server_default="0"))
        batch.add_column(sa.Column("escalated_at", UtcDateTime, nullable=True))
    op.create_table(
        "silences",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("matchers", sa.JSON, nullable=False),
        sa.Column("starts_at", UtcDateTime, nullable=False),
        sa.Column("ends_at", UtcDateTime, nullable=False),
        sa.Column("created_by", sa.String(255), nullable=False),
        sa.Column("comment", sa.Text, nullable=False, server_default=""),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("updated_at", UtcDateTime, nullable=False),
        sa.Column("expired_at", UtcDateTime, nullable=True),
        sa.Column("alertmanager_id", sa.String(64), nullable=True),
        sa.Column("owner_warned_at", UtcDateTime, nullable=True),
    )
    op.create_index("ix_silences_ends", "silences", ["ends_at"])
    op.create_table(
        "identity_state",
        sa.Column("fingerprint", sa.String(64), primary_key=True),
        sa.Column("transitions", sa.JSON, nullable=False),
        sa.Column("flapping", sa.Integer, nullable=False, server_default="0"),
        sa.Column("flap_started_at", UtcDateTime, nullable=True),
        sa.Column("flap_episodes", sa.Integer, nullable=False, server_default="0"),
        sa.Column("updated_at", UtcDateTime, nullable=False),
    )
    op.create_table(
        "rate_buckets",
        sa.Column("receiver", sa.String(255), primary_key=True),
        sa.Column("tokens", sa.Float, nullable=False),
        sa.Column("updated_at", UtcDateTime, nullable=False),
    )
    op.create_table(
        "held_notifications",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("receiver", sa.String(255), nullable=False),
        sa.Column("reason", sa.String(32), nullable=False),
        sa.Column("group_key", sa.Text, nullable=False),
        sa.Column("incident_ids", sa.JSON, nullable=False),
        sa.Column("alertname", sa.String(255), nullable=False),
        sa.Column("namespace", sa.String(255), nullable=False, server_default=""),
        sa.Column("severity", sa.String(64), nullable=False, server_default=""),
        sa.Column("held_at", UtcDateTime, nullable=False),
        sa.Column("released_at", UtcDateTime, nullable=True),
    )
    op.create_index("ix_held_pending", "held_notifications", ["receiver", "released_at"])


def downgrade() -> None:
    op.drop_table("held_notifications")
    op.drop_table("rate_buckets")
    op.drop_table("identity_state")
    op.drop_table("silences")
    with op.batch_alter_table("incidents") as batch:
        batch.drop_column("escalated_at")
        batch.drop_column("reminders_sent")
