"""Query parameters the list endpoints share: page limits (times: ``hub.timeframe``)."""

from __future__ import annotations

MAX_LIMIT = 500
DEFAULT_LIMIT = 50


class QueryError(ValueError):
    """A query parameter that cannot be used; the message names it."""


def parse_limit(value: str | None) -> int:
    """How many items a page holds: 1 to ``MAX_LIMIT``, ``DEFAULT_LIMIT`` when absent."""
    if value is None:
        return DEFAULT_LIMIT
    if not value.isdigit() or not 1 <= int(value) <= MAX_LIMIT:
        raise QueryError(f"limit: must be an integer from 1 to {MAX_LIMIT}")
    return int(value)
