"""Per-incident counters kept with the events they count, in the same transaction.

Stats then read the incidents of a window alone instead of joining their timelines.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncConnection

from hub.store.schema import incidents


def message_lead(incident_ids: Collection[int]) -> int:
    """The incident a message counts on: the lowest id it lists (as the 0008 backfill does)."""
    return min(incident_ids)


async def count_message(conn: AsyncConnection, incident_ids: Collection[int]) -> None:
    """One message listing these incidents was sent or edited: it counts once, on its lead."""
    if incident_ids:
        await conn.execute(
            update(incidents)
            .where(incidents.c.id == message_lead(incident_ids))
            .values(messages_sent=incidents.c.messages_sent + 1)
        )


async def count_suppressions(conn: AsyncConnection, incident_ids: Collection[int]) -> None:
    """One suppression per id given (an id given twice counts twice, like its events)."""
    by_times: dict[int, list[int]] = {}
    for iid, times in Counter(incident_ids).items():
        by_times.setdefault(times, []).append(iid)
    for times, ids in by_times.items():
        await conn.execute(
            update(incidents)
            .where(incidents.c.id.in_(ids))
            .values(suppressed_count=incidents.c.suppressed_count + times)
        )
