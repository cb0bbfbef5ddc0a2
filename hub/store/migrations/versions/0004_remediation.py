"""Remediation: actions, the run-time pause, circuit resets; incidents judged by policies.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

from hub.store.schema import Id, UtcDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

AUTOMATIC = sa.text("requested_by IS NULL")


def upgrade() -> None:
    with op.batch_alter_table("incidents") as batch:
        batch.add_column(sa.Column("remediation_evaluated_at", UtcDateTime, nullable=True))
    op.create_table(
        "actions",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column(
            "incident_id",
            Id,
            sa.ForeignKey("incidents.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("policy", sa.String(128), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("target_kind", sa.String(32), nullable=False),
        sa.Column("target_namespace", sa.String(253), nullable=False),
        sa.Column("target_name", sa.String(253), nullable=False),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("reason", sa.String(64), nullable=False),
        sa.Column("detail", sa.Text, nullable=False, server_default=""),
        sa.Column("requested_by", sa.String(255), nullable=True),
        sa.Column("approved_by", sa.String(255), nullable=True),
        sa.Column("params", sa.JSON, nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("expires_at", UtcDateTime, nullable=True),
        sa.Column("called_at", UtcDateTime, nullable=True),
        sa.Column("rolled_out_at", UtcDateTime, nullable=True),
        sa.Column("finished_at", UtcDateTime, nullable=True),
    )
    op.create_index(
        "uq_actions_automatic",
        "actions",
        ["incident_id", "policy"],
        unique=True,
        sqlite_where=AUTOMATIC,
        postgresql_where=AUTOMATIC,
    )
    op.create_index(
        "ix_actions_target", "actions", ["target_namespace", "target_name", "created_at"]
    )
    op.create_index("ix_actions_status", "actions", ["status", "created_at"])
    op.create_index("ix_actions_incident", "actions", ["incident_id"])
    op.create_table(
        "remediation_state",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("paused", sa.Integer, nullable=False, server_default="0"),
        sa.Column("changed_by", sa.String(255), nullable=False, server_default=""),
        sa.Column("changed_at", UtcDateTime, nullable=False),
    )
    op.create_table(
        "circuit_resets",
        sa.Column("target_namespace", sa.String(253), primary_key=True),
        sa.Column("target_name", sa.String(253), primary_key=True),
        sa.Column("reset_by", sa.String(255), nullable=False),
        sa.Column("reset_at", UtcDateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("circuit_resets")
    op.drop_table("remediation_state")
    op.drop_index("ix_actions_incident", "actions")
    op.drop_index("ix_actions_status", "actions")
    op.drop_index("ix_actions_target", "actions")
    op.drop_index("uq_actions_automatic", "actions")
    op.drop_table("actions")
    with op.batch_alter_table("incidents") as batch:
        batch.drop_column("remediation_evaluated_at")
