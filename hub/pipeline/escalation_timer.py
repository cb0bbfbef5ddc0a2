"""EscalationTimerStage: a group's first message starts the escalation timer of its criticals."""

from __future__ import annotations

from dataclasses import dataclass

from hub.config.fatigue import EscalationConfig
from hub.model.keys import escalation_key, group_hash
from hub.pipeline.enqueue import message_of
from hub.pipeline.first_reminder import STARTS_EPISODE
from hub.pipeline.stage import Alerts, ReceiverContext
from hub.store.outbox import enqueue


@dataclass(frozen=True)
class EscalationTimerStage:
    """Unacknowledged when due, they go to ``escalate_to`` (``hub.pipeline.followups``)."""

    rule: EscalationConfig | None

    async def run(self, ctx: ReceiverContext, alerts: Alerts) -> Alerts:
        rule = self.rule
        if rule is None or rule.escalate_to == ctx.receiver:
            return alerts
        if ctx.notice.reason not in STARTS_EPISODE:
            return alerts
        wanted = [a for a in alerts if a.is_firing and (a.severity or "") in rule.severities]
        if not wanted:
            return alerts
        key = escalation_key(group_hash(ctx.group_key), ctx.receiver, min(a.id for a in wanted))
        body = message_of(ctx, wanted, ctx.notice).to_escalation(first_sent_at=ctx.now)
        await enqueue(ctx.conn, key, body, ctx.now + rule.after)
        return alerts
