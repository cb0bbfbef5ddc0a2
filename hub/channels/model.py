"""The render input: what one notification says, independent of the channel it goes to."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo

from hub.model.notify import NotifyKind


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
class LogLine:
    """One log line of an excerpt with the time it was written, so the reader sees the story."""

    at: datetime
    text: str


@dataclass(frozen=True)
class Acknowledgement:
    """Who took the incident and when; ``handles`` name them as each channel knows them.

    ``by`` is the name the API was given; a channel that knows the person itself (Telegram's
    ``@username``) adds its handle under its channel kind, and that channel shows it instead.
    """

    by: str
    at: datetime
    handles: Mapping[str, str] = field(default_factory=dict)

    def shown_as(self, channel: str | None) -> str:
        """The name to show in ``channel`` (a kind such as ``telegram``)."""
        return self.handles.get(channel or "", self.by) if channel else self.by


@dataclass(frozen=True)
class Escalation:
    """Why an escalated message arrives: who was told first, and when."""

    first_receiver: str
    first_sent_at: datetime | None = None


@dataclass(frozen=True)
class Enrichment:
    """Context gathered before sending so the reader does not have to open four tabs."""

    runbook_name: str | None = None
    runbook_url: str | None = None
    log_lines: tuple[LogLine, ...] = ()  # oldest first
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
    ack: Acknowledgement | None = None
    escalation: Escalation | None = None
    tz: tzinfo = UTC  # the zone times are shown in
    enrichment: Enrichment = field(default_factory=Enrichment)
    digest_lines: tuple[str, ...] = ()
    reason_text: str | None = None
    restart_action_id: int | None = None  # a pending restart the Restart button approves
    footer_text: str | None = None  # digest: "Nothing critical was held. /incidents to list them."
    restart_target: str | None = None  # label of the Restart button, e.g. "model-api"
    action_lines: tuple[str, ...] = ()  # remediation: what is proposed or done, one line each
    history: str | None = None  # "seen 4 times in 30 days · last 3 days ago, resolved in 12 min"
