"""``ingest_batch``: a whole group-commit batch in a handful of statements.

It reads the batch's incidents once, decides the payloads in order in memory (each sees
what the earlier ones did, with temporary ids for incidents not yet inserted) and writes
in rounds. ``hub.store.ingest.ingest_payload`` is the one-payload path it must agree
with; the writer replays a batch through it when the batch lost a race.
"""

from __future__ import annotations

import itertools
import json
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, String, any_, bindparam, func, literal_column, select, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncConnection

from hub.intake.episodes import AlertOutcome, Decision, KnownIncident, decide_all
from hub.intake.models import WebhookAlert, WebhookPayload
from hub.store.dialect import insert_for
from hub.store.ingest import (
    _BUMP_LATE,
    _RESOLVE,
    IngestResult,
    _alert_incident_ids,
    _events,
    _flush,
    _new_incident_row,
    _resolve_params,
    ingest_payload,
)
from hub.store.outbox import outbox_row
from hub.store.schema import OPEN_INCIDENT, UtcDateTime, incident_events, incidents, outbox


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
            flushes.append(outbox_row(key, body, plan.now + flush_delay, plan.now))
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
