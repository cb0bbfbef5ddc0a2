"""When to retry a delivery: exponential backoff with jitter, or the server's ``Retry-After``."""

from __future__ import annotations

import random
from datetime import timedelta


def next_delay(
    attempts: int,
    *,
    base: timedelta,
    cap: timedelta,
    retry_after: float | None = None,
    rng: random.Random | None = None,
) -> timedelta:
    """Delay before attempt ``attempts + 1``; a 429's ``Retry-After`` wins when given."""
    if retry_after is not None:
        return timedelta(seconds=max(retry_after, 0.0))
    ceiling = min(cap.total_seconds(), base.total_seconds() * (2 ** min(attempts, 30)))
    jitter = (rng or random).uniform(0.5, 1.0)
    return timedelta(seconds=ceiling * jitter)
