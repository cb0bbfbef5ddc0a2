"""A per-receiver token bucket, and the digest that summarises what it held back."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from hub.enrich.enricher import format_window
from hub.pipeline.decisions.dedup import severity_rank

_CRITICAL_RANK = severity_rank("critical")
_EPSILON = 1e-9  # float slack, so a bucket refilled to exactly ``cost`` allows it
NOTHING_CRITICAL_HELD = "Nothing critical was held."
TIMES = "\u00d7"  # the multiplication sign in "30 x ModelLatencyHigh"


@dataclass(frozen=True)
class TokenBucket:
    """Up to ``capacity`` messages at once, refilled at ``refill_per_second``; immutable."""

    capacity: float
    refill_per_second: float
    tokens: float
    updated_at: datetime

    def __post_init__(self) -> None:
        if self.capacity <= 0 or self.refill_per_second <= 0:
            raise ValueError("token bucket capacity and refill rate must be positive")
        if not 0 <= self.tokens <= self.capacity:
            raise ValueError("token bucket tokens must be between 0 and capacity")
        if self.updated_at.tzinfo is None:
            raise ValueError("token bucket updated_at must be timezone-aware")

    @classmethod
    def full(cls, capacity: float, per: timedelta, now: datetime) -> TokenBucket:
        """A fresh bucket allowing ``capacity`` messages per ``per``, starting full."""
        return cls(capacity, capacity / per.total_seconds(), capacity, now)


def _refilled(bucket: TokenBucket, now: datetime) -> float:
    elapsed = max((now - bucket.updated_at).total_seconds(), 0.0)  # a clock step back adds none
    return min(bucket.capacity, bucket.tokens + elapsed * bucket.refill_per_second)


def take(bucket: TokenBucket, now: datetime, cost: float = 1.0) -> tuple[bool, TokenBucket]:
    """Take ``cost`` tokens if there are enough: (allowed, the bucket afterwards)."""
    tokens = _refilled(bucket, now)
    updated_at = max(now, bucket.updated_at)
    if tokens + _EPSILON >= cost:
        return True, replace(bucket, tokens=tokens - cost, updated_at=updated_at)
    return False, replace(bucket, tokens=tokens, updated_at=updated_at)


def digest_lines(held: Sequence[tuple[str, str, str]]) -> list[str]:
    """One line per (alertname, namespace, severity), most held first: ``30 x X · prod (sev)``."""
    counts = Counter(held)
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [_digest_line(count, *key) for key, count in ordered]


def _digest_line(count: int, alertname: str, namespace: str, severity: str) -> str:
    line = f"{count} {TIMES} {alertname}"
    if namespace:
        line += f" · {namespace}"
    if severity:
        line += f" ({severity})"
    return line


def build_digest_header(count: int, window: timedelta, reason: str = "rate limit") -> str:
    """The digest's first line: ``📦 41 alerts held back in the last 5 min (rate limit)``."""
    noun = "alert" if count == 1 else "alerts"
    return f"📦 {count} {noun} held back in the last {format_window(window)} ({reason})"


def build_digest(
    held: Sequence[tuple[str, str, str]], window: timedelta, reason: str = "rate limit"
) -> list[str]:
    """Header, one line per kind of held alert, and a reassurance when nothing critical waited."""
    lines = [build_digest_header(len(held), window, reason), *digest_lines(held)]
    if not any(severity_rank(severity) >= _CRITICAL_RANK for _, _, severity in held):
        lines.append(NOTHING_CRITICAL_HELD)
    return lines
