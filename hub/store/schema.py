"""Tables of the store, in SQLAlchemy Core; Alembic migrations create exactly these."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.types import TypeDecorator

metadata = MetaData()

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets 64-bit ids.
Id = BigInteger().with_variant(Integer(), "sqlite")


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite has no time zones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


OPEN_INCIDENT = text("resolved_at IS NULL")
SENT_EVENTS = text("type IN ('notified', 'suppressed')")

incidents = Table(
    "incidents",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("fingerprint", String(64), nullable=False),
    Column("alertname", String(255), nullable=False, server_default=""),
    Column("severity", String(64), nullable=True),
    Column("status", String(16), nullable=False),
    Column("labels", JSON, nullable=False),
    Column("annotations", JSON, nullable=False),
    Column("started_at", UtcDateTime, nullable=False),
    Column("resolved_at", UtcDateTime, nullable=True),
    Column("last_seen_at", UtcDateTime, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("duplicate_count", Integer, nullable=False, server_default="0"),
    Column("generator_url", Text, nullable=False, server_default=""),
    Column("receiver", String(255), nullable=False, server_default=""),
    Column("group_key", Text, nullable=False, server_default=""),
    Column("acked_by", String(255), nullable=True),
    Column("acked_at", UtcDateTime, nullable=True),
    Column("reminders_sent", Integer, nullable=False, server_default="0"),
    Column("escalated_at", UtcDateTime, nullable=True),
    # Who acked as each channel knows them, e.g. {"telegram": "@ayse"}; ``acked_by`` is the name.
    Column("ack_handles", JSON, nullable=True),
    # Set once the remediation policies have judged the incident (each episode once).
    Column("remediation_evaluated_at", UtcDateTime, nullable=True),
    # Counted where the events are recorded, so stats read incidents alone: the messages this
    # incident leads (a message listing several counts once, on its first), and suppressions.
    Column("messages_sent", Integer, nullable=False, server_default="0"),
    Column("suppressed_count", Integer, nullable=False, server_default="0"),
    Index(
        "uq_incidents_open_fingerprint",
        "fingerprint",
        unique=True,
        sqlite_where=OPEN_INCIDENT,
        postgresql_where=OPEN_INCIDENT,
    ),
    Index("ix_incidents_fingerprint_resolved", "fingerprint", "resolved_at"),
    Index("ix_incidents_started", "started_at", "id"),
    Index("ix_incidents_alertname_started", "alertname", "started_at"),
    Index("ix_incidents_status_started", "status", "started_at"),
)

incident_events = Table(
    "incident_events",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("incident_id", Id, ForeignKey("incidents.id", ondelete="CASCADE"), nullable=False),
    Column("type", String(32), nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Column("detail", JSON, nullable=False),
    Index("ix_incident_events_incident", "incident_id", "id"),
    Index(
        "ix_incident_events_sent",
        "type",
        "at",
        sqlite_where=SENT_EVENTS,
        postgresql_where=SENT_EVENTS,
    ),
)

outbox = Table(
    "outbox",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("kind", String(32), nullable=False),
    Column("key", String(512), nullable=False, unique=True),
    Column("payload", JSON, nullable=False),
    Column("state", String(16), nullable=False, server_default="pending"),
    Column("due_at", UtcDateTime, nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("leased_until", UtcDateTime, nullable=True),
    Column("last_error", Text, nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Index("ix_outbox_due", "state", "due_at"),
)

OPEN_NOTIFICATION = text("closed_at IS NULL")

# The notification log: what each (group, receiver, channel) was last told, and the
# channel's message id so later changes edit that message instead of posting anew.
notifications = Table(
    "notifications",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("group_hash", String(64), nullable=False),
    Column("receiver", String(255), nullable=False),
    Column("channel", String(64), nullable=False),
    Column("incident_id", Id, nullable=False),
    Column("message_id", String(512), nullable=False),
    Column("thread_id", String(512), nullable=True),
    Column("sent_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("closed_at", UtcDateTime, nullable=True),
    Index(
        "uq_notifications_open",
        "group_hash",
        "receiver",
        "channel",
        unique=True,
        sqlite_where=OPEN_NOTIFICATION,
        postgresql_where=OPEN_NOTIFICATION,
    ),
    Index("ix_notifications_incident", "incident_id"),
)

# What each receiver was last told about each group: the input of episode dedup.
notify_log = Table(
    "notify_log",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("group_hash", String(64), nullable=False),
    Column("receiver", String(255), nullable=False),
    Column("state", JSON, nullable=False),
    Column("sent_at", UtcDateTime, nullable=False),
    UniqueConstraint("group_hash", "receiver", name="uq_notify_log_group_receiver"),
)

silences = Table(
    "silences",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("matchers", JSON, nullable=False),
    Column("starts_at", UtcDateTime, nullable=False),
    Column("ends_at", UtcDateTime, nullable=False),
    Column("created_by", String(255), nullable=False),
    Column("comment", Text, nullable=False, server_default=""),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("expired_at", UtcDateTime, nullable=True),
    Column("alertmanager_id", String(64), nullable=True),
    Column("owner_warned_at", UtcDateTime, nullable=True),
    Index("ix_silences_ends", "ends_at"),
)

# Per identity (fingerprint): whether it flaps now and how often it has (the history itself
# is the identity's incidents).
identity_state = Table(
    "identity_state",
    metadata,
    Column("fingerprint", String(64), primary_key=True),
    Column("flapping", Integer, nullable=False, server_default="0"),
    Column("flap_started_at", UtcDateTime, nullable=True),
    Column("flap_episodes", Integer, nullable=False, server_default="0"),
    Column("updated_at", UtcDateTime, nullable=False),
)

# Per receiver token bucket for the storm budget.
rate_buckets = Table(
    "rate_buckets",
    metadata,
    Column("receiver", String(255), primary_key=True),
    Column("tokens", Float, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

# Notifications held back (rate limit, quiet hours) until a digest releases them.
held_notifications = Table(
    "held_notifications",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("receiver", String(255), nullable=False),
    Column("reason", String(32), nullable=False),
    Column("group_key", Text, nullable=False),
    Column("incident_ids", JSON, nullable=False),
    Column("alertname", String(255), nullable=False),
    Column("namespace", String(255), nullable=False, server_default=""),
    Column("severity", String(64), nullable=False, server_default=""),
    Column("held_at", UtcDateTime, nullable=False),
    Column("released_at", UtcDateTime, nullable=True),
    Index("ix_held_pending", "receiver", "released_at"),
)

# Every Telegram update the bot took: handled at most once, and the audit of who asked what.
bot_updates = Table(
    "bot_updates",
    metadata,
    Column("update_id", BigInteger, primary_key=True, autoincrement=False),
    Column("received_at", UtcDateTime, nullable=False),
    Column("user_id", BigInteger, nullable=True),
    Column("chat_id", BigInteger, nullable=True),
    Column("command", String(64), nullable=False, server_default=""),
    Column("outcome", String(16), nullable=False, server_default="received"),
    Column("reason", Text, nullable=False, server_default=""),
    Index("ix_bot_updates_received", "received_at"),
)

AUTOMATIC_ACTION = text("requested_by IS NULL")

# Remediation actions: one row per decision (refused ones too), driven by outbox rows.
actions = Table(
    "actions",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("incident_id", Id, ForeignKey("incidents.id", ondelete="CASCADE"), nullable=False),
    Column("policy", String(128), nullable=False),
    Column("action", String(32), nullable=False),
    Column("target_kind", String(32), nullable=False),
    Column("target_namespace", String(253), nullable=False),
    Column("target_name", String(253), nullable=False),
    Column("mode", String(16), nullable=False),
    Column("status", String(32), nullable=False),
    Column("reason", String(64), nullable=False),
    Column("detail", Text, nullable=False, server_default=""),
    Column("requested_by", String(255), nullable=True),
    Column("approved_by", String(255), nullable=True),
    Column("params", JSON, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=True),
    Column("called_at", UtcDateTime, nullable=True),
    Column("rolled_out_at", UtcDateTime, nullable=True),
    Column("finished_at", UtcDateTime, nullable=True),
    # One automatic decision per incident and policy, however many replicas flush it.
    Index(
        "uq_actions_automatic",
        "incident_id",
        "policy",
        unique=True,
        sqlite_where=AUTOMATIC_ACTION,
        postgresql_where=AUTOMATIC_ACTION,
    ),
    Index("ix_actions_target", "target_namespace", "target_name", "created_at"),
    Index("ix_actions_status", "status", "created_at"),
    Index("ix_actions_incident", "incident_id"),
)

# The run-time kill switch (one row, id 1): paused or not, by whom.
remediation_state = Table(
    "remediation_state",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("paused", Integer, nullable=False, server_default="0"),
    Column("changed_by", String(255), nullable=False, server_default=""),
    Column("changed_at", UtcDateTime, nullable=False),
)

# When an operator last closed a target's circuit: outcomes before it no longer count.
circuit_resets = Table(
    "circuit_resets",
    metadata,
    Column("target_namespace", String(253), primary_key=True),
    Column("target_name", String(253), primary_key=True),
    Column("reset_by", String(255), nullable=False),
    Column("reset_at", UtcDateTime, nullable=False),
)
