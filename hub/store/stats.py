"""What the on-call numbers are made of, read from indexed incident columns.

The window is the incidents that *started* in it; messages and suppressions are counted for
those incidents, so one incident is never half in the numbers.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from hub.reports.stats import IncidentTimes, StatsBy
from hub.store.schema import incident_events, incidents

_WITH_EVENTS = incidents.join(incident_events, incident_events.c.incident_id == incidents.c.id)


def key_column(by: StatsBy) -> ColumnElement[str]:
    """The grouping expression; a missing label groups under ``""``."""
    match by:
        case StatsBy.ALERTNAME:
            return incidents.c.alertname
        case StatsBy.SEVERITY:
            return func.coalesce(incidents.c.severity, "")
        case _:
            return func.coalesce(incidents.c.labels[by.value].as_string(), "")


def started_between(since: datetime, until: datetime) -> ColumnElement[bool]:
    return and_(incidents.c.started_at >= since, incidents.c.started_at <= until)


async def load_incident_times(
    conn: AsyncConnection, by: StatsBy, since: datetime, until: datetime
) -> list[IncidentTimes]:
    """Start, first ack and resolve of every incident started in the window."""
    key = key_column(by).label("key")
    rows = await conn.execute(
        select(key, incidents.c.started_at, incidents.c.acked_at, incidents.c.resolved_at).where(
            started_between(since, until)
        )
    )
    return [IncidentTimes(r.key, r.started_at, r.acked_at, r.resolved_at) for r in rows]


async def count_messages(
    conn: AsyncConnection, key: ColumnElement[str], where: ColumnElement[bool]
) -> dict[str, int]:
    """Messages people got per key: one message listing several incidents counts once.

    Delivery records a ``notified`` event per incident the message lists, all with the
    message's channel, receiver, id and time; an edit in place later is another delivery.
    """
    detail = incident_events.c.detail
    sent = (
        select(
            key.label("key"),
            incident_events.c.at,
            detail["receiver"].as_string().label("receiver"),
            detail["channel"].as_string().label("channel"),
            detail["message_id"].as_string().label("message_id"),
        )
        .select_from(_WITH_EVENTS)
        .where(where)
        .where(incident_events.c.type == "notified")
        .distinct()
        .subquery()
    )
    rows = await conn.execute(select(sent.c.key, func.count().label("n")).group_by(sent.c.key))
    return {row.key: int(row.n) for row in rows}


async def count_suppressed(
    conn: AsyncConnection, key: ColumnElement[str], where: ColumnElement[bool]
) -> dict[str, int]:
    """Suppressed notifications per key, whatever the reason."""
    grouped = key.label("key")
    rows = await conn.execute(
        select(grouped, func.count().label("n"))
        .select_from(_WITH_EVENTS)
        .where(where)
        .where(incident_events.c.type == "suppressed")
        .group_by(grouped)
    )
    return {row.key: int(row.n) for row in rows}
