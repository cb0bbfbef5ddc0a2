"""What was sent: the layout kind, the channel's message ids, and the notification-log row."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class NotifyKind(StrEnum):
    """Which layout a notification uses; it also decides send vs. update vs. reply."""

    FIRING = "firing"
    RESOLVED = "resolved"
    ACKNOWLEDGED = "acknowledged"
    REMINDER = "reminder"
    FLAPPING = "flapping"
    DIGEST = "digest"


@dataclass(frozen=True)
class SentMessage:
    """What a channel returns so later updates and replies can find the first message."""

    message_id: str
    thread_id: str | None = None  # Slack thread ts / email root Message-ID


@dataclass(frozen=True)
class LogEntry:
    """What was last sent to one receiver for one group (the notification log row)."""

    firing_ids: frozenset[int]
    resolved_ids: frozenset[int]
    max_severity_rank: int
    sent_at: datetime
    acked: bool
