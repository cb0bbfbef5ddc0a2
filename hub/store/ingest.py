"""Write everything a webhook payload means: incidents, timeline events and outbox rows.

``ingest_payload`` is the one-payload path; ``hub.store.ingest_batch`` applies a whole
group-commit batch the same way with fewer statements and must agree with it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncConnection

from hub.intake.episodes import AlertOutcome, Decision, KnownIncident, decide_all
from hub.intake.models import WebhookAlert, WebhookPayload
from hub.model.keys import group_flush_key
from hub.model.outbox import FlushBody
from hub.store.dialect import insert_for
from hub.store.outbox import enqueue
from hub.store.schema import OPEN_INCIDENT, incident_events, incidents


@dataclass
class IngestResult:
    """What one payload did; the intake turns it into metrics."""

    outcomes: Counter[AlertOutcome] = field(default_factory=Counter)
    opened_ids: list[int] = field(default_factory=list)
    resolved_ids: list[int] = field(default_factory=list)
    flush_enqueued: bool = False


async def _load_recent(
    conn: AsyncConnection, alerts: Sequence[WebhookAlert]
) -> dict[str, list[KnownIncident]]:
    fingerprints = {a.identity() for a in alerts}
    oldest = min(a.starts_at for a in alerts)
    rows = await conn.execute(
        select(
            incidents.c.id, incidents.c.fingerprint, incidents.c.started_at, incidents.c.resolved_at
        )
        .where(incidents.c.fingerprint.in_(fingerprints))
        .where(incidents.c.resolved_at.is_(None) | (incidents.c.resolved_at >= oldest))
        .order_by(incidents.c.id)
    )
    known: dict[str, list[KnownIncident]] = {}
    for row in rows:
        known.setdefault(row.fingerprint, []).append(
            KnownIncident(row.id, row.fingerprint, row.started_at, row.resolved_at)
        )
    return known


def _new_incident_row(payload: WebhookPayload, d: Decision, now: datetime) -> dict[str, Any]:
    alert = d.alert
    return {
        "fingerprint": d.fingerprint,
        "alertname": alert.labels.get("alertname", ""),
        "severity": alert.labels.get("severity"),
        "status": "firing",
        "labels": alert.labels,
        "annotations": alert.annotations,
        "started_at": alert.starts_at,
        "last_seen_at": now,
        "created_at": now,
        "duplicate_count": 0,
        "generator_url": alert.generator_url,
        "receiver": payload.receiver,
        "group_key": payload.group_key,
    }


async def _insert_opened(
    conn: AsyncConnection, payload: WebhookPayload, opened: list[Decision], now: datetime
) -> dict[str, int]:
    """Insert new incidents; a concurrent replica's insert of the same identity wins quietly."""
    if not opened:
        return {}
    stmt = (
        insert_for(conn, incidents)
        .on_conflict_do_nothing(index_elements=["fingerprint"], index_where=OPEN_INCIDENT)
        .returning(incidents.c.id, incidents.c.fingerprint)
    )
    rows = await conn.execute(stmt, [_new_incident_row(payload, d, now) for d in opened])
    return {row.fingerprint: row.id for row in rows}


# Built once: a statement object memoizes its cache key, so reuse skips that work.
_BUMP = (
    incidents.update()
    .where(incidents.c.fingerprint == bindparam("fp"), OPEN_INCIDENT)
    .values(
        duplicate_count=incidents.c.duplicate_count + 1,
        last_seen_at=bindparam("now"),
        annotations=bindparam("ann"),
    )
)
_BUMP_LATE = (
    incidents.update()
    .where(incidents.c.id == bindparam("iid"))
    .values(duplicate_count=incidents.c.duplicate_count + 1)
)
_RESOLVE = (
    incidents.update()
    .where(incidents.c.fingerprint == bindparam("fp"), OPEN_INCIDENT)
    .values(status="resolved", resolved_at=bindparam("ends"), last_seen_at=bindparam("now"))
)


def _bump_params(d: Decision, now: datetime) -> dict[str, Any]:
    return {"fp": d.fingerprint, "now": now, "ann": d.alert.annotations}


def _resolve_params(d: Decision, now: datetime) -> dict[str, Any]:
    return {"fp": d.fingerprint, "ends": d.alert.end_time() or now, "now": now}


async def _bump_duplicates(
    conn: AsyncConnection, duplicates: list[Decision], now: datetime
) -> None:
    open_dups = [d for d in duplicates if d.outcome is not AlertOutcome.LATE_COPY]
    if open_dups:
        await conn.execute(_BUMP, [_bump_params(d, now) for d in open_dups])
    late = [d.incident.id for d in duplicates if d.outcome is AlertOutcome.LATE_COPY and d.incident]
    if late:
        await conn.execute(_BUMP_LATE, [{"iid": iid} for iid in late])


async def _resolve(conn: AsyncConnection, resolved: list[Decision], now: datetime) -> None:
    if resolved:
        await conn.execute(_RESOLVE, [_resolve_params(d, now) for d in resolved])


def _flush(
    payload: WebhookPayload, result: IngestResult, alert_ids: list[int]
) -> tuple[str, FlushBody]:
    """The outbox row of a payload that changed incidents: its key and body.

    Every notification is a flush of its own; dedup decides what, if anything, to send,
    so replays and repeats are recorded as ``suppressed(duplicate)``, not dropped unseen."""
    body = FlushBody(
        receiver=payload.receiver,
        group_key=payload.group_key,
        status=payload.status,
        group_labels=payload.group_labels,
        common_labels=payload.common_labels,
        common_annotations=payload.common_annotations,
        truncated_alerts=payload.truncated_alerts,
        incident_ids=tuple(alert_ids),
        opened_ids=tuple(result.opened_ids),
        resolved_ids=tuple(result.resolved_ids),
    )
    return group_flush_key(payload.receiver, payload.group_key), body


async def ingest_payload(
    conn: AsyncConnection,
    payload: WebhookPayload,
    now: datetime,
    flush_delay: timedelta = timedelta(0),
) -> IngestResult:
    """Apply one payload inside the caller's transaction."""
    result = IngestResult()
    if not payload.alerts:
        return result
    decisions = decide_all(payload.alerts, await _load_recent(conn, payload.alerts), now)
    result.outcomes.update(d.outcome for d in decisions)
    by = {o: [d for d in decisions if d.outcome is o] for o in AlertOutcome}

    inserted = await _insert_opened(conn, payload, by[AlertOutcome.OPENED], now)
    raced = [d for d in by[AlertOutcome.OPENED] if d.fingerprint not in inserted]
    await _bump_duplicates(
        conn, by[AlertOutcome.DUPLICATE] + by[AlertOutcome.LATE_COPY] + raced, now
    )
    await _resolve(conn, by[AlertOutcome.RESOLVED], now)

    result.opened_ids = list(inserted.values())
    result.resolved_ids = [
        d.incident.id if d.incident and d.incident.id else inserted[d.fingerprint]
        for d in by[AlertOutcome.RESOLVED]
        if (d.incident and d.incident.id) or d.fingerprint in inserted
    ]
    events = _events(payload, inserted, result.resolved_ids, now)
    if events:
        await conn.execute(incident_events.insert(), events)
    if alert_ids := _alert_incident_ids(decisions, inserted):
        key, body = _flush(payload, result, alert_ids)
        await enqueue(conn, key, body, now + flush_delay)
        result.flush_enqueued = True
    return result


def _events(
    payload: WebhookPayload, inserted: dict[str, int], resolved_ids: list[int], now: datetime
) -> list[dict[str, Any]]:
    """Timeline rows of one payload: ``fired`` per opened incident, then ``resolved``."""
    return [
        {"incident_id": iid, "type": "fired", "at": now, "detail": _fired_detail(payload, fp)}
        for fp, iid in inserted.items()
    ] + [
        {
            "incident_id": iid,
            "type": "resolved",
            "at": now,
            "detail": {"receiver": payload.receiver},
        }
        for iid in resolved_ids
    ]


def _fired_detail(payload: WebhookPayload, fingerprint: str) -> dict[str, Any]:
    return {
        "receiver": payload.receiver,
        "group_key": payload.group_key,
        "fingerprint": fingerprint,
    }


def _alert_incident_ids(
    decisions: list[Decision],
    inserted: dict[str, int],
    real: Callable[[int], int] = lambda iid: iid,
) -> list[int]:
    ids: list[int] = []
    for d in decisions:
        iid = real(d.incident.id) if d.incident and d.incident.id else inserted.get(d.fingerprint)
        if iid is not None and iid not in ids:
            ids.append(iid)
    return ids
