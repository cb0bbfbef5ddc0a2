"""Rate limit and quiet hours: hold non-critical messages and release them as one digest."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from hub.config.fatigue import RateLimitConfig
from hub.pipeline.dedup import GroupState, LogEntry, severity_rank
from hub.pipeline.dedup_stage import REASON_NOTE, STATE_NOTE
from hub.pipeline.enqueue import enqueue_deliveries
from hub.pipeline.ratelimit import NOTHING_CRITICAL_HELD, TokenBucket, build_digest, take
from hub.pipeline.reasons import NotifyReason, SuppressReason
from hub.pipeline.route import ROUTE_NOTE
from hub.pipeline.stage import Alerts, FlushContext, record_suppressed
from hub.store.dialect import insert_for
from hub.store.notify_log import group_hash, write_entry
from hub.store.outbox import OutboxRow, complete, enqueue
from hub.store.schema import held_notifications, rate_buckets

DIGEST_KIND = "digest"
CRITICAL = severity_rank("critical")
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


def is_critical(alerts: Alerts) -> bool:
    return any(a.is_firing and severity_rank(a.severity) >= CRITICAL for a in alerts)


def slot_end(now: datetime, interval: timedelta) -> datetime:
    """The end of the digest slot ``now`` falls in: holds of one slot share one digest."""
    slots = (now - EPOCH) // interval
    return EPOCH + interval * (slots + 1)


async def hold(
    ctx: FlushContext, alerts: Alerts, reason: SuppressReason, release_at: datetime
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
    state: GroupState = ctx.notes[STATE_NOTE]
    entry = LogEntry(
        state.firing_ids, state.resolved_ids, state.max_severity_rank, ctx.now, state.acked
    )
    await write_entry(ctx.conn, group_hash(ctx.group_key), ctx.receiver, entry)
    # A digest row per hold, each sweeping everything held so far: a hold that commits
    # just after its slot's digest ran is still swept by its own row, never stranded.
    payload = {"receiver": ctx.receiver, "reason": reason.value}
    await enqueue(ctx.conn, DIGEST_KIND, f"{DIGEST_KIND}:{held_id}", payload, release_at)


def _is_news(ctx: FlushContext) -> bool:
    """Only new firing news is held; resolves and acks edit messages already sent."""
    return ctx.notes.get(REASON_NOTE) in {
        NotifyReason.FIRST_NOTIFICATION,
        NotifyReason.NEW_ALERTS,
        NotifyReason.SEVERITY_UP,
    }


@dataclass(frozen=True)
class QuietHoursStage:
    """Inside a route's quiet hours, non-critical news waits for the window's end."""

    async def run(self, ctx: FlushContext, alerts: Alerts) -> Alerts:
        quiet = getattr(ctx.notes.get(ROUTE_NOTE), "quiet_hours", None)
        if quiet is None or not _is_news(ctx) or is_critical(alerts):
            return alerts
        if not quiet.is_active_at(ctx.now):
            return alerts
        await hold(ctx, alerts, SuppressReason.QUIET_HOURS, quiet.ends_after(ctx.now))
        return []


@dataclass(frozen=True)
class RateLimitStage:
    """A token bucket per receiver; what exceeds it goes into the next digest, never lost."""

    config: RateLimitConfig | None

    async def run(self, ctx: FlushContext, alerts: Alerts) -> Alerts:
        if self.config is None or not _is_news(ctx):
            return alerts
        bucket = await _bucket(ctx.conn, ctx.receiver, self.config, ctx.now)
        allowed, bucket = take(bucket, ctx.now)
        await _save_bucket(ctx.conn, ctx.receiver, bucket)
        if allowed or is_critical(alerts):
            return alerts
        release = slot_end(ctx.now, self.config.digest_interval)
        await hold(ctx, alerts, SuppressReason.RATE_LIMITED, release)
        return []


async def _bucket(
    conn: AsyncConnection, receiver: str, cfg: RateLimitConfig, now: datetime
) -> TokenBucket:
    """Read the bucket under a row lock, so concurrent flushes (or replicas) take in turn."""
    full = TokenBucket.full(cfg.capacity, cfg.per, now)
    await conn.execute(
        insert_for(conn, rate_buckets)
        .values(receiver=receiver, tokens=full.tokens, updated_at=now)
        .on_conflict_do_nothing(index_elements=["receiver"])
    )
    row = (
        await conn.execute(
            select(rate_buckets).where(rate_buckets.c.receiver == receiver).with_for_update()
        )
    ).one()
    return TokenBucket(full.capacity, full.refill_per_second, row.tokens, row.updated_at)


async def _save_bucket(conn: AsyncConnection, receiver: str, bucket: TokenBucket) -> None:
    stmt = insert_for(conn, rate_buckets).values(
        receiver=receiver, tokens=bucket.tokens, updated_at=bucket.updated_at
    )
    await conn.execute(
        stmt.on_conflict_do_update(
            index_elements=["receiver"],
            set_={"tokens": bucket.tokens, "updated_at": bucket.updated_at},
        )
    )


class DigestHandler:
    """Due ``digest`` rows: one message listing everything held for the receiver."""

    def __init__(self, engine: AsyncEngine, channels: Mapping[str, Sequence[str]]) -> None:
        self._engine = engine
        self._channels = channels

    async def __call__(self, row: OutboxRow, now: datetime) -> None:
        p = row.payload
        async with self._engine.begin() as conn:
            held = (
                await conn.execute(
                    select(held_notifications)
                    .where(held_notifications.c.receiver == p["receiver"])
                    .where(held_notifications.c.reason == p["reason"])
                    .where(held_notifications.c.released_at.is_(None))
                    .order_by(held_notifications.c.id)
                )
            ).all()
            if held:
                await self._send(conn, p, held, now)
            await complete(conn, row.id, now)

    async def _send(
        self, conn: AsyncConnection, p: Mapping[str, Any], held: Sequence[Any], now: datetime
    ) -> None:
        since = min(h.held_at for h in held)
        reason = "rate limit" if p["reason"] == SuppressReason.RATE_LIMITED else "quiet hours"
        items = [(h.alertname, h.namespace, h.severity) for h in held for _ in h.incident_ids]
        header, *lines = build_digest(items, max(now - since, timedelta(minutes=1)), reason)
        footer = None
        if lines and lines[-1] == NOTHING_CRITICAL_HELD:
            footer = f"{lines.pop()} /incidents to list them."
        ids = sorted({i for h in held for i in h.incident_ids})
        body = {
            "receiver": p["receiver"],
            "group_key": f"digest:{p['receiver']}:{p['reason']}",
            "incident_ids": ids,
            "reason": NotifyReason.DIGEST.value,
            "kind": "digest",
            "in_place": False,
            "reason_text": header.removeprefix("📦 "),
            "digest_lines": lines,
            "footer_text": footer,
            "truncated_alerts": 0,
        }
        channels = self._channels.get(p["receiver"], ())
        await enqueue_deliveries(conn, channels, body, f"digest|{ids}", now)
        await conn.execute(
            held_notifications.update()
            .where(held_notifications.c.id.in_([h.id for h in held]))
            .values(released_at=now)
        )
