"""A batch written at once equals its payloads written one at a time, on both stores."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from hub.intake.models import WebhookPayload
from hub.intake.plan import IngestResult
from hub.intake.writer import ingest
from hub.store.schema import incident_events, incidents, outbox

T0 = datetime(2026, 11, 24, 22, 0, tzinfo=UTC)
NOW = T0 + timedelta(hours=2)
STEP = timedelta(minutes=10)
IDENTITIES = ("a1a1a1a1a1a1a1a1", "b2b2b2b2b2b2b2b2", "c3c3c3c3c3c3c3c3")


def _iso(step: int) -> str:
    return (T0 + step * STEP).isoformat()


@st.composite
def alerts(draw: st.DrawFn) -> dict[str, Any]:
    """Few identities and a coarse clock, so repeats, late copies and re-opens are common."""
    fingerprint = draw(st.sampled_from(IDENTITIES))
    resolved = draw(st.booleans())
    alert: dict[str, Any] = {
        "status": "resolved" if resolved else "firing",
        "labels": {"alertname": "Flappy", "instance": fingerprint[:2]},
        "annotations": {"summary": draw(st.sampled_from(("up", "down", "odd\x00byte")))},
        "startsAt": _iso(draw(st.integers(0, 5))),
        "fingerprint": fingerprint,
    }
    if resolved:
        alert["endsAt"] = draw(st.sampled_from(("0001-01-01T00:00:00Z", *map(_iso, range(7)))))
    return alert


payloads = st.builds(
    lambda alerts, receiver: WebhookPayload.model_validate(
        {
            "version": "4",
            "receiver": receiver,
            "status": "firing",
            "groupKey": f"{{}}:{{receiver={receiver!r}}}",
            "alerts": alerts,
        }
    ),
    st.lists(alerts(), max_size=4),
    st.sampled_from(("team-a", "team-b")),
)


async def _snapshot(conn: AsyncConnection, results: list[IngestResult]) -> dict[str, Any]:
    """The store's incidents, events and flush rows, ids replaced by their rank."""
    rows = (await conn.execute(select(incidents).order_by(incidents.c.id))).mappings().all()
    rank = {row["id"]: n for n, row in enumerate(rows)}

    def ids(values: Sequence[int]) -> list[int]:
        return [rank[v] for v in values]

    events = await conn.execute(select(incident_events).order_by(incident_events.c.id))
    flushes = await conn.execute(select(outbox).order_by(outbox.c.id))
    return {
        "incidents": [{**row, "id": rank[row["id"]]} for row in rows],
        "events": [(rank[e.incident_id], e.type, e.at, e.detail) for e in events],
        "flushes": [
            (
                f.kind,
                f.due_at,
                {
                    **f.payload,
                    **{
                        k: ids(f.payload[k]) for k in ("incident_ids", "opened_ids", "resolved_ids")
                    },
                },
            )
            for f in flushes
        ],
        "results": [
            (r.outcomes, ids(r.opened_ids), ids(r.resolved_ids), r.flush_enqueued) for r in results
        ],
    }


async def _apply(
    engine: AsyncEngine,
    before: list[WebhookPayload],
    batches: list[list[WebhookPayload]],
) -> dict[str, Any]:
    """Write ``before`` one at a time, then ``batches``; snapshot, then roll everything back."""
    async with engine.connect() as conn:
        transaction = await conn.begin()
        try:
            for payload in before:
                await ingest(conn, [payload], T0, timedelta(seconds=30))
            results: list[IngestResult] = []
            for batch in batches:
                results += await ingest(conn, batch, NOW, timedelta(seconds=30))
            return await _snapshot(conn, results)
        finally:
            await transaction.rollback()


def _payload(receiver: str, *alerts: dict[str, Any]) -> WebhookPayload:
    body = {"version": "4", "receiver": receiver, "status": "firing", "alerts": list(alerts)}
    return WebhookPayload.model_validate(body)


def _firing(fingerprint: str, starts: int) -> dict[str, Any]:
    labels = {"alertname": "Flappy", "instance": fingerprint[:2]}
    return {
        "status": "firing",
        "labels": labels,
        "startsAt": _iso(starts),
        "fingerprint": fingerprint,
    }


def _resolved(fingerprint: str, starts: int, ends: int) -> dict[str, Any]:
    return {**_firing(fingerprint, starts), "status": "resolved", "endsAt": _iso(ends)}


A, B, C = IDENTITIES


@settings(
    max_examples=30,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# An identity re-opened in the batch, then another opened: ids keep payload order.
@example(
    before=[],
    batch=[
        _payload("team-a", _firing(A, 0)),
        _payload("team-a", _resolved(A, 0, 1)),
        _payload("team-a", _firing(A, 2), _firing(B, 2)),
        _payload("team-b", _firing(C, 3)),
    ],
)
# An episode that ended before a payload's oldest start is not that payload's to repeat.
@example(
    before=[_payload("team-a", _firing(A, 0)), _payload("team-a", _resolved(A, 0, 1))],
    batch=[_payload("team-b", _firing(B, 0)), _payload("team-a", _resolved(A, 3, 4))],
)
@given(before=st.lists(payloads, max_size=3), batch=st.lists(payloads, min_size=1, max_size=5))
async def test_a_batch_equals_its_payloads_one_at_a_time(
    engine: AsyncEngine, before: list[WebhookPayload], batch: list[WebhookPayload]
) -> None:
    at_once = await _apply(engine, before, [batch])
    one_by_one = await _apply(engine, before, [[payload] for payload in batch])
    assert at_once == one_by_one
