"""The bounded reasons a notification is sent or held back; they double as metric labels."""

from __future__ import annotations

from enum import StrEnum


class NotifyReason(StrEnum):
    """Why a message goes out (Alertmanager's ``Reason*`` for the dedup stage, and ours)."""

    FIRST_NOTIFICATION = "first_notification"
    NEW_ALERTS = "new_alerts"
    SEVERITY_UP = "severity_up"
    RESOLVED = "resolved"
    ACKNOWLEDGED = "acknowledged"
    REMINDER_DUE = "reminder_due"
    SILENCE_EXPIRED = "silence_expired"
    FLAPPING_STARTED = "flapping_started"
    DIGEST = "digest"
    ESCALATED = "escalated"
    ACTION_UPDATE = "action_update"  # a remediation action changed: lines edited in place


class SuppressReason(StrEnum):
    """Why a message is held back; recorded as a ``suppressed`` timeline event."""

    DUPLICATE = "duplicate"
    GROUPED = "grouped"
    ACKNOWLEDGED = "acknowledged"
    SILENCED = "silenced"
    INHIBITED = "inhibited"
    FLAPPING = "flapping"
    RATE_LIMITED = "rate_limited"
    QUIET_HOURS = "quiet_hours"
