"""Query parameters the list endpoints share: page limits (times: ``hub.timeframe``)."""

from __future__ import annotations

MAX_LIMIT = 500
DEFAULT_LIMIT = 50


class QueryError(ValueError):
    """A query parameter that cannot be used; the message names it."""


MAX_ID = 2**63 - 1  # a 64-bit store id


def parse_id(raw: str) -> int | None:
    """A store id from a path or query string: ASCII digits within 64 bits, else None.

    ``str.isdigit`` alone accepts "²" and numbers past the store's integers, which would
    fail later as a 500 instead of a 400 naming the parameter.
    """
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 19:
        return None
    value = int(raw)
    return value if 0 < value <= MAX_ID else None


def parse_limit(value: str | None) -> int:
    """How many items a page holds: 1 to ``MAX_LIMIT``, ``DEFAULT_LIMIT`` when absent."""
    if value is None:
        return DEFAULT_LIMIT
    if not (value.isascii() and value.isdigit()) or not 1 <= int(value) <= MAX_LIMIT:
        raise QueryError(f"limit: must be an integer from 1 to {MAX_LIMIT}")
    return int(value)
