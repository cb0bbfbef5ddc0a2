"""EnqueueStage: turn a decision to notify into one durable delivery row per channel."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from hub.model.keys import delivery_key, group_hash
from hub.model.outbox import MessageBody
from hub.model.reasons import NotifyReason
from hub.pipeline.decisions.dedup import GroupState
from hub.pipeline.stage import Alerts, Notice, ReceiverContext
from hub.store.notify_log import write_entry
from hub.store.outbox import enqueue

IN_PLACE = frozenset({NotifyReason.RESOLVED, NotifyReason.ACKNOWLEDGED})


async def enqueue_deliveries(
    conn: AsyncConnection,
    channels: Sequence[str],
    message: MessageBody,
    transition: str,
    now: datetime,
) -> None:
    """One ``deliver`` row per channel of the message's receiver."""
    ghash = group_hash(message.group_key)
    for channel in channels:
        key = delivery_key(ghash, message.receiver, channel, transition)
        await enqueue(conn, key, message.to_channel(channel), now)


def transition_of(reason: NotifyReason, state: GroupState) -> str:
    """What changed, as the deliveries' idempotency key sees it."""
    return f"{reason}|{sorted(state.firing_ids)}|{sorted(state.resolved_ids)}|{state.acked}"


def message_of(ctx: ReceiverContext, alerts: Alerts, notice: Notice) -> MessageBody:
    """The message a notice makes of the flushed group."""
    flush = ctx.flush
    return MessageBody(
        receiver=ctx.receiver,
        group_key=flush.group_key,
        incident_ids=tuple(a.id for a in alerts),
        status=flush.status,
        group_labels=flush.group_labels,
        common_labels=flush.common_labels,
        common_annotations=flush.common_annotations,
        truncated_alerts=flush.truncated_alerts,
        reason=notice.reason,
        kind=notice.kind,
        in_place=notice.reason in IN_PLACE,
        reason_text=notice.reason_text,
    )


@dataclass(frozen=True)
class EnqueueStage:
    """Write the delivery rows and the notification-log entry (the receiver has been told)."""

    channels: Mapping[str, Sequence[str]]

    async def run(self, ctx: ReceiverContext, alerts: Alerts) -> Alerts:
        notice = ctx.notice
        channels = self.channels.get(ctx.receiver, ())
        message = message_of(ctx, alerts, notice)
        transition = transition_of(notice.reason, notice.state)
        await enqueue_deliveries(ctx.conn, channels, message, transition, ctx.now)
        entry = notice.log_entry(ctx.now)
        await write_entry(ctx.conn, group_hash(ctx.group_key), ctx.receiver, entry)
        return alerts
