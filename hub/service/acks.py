"""Acknowledge a group: the API's ``/ack`` and the bot's Ack button and ``/ack`` share this."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncEngine

from hub.store.acks import AckResult, acknowledge


async def acknowledge_group(
    engine: AsyncEngine,
    incident_id: int,
    *,
    by: str,
    comment: str,
    now: datetime,
    handles: Mapping[str, str] | None = None,
) -> AckResult:
    """Ack every open incident of the incident's group in one transaction (raises ``AckError``)."""
    async with engine.begin() as conn:
        return await acknowledge(conn, incident_id, by, comment, now, handles=handles)
