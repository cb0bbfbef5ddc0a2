"""Read side of the store: incident history with filters and keyset pagination."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Row, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from hub.store.schema import identity_state, incident_events, incidents

LabelFilter = Callable[[Mapping[str, str]], bool]
SCAN_CHUNK = 200
MAX_SCAN_CHUNK = 5000  # label filters run in Python: a rare match reads ever bigger chunks


@dataclass(frozen=True)
class IncidentQuery:
    """Filters of ``GET /api/v1/incidents``; label matchers are applied after SQL."""

    statuses: Sequence[str] = ()
    alertname: str | None = None
    severity: str | None = None
    label_filters: Sequence[LabelFilter] = field(default_factory=tuple)
    since: datetime | None = None
    until: datetime | None = None
    limit: int = 50
    after: tuple[datetime, int] | None = None


def incident_json(row: Row[Any] | Mapping[str, Any]) -> dict[str, Any]:
    """The public JSON shape of one incident."""
    m = row._mapping if isinstance(row, Row) else row
    return {
        "id": m["id"],
        "fingerprint": m["fingerprint"],
        "alertname": m["alertname"],
        "status": m["status"],
        "severity": m["severity"],
        "labels": m["labels"],
        "annotations": m["annotations"],
        "started_at": _iso(m["started_at"]),
        "resolved_at": _iso(m["resolved_at"]),
        "last_seen_at": _iso(m["last_seen_at"]),
        "duplicate_count": m["duplicate_count"],
        "generator_url": m["generator_url"],
        "receiver": m["receiver"],
        "group_key": m["group_key"],
        "acked_by": m["acked_by"],
        "acked_at": _iso(m["acked_at"]),
    }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def _base_select(q: IncidentQuery) -> Any:
    stmt = select(incidents)
    if q.statuses:
        stmt = stmt.where(incidents.c.status.in_(q.statuses))
    if q.alertname:
        stmt = stmt.where(incidents.c.alertname == q.alertname)
    if q.severity:
        stmt = stmt.where(incidents.c.severity == q.severity)
    if q.since:
        stmt = stmt.where(incidents.c.started_at >= q.since)
    if q.until:
        stmt = stmt.where(incidents.c.started_at <= q.until)
    return stmt.order_by(incidents.c.started_at.desc(), incidents.c.id.desc())


def _after(stmt: Any, after: tuple[datetime, int]) -> Any:
    started, iid = after
    return stmt.where(
        or_(
            incidents.c.started_at < started,
            and_(incidents.c.started_at == started, incidents.c.id < iid),
        )
    )


async def list_incidents(
    conn: AsyncConnection, q: IncidentQuery
) -> tuple[list[dict[str, Any]], tuple[datetime, int] | None]:
    """Newest first; returns the page and the keyset position of its last item if more follow."""
    items: list[dict[str, Any]] = []
    after = q.after
    chunk = q.limit + 1 if not q.label_filters else max(SCAN_CHUNK, q.limit + 1)
    while True:
        stmt = _base_select(q)
        if after is not None:
            stmt = _after(stmt, after)
        rows = (await conn.execute(stmt.limit(chunk))).all()
        for row in rows:
            if all(f(row.labels) for f in q.label_filters):
                if len(items) == q.limit:
                    last = items[-1]
                    return items, (last["_started"], last["id"])
                items.append({**incident_json(row), "_started": row.started_at})
        if len(rows) < chunk:
            return items, None
        after = (rows[-1].started_at, rows[-1].id)
        if q.label_filters:
            chunk = min(chunk * 2, MAX_SCAN_CHUNK)


async def get_incident(conn: AsyncConnection, incident_id: int) -> dict[str, Any] | None:
    """One incident with its timeline, oldest event first."""
    row = (await conn.execute(select(incidents).where(incidents.c.id == incident_id))).first()
    if row is None:
        return None
    events = await conn.execute(
        select(incident_events)
        .where(incident_events.c.incident_id == incident_id)
        .order_by(incident_events.c.id)
    )
    timeline = [{"type": e.type, "at": _iso(e.at), "detail": e.detail} for e in events]
    flap = (
        await conn.execute(
            select(identity_state).where(identity_state.c.fingerprint == row.fingerprint)
        )
    ).first()
    flapping = {
        "active": bool(flap.flapping) if flap else False,
        "episodes": flap.flap_episodes if flap else 0,
        "since": _iso(flap.flap_started_at) if flap and flap.flapping else None,
    }
    return {**incident_json(row), "flapping": flapping, "timeline": timeline}


async def count_open_by_status(conn: AsyncConnection) -> dict[str, int]:
    """Open incidents per status, for the gauge."""
    rows = await conn.execute(
        select(incidents.c.status, func.count())
        .where(incidents.c.resolved_at.is_(None))
        .group_by(incidents.c.status)
    )
    return {row[0]: row[1] for row in rows}


async def open_incident_labels(conn: AsyncConnection) -> list[tuple[int, dict[str, str]]]:
    """``(id, labels)`` of every open incident, newest first."""
    rows = await conn.execute(
        select(incidents.c.id, incidents.c.labels)
        .where(incidents.c.resolved_at.is_(None))
        .order_by(incidents.c.id.desc())
    )
    return [(row.id, row.labels) for row in rows]
