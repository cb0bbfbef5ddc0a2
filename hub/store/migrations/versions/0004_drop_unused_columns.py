"""Drop two columns that were only ever written empty.

``identity_state.transitions``: flapping is judged from the identity's incidents, so the
column held ``[]`` in every row. ``notifications.state``: what a receiver was told lives in
``notify_log``, so the column held ``{}``.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("identity_state") as batch:
        batch.drop_column("transitions")
    with op.batch_alter_table("notifications") as batch:
        batch.drop_column("state")


def downgrade() -> None:
    with op.batch_alter_table("notifications") as batch:
        batch.add_column(sa.Column("state", sa.JSON, nullable=False, server_default="{}"))
    with op.batch_alter_table("identity_state") as batch:
        batch.add_column(sa.Column("transitions", sa.JSON, nullable=False, server_default="[]"))
