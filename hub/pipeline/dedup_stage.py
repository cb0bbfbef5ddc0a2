"""DedupStage: tell a receiver about a group only when something it has not heard changed."""

from __future__ import annotations

from dataclasses import dataclass

from hub.pipeline.dedup import GroupState, needs_update, severity_rank
from hub.pipeline.reasons import SuppressReason
from hub.pipeline.stage import Alerts, FlushContext, record_suppressed
from hub.store.notify_log import group_hash, read_entry

REASON_NOTE = "notify_reason"
STATE_NOTE = "group_state"


def group_state(alerts: Alerts) -> GroupState:
    firing = [a for a in alerts if a.is_firing]
    return GroupState(
        firing_ids=frozenset(a.id for a in firing),
        resolved_ids=frozenset(a.id for a in alerts if not a.is_firing),
        max_severity_rank=max((severity_rank(a.severity) for a in firing), default=0),
        acked=bool(firing) and all(a.acked_by for a in firing),
    )


@dataclass(frozen=True)
class DedupStage:
    """Episode dedup against the notification log (Alertmanager's ``DedupStage``)."""

    async def run(self, ctx: FlushContext, alerts: Alerts) -> Alerts:
        state = group_state(alerts)
        entry = await read_entry(ctx.conn, group_hash(ctx.group_key), ctx.receiver)
        decision = needs_update(entry, state)
        if isinstance(decision, SuppressReason):
            await record_suppressed(ctx, alerts, decision)
            return []
        ctx.notes[REASON_NOTE] = decision
        ctx.notes[STATE_NOTE] = state
        return alerts
