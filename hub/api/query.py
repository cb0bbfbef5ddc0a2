"""Query parameters the list endpoints share: RFC 3339 times and page limits."""

from __future__ import annotations

from datetime import UTC, datetime

MAX_LIMIT = 500
DEFAULT_LIMIT = 50


class QueryError(ValueError):
    """A query parameter that cannot be used; the message names it."""


def parse_rfc3339(name: str, value: str | None) -> datetime | None:
    """An RFC 3339 time with a zone, in UTC; None when the parameter is absent."""
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise QueryError(f"{name}: not an RFC 3339 time: {value!r}") from None
    if parsed.tzinfo is None:
        raise QueryError(f"{name}: RFC 3339 time needs a zone offset, e.g. Z")
    return parsed.astimezone(UTC)


def parse_limit(value: str | None) -> int:
    """How many items a page holds: 1 to ``MAX_LIMIT``, ``DEFAULT_LIMIT`` when absent."""
    if value is None:
        return DEFAULT_LIMIT
    if not value.isdigit() or not 1 <= int(value) <= MAX_LIMIT:
        raise QueryError(f"limit: must be an integer from 1 to {MAX_LIMIT}")
    return int(value)
