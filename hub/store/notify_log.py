"""Reads and writes of the notification log and of sent message ids."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from hub.model.notify import LogEntry, SentMessage
from hub.store.dialect import insert_for
from hub.store.schema import OPEN_NOTIFICATION, notifications, notify_log


def entry_state(entry: LogEntry) -> dict[str, Any]:
    return {
        "firing_ids": sorted(entry.firing_ids),
        "resolved_ids": sorted(entry.resolved_ids),
        "max_severity_rank": entry.max_severity_rank,
        "acked": entry.acked,
    }


async def read_entry(conn: AsyncConnection, ghash: str, receiver: str) -> LogEntry | None:
    row = (
        await conn.execute(
            select(notify_log.c.state, notify_log.c.sent_at).where(
                notify_log.c.group_hash == ghash, notify_log.c.receiver == receiver
            )
        )
    ).first()
    if row is None:
        return None
    state = row.state
    return LogEntry(
        firing_ids=frozenset(state["firing_ids"]),
        resolved_ids=frozenset(state["resolved_ids"]),
        max_severity_rank=state["max_severity_rank"],
        sent_at=row.sent_at,
        acked=state["acked"],
    )


async def write_entry(conn: AsyncConnection, ghash: str, receiver: str, entry: LogEntry) -> None:
    stmt = insert_for(conn, notify_log).values(
        group_hash=ghash, receiver=receiver, state=entry_state(entry), sent_at=entry.sent_at
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=["group_hash", "receiver"],
        set_={"state": stmt.excluded.state, "sent_at": stmt.excluded.sent_at},
    )
    await conn.execute(stmt)


async def open_message(
    conn: AsyncConnection, ghash: str, receiver: str, channel: str
) -> SentMessage | None:
    """The message this channel already holds for the group's current episode, if any."""
    row = (
        await conn.execute(
            select(notifications.c.message_id, notifications.c.thread_id).where(
                notifications.c.group_hash == ghash,
                notifications.c.receiver == receiver,
                notifications.c.channel == channel,
                OPEN_NOTIFICATION,
            )
        )
    ).first()
    return SentMessage(row.message_id, row.thread_id) if row else None


async def remember_message(
    conn: AsyncConnection,
    *,
    ghash: str,
    receiver: str,
    channel: str,
    incident_id: int,
    sent: SentMessage,
    now: datetime,
) -> None:
    """Keep the first message of an episode so later changes edit it."""
    stmt = insert_for(conn, notifications).values(
        group_hash=ghash,
        receiver=receiver,
        channel=channel,
        incident_id=incident_id,
        message_id=sent.message_id,
        thread_id=sent.thread_id,
        sent_at=now,
        updated_at=now,
    )
    await conn.execute(
        stmt.on_conflict_do_update(
            index_elements=["group_hash", "receiver", "channel"],
            index_where=OPEN_NOTIFICATION,
            set_={
                "message_id": stmt.excluded.message_id,
                "thread_id": stmt.excluded.thread_id,
                "incident_id": stmt.excluded.incident_id,
                "updated_at": now,
            },
        )
    )


async def close_message(
    conn: AsyncConnection, ghash: str, receiver: str, channel: str, now: datetime
) -> None:
    """The episode ended: the next firing starts a fresh message."""
    await conn.execute(
        notifications.update()
        .where(
            notifications.c.group_hash == ghash,
            notifications.c.receiver == receiver,
            notifications.c.channel == channel,
            OPEN_NOTIFICATION,
        )
        .values(closed_at=now, updated_at=now)
    )
