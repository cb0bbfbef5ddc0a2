"""Acknowledgement: a human has taken the incident; reminders stop, messages show who."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from hub.store.events import add_events
from hub.store.ingest import FLUSH_KIND
from hub.store.outbox import enqueue
from hub.store.schema import OPEN_INCIDENT, incidents


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
    rows = (
        await conn.execute(
            select(incidents.c.id, incidents.c.labels)
            .where(incidents.c.group_key == group_key, incidents.c.receiver == receiver)
            .where(OPEN_INCIDENT)
            .order_by(incidents.c.id)
        )
    ).all()
    if not rows:
        return
    common = _common_labels([r.labels for r in rows])
    body: dict[str, Any] = {
        "receiver": receiver,
        "group_key": group_key,
        "status": "firing",
        "group_labels": {},
        "common_labels": common,
        "common_annotations": {},
        "truncated_alerts": 0,
        "incident_ids": [r.id for r in rows],
        "opened_ids": [],
        "resolved_ids": [],
    }
    digest = hashlib.sha256(f"{receiver}|{group_key}|{cause}".encode()).hexdigest()
    await enqueue(conn, FLUSH_KIND, f"{FLUSH_KIND}:{cause}:{digest[:32]}", body, now)


def _common_labels(label_sets: list[dict[str, str]]) -> dict[str, str]:
    first = label_sets[0]
    return {k: v for k, v in first.items() if all(ls.get(k) == v for ls in label_sets[1:])}
