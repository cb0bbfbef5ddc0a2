"""``/api/v1/silences``: create, list, read and expire silences; mirrored into Alertmanager.

The hub's silence is the record. Alertmanager's copy (when ``alertmanager.url`` is set) is
a courtesy that makes the source go quiet too: if Alertmanager cannot be reached the hub
silence still stands, its ``alertmanager_id`` stays null and the answer carries a warning.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import replace
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

from hub.alertmanager_client import AlertmanagerClient, AlertmanagerError, PostableSilence
from hub.api.errors import json_error
from hub.api.keys import ALERTMANAGER, CLOCK, CONFIG, ENGINE, WORKER
from hub.api.text import NoNul, refuse_nul
from hub.intake.handler import validation_details
from hub.pipeline.silence import schedule_expired_now, schedule_lifecycle
from hub.routing.matchers import Matcher, parse_matcher
from hub.store.silences import (
    NewSilence,
    Silence,
    SilenceState,
    expire_silence,
    get_silence,
    insert_silence,
    list_silences,
    set_alertmanager_id,
)

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
    return int(raw) if raw.isdigit() else json_error(400, f"id: {raw!r} is not a silence id")


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
    warning = app[CONFIG].fatigue.silence_expiry_warning
    async with app[ENGINE].begin() as conn:
        silence = await insert_silence(conn, body.to_new(now), now)
        await schedule_lifecycle(conn, silence, now, warning)
    _wake(app)
    silence, warnings = await _mirror_create(app, silence, now)
    return web.json_response({**silence.to_json(now), "warnings": warnings}, status=201)


async def _mirror_create(
    app: web.Application, silence: Silence, now: datetime
) -> tuple[Silence, list[str]]:
    if ALERTMANAGER not in app:
        return silence, []
    postable = PostableSilence(
        silence.matchers, silence.starts_at, silence.ends_at, silence.created_by, silence.comment
    )
    try:
        am_id = await app[ALERTMANAGER].create_silence(postable)
    except AlertmanagerError as exc:
        log.warning("alertmanager_silence_failed", extra={"silence": silence.id, "error": str(exc)})
        return silence, [f"alertmanager: silence not created there: {exc}"]
    async with app[ENGINE].begin() as conn:
        await set_alertmanager_id(conn, silence.id, am_id, now)
    return replace(silence, alertmanager_id=am_id, updated_at=now), []


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
    async with app[ENGINE].begin() as conn:
        silence = await get_silence(conn, silence_id)
        if silence is not None and silence.state_at(now) is not SilenceState.EXPIRED:
            silence = await expire_silence(conn, silence_id, now)
            if silence is not None:
                await schedule_expired_now(conn, silence)
    if silence is None:
        return json_error(404, f"silence {silence_id} not found")
    _wake(app)
    warnings = await _mirror_expire(app, silence, now)
    return web.json_response({**silence.to_json(now), "warnings": warnings})


async def _mirror_expire(app: web.Application, silence: Silence, now: datetime) -> list[str]:
    """Expire Alertmanager's copy unless it has run out on its own already."""
    if ALERTMANAGER not in app or silence.alertmanager_id is None or silence.ends_at <= now:
        return []
    try:
        await app[ALERTMANAGER].expire_silence(silence.alertmanager_id)
    except AlertmanagerError as exc:
        log.warning("alertmanager_expire_failed", extra={"silence": silence.id, "error": str(exc)})
        return [f"alertmanager: silence {silence.alertmanager_id} not expired there: {exc}"]
    return []
