"""FirstReminderStage: a group's first message schedules its first reminder."""

from __future__ import annotations

from dataclasses import dataclass

from hub.config.fatigue import FatigueConfig
from hub.model.keys import group_hash, reminder_key
from hub.model.reasons import NotifyReason
from hub.pipeline.decisions.dedup import severity_rank
from hub.pipeline.decisions.reminders import next_reminder_at
from hub.pipeline.enqueue import message_of
from hub.pipeline.stage import Alerts, ReceiverContext
from hub.store.outbox import enqueue

STARTS_EPISODE = frozenset({NotifyReason.FIRST_NOTIFICATION, NotifyReason.NEW_ALERTS})


@dataclass(frozen=True)
class FirstReminderStage:
    """Reminders count from the first message, not from the alert's start: an alert the hub
    hears of late must not be reminded of at once. ``hub.pipeline.followups`` sends them."""

    fatigue: FatigueConfig

    async def run(self, ctx: ReceiverContext, alerts: Alerts) -> Alerts:
        notice = ctx.notice
        firing = [a for a in alerts if a.is_firing]
        if notice.reason not in STARTS_EPISODE or not firing:
            return alerts
        worst = max(firing, key=lambda a: severity_rank(a.severity))
        due = next_reminder_at(ctx.now, 0, self.fatigue.reminder_policy(worst.severity))
        if due is None:
            return alerts
        body = message_of(ctx, alerts, notice).to_reminder(sent=0, started_at=ctx.now)
        key = reminder_key(group_hash(ctx.group_key), ctx.receiver, min(a.id for a in firing), 0)
        await enqueue(ctx.conn, key, body, due)
        return alerts
