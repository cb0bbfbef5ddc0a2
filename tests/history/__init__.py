"""Seeding for the history tests: incidents with known times, written straight to the store."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from hub.store.schema import incident_events, incidents

NOW = datetime(2026, 11, 24, 22, 8, tzinfo=UTC)  # what the tests' ManualClock reads
_ids = itertools.count(1)


@dataclass(frozen=True)
class Seed:
    """One incident to write: start, and how long until ack and resolve (None: never)."""

    alertname: str
    started: datetime
    ack_after: timedelta | None = None
    resolve_after: timedelta | None = None
    labels: dict[str, str] = field(default_factory=dict)
    severity: str | None = "warning"
    annotations: dict[str, str] = field(default_factory=dict)
    # (type, after start, detail); each ``notified`` event is a message of this incident alone
    events: Sequence[tuple[str, timedelta, dict[str, Any]]] = ()
    acked_by: str = "ayse"


def notified(channel: str, message_id: str, kind: str = "firing") -> dict[str, Any]:
    return {
        "channel": channel,
        "receiver": "oncall",
        "message_id": message_id,
        "kind": kind,
        "reason": "first_notification",
    }


async def seed(engine: AsyncEngine, seeds: Sequence[Seed]) -> list[int]:
    """Write the incidents (a fired event each, their own events, counters); return ids."""
    ids: list[int] = []
    async with engine.begin() as conn:
        for s in seeds:
            ids.append(await _insert(conn, s))
    return ids


async def _insert(conn: Any, s: Seed) -> int:
    acked = s.started + s.ack_after if s.ack_after is not None else None
    resolved = s.started + s.resolve_after if s.resolve_after is not None else None
    status = "resolved" if resolved else ("acknowledged" if acked else "firing")
    labels = {"alertname": s.alertname, **s.labels}
    if s.severity:
        labels["severity"] = s.severity
    row = await conn.execute(
        incidents.insert()
        .values(
            fingerprint=f"fp{next(_ids):08d}", alertname=s.alertname, severity=s.severity,
            status=status, labels=labels, annotations=s.annotations, started_at=s.started,
            resolved_at=resolved, last_seen_at=resolved or s.started, created_at=s.started,
            receiver="oncall", group_key=f"{{}}:{{alertname={s.alertname!r}}}",
            acked_by=s.acked_by if acked else None, acked_at=acked,
            messages_sent=sum(t == "notified" for t, _, _ in s.events),
            suppressed_count=sum(t == "suppressed" for t, _, _ in s.events),
        )
        .returning(incidents.c.id)
    )  # fmt: skip
    iid = int(row.scalar_one())
    events = [("fired", timedelta(seconds=1), {"receiver": "oncall"}), *s.events]
    if acked is not None and s.ack_after is not None:
        events.append(("acknowledged", s.ack_after, {"by": s.acked_by, "comment": ""}))
    if s.resolve_after is not None:
        events.append(("resolved", s.resolve_after, {"receiver": "oncall"}))
    events.sort(key=lambda e: e[1])
    await conn.execute(
        incident_events.insert(),
        [
            {"incident_id": iid, "type": t, "at": s.started + after, "detail": d}
            for t, after, d in events
        ],
    )
    return iid
