"""EnqueueStage: turn a decision to notify into one durable delivery row per channel."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from hub.channels.model import NotifyKind
from hub.pipeline.dedup import GroupState, LogEntry
from hub.pipeline.dedup_stage import REASON_NOTE, STATE_NOTE
from hub.pipeline.reasons import NotifyReason
from hub.pipeline.stage import Alerts, FlushContext
from hub.store.notify_log import group_hash, write_entry
from hub.store.outbox import enqueue

DELIVER_KIND = "deliver"
IN_PLACE = frozenset({NotifyReason.RESOLVED, NotifyReason.ACKNOWLEDGED})


def notify_kind(reason: NotifyReason, state: GroupState) -> NotifyKind:
    if not state.firing_ids:
        return NotifyKind.RESOLVED
    if reason is NotifyReason.ACKNOWLEDGED:
        return NotifyKind.ACKNOWLEDGED
    return NotifyKind.FIRING


def delivery_key(ghash: str, receiver: str, channel: str, reason: str, state: GroupState) -> str:
    """The same transition for the same channel is one row, however often it is decided."""
    basis = f"{reason}|{sorted(state.firing_ids)}|{sorted(state.resolved_ids)}|{state.acked}"
    digest = hashlib.sha256(f"{ghash}|{receiver}|{channel}|{basis}".encode()).hexdigest()
    return f"{DELIVER_KIND}:{digest}"


@dataclass(frozen=True)
class EnqueueStage:
    """Write the delivery rows and the notification log entry in the flush's transaction."""

    channels: Mapping[str, Sequence[str]]

    async def run(self, ctx: FlushContext, alerts: Alerts) -> Alerts:
        reason: NotifyReason = ctx.notes[REASON_NOTE]
        state: GroupState = ctx.notes[STATE_NOTE]
        ghash = group_hash(ctx.group_key)
        body: dict[str, Any] = {
            **ctx.group,
            "group_key": ctx.group_key,
            "receiver": ctx.receiver,
            "incident_ids": [a.id for a in alerts],
            "reason": reason.value,
            "kind": notify_kind(reason, state).value,
            "in_place": reason in IN_PLACE,
        }
        for channel in self.channels.get(ctx.receiver, ()):
            key = delivery_key(ghash, ctx.receiver, channel, reason.value, state)
            await enqueue(ctx.conn, DELIVER_KIND, key, {**body, "channel": channel}, ctx.now)
        entry = LogEntry(
            state.firing_ids, state.resolved_ids, state.max_severity_rank, ctx.now, state.acked
        )
        await write_entry(ctx.conn, ghash, ctx.receiver, entry)
        return alerts
