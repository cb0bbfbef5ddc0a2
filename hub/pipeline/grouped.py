"""GroupedStage: a flush with a newer pending flush of the same group stops; the newer one
carries these alerts too (``suppressed(grouped)``)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from hub.model.keys import WHOLE_GROUP_SUFFIX, group_flush_prefix, receiver_flush_prefix
from hub.model.outbox import FlushBody
from hub.model.reasons import SuppressReason
from hub.pipeline.stage import Alerts, FlushContext
from hub.pipeline.suppress import record_suppression
from hub.store.outbox import PENDING
from hub.store.schema import outbox


@dataclass(frozen=True)
class GroupedStage:
    """Runs first: only the newest pending flush of a group goes through the pipeline."""

    async def run(self, ctx: FlushContext, alerts: Alerts) -> Alerts:
        if not await is_superseded(ctx.conn, ctx.row_id, ctx.row_key, ctx.flush):
            return alerts
        await record_suppression(
            ctx.conn, ctx.metrics, ctx.flush.incident_ids, SuppressReason.GROUPED,
            receiver=ctx.flush.receiver, now=ctx.now,
        )  # fmt: skip
        return []


async def is_superseded(conn: AsyncConnection, row_id: int, key: str, flush: FlushBody) -> bool:
    """Whether a later pending flush of the same Alertmanager group re-decides everything
    this one would: a whole-group flush, or a re-run deferred for the same receiver."""
    prefix = group_flush_prefix(flush.receiver, flush.group_key)
    if not key.startswith(prefix):
        return False  # ack and silence flushes re-run a group; they are never superseded
    covering = func.length(outbox.c.key) == len(prefix) + WHOLE_GROUP_SUFFIX
    if flush.only_receiver is not None:
        mine = receiver_flush_prefix(flush.receiver, flush.group_key, flush.only_receiver)
        covering = or_(covering, outbox.c.key.startswith(mine, autoescape=True))
    newer = await conn.scalar(
        select(outbox.c.id)
        .where(outbox.c.key.startswith(prefix, autoescape=True), covering)
        .where(outbox.c.state == PENDING, outbox.c.id > row_id)
        .limit(1)
    )
    return newer is not None
