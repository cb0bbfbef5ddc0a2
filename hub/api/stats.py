"""``GET /api/v1/stats?since=7d&by=alertname``: time to acknowledge and resolve, per group."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncConnection

from hub.api.errors import json_error
from hub.api.keys import CLOCK, ENGINE
from hub.reports.stats import StatsBy, StatsResponse, build_stats_items
from hub.store.stats import load_group_times
from hub.timeframe import TimeParamError, iso_utc, parse_window

DEFAULT_WINDOW = timedelta(days=7)


class StatsQueryError(ValueError):
    """A stats parameter that cannot be used; the message names it."""


def parse_stats_query(params: Any, now: datetime) -> tuple[StatsBy, datetime, datetime]:
    """``by`` and the window (default the last 7 days), or StatsQueryError naming the problem."""
    raw_by = params.get("by", StatsBy.ALERTNAME.value)
    try:
        by = StatsBy(raw_by)
    except ValueError:
        names = ", ".join(b.value for b in StatsBy)
        raise StatsQueryError(f"by: {raw_by!r} is not one of {names}") from None
    try:
        window = parse_window(
            params.get("since"), params.get("until"), now,
            default_since=DEFAULT_WINDOW, until_now=True,
        )  # fmt: skip
    except TimeParamError as exc:
        raise StatsQueryError(str(exc)) from None
    return by, window.since or now - DEFAULT_WINDOW, window.until or now


async def load_stats(
    conn: AsyncConnection, by: StatsBy, since: datetime, until: datetime
) -> StatsResponse:
    """Count the window in the store and build one item per group."""
    items = build_stats_items(await load_group_times(conn, by, since, until))
    return StatsResponse(since=iso_utc(since), until=iso_utc(until), items=items)


async def stats_handler(request: web.Request) -> web.Response:
    try:
        by, since, until = parse_stats_query(request.query, request.app[CLOCK]())
    except StatsQueryError as exc:
        return json_error(400, str(exc))
    async with request.app[ENGINE].connect() as conn:
        stats = await load_stats(conn, by, since, until)
    return web.json_response(stats.model_dump(mode="json"))
