"""Acknowledgement: a human has taken the incident; reminders stop, messages show who."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from hub.model.keys import rerun_flush_key
from hub.model.outbox import FlushBody
from hub.store.events import add_events
from hub.store.outbox import enqueue
from hub.store.schema import incidents
from hub.store.silences import open_group_members


class AckError(Exception):
    """The incident cannot be acknowledged; ``status`` is the HTTP answer."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class AckResult:
    incident_id: int
    already: bool


async def acknowledge(
    conn: AsyncConnection, incident_id: int, by: str, comment: str, now: datetime
) -> AckResult:
    """Mark a firing incident acknowledged and queue a flush so its messages are edited."""
    row = (await conn.execute(select(incidents).where(incidents.c.id == incident_id))).first()
    if row is None:
        raise AckError(404, f"incident {incident_id} not found")
    if row.resolved_at is not None:
        raise AckError(409, f"incident {incident_id} is already resolved")
    if row.acked_by is not None:
        return AckResult(incident_id, already=True)
    await conn.execute(
        incidents.update()
        .where(incidents.c.id == incident_id)
        .values(status="acknowledged", acked_by=by, acked_at=now)
    )
    await add_events(conn, [(incident_id, "acknowledged", {"by": by, "comment": comment})], now)
    await enqueue_group_flush(conn, row.group_key, row.receiver, f"ack:{incident_id}", now)
    return AckResult(incident_id, already=False)


async def enqueue_group_flush(
    conn: AsyncConnection, group_key: str, receiver: str, cause: str, now: datetime
) -> None:
    """Re-run the pipeline for a group's open incidents (after an ack, a silence expiry ...)."""
    members = await open_group_members(conn, receiver, group_key)
    if members:
        body = FlushBody.for_open_group(receiver, group_key, members)
        await enqueue(conn, rerun_flush_key(receiver, group_key, cause), body, now)
