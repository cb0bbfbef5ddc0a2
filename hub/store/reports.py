"""The noise report's numbers, counted per alertname in SQL that SQLite and PostgreSQL share.

The window is the incidents that *started* at or after ``since``; everything else (events,
flapping) is counted for those incidents, so one incident is never half in the report.
Medians are computed in Python from the per-incident durations.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from hub.reports.noise import AlertStats
from hub.reports.response import Episode
from hub.store.schema import identity_state, incident_events, incidents
from hub.store.stats import count_messages

UNKNOWN_REASON = "unknown"  # a ``suppressed`` event without a reason (never written on purpose)

_ACKED: ColumnElement[bool] = or_(
    incidents.c.acked_at.is_not(None),
    select(incident_events.c.id)
    .where(incident_events.c.incident_id == incidents.c.id)
    .where(incident_events.c.type == "acknowledged")
    .exists(),
)
_ACKED_AS_INT = case((_ACKED, 1), else_=0)
_WITH_EVENTS = incidents.join(incident_events, incident_events.c.incident_id == incidents.c.id)


@dataclass
class _Tally:
    """Everything counted for one alertname before it becomes an ``AlertStats``."""

    incidents: int = 0
    duplicates: int = 0
    acked: int = 0
    resolves: int = 0
    messages: int = 0
    suppressed: Counter[str] = field(default_factory=Counter)
    resolve_seconds: list[float] = field(default_factory=list)
    self_resolve_seconds: list[float] = field(default_factory=list)
    flapping_episodes: int = 0
    first_started_at: datetime | None = None


async def load_alert_stats(
    conn: AsyncConnection, since: datetime, now: datetime
) -> list[AlertStats]:
    """One ``AlertStats`` per alertname with an incident started in ``[since, now]``."""
    tallies: dict[str, _Tally] = {}
    await _count_incidents(conn, since, tallies)
    await _count_events(conn, since, tallies)
    await _count_messages(conn, since, tallies)
    await _collect_resolve_times(conn, since, tallies)
    await _count_flap_episodes(conn, since, tallies)
    return [_stats(name, tally, now) for name, tally in sorted(tallies.items())]


def _stats(alertname: str, t: _Tally, now: datetime) -> AlertStats:
    return AlertStats(
        alertname=alertname,
        # Each incident is one firing notification, each re-send bumped duplicate_count,
        # and each resolve that closed an incident is one more.
        notifications_received=t.incidents + t.duplicates + t.resolves,
        incidents=t.incidents,
        messages_sent=t.messages,
        suppressed=dict(t.suppressed),
        resolve_seconds=t.resolve_seconds,
        self_resolve_seconds=t.self_resolve_seconds,
        flapping_episodes=t.flapping_episodes,
        acked_incidents=t.acked,
        history=max(now - (t.first_started_at or now), timedelta(0)),
    )


def _in_window(since: datetime) -> ColumnElement[bool]:
    return incidents.c.started_at >= since


async def _count_incidents(
    conn: AsyncConnection, since: datetime, tallies: dict[str, _Tally]
) -> None:
    rows = await conn.execute(
        select(
            incidents.c.alertname,
            func.count().label("incidents"),
            func.coalesce(func.sum(incidents.c.duplicate_count), 0).label("duplicates"),
            func.coalesce(func.sum(_ACKED_AS_INT), 0).label("acked"),
            func.min(incidents.c.started_at).label("first_started_at"),
        )
        .where(_in_window(since))
        .group_by(incidents.c.alertname)
    )
    for row in rows:
        tallies[row.alertname] = _Tally(
            incidents=int(row.incidents),
            duplicates=int(row.duplicates),
            acked=int(row.acked),
            first_started_at=row.first_started_at,
        )


async def _count_events(
    conn: AsyncConnection, since: datetime, tallies: Mapping[str, _Tally]
) -> None:
    """Resolve notifications that closed an incident, and suppressions by reason."""
    reason = incident_events.c.detail["reason"].as_string()
    rows = await conn.execute(
        select(
            incidents.c.alertname,
            incident_events.c.type,
            reason.label("reason"),
            func.count().label("n"),
        )
        .select_from(_WITH_EVENTS)
        .where(_in_window(since))
        .where(incident_events.c.type.in_(("resolved", "suppressed")))
        .group_by(incidents.c.alertname, incident_events.c.type, reason)
    )
    for row in rows:
        tally = tallies[row.alertname]
        if row.type == "resolved":
            tally.resolves += int(row.n)
        else:
            tally.suppressed[row.reason or UNKNOWN_REASON] += int(row.n)


async def _count_messages(
    conn: AsyncConnection, since: datetime, tallies: Mapping[str, _Tally]
) -> None:
    counted = await count_messages(conn, incidents.c.alertname, since, None)
    for alertname, n in counted.items():
        tallies[alertname].messages = n


async def _collect_resolve_times(
    conn: AsyncConnection, since: datetime, tallies: Mapping[str, _Tally]
) -> None:
    rows = await conn.execute(
        select(
            incidents.c.alertname,
            incidents.c.started_at,
            incidents.c.resolved_at,
            _ACKED_AS_INT.label("acked"),
        )
        .where(_in_window(since))
        .where(incidents.c.resolved_at.is_not(None))
    )
    for row in rows:
        tally = tallies[row.alertname]
        seconds = _seconds_between(row.started_at, row.resolved_at)
        tally.resolve_seconds.append(seconds)
        if not row.acked:
            tally.self_resolve_seconds.append(seconds)


def _seconds_between(start: datetime, end: datetime) -> float:
    # A resolve stamped before its start (clock skew between Prometheus replicas) is instant.
    return max((end - start).total_seconds(), 0.0)


async def _count_flap_episodes(
    conn: AsyncConnection, since: datetime, tallies: Mapping[str, _Tally]
) -> None:
    """Flapping is kept per identity; sum it over the identities seen in the window."""
    seen = (
        select(incidents.c.alertname, incidents.c.fingerprint)
        .where(_in_window(since))
        .distinct()
        .subquery()
    )
    rows = await conn.execute(
        select(seen.c.alertname, func.sum(identity_state.c.flap_episodes).label("n"))
        .select_from(seen.join(identity_state, identity_state.c.fingerprint == seen.c.fingerprint))
        .group_by(seen.c.alertname)
    )
    for row in rows:
        tallies[row.alertname].flapping_episodes = int(row.n or 0)


async def load_episodes(conn: AsyncConnection, since: datetime) -> list[Episode]:
    """Milestones of every incident that started at or after ``since``."""
    rows = await conn.execute(
        select(
            incidents.c.alertname,
            incidents.c.started_at,
            incidents.c.acked_at,
            incidents.c.resolved_at,
        ).where(incidents.c.started_at >= since)
    )
    return [Episode(r.alertname, r.started_at, r.acked_at, r.resolved_at) for r in rows]
