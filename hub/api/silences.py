"""``/api/v1/silences``: create, list, read and expire silences; mirrored into Alertmanager.

The work is ``hub.service.silences`` (the bot does the same); if Alertmanager cannot be
reached the hub silence still stands and the answer carries a warning.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated, Any

import aiohttp
from aiohttp import web
from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from hub.alertmanager_client import AlertmanagerClient
from hub.api.errors import json_error
from hub.api.keys import ALERTMANAGER, CLOCK, CONFIG, ENGINE, WORKER
from hub.api.query import parse_id
from hub.api.text import NoNul, refuse_nul
from hub.intake.handler import validation_details
from hub.routing.matchers import Matcher, parse_matcher
from hub.service.silences import Silencer, create_silence, expire_silence_now
from hub.store.silences import NewSilence, SilenceState, get_silence, list_silences

log = logging.getLogger(__name__)


def _one_matcher(value: Any) -> Matcher:
    if not isinstance(value, str):
        raise ValueError('a matcher is a string, e.g. alertname="DataDrift"')  # noqa: TRY004
    return parse_matcher(refuse_nul(value))


SilenceMatcher = Annotated[
    Matcher, PlainValidator(_one_matcher, json_schema_input_type=str), PlainSerializer(str)
]
NonBlank = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255), NoNul
]


class SilenceRequest(BaseModel):
    """Body of ``POST /api/v1/silences`` (fixed names); validate with ``context={"now": …}``."""

    model_config = ConfigDict(extra="forbid")

    matchers: list[SilenceMatcher] = Field(min_length=1, max_length=64)
    starts_at: AwareDatetime | None = None
    ends_at: AwareDatetime
    created_by: NonBlank
    comment: Annotated[str, Field(max_length=4000), NoNul] = ""

    @field_validator("matchers")
    @classmethod
    def _not_everything(cls, value: list[Matcher]) -> list[Matcher]:
        # Alertmanager's own rule: a silence whose matchers all match "" would mute everything.
        if all(m.matches({}) for m in value):
            raise ValueError("at least one matcher must not match the empty string")
        return value

    @field_validator("ends_at")
    @classmethod
    def _after_start_and_ahead(cls, value: datetime, info: ValidationInfo) -> datetime:
        now: datetime | None = (info.context or {}).get("now")
        starts = info.data.get("starts_at") or now
        if starts is not None and value <= starts:
            raise ValueError("must be after starts_at")
        if now is not None and value <= now:
            raise ValueError("must be in the future")
        return value

    def to_new(self, now: datetime) -> NewSilence:
        return NewSilence(
            matchers=tuple(self.matchers),
            starts_at=self.starts_at or now,
            ends_at=self.ends_at,
            created_by=self.created_by,
            comment=self.comment,
        )


async def alertmanager_ctx(app: web.Application) -> AsyncIterator[None]:
    """Open the Alertmanager API client when ``alertmanager`` is configured; close it after."""
    link = app[CONFIG].alertmanager
    if link is None:
        yield
        return
    async with aiohttp.ClientSession() as session:
        app[ALERTMANAGER] = AlertmanagerClient(session, link.url, link.timeout)
        yield


def _silence_id(request: web.Request) -> int | web.Response:
    raw = request.match_info["id"]
    silence_id = parse_id(raw)
    return (
        silence_id
        if silence_id is not None
        else json_error(400, f"id: {raw!r} is not a silence id")
    )


def _wake(app: web.Application) -> None:
    if WORKER in app:
        app[WORKER].wake()


async def create_silence_handler(request: web.Request) -> web.Response:
    app = request.app
    now = app[CLOCK]()
    try:
        body = SilenceRequest.model_validate_json(await request.read(), context={"now": now})
    except ValidationError as exc:
        if any(err["type"] == "json_invalid" for err in exc.errors()):
            return json_error(400, "body is not valid JSON", details=validation_details(exc))
        return json_error(422, "invalid silence", details=validation_details(exc))
    outcome = await create_silence(silencer(app), body.to_new(now), now)
    _wake(app)
    json = {**outcome.silence.to_json(now), "warnings": list(outcome.warnings)}
    return web.json_response(json, status=201)


def silencer(app: web.Application) -> Silencer:
    """The silencing service over this app's store and Alertmanager link."""
    return Silencer(app[ENGINE], app.get(ALERTMANAGER), app[CONFIG].fatigue.silence_expiry_warning)


async def list_silences_handler(request: web.Request) -> web.Response:
    app = request.app
    raw_state = request.query.get("state")
    states = ", ".join(s.value for s in SilenceState)
    if raw_state is not None and raw_state not in states.split(", "):
        return json_error(400, f"state: {raw_state!r} is not one of {states}")
    now = app[CLOCK]()
    async with app[ENGINE].connect() as conn:
        found = await list_silences(conn, now, SilenceState(raw_state) if raw_state else None)
    return web.json_response({"items": [s.to_json(now) for s in found]})


async def get_silence_handler(request: web.Request) -> web.Response:
    app = request.app
    if isinstance(silence_id := _silence_id(request), web.Response):
        return silence_id
    async with app[ENGINE].connect() as conn:
        silence = await get_silence(conn, silence_id)
    if silence is None:
        return json_error(404, f"silence {silence_id} not found")
    return web.json_response(silence.to_json(app[CLOCK]()))


async def delete_silence_handler(request: web.Request) -> web.Response:
    """Expire the silence now (an expired one stays as it was) and in Alertmanager too."""
    app = request.app
    if isinstance(silence_id := _silence_id(request), web.Response):
        return silence_id
    now = app[CLOCK]()
    outcome = await expire_silence_now(silencer(app), silence_id, now)
    if outcome is None:
        return json_error(404, f"silence {silence_id} not found")
    _wake(app)
    return web.json_response({**outcome.silence.to_json(now), "warnings": list(outcome.warnings)})
