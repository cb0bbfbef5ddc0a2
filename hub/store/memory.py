"""Earlier incidents of an alert, read from indexed columns (never by scanning timelines).

``ix_incidents_alertname_started`` narrows to one alert name over the window; the service
label is compared on those rows only; the last incident's action outcome is one lookup in
``ix_incident_events_incident``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from hub.history.memory import WINDOW, PastIncidents, action_words, history_line
from hub.store.schema import incident_events, incidents


def _same_alert(
    alertname: str, service: str, since: datetime, before: datetime
) -> ColumnElement[bool]:
    return and_(
        incidents.c.alertname == alertname,
        incidents.c.started_at >= since,
        incidents.c.started_at < before,
        func.coalesce(incidents.c.labels["service"].as_string(), "") == service,
    )


async def load_past_incidents(
    conn: AsyncConnection, alertname: str, service: str, since: datetime, before: datetime
) -> PastIncidents:
    """How often the alert fired for this service in ``[since, before)``, and how it ended last."""
    where = _same_alert(alertname, service, since, before)
    count = (await conn.execute(select(func.count()).select_from(incidents).where(where))).scalar()
    if not count:
        return PastIncidents(0)
    last = (
        await conn.execute(
            select(incidents.c.id, incidents.c.started_at, incidents.c.resolved_at)
            .where(where)
            .order_by(incidents.c.started_at.desc(), incidents.c.id.desc())
            .limit(1)
        )
    ).one()
    action = (
        await conn.execute(
            select(incident_events.c.type, incident_events.c.detail)
            .where(incident_events.c.incident_id == last.id)
            .where(incident_events.c.type.like("action%"))
            .order_by(incident_events.c.id.desc())
            .limit(1)
        )
    ).first()
    return PastIncidents(
        count=int(count),
        last_started=last.started_at,
        last_resolved=last.resolved_at,
        last_action=action_words(action.type, action.detail or {}) if action else None,
    )


async def load_history_line(
    conn: AsyncConnection, alertname: str, labels: dict[str, str], started_at: datetime,
    now: datetime,
) -> str | None:  # fmt: skip
    """The message's history line for an incident: the 30 days before it started."""
    service = labels.get("service", "")
    past = await load_past_incidents(conn, alertname, service, started_at - WINDOW, started_at)
    return history_line(past, now)
