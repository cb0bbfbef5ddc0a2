"""Incident history over HTTP: ``GET /api/v1/incidents`` and ``GET /api/v1/incidents/{id}``."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from functools import partial
from typing import Any

from aiohttp import web

from hub.api.errors import json_error
from hub.api.keys import CLOCK, ENGINE
from hub.api.query import QueryError, parse_id, parse_limit
from hub.api.text import NUL, NUL_MESSAGE
from hub.routing.matchers import MatcherError, all_match, parse_matchers
from hub.store.queries import IncidentQuery, LabelFilter, get_incident, list_incidents
from hub.timeframe import TimeParamError, parse_window

STATUSES = ("firing", "acknowledged", "resolved")


def encode_cursor(position: tuple[datetime, int]) -> str:
    raw = json.dumps([position[0].isoformat(), position[1]]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        started, iid = json.loads(base64.urlsafe_b64decode(padded))
        return datetime.fromisoformat(started), int(iid)
    except (ValueError, TypeError, binascii.Error) as exc:
        raise QueryError("cursor: not a cursor this API returned") from exc


def _text(params: Any, name: str) -> str | None:
    """A parameter compared in the store, which cannot hold NUL."""
    value: str | None = params.get(name)
    if value is not None and NUL in value:
        raise QueryError(f"{name}: {NUL_MESSAGE}")
    return value


def _label_filters(values: list[str]) -> list[LabelFilter]:
    filters: list[LabelFilter] = []
    for value in values:
        try:
            matchers = parse_matchers(value)
        except MatcherError as exc:
            raise QueryError(f"label: {exc}") from None
        filters.append(partial(all_match, tuple(matchers)))
    return filters


def parse_incident_query(params: Any, now: datetime) -> IncidentQuery:
    """Turn the query string into an IncidentQuery, or raise QueryError naming the parameter."""
    statuses = params.getall("status", [])
    if bad := [s for s in statuses if s not in STATUSES]:
        raise QueryError(f"status: {bad[0]!r} is not one of {', '.join(STATUSES)}")
    cursor = params.get("cursor")
    try:
        window = parse_window(params.get("since"), params.get("until"), now)
    except TimeParamError as exc:
        raise QueryError(str(exc)) from None
    return IncidentQuery(
        statuses=statuses,
        alertname=_text(params, "alertname"),
        severity=_text(params, "severity"),
        label_filters=_label_filters(params.getall("label", [])),
        since=window.since,
        until=window.until,
        limit=parse_limit(params.get("limit")),
        after=decode_cursor(cursor) if cursor else None,
    )


async def list_incidents_handler(request: web.Request) -> web.Response:
    try:
        query = parse_incident_query(request.query, request.app[CLOCK]())
    except QueryError as exc:
        return json_error(400, str(exc))
    async with request.app[ENGINE].connect() as conn:
        items, position = await list_incidents(conn, query)
    for item in items:
        item.pop("_started", None)
    next_cursor = encode_cursor(position) if position else None
    return web.json_response({"items": items, "next_cursor": next_cursor})


async def get_incident_handler(request: web.Request) -> web.Response:
    raw_id = request.match_info["id"]
    if (incident_id := parse_id(raw_id)) is None:
        return json_error(400, f"id: {raw_id!r} is not an incident id")
    async with request.app[ENGINE].connect() as conn:
        incident = await get_incident(conn, incident_id)
    if incident is None:
        return json_error(404, f"incident {raw_id} not found")
    return web.json_response(incident)
