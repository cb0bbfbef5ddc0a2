"""Acknowledgement: a human has taken the incident; reminders stop, messages show who."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
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
