"""Which incident an incoming alert belongs to: a pure decision with a named outcome."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from hub.intake.models import WebhookAlert


class AlertOutcome(StrEnum):
    """What one alert of a payload did to the store; also a metric label."""

    OPENED = "opened"
    DUPLICATE = "duplicate"
    RESOLVED = "resolved"
    LATE_COPY = "late_copy"
    RESOLVE_REPEAT = "resolve_repeat"
    RESOLVE_UNKNOWN = "resolve_unknown"


@dataclass(frozen=True)
class KnownIncident:
    """The store's view of one recent incident of an identity.

    ``id`` is negative for an incident a plan opens and the store has not inserted yet.
    """

    id: int
    fingerprint: str
    started_at: datetime
    resolved_at: datetime | None

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None


@dataclass(frozen=True)
class Decision:
    """One alert's outcome; ``incident`` is the one it touched, if any."""

    alert: WebhookAlert
    fingerprint: str
    outcome: AlertOutcome
    incident: KnownIncident | None


def decide(alert: WebhookAlert, fingerprint: str, known: list[KnownIncident]) -> Decision:
    """Place one alert against the recent incidents of its identity (newest last)."""
    open_incident = next((i for i in known if i.is_open), None)
    if alert.status == "firing":
        if open_incident is not None:
            return Decision(alert, fingerprint, AlertOutcome.DUPLICATE, open_incident)
        # A firing copy that started before an episode's end belongs to that episode
        # (HA pair, retries): it must not reopen it.
        ended = next(
            (i for i in reversed(known) if i.resolved_at and alert.starts_at <= i.resolved_at),
            None,
        )
        if ended is not None:
            return Decision(alert, fingerprint, AlertOutcome.LATE_COPY, ended)
        return Decision(alert, fingerprint, AlertOutcome.OPENED, None)
    if open_incident is not None:
        ends = alert.end_time()
        if ends is None or ends >= open_incident.started_at:
            return Decision(alert, fingerprint, AlertOutcome.RESOLVED, open_incident)
        return Decision(alert, fingerprint, AlertOutcome.RESOLVE_REPEAT, open_incident)
    if known:
        return Decision(alert, fingerprint, AlertOutcome.RESOLVE_REPEAT, known[-1])
    return Decision(alert, fingerprint, AlertOutcome.RESOLVE_UNKNOWN, None)
