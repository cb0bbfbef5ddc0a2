"""Waiting on the hub's own work: its outbox says what is still to do, and when."""

from __future__ import annotations

from datetime import datetime

from aiohttp import web
from sqlalchemy import select

from hub.api.keys import CLOCK, ENGINE
from hub.store.outbox import PENDING
from hub.store.schema import outbox

from .waiting import eventually


async def pending(app: web.Application, *, due: bool = False) -> list[tuple[str, datetime]]:
    """Kind and due time of the outbox work still to do (only what is due now, if ``due``)."""
    query = select(outbox.c.kind, outbox.c.due_at).where(outbox.c.state == PENDING)
    if due:
        query = query.where(outbox.c.due_at <= app[CLOCK]())
    async with app[ENGINE].connect() as conn:
        rows = await conn.execute(query.order_by(outbox.c.due_at, outbox.c.id))
        return [(row.kind, row.due_at) for row in rows]


async def settled(app: web.Application, timeout: float = 10.0) -> None:
    """Wait until no outbox work is due: the hub has acted on everything it was sent."""
    await eventually(
        lambda: pending(app, due=True), timeout, "no due outbox work", check=lambda r: not r
    )


async def drained(app: web.Application, timeout: float = 10.0) -> None:
    """Wait until the outbox holds no work at all, not even a timer for later."""
    await eventually(lambda: pending(app), timeout, "an empty outbox", check=lambda r: not r)
