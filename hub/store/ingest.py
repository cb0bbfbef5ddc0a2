"""Write everything webhook payloads mean: incidents, timeline events and outbox rows.

``ingest_batch`` takes a whole group-commit batch: it reads the batch's incidents once,
decides the payloads in order in memory (each sees what the earlier ones did) and writes
with a handful of statements per batch. ``ingest_payload`` is the one-payload path it
must agree with; it also replays a batch that lost a race to another writer.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, String, any_, bindparam, func, literal_column, select, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncConnection

from hub.intake.episodes import AlertOutcome, Decision, KnownIncident, decide_all
from hub.intake.models import WebhookAlert, WebhookPayload
from hub.store.dialect import insert_for
from hub.store.outbox import PENDING, enqueue
from hub.store.schema import OPEN_INCIDENT, UtcDateTime, incident_events, incidents, outbox

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


def group_flush_prefix(receiver: str, group_key: str) -> str:
    """The key prefix every flush of one Alertmanager group shares (newer ones supersede)."""
    token = hashlib.sha256(f"{receiver}|{group_key}".encode()).hexdigest()[:32]
    return f"{FLUSH_KIND}:{token}:"


def _flush_key(payload: WebhookPayload) -> str:
    """Every notification is a flush of its own; dedup decides what, if anything, to send,
    so replays and repeats are recorded as ``suppressed(duplicate)``, not dropped unseen."""
    return group_flush_prefix(payload.receiver, payload.group_key) + uuid.uuid4().hex


def _flush(
    payload: WebhookPayload, result: IngestResult, alert_ids: list[int]
) -> tuple[str, dict[str, Any]]:
    """The outbox row of a payload that changed incidents: its key and body."""
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
    return _flush_key(payload), body


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
        await enqueue(conn, FLUSH_KIND, key, body, now + flush_delay)
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


class ConcurrentOpenError(Exception):
    """Another writer opened one of the batch's identities after the batch read them.

    The caller rolls back and replays the batch with ``ingest_payload``, which turns the
    lost race into duplicates of the winner's incident.
    """


def _recent_many_stmt(dialect: str) -> Select[Any]:
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


_RECENT_MANY = {name: _recent_many_stmt(name) for name in ("postgresql", "sqlite")}

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
_BUMP_MANY = {
    name: text(sql).bindparams(
        bindparam("now", type_=UtcDateTime()), bindparam("rows", type_=String())
    )
    for name, sql in _BUMP_FROM_JSON.items()
}


async def _load_recent_many(
    conn: AsyncConnection, alerts: Sequence[WebhookAlert]
) -> dict[str, list[KnownIncident]]:
    """``_load_recent`` for a whole batch: a superset of what each payload would read."""
    if not alerts:
        return {}
    fingerprints = sorted({a.identity() for a in alerts})
    is_pg = conn.dialect.name == "postgresql"
    rows = await conn.execute(
        _RECENT_MANY["postgresql" if is_pg else "sqlite"],
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


@dataclass
class _Round:
    """Row changes with at most one per fingerprint, so they commute within the round."""

    inserts: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    bumps: list[dict[str, Any]] = field(default_factory=list)  # {"fp", "ann"}
    late: list[int] = field(default_factory=list)
    resolves: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class _Decided:
    """One payload of a batch: its decisions and the incidents it opens (by pending key)."""

    payload: WebhookPayload
    decisions: list[Decision]
    opened: dict[str, int]


@dataclass
class _BatchPlan:
    """A batch decided in memory, its changes split into rounds run one after the other.

    A fingerprint's changes land in increasing rounds (each sees the previous one) and
    inserts never go back a round, so incidents get the ids the one-payload path gives.
    """

    known: dict[str, list[KnownIncident]]
    now: datetime
    rounds: list[_Round] = field(default_factory=list)
    decided: list[_Decided] = field(default_factory=list)
    _depth: Counter[str] = field(default_factory=Counter)
    _insert_round: int = 0
    # Incidents not inserted yet get negative ids until their INSERT returns the real one.
    _pending: Iterator[int] = field(default_factory=lambda: itertools.count(-1, -1))

    def round_for(self, fingerprint: str, *, insert: bool = False) -> _Round:
        depth = max(self._depth[fingerprint], self._insert_round if insert else 0)
        self._depth[fingerprint] = depth + 1
        if insert:
            self._insert_round = depth
        while len(self.rounds) <= depth:
            self.rounds.append(_Round())
        return self.rounds[depth]

    def add(self, payload: WebhookPayload) -> None:
        """Decide ``payload`` against the batch so far and record its row changes."""
        alerts = payload.alerts
        decisions = decide_all(alerts, self._view(alerts), self.now) if alerts else []
        opened: dict[str, int] = {}
        for d in decisions:
            if d.outcome is AlertOutcome.OPENED:
                opened[d.fingerprint] = self._open(payload, d)
            elif d.outcome is AlertOutcome.DUPLICATE:
                bump = {"fp": d.fingerprint, "ann": d.alert.annotations}
                self.round_for(d.fingerprint).bumps.append(bump)
            elif d.outcome is AlertOutcome.LATE_COPY and d.incident and d.incident.id:
                self.round_for(d.fingerprint).late.append(d.incident.id)
            elif d.outcome is AlertOutcome.RESOLVED and d.incident:
                self._resolve(d)
        self.decided.append(_Decided(payload, decisions, opened))

    def _view(self, alerts: Sequence[WebhookAlert]) -> dict[str, list[KnownIncident]]:
        """Exactly what ``_load_recent`` would read for ``alerts`` at this point of the batch."""
        oldest = min(a.starts_at for a in alerts)
        view = {}
        for fingerprint in {a.identity() for a in alerts}:
            recent = [
                i
                for i in self.known.get(fingerprint, ())
                if i.resolved_at is None or i.resolved_at >= oldest
            ]
            if recent:
                view[fingerprint] = recent
        return view

    def _open(self, payload: WebhookPayload, d: Decision) -> int:
        key = next(self._pending)
        row = _new_incident_row(payload, d, self.now)
        self.round_for(d.fingerprint, insert=True).inserts.append((key, row))
        history = self.known.setdefault(d.fingerprint, [])
        history.append(KnownIncident(key, d.fingerprint, d.alert.starts_at, None))
        return key

    def _resolve(self, d: Decision) -> None:
        assert d.incident is not None
        params = _resolve_params(d, self.now)
        self.round_for(d.fingerprint).resolves.append(params)
        history = self.known[d.fingerprint]
        history[history.index(d.incident)] = replace(d.incident, resolved_at=params["ends"])


async def _apply(conn: AsyncConnection, plan: _BatchPlan) -> dict[int, int]:
    """Run the rounds in order; returns real ids by pending key."""
    ids: dict[int, int] = {}
    insert = (
        insert_for(conn, incidents)
        .on_conflict_do_nothing(index_elements=["fingerprint"], index_where=OPEN_INCIDENT)
        .returning(incidents.c.id, incidents.c.fingerprint)
    )
    for step in plan.rounds:
        if step.inserts:
            rows = await conn.execute(insert, [row for _, row in step.inserts])
            by_fingerprint = {fingerprint: iid for iid, fingerprint in rows}
            if len(by_fingerprint) != len(step.inserts):
                raise ConcurrentOpenError
            for key, row in step.inserts:
                ids[key] = by_fingerprint[row["fingerprint"]]
        if step.bumps:
            params = {"now": plan.now, "rows": json.dumps(step.bumps)}
            await conn.execute(_BUMP_MANY[conn.dialect.name], params)
        if step.late:
            await conn.execute(_BUMP_LATE, [{"iid": ids.get(k, k)} for k in step.late])
        if step.resolves:
            await conn.execute(_RESOLVE, step.resolves)
    return ids


def _outbox_row(key: str, body: dict[str, Any], now: datetime, due: datetime) -> dict[str, Any]:
    """The row ``outbox.enqueue`` writes, for a multi-row insert."""
    return {
        "kind": FLUSH_KIND,
        "key": key,
        "payload": body,
        "state": PENDING,
        "due_at": due,
        "attempts": 0,
        "created_at": now,
        "updated_at": now,
    }


def _finish(
    plan: _BatchPlan, ids: dict[int, int], flush_delay: timedelta
) -> tuple[list[IngestResult], list[dict[str, Any]], list[dict[str, Any]]]:
    """Per-payload results, and the batch's event and outbox rows in payload order."""
    results, events, flushes = [], [], []
    for item in plan.decided:
        result = IngestResult()
        result.outcomes.update(d.outcome for d in item.decisions)
        inserted = {fingerprint: ids[key] for fingerprint, key in item.opened.items()}
        result.opened_ids = list(inserted.values())
        result.resolved_ids = [
            ids.get(d.incident.id, d.incident.id)
            for d in item.decisions
            if d.outcome is AlertOutcome.RESOLVED and d.incident and d.incident.id
        ]
        events += _events(item.payload, inserted, result.resolved_ids, plan.now)
        alert_ids = _alert_incident_ids(item.decisions, inserted, lambda k: ids.get(k, k))
        if alert_ids:
            key, body = _flush(item.payload, result, alert_ids)
            flushes.append(_outbox_row(key, body, plan.now, plan.now + flush_delay))
            result.flush_enqueued = True
        results.append(result)
    return results, events, flushes


def _has_unique_identities(payload: WebhookPayload) -> bool:
    return len({a.identity() for a in payload.alerts}) == len(payload.alerts)


async def ingest_batch(
    conn: AsyncConnection,
    payloads: Sequence[WebhookPayload],
    now: datetime,
    flush_delay: timedelta = timedelta(0),
) -> list[IngestResult]:
    """Apply payloads in order inside the caller's transaction, as ``ingest_payload`` would.

    Raises ``ConcurrentOpenError`` (nothing of the batch may be committed then).
    """
    if not all(_has_unique_identities(p) for p in payloads):
        # Alertmanager never repeats a fingerprint within one notification; whoever does
        # gets the one-payload path, whose handling of that case the plan does not copy.
        return [await ingest_payload(conn, p, now, flush_delay) for p in payloads]
    known = await _load_recent_many(conn, [a for p in payloads for a in p.alerts])
    plan = _BatchPlan(known, now)
    for payload in payloads:
        plan.add(payload)
    results, events, flushes = _finish(plan, await _apply(conn, plan), flush_delay)
    if events:
        await conn.execute(incident_events.insert(), events)
    if flushes:
        stmt = insert_for(conn, outbox).on_conflict_do_nothing(index_elements=["key"])
        await conn.execute(stmt, flushes)
    return results
