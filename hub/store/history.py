"""Typed reads of one incident and its timeline (pages, post-mortems, the CLI)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from hub.history.model import IncidentRecord, TimelineEvent
from hub.store.schema import incident_events, incidents


async def load_incident_record(conn: AsyncConnection, incident_id: int) -> IncidentRecord | None:
    """The incident with every timeline event, oldest first; ``None`` if there is none."""
    row = (await conn.execute(select(incidents).where(incidents.c.id == incident_id))).first()
    if row is None:
        return None
    events = await conn.execute(
        select(incident_events.c.type, incident_events.c.at, incident_events.c.detail)
        .where(incident_events.c.incident_id == incident_id)
        .order_by(incident_events.c.id)
    )
    return IncidentRecord(
        id=row.id,
        fingerprint=row.fingerprint,
        alertname=row.alertname,
        status=row.status,
        severity=row.severity,
        labels=row.labels,
        annotations=row.annotations,
        started_at=row.started_at,
        resolved_at=row.resolved_at,
        last_seen_at=row.last_seen_at,
        duplicate_count=row.duplicate_count,
        generator_url=row.generator_url,
        receiver=row.receiver,
        group_key=row.group_key,
        acked_by=row.acked_by,
        acked_at=row.acked_at,
        timeline=tuple(TimelineEvent(e.type, e.at, e.detail or {}) for e in events),
    )
