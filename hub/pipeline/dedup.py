"""DedupStage: tell a receiver about a group only when something it has not heard changed."""

from __future__ import annotations

from dataclasses import dataclass

from hub.model.keys import group_hash
from hub.model.notify import NotifyKind
from hub.model.reasons import NotifyReason, SuppressReason
from hub.pipeline.decisions.dedup import GroupState, needs_update, severity_rank
from hub.pipeline.stage import Alerts, Notice, ReceiverContext
from hub.pipeline.suppress import record_suppressed
from hub.store.notify_log import read_entry


def group_state(alerts: Alerts) -> GroupState:
    firing = [a for a in alerts if a.is_firing]
    return GroupState(
        firing_ids=frozenset(a.id for a in firing),
        resolved_ids=frozenset(a.id for a in alerts if not a.is_firing),
        max_severity_rank=max((severity_rank(a.severity) for a in firing), default=0),
        acked=bool(firing) and all(a.acked_by for a in firing),
    )


def notify_kind(reason: NotifyReason, state: GroupState) -> NotifyKind:
    """The message layout for a decision: a group with nothing firing reads as resolved."""
    if not state.firing_ids:
        return NotifyKind.RESOLVED
    if reason is NotifyReason.ACKNOWLEDGED or (state.acked and reason is NotifyReason.RESOLVED):
        return NotifyKind.ACKNOWLEDGED  # a partial resolve of an acked group keeps the ack
    if reason is NotifyReason.REMINDER_DUE:
        return NotifyKind.REMINDER
    return NotifyKind.FIRING


@dataclass(frozen=True)
class DedupStage:
    """Episode dedup against the notification log (Alertmanager's ``DedupStage``).

    Sets ``ctx.notice``: why the receiver hears of the group, and what it heard before.
    """

    async def run(self, ctx: ReceiverContext, alerts: Alerts) -> Alerts:
        state = group_state(alerts)
        entry = await read_entry(ctx.conn, group_hash(ctx.group_key), ctx.receiver)
        decision = needs_update(entry, state)
        if isinstance(decision, SuppressReason):
            await record_suppressed(ctx, alerts, decision)
            return []
        ctx.notice = Notice(decision, notify_kind(decision, state), state, entry)
        return alerts
