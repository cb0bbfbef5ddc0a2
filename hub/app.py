"""``create_app``: the one place that wires routes, state and resources; it does nothing else."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

from aiohttp import web

from hub.api.acks import ack_handler
from hub.api.actions import add_action_routes
from hub.api.auth import PUBLIC, AuthRules, api_token, intake_token
from hub.api.health import healthz, metrics_handler, readyz
from hub.api.incidents import get_incident_handler, list_incidents_handler
from hub.api.keys import CLOCK, CONFIG, ENGINE, METRICS, RELOADER, RUNBOOKS, WORKER, WRITER
from hub.api.openapi import openapi_handler
from hub.api.postmortem import postmortem_handler
from hub.api.reload import reload_handler
from hub.api.reports import noise_report_handler
from hub.api.silences import (
    alertmanager_ctx,
    create_silence_handler,
    delete_silence_handler,
    get_silence_handler,
    list_silences_handler,
)
from hub.api.stats import stats_handler
from hub.api.telegram import bot_ctx, telegram_webhook_handler
from hub.bot.runner import WEBHOOK_PATH
from hub.clock import Clock, utc_now
from hub.config.bot import BotMode
from hub.config.models import HubConfig
from hub.delivery import delivery_ctx
from hub.enrich.runbook_routes import add_runbook_routes
from hub.intake.handler import receive_alertmanager
from hub.intake.writer import IngestWriter
from hub.logs import request_id_var
from hub.metrics import HubMetrics
from hub.reload import ConfigReloader
from hub.remediate.lifecycle import kube_ctx
from hub.store.engine import build_engine
from hub.web.routes import add_web_routes

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
INTAKE_PATH = "/api/v1/alerts/alertmanager"

# Which bearer token each path needs (whole-segment prefixes, the longest wins). Every route
# must fall under one: ``create_app`` refuses to build otherwise.
AUTH_RULES = AuthRules(
    {
        "/api/v1": api_token,
        "/-/reload": api_token,
        INTAKE_PATH: intake_token,
        "/healthz": PUBLIC,
        "/readyz": PUBLIC,
        "/metrics": PUBLIC,
        "/runbooks": PUBLIC,
        "/openapi.json": PUBLIC,  # the API's description holds no data
        # The pages: no bearer token, their handlers require a signed session cookie
        # (``hub/web/auth.py``); sign-in and the stylesheet are the only things served without.
        "/": PUBLIC,
        "/login": PUBLIC,
        "/logout": PUBLIC,
        "/incidents": PUBLIC,
        "/stats": PUBLIC,
        "/static": PUBLIC,
        WEBHOOK_PATH: PUBLIC,  # Telegram sends its secret header instead; the handler checks it
    }
)


@web.middleware
async def observe(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Give each request an id for the logs, time it by route and count webhook answers."""
    request_id = request.headers.get("X-Request-Id") or uuid.uuid4().hex[:16]
    token = request_id_var.set(request_id)
    started = time.perf_counter()
    try:
        response = await handler(request)
    finally:
        route = request.match_info.route.resource
        name = route.canonical if route is not None else "unmatched"
        request.app[METRICS].request_duration.labels(name).observe(time.perf_counter() - started)
        request_id_var.reset(token)
    if name == INTAKE_PATH:  # every answer, the auth middleware's 401 included
        request.app[METRICS].webhook_requests.labels(str(response.status)).inc()
    response.headers["X-Request-Id"] = request_id
    return response


async def _store(app: web.Application) -> AsyncIterator[None]:
    config = app[CONFIG]
    engine = build_engine(config.database)
    app[ENGINE] = engine
    writer = IngestWriter(
        engine,
        app[CLOCK],
        max_batch=config.intake.max_batch,
        flush_delay=config.fatigue.group_window,
        on_batch=_observe_batch(app),
    )
    app[WRITER] = writer
    writer.start()
    yield
    await writer.stop()
    await engine.dispose()


def _observe_batch(app: web.Application) -> Callable[[int], Awaitable[None]]:
    async def observe_batch(size: int) -> None:
        app[METRICS].commit_batch_size.observe(size)
        if WORKER in app:
            app[WORKER].wake()

    return observe_batch


def create_app(
    config: HubConfig, *, clock: Clock = utc_now, config_path: str | Path | None = None
) -> web.Application:
    """Build the aiohttp application for a validated config (read from ``config_path``)."""
    middlewares = [observe, AUTH_RULES.middleware()]
    app = web.Application(middlewares=middlewares, client_max_size=config.intake.max_body_bytes)
    app[CONFIG] = config
    app[CLOCK] = clock
    app[METRICS] = HubMetrics()
    app[RELOADER] = ConfigReloader(config, config_path, app[METRICS], clock)
    app.cleanup_ctx.append(_store)
    app.cleanup_ctx.append(kube_ctx)
    app.cleanup_ctx.append(delivery_ctx)
    app.cleanup_ctx.append(alertmanager_ctx)
    app.cleanup_ctx.append(bot_ctx)
    app.router.add_post(INTAKE_PATH, receive_alertmanager)
    app.router.add_get("/api/v1/incidents", list_incidents_handler)
    app.router.add_get("/api/v1/incidents/{id}", get_incident_handler)
    app.router.add_get("/api/v1/incidents/{id}/postmortem", postmortem_handler)
    app.router.add_get("/api/v1/reports/noise", noise_report_handler)
    app.router.add_get("/api/v1/stats", stats_handler)
    app.router.add_post("/api/v1/incidents/{id}/ack", ack_handler)
    app.router.add_post("/api/v1/silences", create_silence_handler)
    app.router.add_get("/api/v1/silences", list_silences_handler)
    app.router.add_get("/api/v1/silences/{id}", get_silence_handler)
    app.router.add_delete("/api/v1/silences/{id}", delete_silence_handler)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics_handler)
    app.router.add_post("/-/reload", reload_handler)
    app.router.add_get("/openapi.json", openapi_handler)
    add_runbook_routes(app, RUNBOOKS)
    bot = config.telegram_bot
    if bot is not None and bot.mode is BotMode.WEBHOOK:
        app.router.add_post(WEBHOOK_PATH, telegram_webhook_handler)
    add_action_routes(app)
    add_web_routes(app)
    AUTH_RULES.check_covered(app.router)
    return app
