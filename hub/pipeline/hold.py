"""Holding a message for the digest (rate limit, quiet hours): the held row, the log entry
and the digest row that will release it, in the flush's transaction."""

from __future__ import annotations

from datetime import datetime

from hub.model.keys import digest_key, group_hash
from hub.model.outbox import DigestBody
from hub.model.reasons import NotifyReason, SuppressReason
from hub.pipeline.decisions.dedup import severity_rank
from hub.pipeline.stage import Alerts, ReceiverContext
from hub.pipeline.suppress import record_suppressed
from hub.store.notify_log import write_entry
from hub.store.outbox import enqueue
from hub.store.schema import held_notifications

CRITICAL = severity_rank("critical")
NEWS = frozenset(
    {NotifyReason.FIRST_NOTIFICATION, NotifyReason.NEW_ALERTS, NotifyReason.SEVERITY_UP}
)


def is_critical(alerts: Alerts) -> bool:
    """Critical news is never held."""
    return any(a.is_firing and severity_rank(a.severity) >= CRITICAL for a in alerts)


def is_news(ctx: ReceiverContext) -> bool:
    """Only new firing news is held; resolves and acks edit messages already sent."""
    return ctx.notice.reason in NEWS


async def hold(
    ctx: ReceiverContext, alerts: Alerts, reason: SuppressReason, release_at: datetime
) -> None:
    """Record the held message, log it as told (it will be, in the digest), schedule the digest."""
    first = alerts[0]
    held_id = await ctx.conn.scalar(
        held_notifications.insert()
        .returning(held_notifications.c.id)
        .values(
            receiver=ctx.receiver,
            reason=reason.value,
            group_key=ctx.group_key,
            incident_ids=[a.id for a in alerts],
            alertname=first.alertname,
            namespace=first.labels.get("namespace", ""),
            severity=first.severity or "",
            held_at=ctx.now,
        )
    )
    await record_suppressed(ctx, alerts, reason, release_at=release_at.isoformat())
    entry = ctx.notice.log_entry(ctx.now)
    await write_entry(ctx.conn, group_hash(ctx.group_key), ctx.receiver, entry)
    # A digest row per hold, each sweeping everything held so far: a hold that commits
    # just after its slot's digest ran is still swept by its own row, never stranded.
    body = DigestBody(receiver=ctx.receiver, reason=reason)
    await enqueue(ctx.conn, digest_key(held_id), body, release_at)
