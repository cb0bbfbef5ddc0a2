"""One injectable clock, so every time-based decision is exact in tests."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """The real clock: aware UTC."""
    return datetime.now(UTC)
