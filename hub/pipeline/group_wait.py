"""GroupWaitStage: Alertmanager's ``group_wait`` and ``group_interval`` per (group, receiver).

A message that must wait is not held in memory: the flush is re-enqueued for this receiver
with the due time, and the re-run decides afresh (with whatever the group holds by then).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from hub.model.keys import group_flush_key
from hub.pipeline.decisions.group_wait import GroupTimers, decide_timing
from hub.pipeline.stage import Alerts, ReceiverContext
from hub.store.outbox import enqueue

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class GroupWaitStage:
    """Runs after dedup (only news waits), before the holds; timers come from the route."""

    async def run(self, ctx: ReceiverContext, alerts: Alerts) -> Alerts:
        timers = GroupTimers(ctx.route.group_wait, ctx.route.group_interval)
        if timers == GroupTimers():
            return alerts
        first_seen = min((a.created_at or ctx.now for a in alerts if a.is_firing), default=ctx.now)
        timing = decide_timing(ctx.notice.previous, first_seen, ctx.now, timers)
        if timing.until is None:
            return alerts
        await defer(ctx, alerts, timing.until)
        log.info(
            "group_timer_wait",
            extra={"receiver": ctx.receiver, "reason": timing.reason.value, "until": timing.until},
        )
        return []


async def defer(ctx: ReceiverContext, alerts: Alerts, until: datetime) -> None:
    """Re-run this flush for this receiver at ``until``; a newer one of the group supersedes it."""
    ids = {a.id for a in alerts}
    body = ctx.flush.replaced(
        only_receiver=ctx.receiver, flap_started=tuple(sorted(ctx.flap_started & ids))
    )
    key = group_flush_key(body.receiver, body.group_key, only_receiver=ctx.receiver)
    await enqueue(ctx.conn, key, body, until)
