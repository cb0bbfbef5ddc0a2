"""What the on-call numbers are made of, read from indexed incident columns.

The window is the incidents that *started* in it; messages and suppressions are the counters
those incidents carry (hub/store/counters.py), so one incident is never half in the numbers
and the window is one range scan of incidents, never a join with their timelines.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Float, Text, and_, case, cast, func, select
from sqlalchemy.dialects.postgresql import ARRAY, array
from sqlalchemy.ext.asyncio import AsyncConnection

from hub.reports.stats import GroupTimes, IncidentTimes, Percentiles, StatsBy, group_times
from hub.store.schema import incident_events, incidents

# Events of an incident happen after it started: its webhook arrives after Prometheus saw it
# fire. Counting events from this long before the window lets the partial index on
# (type, at) bound the scan, and still tolerates a Prometheus clock running this far ahead.
EVENT_SLACK = timedelta(days=1)

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


def started_between(since: datetime, until: datetime | None) -> ColumnElement[bool]:
    if until is None:
        return incidents.c.started_at >= since
    return and_(incidents.c.started_at >= since, incidents.c.started_at <= until)


async def load_incident_times(
    conn: AsyncConnection, by: StatsBy, since: datetime, until: datetime
) -> list[IncidentTimes]:
    """Start, first ack, resolve and counters of every incident started in the window."""
    key = key_column(by).label("key")
    c = incidents.c
    rows = await conn.execute(
        select(
            key, c.started_at, c.acked_at, c.resolved_at, c.messages_sent, c.suppressed_count
        ).where(started_between(since, until))
    )
    return [
        IncidentTimes(
            r.key, r.started_at, r.acked_at, r.resolved_at, r.messages_sent, r.suppressed_count
        )
        for r in rows
    ]


async def load_group_times(
    conn: AsyncConnection,
    by: StatsBy,
    since: datetime,
    until: datetime,
    bucket: timedelta | None = None,
) -> list[GroupTimes]:
    """Counts, counters and MTTA/MTTR percentiles per key (and bucket): in SQL on PostgreSQL
    (``percentile_cont``, the same interpolation as ``percentile``), in Python elsewhere."""
    if conn.dialect.name != "postgresql":
        times = await load_incident_times(conn, by, since, until)
        return group_times(times, since, bucket)
    key = key_column(by).label("key")
    index = (
        func.floor(func.extract("epoch", incidents.c.started_at - since) / bucket.total_seconds())
        if bucket
        else func.floor(0)
    ).label("bucket")
    rows = await conn.execute(
        select(
            key, index, func.count().label("n"), func.count(incidents.c.acked_at).label("acked"),
            _percentiles(incidents.c.acked_at).label("mtta"),
            _percentiles(incidents.c.resolved_at).label("mttr"),
            func.sum(incidents.c.messages_sent).label("messages"),
            func.sum(incidents.c.suppressed_count).label("suppressed"),
        )
        .where(started_between(since, until))
        .group_by(key, index)
    )  # fmt: skip
    return [
        GroupTimes(
            r.key, int(r.bucket), r.n, r.acked, _pair(r.mtta), _pair(r.mttr),
            int(r.messages), int(r.suppressed),
        )
        for r in rows
    ]  # fmt: skip


def _percentiles(end: ColumnElement[datetime]) -> ColumnElement[Any]:
    """p50 and p90 of ``end - started_at`` in seconds (negative skew counts as 0); NULLs skip."""
    elapsed = cast(func.extract("epoch", end - incidents.c.started_at), Float)
    # GREATEST skips NULLs: keep an open or unacknowledged incident NULL, out of the ranking.
    seconds = case((end.is_(None), None), else_=func.greatest(elapsed, 0.0))
    wanted = array([0.5, 0.9], type_=Float)
    return cast(func.percentile_cont(wanted).within_group(seconds), ARRAY(Float))


def _pair(values: list[float] | None) -> Percentiles:
    if values is None:
        return Percentiles(p50=None, p90=None)
    return Percentiles(p50=round(values[0], 3), p90=round(values[1], 3))


async def count_messages(
    conn: AsyncConnection, key: ColumnElement[str], since: datetime, until: datetime | None
) -> dict[str, int]:
    """Messages people got per key, from the timelines: one listing several counts once per key.

    Delivery records a ``notified`` event per incident the message lists, all with the
    message's channel, receiver, id and time; an edit in place later is another delivery.
    """
    where = started_between(since, until)
    sent = (
        select(
            key.label("key"),
            incident_events.c.at,
            # One delivery writes the same detail (channel, receiver, message id, ...) to
            # every incident its message lists: compare it as stored, without parsing.
            cast(incident_events.c.detail, Text).label("detail"),
        )
        .select_from(_WITH_EVENTS)
        .where(where)
        .where(incident_events.c.type == "notified")
        .where(incident_events.c.at >= since - EVENT_SLACK)
        .distinct()
        .subquery()
    )
    rows = await conn.execute(select(sent.c.key, func.count().label("n")).group_by(sent.c.key))
    return {row.key: int(row.n) for row in rows}
