"""Remediation over HTTP: list actions, approve or reject them, ask for one by hand, pause
and resume remediation, close a target's circuit (fixed names; the auth middleware asks
for the API token, as on every ``/api/v1`` route)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from functools import partial
from typing import Annotated, Any, TypeVar

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from hub.api.errors import json_error
from hub.api.keys import CLOCK, CONFIG, ENGINE, METRICS, WORKER
from hub.api.query import QueryError, parse_id, parse_limit
from hub.api.text import NoNul
from hub.intake.handler import validation_details
from hub.remediate import service
from hub.remediate.messages import ActionEdits
from hub.remediate.model import ActionStatus
from hub.remediate.store import ActionRow, action_events, list_actions, target_dict
from hub.remediate.target import dns1123_label_problem, dns1123_subdomain_problem
from hub.timeframe import TimeParamError, parse_moment

Body = TypeVar("Body", bound=BaseModel)


class ByRequest(BaseModel):
    """``{"by": "ayse"}``: who does it."""

    model_config = ConfigDict(extra="forbid")

    by: Annotated[str, Field(min_length=1, max_length=255), NoNul]


class ActionRequest(ByRequest):
    """``{"policy": "restart-model-api", "by": "ayse"}``."""

    policy: Annotated[str, Field(min_length=1, max_length=128), NoNul]


class CircuitRequest(ByRequest):
    """``{"namespace": "prod", "name": "model-api", "by": "ayse"}``."""

    namespace: Annotated[str, Field(min_length=1, max_length=63), NoNul]
    name: Annotated[str, Field(min_length=1, max_length=253), NoNul]


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def action_json(a: ActionRow, events: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "id": a.id,
        "incident_id": a.incident_id,
        "policy": a.policy,
        "action": a.action.value,
        "target": target_dict(a),
        "mode": a.mode.value,
        "status": a.status.value,
        "reason": a.reason,
        "requested_by": a.requested_by,
        "approved_by": a.approved_by,
        "created_at": a.created_at.isoformat(),
        "finished_at": _iso(a.finished_at),
        "events": events,
    }


async def _body(request: web.Request, model: type[Body]) -> Body | web.Response:
    try:
        return model.model_validate_json(await request.read())
    except ValidationError as exc:
        return json_error(422, "invalid request body", details=validation_details(exc))


def _id(request: web.Request, what: str) -> int | web.Response:
    raw = request.match_info["id"]
    found = parse_id(raw)
    return found if found is not None else json_error(400, f"id: {raw!r} is not an {what} id")


async def _answer(request: web.Request, row: ActionRow, status: int = 200) -> web.Response:
    async with request.app[ENGINE].connect() as conn:
        events = await action_events(conn, [row])
    if WORKER in request.app:
        request.app[WORKER].wake()
    return web.json_response(action_json(row, events[row.id]), status=status)


def _filters(q: Mapping[str, str], now: datetime) -> dict[str, Any]:
    status = q.get("status")
    if status is not None and status not in {s.value for s in ActionStatus}:
        raise QueryError(f"status: must be one of {', '.join(s.value for s in ActionStatus)}")
    raw_incident = q.get("incident_id")
    incident_id = None if raw_incident is None else parse_id(raw_incident)
    if raw_incident is not None and incident_id is None:
        raise QueryError(f"incident_id: {raw_incident!r} is not an incident id")
    return {
        "status": status,
        "incident_id": incident_id,
        "since": _since(q.get("since"), now),
        "limit": parse_limit(q.get("limit")),
    }


def _since(value: str | None, now: datetime) -> datetime | None:
    if value is None:
        return None
    try:
        return parse_moment("since", value, now)
    except TimeParamError as exc:
        raise QueryError(str(exc)) from None


async def list_actions_handler(request: web.Request) -> web.Response:
    try:
        filters = _filters(request.query, request.app[CLOCK]())
    except QueryError as exc:
        return json_error(400, str(exc))
    async with request.app[ENGINE].connect() as conn:
        rows = await list_actions(conn, **filters)
        events = await action_events(conn, rows)
    return web.json_response({"items": [action_json(r, events[r.id]) for r in rows]})


Decide = Callable[..., Awaitable[ActionRow]]


async def _decide(request: web.Request, decide: Decide, **kwargs: Any) -> web.Response:
    app = request.app
    if isinstance(action_id := _id(request, "action"), web.Response):
        return action_id
    if isinstance(body := await _body(request, ByRequest), web.Response):
        return body
    try:
        async with app[ENGINE].begin() as conn:
            row = await decide(
                conn,
                action_id=action_id,
                by=body.by,
                now=app[CLOCK](),
                metrics=app[METRICS],
                edits=ActionEdits.from_config(app[CONFIG]),
                **kwargs,
            )
    except service.ActionError as exc:
        return json_error(exc.status, str(exc))
    return await _answer(request, row, 409 if row.status is ActionStatus.REFUSED else 200)


async def approve_handler(request: web.Request) -> web.Response:
    config = request.app[CONFIG].remediation
    return await _decide(request, partial(service.approve, config=config))


async def reject_handler(request: web.Request) -> web.Response:
    return await _decide(request, service.reject)


async def request_action_handler(request: web.Request) -> web.Response:
    """``POST /api/v1/incidents/{id}/actions``: 201 with the action; 409 if refused."""
    app = request.app
    if isinstance(incident_id := _id(request, "incident"), web.Response):
        return incident_id
    if isinstance(body := await _body(request, ActionRequest), web.Response):
        return body
    try:
        async with app[ENGINE].begin() as conn:
            proposal = await service.request(
                conn,
                app[CONFIG].remediation,
                incident_id=incident_id,
                policy_name=body.policy,
                by=body.by,
                now=app[CLOCK](),
                metrics=app[METRICS],
                edits=ActionEdits.from_config(app[CONFIG]),
            )
    except service.ActionError as exc:
        return json_error(exc.status, str(exc))
    assert proposal.action is not None  # a request by hand is never only a suggestion
    refused = proposal.action.status is ActionStatus.REFUSED
    return await _answer(request, proposal.action, 409 if refused else 201)


async def _pause(request: web.Request, paused: bool) -> web.Response:
    app = request.app
    if isinstance(body := await _body(request, ByRequest), web.Response):
        return body
    async with app[ENGINE].begin() as conn:
        await service.pause(conn, paused, body.by, app[CLOCK]())
    return web.json_response({"paused": paused, "by": body.by})


async def pause_handler(request: web.Request) -> web.Response:
    return await _pause(request, True)


async def resume_handler(request: web.Request) -> web.Response:
    return await _pause(request, False)


async def reset_circuit_handler(request: web.Request) -> web.Response:
    app = request.app
    if isinstance(body := await _body(request, CircuitRequest), web.Response):
        return body
    if (why := dns1123_label_problem(body.namespace)) is not None:
        return json_error(422, f"namespace: {body.namespace!r} {why}")
    if (why := dns1123_subdomain_problem(body.name)) is not None:
        return json_error(422, f"name: {body.name!r} {why}")
    async with app[ENGINE].begin() as conn:
        await service.close_circuit(conn, body.namespace, body.name, body.by, app[CLOCK]())
    return web.json_response(
        {"namespace": body.namespace, "name": body.name, "state": "closed", "by": body.by}
    )


def add_action_routes(app: web.Application) -> None:
    """The remediation API's routes, in one place."""
    app.router.add_get("/api/v1/actions", list_actions_handler)
    app.router.add_post("/api/v1/actions/{id}/approve", approve_handler)
    app.router.add_post("/api/v1/actions/{id}/reject", reject_handler)
    app.router.add_post("/api/v1/incidents/{id}/actions", request_action_handler)
    app.router.add_post("/api/v1/remediation/pause", pause_handler)
    app.router.add_post("/api/v1/remediation/resume", resume_handler)
    app.router.add_post("/api/v1/remediation/circuits/reset", reset_circuit_handler)
