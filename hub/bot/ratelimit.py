"""Per-person rate limit: a token bucket per Telegram user, so one person cannot flood the hub."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Bucket:
    """Tokens left and when they were counted; ``warned`` once told of the limit."""

    tokens: float
    at: datetime
    warned: bool = False


@dataclass(frozen=True)
class Verdict:
    """Whether to go on; ``warn`` is true for the first refusal of a flood only."""

    allowed: bool
    bucket: Bucket
    warn: bool = False


def take(bucket: Bucket | None, now: datetime, per_minute: int) -> Verdict:
    """Spend one token (burst = ``per_minute``, refilled evenly over the minute)."""
    if bucket is None:
        return Verdict(True, Bucket(per_minute - 1.0, now))
    refill = max((now - bucket.at) / timedelta(minutes=1), 0.0) * per_minute
    tokens = min(float(per_minute), bucket.tokens + refill)
    if tokens >= 1.0:
        return Verdict(True, Bucket(tokens - 1.0, now))
    warn = not bucket.warned
    return Verdict(False, replace(bucket, tokens=tokens, at=now, warned=True), warn=warn)


_MAX_PEOPLE = 10_000


class RateLimiter:
    """The buckets of one replica (a person talks to one poller at a time)."""

    def __init__(self, per_minute: int) -> None:
        self._per_minute = per_minute
        self._buckets: dict[int, Bucket] = {}

    def check(self, user_id: int, now: datetime) -> Verdict:
        if len(self._buckets) >= _MAX_PEOPLE:  # a minute on, every bucket is full again
            idle = now - timedelta(minutes=1)
            self._buckets = {k: b for k, b in self._buckets.items() if b.at > idle}
        verdict = take(self._buckets.get(user_id), now, self._per_minute)
        self._buckets[user_id] = verdict.bucket
        return verdict
