"""DigestHandler: due ``digest`` rows release everything held for a receiver as one message."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from hub.model.notify import NotifyKind
from hub.model.outbox import DigestBody, MessageBody
from hub.model.reasons import NotifyReason, SuppressReason
from hub.pipeline.decisions.rate_limit import NOTHING_CRITICAL_HELD, build_digest
from hub.pipeline.enqueue import enqueue_deliveries
from hub.store.outbox import OutboxRow, complete
from hub.store.schema import held_notifications


class DigestHandler:
    """One message listing everything held (by rate limit or quiet hours) for the receiver."""

    def __init__(self, engine: AsyncEngine, channels: Mapping[str, Sequence[str]]) -> None:
        self._engine = engine
        self._channels = channels

    async def __call__(self, row: OutboxRow, now: datetime) -> None:
        body = DigestBody.parse(row.payload)
        async with self._engine.begin() as conn:
            held = (
                await conn.execute(
                    select(held_notifications)
                    .where(held_notifications.c.receiver == body.receiver)
                    .where(held_notifications.c.reason == body.reason.value)
                    .where(held_notifications.c.released_at.is_(None))
                    .order_by(held_notifications.c.id)
                )
            ).all()
            if held:
                await self._send(conn, body, held, now)
            await complete(conn, row.id, now)

    async def _send(
        self, conn: AsyncConnection, body: DigestBody, held: Sequence[Any], now: datetime
    ) -> None:
        since = min(h.held_at for h in held)
        why = "rate limit" if body.reason is SuppressReason.RATE_LIMITED else "quiet hours"
        items = [(h.alertname, h.namespace, h.severity) for h in held for _ in h.incident_ids]
        header, *lines = build_digest(items, max(now - since, timedelta(minutes=1)), why)
        footer = None
        if lines and lines[-1] == NOTHING_CRITICAL_HELD:
            footer = f"{lines.pop()} /incidents to list them."
        ids = sorted({i for h in held for i in h.incident_ids})
        message = MessageBody(
            receiver=body.receiver,
            group_key=f"digest:{body.receiver}:{body.reason}",
            incident_ids=tuple(ids),
            reason=NotifyReason.DIGEST,
            kind=NotifyKind.DIGEST,
            reason_text=header.removeprefix("📦 "),
            digest_lines=tuple(lines),
            footer_text=footer,
        )
        channels = self._channels.get(body.receiver, ())
        await enqueue_deliveries(conn, channels, message, f"digest|{ids}", now)
        await conn.execute(
            held_notifications.update()
            .where(held_notifications.c.id.in_([h.id for h in held]))
            .values(released_at=now)
        )
