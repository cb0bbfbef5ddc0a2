"""Liveness, readiness and metrics endpoints."""

from __future__ import annotations

import logging

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from hub.api.keys import CLOCK, ENGINE, METRICS
from hub.store.migrate import is_current
from hub.store.outbox import pending_stats
from hub.store.queries import count_open_by_status

log = logging.getLogger(__name__)
OPEN_STATUSES = ("firing", "acknowledged")


async def healthz(_request: web.Request) -> web.Response:
    """The process is alive and serving."""
    return web.json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    """Ready only when the database answers and its schema matches the code."""
    engine = request.app[ENGINE]
    try:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        current = await is_current(engine)
    except (SQLAlchemyError, OSError, TimeoutError) as exc:
        request.app[METRICS].db_errors.labels("readyz").inc()
        return web.json_response(
            {"status": "unavailable", "reason": f"database unreachable ({type(exc).__name__})"},
            status=503,
        )
    if not current:
        return web.json_response(
            {"status": "unavailable", "reason": "database schema is not at the code's revision"},
            status=503,
        )
    return web.json_response({"status": "ready"})


async def metrics_handler(request: web.Request) -> web.Response:
    """Prometheus exposition; the open-incidents gauge is read from the store at scrape time."""
    metrics = request.app[METRICS]
    try:
        async with request.app[ENGINE].connect() as conn:
            counts = await count_open_by_status(conn)
            depth, oldest_due = await pending_stats(conn)
        for status in OPEN_STATUSES:
            metrics.open_incidents.labels(status).set(counts.get(status, 0))
        metrics.outbox_depth.set(depth)
        overdue = (request.app[CLOCK]() - oldest_due).total_seconds() if oldest_due else 0.0
        metrics.outbox_oldest_due_age.set(max(overdue, 0.0))
    except (SQLAlchemyError, OSError, TimeoutError):
        metrics.db_errors.labels("metrics").inc()
    body = generate_latest(metrics.registry)
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})
