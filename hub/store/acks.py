"""Acknowledgement: a human has taken the incident; reminders stop, messages show who."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from hub.model.keys import rerun_flush_key
from hub.model.outbox import FlushBody
from hub.store.events import add_events
from hub.store.outbox import enqueue
from hub.store.schema import OPEN_INCIDENT, incidents
from hub.store.silences import open_group_members


class AckError(Exception):
    """The incident cannot be acknowledged; ``status`` is the HTTP answer."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class AckResult:
    """What an ack did: ``acked_ids`` are the group's incidents it took (none if already)."""

    incident_id: int
    acked_ids: tuple[int, ...]
    alertname: str

    @property
    def already(self) -> bool:
        return not self.acked_ids


async def acknowledge(
    conn: AsyncConnection,
    incident_id: int,
    by: str,
    comment: str,
    now: datetime,
    *,
    handles: Mapping[str, str] | None = None,
) -> AckResult:
    """Acknowledge the incident's whole group (its message stands for all of it), flush once.

    ``handles`` name the person as each channel knows them (``{"telegram": "@ayse"}``).
    """
    row = (await conn.execute(select(incidents).where(incidents.c.id == incident_id))).first()
    if row is None:
        raise AckError(404, f"incident {incident_id} not found")
    if row.resolved_at is not None:
        raise AckError(409, f"incident {incident_id} is already resolved")
    members = (
        await conn.execute(
            select(incidents.c.id)
            .where(incidents.c.group_key == row.group_key, incidents.c.receiver == row.receiver)
            .where(OPEN_INCIDENT, incidents.c.acked_by.is_(None))
            .order_by(incidents.c.id)
        )
    ).scalars()
    ids = tuple(members)
    if not ids:
        return AckResult(incident_id, (), row.alertname)
    await conn.execute(
        incidents.update()
        .where(incidents.c.id.in_(ids))
        .values(status="acknowledged", acked_by=by, acked_at=now, ack_handles=dict(handles or {}))
    )
    detail = {"by": by, "comment": comment, "via": incident_id}
    await add_events(conn, [(i, "acknowledged", detail) for i in ids], now)
    # Each incident is acked once, so the first one names this ack's flush.
    await enqueue_group_flush(conn, row.group_key, row.receiver, f"ack:{ids[0]}", now)
    return AckResult(incident_id, ids, row.alertname)


async def enqueue_group_flush(
    conn: AsyncConnection, group_key: str, receiver: str, cause: str, now: datetime
) -> None:
    """Re-run the pipeline for a group's open incidents (after an ack, a silence expiry ...)."""
    members = await open_group_members(conn, receiver, group_key)
    if members:
        body = FlushBody.for_open_group(receiver, group_key, members)
        await enqueue(conn, rerun_flush_key(receiver, group_key, cause), body, now)
