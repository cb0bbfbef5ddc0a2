"""The outbox rows that drive an action: one kind, a step per row, keyed per action and step."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncConnection

from hub.store.outbox import enqueue

ACTION_KIND = "action"


class Step(StrEnum):
    """What an action's outbox row does when it comes due."""

    CALL = "call"  # make the call to the cluster
    WATCH = "watch"  # look at the rollout until it completes or times out
    VERIFY = "verify"  # wait for the incident to resolve within the verify window
    EXPIRE = "expire"  # an approval that never came


def step_key(action_id: int, step: Step, attempt: str = "") -> str:
    return f"{ACTION_KIND}:{action_id}:{step.value}{attempt}"


async def enqueue_step(
    conn: AsyncConnection, action_id: int, step: Step, due_at: datetime, attempt: str = ""
) -> None:
    """Queue a step in the caller's transaction; the same step twice is one row."""
    await enqueue(
        conn,
        ACTION_KIND,
        step_key(action_id, step, attempt),
        {"action_id": action_id, "step": step.value},
        due_at,
    )
