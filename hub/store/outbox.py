"""The durable outbox: rows of work with a due time, claimed under a lease.

A crash between commit and delivery delays work; it never drops it. A crash between a
send and its mark-done means the row is claimed again when its lease runs out, so
delivery is at-least-once; in normal operation each row is done exactly once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from hub.model.outbox import OutboxBody
from hub.store.dialect import insert_for
from hub.store.schema import outbox

PENDING = "pending"
DONE = "done"
DEAD = "dead"


@dataclass(frozen=True)
class OutboxRow:
    """One claimed piece of work."""

    id: int
    kind: str
    key: str
    payload: dict[str, Any]
    attempts: int
    created_at: datetime


def outbox_row(key: str, body: OutboxBody, due_at: datetime, now: datetime) -> dict[str, Any]:
    """The row ``enqueue`` writes; the body's class names its kind."""
    return {
        "kind": body.OUTBOX_KIND.value,
        "key": key,
        "payload": body.to_payload(),
        "state": PENDING,
        "due_at": due_at,
        "attempts": 0,
        "created_at": now,
        "updated_at": now,
    }


async def enqueue(conn: AsyncConnection, key: str, body: OutboxBody, due_at: datetime) -> None:
    """Add work in the caller's transaction; the same key twice is one row (idempotency)."""
    await conn.execute(
        insert_for(conn, outbox).on_conflict_do_nothing(index_elements=["key"]),
        outbox_row(key, body, due_at, due_at),
    )


async def claim_due(
    engine: AsyncEngine, now: datetime, limit: int, lease: timedelta
) -> list[OutboxRow]:
    """Lease up to ``limit`` due rows; other replicas skip rows another one holds."""
    stmt = (
        select(outbox)
        .where(outbox.c.state == PENDING, outbox.c.due_at <= now)
        .where(or_(outbox.c.leased_until.is_(None), outbox.c.leased_until < now))
        .order_by(outbox.c.due_at, outbox.c.id)
        .limit(limit)
    )
    if engine.dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    async with engine.begin() as conn:
        rows = (await conn.execute(stmt)).all()
        if rows:
            await conn.execute(
                outbox.update()
                .where(outbox.c.id.in_([r.id for r in rows]))
                .values(leased_until=now + lease, updated_at=now)
            )
    return [OutboxRow(r.id, r.kind, r.key, r.payload, r.attempts, r.created_at) for r in rows]


async def complete(conn: AsyncConnection, row_id: int, now: datetime) -> None:
    await conn.execute(
        outbox.update()
        .where(outbox.c.id == row_id)
        .values(state=DONE, leased_until=None, updated_at=now, attempts=outbox.c.attempts + 1)
    )


async def retry_at(
    conn: AsyncConnection, row_id: int, due_at: datetime, error: str, now: datetime
) -> None:
    """Schedule the next attempt in the database, so a restart keeps the schedule."""
    await conn.execute(
        outbox.update()
        .where(outbox.c.id == row_id)
        .values(
            due_at=due_at,
            leased_until=None,
            last_error=error,
            updated_at=now,
            attempts=outbox.c.attempts + 1,
        )
    )


async def postpone(conn: AsyncConnection, row_id: int, due_at: datetime, now: datetime) -> None:
    """Try again later without counting an attempt (the row waits for another, it did not fail)."""
    await conn.execute(
        outbox.update()
        .where(outbox.c.id == row_id)
        .values(due_at=due_at, leased_until=None, updated_at=now)
    )


async def earlier_pending(conn: AsyncConnection, row: OutboxRow) -> bool:
    """Whether a row queued before ``row`` under the same key prefix is still pending.

    Keys are ``kind:<target token>:<digest>``; rows of one target (one group's messages to
    one channel) share the prefix, so order between them can be kept.
    """
    prefix = row.key.rsplit(":", 1)[0] + ":"
    found = await conn.scalar(
        select(outbox.c.id)
        .where(outbox.c.key.startswith(prefix, autoescape=True))
        .where(outbox.c.state == PENDING, outbox.c.id < row.id)
        .limit(1)
    )
    return found is not None


async def dead_letter(conn: AsyncConnection, row_id: int, error: str, now: datetime) -> None:
    await conn.execute(
        outbox.update()
        .where(outbox.c.id == row_id)
        .values(
            state=DEAD,
            leased_until=None,
            last_error=error,
            updated_at=now,
            attempts=outbox.c.attempts + 1,
        )
    )


async def pending_stats(conn: AsyncConnection) -> tuple[int, datetime | None]:
    """Outbox depth and the oldest due time, for the metrics."""
    row = (
        await conn.execute(
            select(func.count(), func.min(outbox.c.due_at)).where(outbox.c.state == PENDING)
        )
    ).one()
    return int(row[0]), row[1]
