"""The incident timeline: append-only events."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from hub.store.schema import incident_events


async def add_events(
    conn: AsyncConnection, events: Sequence[tuple[int, str, dict[str, Any]]], at: datetime
) -> None:
    """Append ``(incident_id, type, detail)`` events in one statement."""
    if events:
        await conn.execute(
            incident_events.insert(),
            [{"incident_id": iid, "type": kind, "at": at, "detail": d} for iid, kind, d in events],
        )
