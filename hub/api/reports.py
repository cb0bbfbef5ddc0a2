"""The noise report over HTTP: ``GET /api/v1/reports/noise?since=…`` (the CLI shares it)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TypedDict

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncConnection

from hub.api.errors import json_error
from hub.api.keys import CLOCK, CONFIG, ENGINE
from hub.config.models import ReportsConfig
from hub.reports.noise import AdviceMinimum, NoiseRow, build_noise_report
from hub.store.reports import load_alert_stats
from hub.timeframe import TimeParamError, iso_utc, parse_window

DEFAULT_WINDOW = timedelta(days=14)


class NoiseReport(TypedDict):
    """The report as JSON: where its window starts, and one row per alertname."""

    since: str
    alerts: list[NoiseRow]


def parse_since(value: str | None, now: datetime) -> datetime:
    """Start of the window: an RFC 3339 time, a look-back such as ``14d``, or 14 days ago."""
    window = parse_window(value, None, now, default_since=DEFAULT_WINDOW, until_now=True)
    return window.since or now - DEFAULT_WINDOW


async def load_noise_report(
    conn: AsyncConnection, since: datetime, now: datetime, config: ReportsConfig
) -> NoiseReport:
    """Count the window in the store and turn it into report rows with advice."""
    stats = await load_alert_stats(conn, since, now)
    minimum = AdviceMinimum(config.advice_min_episodes, config.advice_min_history)
    return NoiseReport(since=iso_utc(since), alerts=build_noise_report(stats, minimum))


async def noise_report_handler(request: web.Request) -> web.Response:
    now = request.app[CLOCK]()
    try:
        since = parse_since(request.query.get("since"), now)
    except TimeParamError as exc:
        return json_error(400, str(exc))
    async with request.app[ENGINE].connect() as conn:
        report = await load_noise_report(conn, since, now, request.app[CONFIG].reports)
    return web.json_response(report)
