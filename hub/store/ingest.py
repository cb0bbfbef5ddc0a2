"""The store's side of ingest: read what a plan needs, then write the plan in a few statements.

The decisions are made by ``hub.intake.plan.plan_batch``; this module reads the batch's
recent incidents once (``load_known``) and writes the plan it is given (``write_plan``):
one multi-row statement per kind of change and round, then the events and flush rows.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, String, any_, bindparam, func, literal_column, select, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncConnection

from hub.intake.episodes import KnownIncident
from hub.intake.models import WebhookAlert, WebhookPayload
from hub.intake.plan import IngestPlan, IngestResult, NewIncident, PayloadPlan, Round
from hub.model.keys import group_flush_key
from hub.model.outbox import FlushBody
from hub.store.dialect import insert_for
from hub.store.outbox import outbox_row
from hub.store.schema import OPEN_INCIDENT, UtcDateTime, incident_events, incidents, outbox

# Label values are unbounded; these columns are not (PostgreSQL refuses longer text, and
# a payload it refuses would be retried forever). The labels column keeps the full value.
ALERTNAME_MAX = 255
SEVERITY_MAX = 64


class ConcurrentOpenError(Exception):
    """Another writer opened one of the plan's identities after the plan's read.

    Nothing of the transaction may be committed; reading and planning again turns the
    lost race into duplicates of the winner's incident.
    """


def _recent_stmt(dialect: str) -> Select[Any]:
    """One statement text for any number of fingerprints, so its compiled form (and
    asyncpg's prepared statement) is reused instead of an IN list rendered per batch size.

    ``coalesce`` keeps "open, or resolved since ``oldest``" away from SQLite's OR
    optimisation, which would scan the table instead of seeking each fingerprint.
    """
    if dialect == "postgresql":
        match = incidents.c.fingerprint == any_(bindparam("fps", type_=postgresql.ARRAY(String)))
    else:
        values: Select[Any] = select(literal_column("value")).select_from(
            func.json_each(bindparam("fps"))
        )
        match = incidents.c.fingerprint.in_(values)
    oldest = bindparam("oldest", type_=UtcDateTime())
    return (
        select(
            incidents.c.id, incidents.c.fingerprint, incidents.c.started_at, incidents.c.resolved_at
        )
        .where(match)
        .where(func.coalesce(incidents.c.resolved_at, oldest) >= oldest)
        .order_by(incidents.c.id)
    )


_RECENT = {name: _recent_stmt(name) for name in ("postgresql", "sqlite")}

# A round's duplicates in one statement with one JSON parameter ``[{"fp", "ann"}, ...]``:
# the repeats Alertmanager sends are most of the traffic, and a statement per alert (or
# SQLAlchemy's per-row bind processing of an executemany) cost more than the UPDATE.
# The fingerprints of one round are distinct, so each open incident matches one row.
_BUMP_FROM_JSON = {
    "postgresql": """
        UPDATE incidents
        SET duplicate_count = incidents.duplicate_count + 1,
            last_seen_at = :now,
            annotations = v.ann
        FROM json_to_recordset(CAST(:rows AS json)) AS v(fp text, ann json)
        WHERE incidents.fingerprint = v.fp AND incidents.resolved_at IS NULL""",
    "sqlite": """
        UPDATE incidents
        SET duplicate_count = incidents.duplicate_count + 1,
            last_seen_at = :now,
            annotations = json_extract(v.value, '$.ann')
        FROM json_each(:rows) AS v
        WHERE incidents.fingerprint = json_extract(v.value, '$.fp')
          AND incidents.resolved_at IS NULL""",
}
_BUMP = {
    name: text(sql).bindparams(
        bindparam("now", type_=UtcDateTime()), bindparam("rows", type_=String())
    )
    for name, sql in _BUMP_FROM_JSON.items()
}
# Built once: a statement object memoizes its cache key, so reuse skips that work.
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


async def load_known(
    conn: AsyncConnection, alerts: Sequence[WebhookAlert]
) -> dict[str, list[KnownIncident]]:
    """The incidents a plan of ``alerts`` needs: open, or resolved since the oldest start."""
    if not alerts:
        return {}
    fingerprints = sorted({a.identity() for a in alerts})
    is_pg = conn.dialect.name == "postgresql"
    rows = await conn.execute(
        _RECENT["postgresql" if is_pg else "sqlite"],
        {
            "fps": fingerprints if is_pg else json.dumps(fingerprints),
            "oldest": min(a.starts_at for a in alerts),
        },
    )
    known: dict[str, list[KnownIncident]] = {}
    for iid, fingerprint, started_at, resolved_at in rows:
        known.setdefault(fingerprint, []).append(
            KnownIncident(iid, fingerprint, started_at, resolved_at)
        )
    return known


async def write_plan(conn: AsyncConnection, plan: IngestPlan) -> list[IngestResult]:
    """Write ``plan`` in the caller's transaction; one result per payload, in order.

    Raises ``ConcurrentOpenError`` (nothing of the transaction may be committed then).
    """
    ids = await _write_rounds(conn, plan)

    def real(ref: int) -> int:
        return ids.get(ref, ref)

    results: list[IngestResult] = []
    events: list[dict[str, Any]] = []
    flushes: list[dict[str, Any]] = []
    for item in plan.payloads:
        opened = tuple(real(ref) for ref in item.opened)
        resolved = tuple(real(ref) for ref in item.resolved)
        events += [
            {"incident_id": real(e.ref), "type": e.type, "at": plan.now, "detail": e.detail}
            for e in item.events
        ]
        if item.needs_flush:
            flushes.append(_flush_row(item, real, plan.now, plan.flush_due))
        results.append(IngestResult(Counter(item.outcomes), opened, resolved, item.needs_flush))
    if events:
        await conn.execute(incident_events.insert(), events)
    if flushes:
        stmt = insert_for(conn, outbox).on_conflict_do_nothing(index_elements=["key"])
        await conn.execute(stmt, flushes)
    return results


async def _write_rounds(conn: AsyncConnection, plan: IngestPlan) -> dict[int, int]:
    """Run the rounds in order; returns real incident ids by the plan's refs."""
    ids: dict[int, int] = {}
    for step in plan.rounds:
        if step.inserts:
            ids.update(await _insert(conn, step, plan.now))
        if step.bumps:
            rows = json.dumps([{"fp": b.fingerprint, "ann": b.annotations} for b in step.bumps])
            await conn.execute(_BUMP[conn.dialect.name], {"now": plan.now, "rows": rows})
        if step.late:
            await conn.execute(_BUMP_LATE, [{"iid": ids.get(ref, ref)} for ref in step.late])
        if step.resolves:
            params = [{"fp": r.fingerprint, "ends": r.ends, "now": plan.now} for r in step.resolves]
            await conn.execute(_RESOLVE, params)
    return ids


async def _insert(conn: AsyncConnection, step: Round, now: datetime) -> dict[int, int]:
    """Insert a round's new incidents; a concurrent writer's open incident wins the index."""
    stmt = (
        insert_for(conn, incidents)
        .on_conflict_do_nothing(index_elements=["fingerprint"], index_where=OPEN_INCIDENT)
        .returning(incidents.c.id, incidents.c.fingerprint)
    )
    rows = await conn.execute(stmt, [_incident_row(new, now) for new in step.inserts])
    by_fingerprint = {fingerprint: iid for iid, fingerprint in rows}
    if len(by_fingerprint) != len(step.inserts):
        raise ConcurrentOpenError
    return {new.ref: by_fingerprint[new.fingerprint] for new in step.inserts}


def _incident_row(new: NewIncident, now: datetime) -> dict[str, Any]:
    alert = new.alert
    severity = alert.labels.get("severity")
    return {
        "fingerprint": new.fingerprint,
        "alertname": alert.labels.get("alertname", "")[:ALERTNAME_MAX],
        "severity": None if severity is None else severity[:SEVERITY_MAX],
        "status": "firing",
        "labels": alert.labels,
        "annotations": alert.annotations,
        "started_at": alert.starts_at,
        "last_seen_at": now,
        "created_at": now,
        "duplicate_count": 0,
        "generator_url": alert.generator_url,
        "receiver": new.receiver,
        "group_key": new.group_key,
    }


def _flush_row(
    item: PayloadPlan, real: Callable[[int], int], now: datetime, due: datetime
) -> dict[str, Any]:
    """The outbox row that has the pipeline look at one payload's group: key, body, due time.

    Every notification is a flush of its own (a fresh key); dedup decides what, if
    anything, to send, so repeats are recorded as ``suppressed(duplicate)``, not dropped.
    """
    payload: WebhookPayload = item.payload
    body = FlushBody(
        receiver=payload.receiver,
        group_key=payload.group_key,
        status=payload.status,
        group_labels=payload.group_labels,
        common_labels=payload.common_labels,
        common_annotations=payload.common_annotations,
        truncated_alerts=payload.truncated_alerts,
        incident_ids=tuple(real(ref) for ref in item.incidents),
        opened_ids=tuple(real(ref) for ref in item.opened),
        resolved_ids=tuple(real(ref) for ref in item.resolved),
    )
    return outbox_row(group_flush_key(payload.receiver, payload.group_key), body, due, now)
