"""``POST /api/v1/incidents/{id}/ack``: a human takes the incident and the rest of its group."""

from __future__ import annotations

from typing import Annotated

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from hub.api.errors import json_error
from hub.api.keys import CLOCK, ENGINE, WORKER
from hub.api.query import parse_id
from hub.api.text import NoNul
from hub.intake.handler import validation_details
from hub.service.acks import acknowledge_group
from hub.store.acks import AckError, AckResult


class AckRequest(BaseModel):
    """Body of an acknowledgement (fixed names: ``by``, ``comment``)."""

    model_config = ConfigDict(extra="forbid")

    by: Annotated[str, Field(min_length=1, max_length=255), NoNul]
    comment: Annotated[str, Field(max_length=2000), NoNul] = ""


async def ack_incident(app: web.Application, incident_id: int, by: str, comment: str) -> AckResult:
    """Acknowledge in one transaction and wake the worker to edit the messages (API and pages)."""
    result = await acknowledge_group(
        app[ENGINE], incident_id, by=by, comment=comment, now=app[CLOCK]()
    )
    if WORKER in app:
        app[WORKER].wake()
    return result


async def ack_handler(request: web.Request) -> web.Response:
    app = request.app
    raw_id = request.match_info["id"]
    if (incident_id := parse_id(raw_id)) is None:
        return json_error(400, f"id: {raw_id!r} is not an incident id")
    try:
        body = AckRequest.model_validate_json(await request.read())
    except ValidationError as exc:
        return json_error(422, "invalid acknowledgement", details=validation_details(exc))
    try:
        result = await ack_incident(app, incident_id, body.by, body.comment)
    except AckError as exc:
        return json_error(exc.status, str(exc))
    return web.json_response(
        {
            "id": result.incident_id,
            "status": "acknowledged",
            "already": result.already,
            "acknowledged_ids": list(result.acked_ids),
        }
    )
