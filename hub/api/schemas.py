"""Pydantic models of what the ``/api/v1`` routes take and return, for ``/openapi.json``.

Request bodies are the models the handlers validate with; responses and query strings are
described here, and the tests check real answers against these schemas.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from hub.remediate.model import ActionKind, ActionMode, ActionStatus
from hub.reports.noise import NoiseRow
from hub.reports.stats import StatsBy
from hub.store.silences import SilenceState

Status = Literal["firing", "acknowledged", "resolved"]
TIME_HELP = "RFC 3339 time (2026-11-24T22:08:00Z) or a look-back like 7d, 12h, 90m"


class Doc(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ErrorBody(Doc):
    """Every 4xx/5xx: what is wrong, and per field where validation failed."""

    error: str
    details: list[dict[str, Any]] | None = None


class Accepted(Doc):
    """The webhook was committed: how many alerts, incidents opened and resolved."""

    status: Literal["accepted"]
    alerts: int
    opened: int
    resolved: int


class Incident(Doc):
    """One firing episode of one alert identity."""

    id: int
    fingerprint: str
    alertname: str
    status: Status
    severity: str | None
    labels: dict[str, str]
    annotations: dict[str, str]
    started_at: str
    resolved_at: str | None
    last_seen_at: str
    duplicate_count: int
    generator_url: str
    receiver: str
    group_key: str
    acked_by: str | None
    acked_at: str | None


class IncidentPage(Doc):
    """Newest first; pass ``next_cursor`` as ``cursor`` for the next page."""

    items: list[Incident]
    next_cursor: str | None


class Flapping(Doc):
    active: bool
    episodes: int
    since: str | None


class TimelineEntry(Doc):
    """One event: fired, notified, suppressed, acknowledged, resolved, …"""

    type: str
    at: str
    detail: dict[str, Any]


class IncidentDetail(Incident):
    flapping: Flapping
    timeline: list[TimelineEntry]


class AckResult(Doc):
    """The incident's whole group is acknowledged: every open incident of it."""

    id: int
    status: Literal["acknowledged"]
    already: bool = Field(description="true when someone had acknowledged it before")
    acknowledged_ids: list[int] = Field(description="the open incidents of the group acked now")


class Silence(Doc):
    id: int
    matchers: list[str]
    starts_at: str
    ends_at: str
    created_by: str
    comment: str
    state: SilenceState
    created_at: str
    updated_at: str
    expired_at: str | None
    alertmanager_id: str | None
    owner_warned_at: str | None


class SilenceChange(Silence):
    warnings: list[str] = Field(description="Alertmanager mirroring problems, if any")


class SilenceList(Doc):
    items: list[Silence]


class NoiseReportBody(Doc):
    since: str
    alerts: list[NoiseRow]


class Health(Doc):
    status: str


class IncidentListQuery(Doc):
    """Query string of ``GET /api/v1/incidents``."""

    status: list[Status] = Field(default=[], description="repeatable")
    alertname: str | None = None
    severity: str | None = None
    label: list[str] = Field(default=[], description='matcher like namespace=~"prod|stage"')
    since: str | None = Field(
        default=None, description=f"incidents started at or after: {TIME_HELP}"
    )
    until: str | None = Field(
        default=None, description=f"incidents started at or before: {TIME_HELP}"
    )
    limit: int = Field(default=50, ge=1, le=500)
    cursor: str | None = Field(default=None, description="next_cursor of the previous page")


class StatsQuery(Doc):
    """Query string of ``GET /api/v1/stats``."""

    since: str = Field(default="7d", description=TIME_HELP)
    until: str | None = Field(default=None, description=f"default now; {TIME_HELP}")
    by: StatsBy = StatsBy.ALERTNAME


class NoiseQuery(Doc):
    """Query string of ``GET /api/v1/reports/noise``."""

    since: str = Field(default="14d", description=TIME_HELP)


class SilenceListQuery(Doc):
    """Query string of ``GET /api/v1/silences``."""

    state: SilenceState | None = None


class ActionTarget(Doc):
    """What an action acts on."""

    kind: str
    namespace: str
    name: str


class ActionEvent(BaseModel):
    """One step of an action's timeline (``at`` plus what the step recorded)."""

    model_config = ConfigDict(extra="allow")

    at: str


class Action(Doc):
    """One remediation action and its timeline."""

    id: int
    incident_id: int
    policy: str
    action: ActionKind
    target: ActionTarget
    mode: ActionMode
    status: ActionStatus
    reason: str | None
    requested_by: str | None
    approved_by: str | None
    created_at: str
    finished_at: str | None
    events: list[ActionEvent]


class ActionList(Doc):
    """``GET /api/v1/actions``: newest first."""

    items: list[Action]


class ActionListQuery(Doc):
    """Query string of ``GET /api/v1/actions``."""

    status: ActionStatus | None = None
    incident_id: int | None = None
    since: str | None = Field(default=None, description=f"actions created since: {TIME_HELP}")
    limit: int = Field(default=50, ge=1, le=500)


class RemediationSwitch(Doc):
    """Remediation paused or resumed, and by whom."""

    paused: bool
    by: str


class CircuitState(Doc):
    """A target's circuit breaker, closed again by an operator."""

    namespace: str
    name: str
    state: Literal["closed"]
    by: str
