"""The noise report over HTTP: ``GET /api/v1/reports/noise?since=…`` (the CLI shares it)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TypedDict

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncConnection

from hub.api.errors import json_error
from hub.api.keys import CLOCK, CONFIG, ENGINE
from hub.config.models import ReportsConfig
from hub.config.types import parse_duration
from hub.reports.noise import AdviceMinimum, NoiseRow, build_noise_report
from hub.store.reports import load_alert_stats

DEFAULT_WINDOW = timedelta(days=14)


class SinceError(ValueError):
    """A ``since`` that cannot start a report window; the message says why."""


class NoiseReport(TypedDict):
    """The report as JSON: where its window starts, and one row per alertname."""

    since: str
    alerts: list[NoiseRow]


def parse_since(value: str | None, now: datetime) -> datetime:
    """Start of the window: an RFC 3339 time, a look-back such as ``14d``, or 14 days ago."""
    if value is None:
        return now - DEFAULT_WINDOW
    try:
        since = now - parse_duration(value)
    except ValueError:
        since = _rfc3339(value)
    if since >= now:
        raise SinceError(f"since: {value!r} is not before now")
    return since


def _rfc3339(value: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise SinceError(
            f"since: {value!r} is neither an RFC 3339 time nor a duration like 14d"
        ) from None
    if parsed.tzinfo is None:
        raise SinceError("since: RFC 3339 time needs a zone offset, e.g. Z")
    return parsed.astimezone(UTC)


async def load_noise_report(
    conn: AsyncConnection, since: datetime, now: datetime, config: ReportsConfig
) -> NoiseReport:
    """Count the window in the store and turn it into report rows with advice."""
    stats = await load_alert_stats(conn, since, now)
    iso = since.astimezone(UTC).isoformat().replace("+00:00", "Z")
    minimum = AdviceMinimum(config.advice_min_episodes, config.advice_min_history)
    return NoiseReport(since=iso, alerts=build_noise_report(stats, minimum))


async def noise_report_handler(request: web.Request) -> web.Response:
    now = request.app[CLOCK]()
    try:
        since = parse_since(request.query.get("since"), now)
    except SinceError as exc:
        return json_error(400, str(exc))
    async with request.app[ENGINE].connect() as conn:
        report = await load_noise_report(conn, since, now, request.app[CONFIG].reports)
    return web.json_response(report)
