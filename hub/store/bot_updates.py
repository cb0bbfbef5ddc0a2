"""Telegram updates the bot took: each is handled at most once, and what came of it is kept."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from hub.store.dialect import insert_for
from hub.store.schema import bot_updates


async def claim_update(
    conn: AsyncConnection,
    update_id: int,
    *,
    user_id: int | None,
    chat_id: int | None,
    command: str,
    now: datetime,
) -> bool:
    """Record the update; False if some replica (or a retried webhook) already took it."""
    stmt = (
        insert_for(conn, bot_updates)
        .values(
            update_id=update_id,
            received_at=now,
            user_id=user_id,
            chat_id=chat_id,
            command=command[:64],
            outcome="received",
        )
        .on_conflict_do_nothing(index_elements=["update_id"])
    )
    result = await conn.execute(stmt)
    return bool(result.rowcount)


async def record_outcome(
    conn: AsyncConnection, *, update_id: int, outcome: str, reason: str = ""
) -> None:
    """What the update came to: done, refused (and why), rate_limited, failed."""
    await conn.execute(
        bot_updates.update()
        .where(bot_updates.c.update_id == update_id)
        .values(outcome=outcome[:16], reason=reason[:2000])
    )
