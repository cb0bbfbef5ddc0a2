"""RateLimitStage: a token bucket per receiver; news over the limit goes into the next digest."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from hub.config.fatigue import RateLimitConfig
from hub.model.reasons import SuppressReason
from hub.pipeline.decisions.rate_limit import TokenBucket, take
from hub.pipeline.hold import hold, is_critical, is_news
from hub.pipeline.stage import Alerts, ReceiverContext
from hub.store.dialect import insert_for
from hub.store.schema import rate_buckets

EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


def slot_end(now: datetime, interval: timedelta) -> datetime:
    """The end of the digest slot ``now`` falls in: holds of one slot share one digest."""
    slots = (now - EPOCH) // interval
    return EPOCH + interval * (slots + 1)


@dataclass(frozen=True)
class RateLimitStage:
    """What exceeds the bucket is held, never lost; critical news always passes."""

    config: RateLimitConfig | None

    async def run(self, ctx: ReceiverContext, alerts: Alerts) -> Alerts:
        if self.config is None or not is_news(ctx):
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
