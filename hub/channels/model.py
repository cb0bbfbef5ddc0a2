"""The render input: what one notification says, independent of the channel it goes to."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
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
class AlertView:
    """One alert of a group as the renderer needs it."""

    incident_id: int
    fingerprint: str
    status: str  # firing | resolved
    labels: Mapping[str, str]
    annotations: Mapping[str, str]
    starts_at: datetime
    ends_at: datetime | None
    generator_url: str


@dataclass(frozen=True)
class Enrichment:
    """Context gathered before sending so the reader does not have to open four tabs."""

    runbook_name: str | None = None
    runbook_url: str | None = None
    log_lines: tuple[str, ...] = ()
    log_summary: str | None = None  # e.g. "Loki · last 5 min · 3 of 42 matching lines"
    logs_unavailable: str | None = None  # e.g. "timeout after 2 s"
    explore_url: str | None = None
    dashboards: tuple[tuple[str, str], ...] = ()  # (name, url)


@dataclass(frozen=True)
class Notification:
    """Everything one channel message is rendered from; built once per flush."""

    kind: NotifyKind
    receiver: str
    group_key: str
    alerts: tuple[AlertView, ...]
    truncated_alerts: int
    group_labels: Mapping[str, str]
    common_labels: Mapping[str, str]
    common_annotations: Mapping[str, str]
    incident_id: int  # the group's primary incident (first alert's)
    external_url: str  # hub base URL, no trailing slash
    now: datetime
    acked_by: str | None = None
    acked_at: datetime | None = None
    ack_handles: Mapping[str, str] = field(default_factory=dict)  # {"telegram": "@ayse"}
    enrichment: Enrichment = field(default_factory=Enrichment)
    digest_lines: tuple[str, ...] = ()
    reason_text: str | None = None
    restart_action_id: int | None = None  # a pending restart the Restart button approves
    footer_text: str | None = None  # digest: "Nothing critical was held. /incidents to list them."
    restart_target: str | None = None  # label of the Restart button, e.g. "model-api"
    action_lines: tuple[str, ...] = ()  # remediation: what is proposed or done, one line each


@dataclass(frozen=True)
class SentMessage:
    """What a channel returns so later updates and replies can find the first message."""

    message_id: str
    thread_id: str | None = None  # Slack thread ts / email root Message-ID
