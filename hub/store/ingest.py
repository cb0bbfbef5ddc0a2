"""Write everything one webhook payload means: incidents, timeline events and outbox rows."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncConnection

from hub.intake.episodes import AlertOutcome, Decision, KnownIncident, decide_all
from hub.intake.models import WebhookAlert, WebhookPayload
from hub.store.dialect import insert_for
from hub.store.outbox import enqueue
from hub.store.schema import OPEN_INCIDENT, incident_events, incidents

FLUSH_KIND = "flush"


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


async def _bump_duplicates(
    conn: AsyncConnection, duplicates: list[Decision], now: datetime
) -> None:
    open_dups = [d for d in duplicates if d.outcome is not AlertOutcome.LATE_COPY]
    if open_dups:
        await conn.execute(
            incidents.update()
            .where(incidents.c.fingerprint == bindparam("fp"), OPEN_INCIDENT)
            .values(
                duplicate_count=incidents.c.duplicate_count + 1,
                last_seen_at=bindparam("now"),
                annotations=bindparam("ann"),
            ),
            [{"fp": d.fingerprint, "now": now, "ann": d.alert.annotations} for d in open_dups],
        )
    late = [d.incident.id for d in duplicates if d.outcome is AlertOutcome.LATE_COPY and d.incident]
    if late:
        await conn.execute(
            incidents.update()
            .where(incidents.c.id == bindparam("iid"))
            .values(duplicate_count=incidents.c.duplicate_count + 1),
            [{"iid": iid} for iid in late],
        )


async def _resolve(conn: AsyncConnection, resolved: list[Decision], now: datetime) -> None:
    if resolved:
        await conn.execute(
            incidents.update()
            .where(incidents.c.fingerprint == bindparam("fp"), OPEN_INCIDENT)
            .values(
                status="resolved", resolved_at=bindparam("ends"), last_seen_at=bindparam("now")
            ),
            [
                {"fp": d.fingerprint, "ends": d.alert.end_time() or now, "now": now}
                for d in resolved
            ],
        )


def _flush_key(payload: WebhookPayload, opened: list[int], resolved: list[int]) -> str:
    """Idempotency key of a group transition: a replayed webhook maps to the same row."""
    basis = f"{payload.receiver}|{payload.group_key}|o{sorted(opened)}|r{sorted(resolved)}"
    return f"{FLUSH_KIND}:{hashlib.sha256(basis.encode()).hexdigest()}"


async def _enqueue_flush(
    conn: AsyncConnection,
    payload: WebhookPayload,
    result: IngestResult,
    alert_ids: list[int],
    now: datetime,
) -> None:
    body = {
        "receiver": payload.receiver,
        "group_key": payload.group_key,
        "status": payload.status,
        "group_labels": payload.group_labels,
        "common_labels": payload.common_labels,
        "common_annotations": payload.common_annotations,
        "truncated_alerts": payload.truncated_alerts,
        "incident_ids": alert_ids,
        "opened_ids": result.opened_ids,
        "resolved_ids": result.resolved_ids,
    }
    key = _flush_key(payload, result.opened_ids, result.resolved_ids)
    await enqueue(conn, FLUSH_KIND, key, body, now)
    result.flush_enqueued = True


async def ingest_payload(
    conn: AsyncConnection, payload: WebhookPayload, now: datetime
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
    events = [
        {"incident_id": iid, "type": "fired", "at": now, "detail": _fired_detail(payload, fp)}
        for fp, iid in inserted.items()
    ] + [
        {
            "incident_id": iid,
            "type": "resolved",
            "at": now,
            "detail": {"receiver": payload.receiver},
        }
        for iid in result.resolved_ids
    ]
    if events:
        await conn.execute(incident_events.insert(), events)
        alert_ids = _alert_incident_ids(decisions, inserted)
        await _enqueue_flush(conn, payload, result, alert_ids, now)
    return result


def _fired_detail(payload: WebhookPayload, fingerprint: str) -> dict[str, Any]:
    return {
        "receiver": payload.receiver,
        "group_key": payload.group_key,
        "fingerprint": fingerprint,
    }


def _alert_incident_ids(decisions: list[Decision], inserted: dict[str, int]) -> list[int]:
    ids: list[int] = []
    for d in decisions:
        iid = d.incident.id if d.incident and d.incident.id else inserted.get(d.fingerprint)
        if iid is not None and iid not in ids:
            ids.append(iid)
    return ids
