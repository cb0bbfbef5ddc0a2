"""Telegram bot: updates handled once (and audited), who acked as each channel knows them.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

from hub.store.schema import UtcDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("incidents") as batch:
        batch.add_column(sa.Column("ack_handles", sa.JSON, nullable=True))
    op.create_table(
        "bot_updates",
        sa.Column("update_id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("received_at", UtcDateTime, nullable=False),
        sa.Column("user_id", sa.BigInteger, nullable=True),
        sa.Column("chat_id", sa.BigInteger, nullable=True),
        sa.Column("command", sa.String(64), nullable=False, server_default=""),
        sa.Column("outcome", sa.String(16), nullable=False, server_default="received"),
        sa.Column("reason", sa.Text, nullable=False, server_default=""),
    )
    op.create_index("ix_bot_updates_received", "bot_updates", ["received_at"])


def downgrade() -> None:
    op.drop_index("ix_bot_updates_received", table_name="bot_updates")
    op.drop_table("bot_updates")
    with op.batch_alter_table("incidents") as batch:
        batch.drop_column("ack_handles")
