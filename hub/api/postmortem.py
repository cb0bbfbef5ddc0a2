"""``GET /api/v1/incidents/{id}/postmortem``: a Markdown post-mortem draft of one incident."""

from __future__ import annotations

from datetime import datetime

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from hub.api.errors import json_error
from hub.api.keys import CLOCK, CONFIG, ENGINE, ENRICHER
from hub.api.query import parse_id
from hub.history.context import enrichment_for, incident_url
from hub.history.postmortem import PostmortemInput, build_postmortem
from hub.pipeline.enrichment import Enricher
from hub.store.history import load_incident_record

MARKDOWN = "text/markdown"


async def load_postmortem(
    engine: AsyncEngine,
    incident_id: int,
    *,
    enricher: Enricher | None,
    external_url: str,
    now: datetime,
) -> str | None:
    """The draft, or ``None`` when there is no such incident; Loki is asked after the read."""
    async with engine.connect() as conn:
        record = await load_incident_record(conn, incident_id)
    if record is None:
        return None
    return build_postmortem(
        PostmortemInput(
            record=record,
            incident_url=incident_url(external_url, record.id),
            enrichment=await enrichment_for(enricher, record),
            now=now,
        )
    )


async def postmortem_handler(request: web.Request) -> web.Response:
    app = request.app
    raw_id = request.match_info["id"]
    if (incident_id := parse_id(raw_id)) is None:
        return json_error(400, f"id: {raw_id!r} is not an incident id")
    text = await load_postmortem(
        app[ENGINE], incident_id, enricher=app.get(ENRICHER),
        external_url=app[CONFIG].external_url, now=app[CLOCK](),
    )  # fmt: skip
    if text is None:
        return json_error(404, f"incident {raw_id} not found")
    return web.Response(text=text, content_type=MARKDOWN, charset="utf-8")
