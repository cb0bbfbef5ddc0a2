"""``POST /api/v1/alerts/alertmanager``: bound, validate, commit, then 2xx (auth before it)."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from typing import Any

from aiohttp import web
from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError

from hub.api.errors import json_error
from hub.api.keys import CONFIG, METRICS, WRITER
from hub.config.loader import format_path
from hub.intake.models import NUL_FREE, WebhookPayload
from hub.intake.plan import IngestResult
from hub.store.ingest import ConcurrentOpenError

log = logging.getLogger(__name__)
RETRY_AFTER_SECONDS = "5"


class BodyTooLargeError(Exception):
    """The body passed ``intake.max_body_bytes``; the rest is never read."""


async def read_bounded(request: web.Request, limit: int) -> bytes:
    """Read the body, refusing early when Content-Length or the stream passes ``limit``."""
    if request.content_length is not None and request.content_length > limit:
        raise BodyTooLargeError
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.content.iter_any():
        size += len(chunk)
        if size > limit:
            raise BodyTooLargeError
        chunks.append(chunk)
    return b"".join(chunks)


def validation_details(exc: ValidationError) -> list[dict[str, Any]]:
    """Each failing field as ``{"path": "alerts[3].startsAt", "message": ...}``."""
    return [
        {"path": format_path(tuple(err["loc"])), "message": err["msg"]}
        for err in exc.errors(include_url=False, include_input=False)
    ]


def _is_json_syntax_error(exc: ValidationError) -> bool:
    return any(err["type"] == "json_invalid" for err in exc.errors())


async def _parse(request: web.Request) -> WebhookPayload | web.Response:
    if request.content_type != "application/json":
        return json_error(415, f"content type must be application/json, got {request.content_type}")
    limit = request.app[CONFIG].intake.max_body_bytes
    try:
        body = await read_bounded(request, limit)
    except BodyTooLargeError:
        return json_error(413, f"body larger than intake.max_body_bytes ({limit} bytes)")
    try:
        # No ``\u0000`` escape in the body means no NUL in any string: skip looking.
        context = {NUL_FREE: True} if b"\\u0000" not in body else None
        return WebhookPayload.model_validate_json(body, context=context)
    except ValidationError as exc:
        if _is_json_syntax_error(exc):
            return json_error(400, "body is not valid JSON", details=validation_details(exc))
        return json_error(
            422, "payload is not an Alertmanager v4 webhook", details=validation_details(exc)
        )


async def receive_alertmanager(request: web.Request) -> web.Response:
    """The webhook receiver Alertmanager's ``webhook_configs`` points at."""
    parsed = await _parse(request)
    return parsed if isinstance(parsed, web.Response) else await _commit(request.app, parsed)


async def _commit(app: web.Application, payload: WebhookPayload) -> web.Response:
    metrics = app[METRICS]
    timeout = app[CONFIG].intake.commit_timeout.total_seconds()
    try:
        with metrics.intake_waiting.track_inprogress():
            async with asyncio.timeout(timeout):  # cheaper than wait_for: no extra task
                result = await app[WRITER].submit(payload)
    except (SQLAlchemyError, OSError, TimeoutError, ConcurrentOpenError) as exc:
        metrics.db_errors.labels("ingest").inc()
        log.error(
            "ingest_failed", extra={"error": type(exc).__name__, "alerts": len(payload.alerts)}
        )
        return json_error(
            503, "store unavailable, retry later", headers={"Retry-After": RETRY_AFTER_SECONDS}
        )
    _count(app, payload, result)
    return web.json_response(
        {
            "status": "accepted",
            "alerts": len(payload.alerts),
            "opened": len(result.opened_ids),
            "resolved": len(result.resolved_ids),
        }
    )


def _count(app: web.Application, payload: WebhookPayload, result: IngestResult) -> None:
    metrics = app[METRICS]
    for status, count in Counter(alert.status for alert in payload.alerts).items():
        metrics.alerts_received.labels(status).inc(count)
    for outcome, count in result.outcomes.items():
        metrics.alert_outcomes.labels(outcome.value).inc(count)
    metrics.incidents_opened.inc(len(result.opened_ids))
    metrics.incidents_resolved.inc(len(result.resolved_ids))
