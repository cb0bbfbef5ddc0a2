"""The outbox rows that drive an action: one kind, a step per row, keyed per action and step."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from hub.model.keys import action_step_key
from hub.model.outbox import ActionStep, ActionStepBody
from hub.store.outbox import enqueue


async def enqueue_step(
    conn: AsyncConnection, action_id: int, step: ActionStep, due_at: datetime, attempt: str = ""
) -> None:
    """Queue a step in the caller's transaction; the same step twice is one row."""
    body = ActionStepBody(action_id=action_id, step=step)
    await enqueue(conn, action_step_key(action_id, step, attempt), body, due_at)
