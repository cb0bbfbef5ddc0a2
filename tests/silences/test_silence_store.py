"""The muter and the lifecycle handler against the store, on each backend, with a fixed now."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from hub.intake.models import WebhookPayload
from hub.intake.writer import ingest as ingest_payloads
from hub.model.outbox import FlushBody, OutboxKind, SilenceStepBody, SilenceStepKind
from hub.pipeline.flush import load_views
from hub.pipeline.mute import MuteStage
from hub.pipeline.silence import (
    SilenceLifecycleHandler,
    SilenceMuter,
    schedule_expired_now,
    schedule_lifecycle,
)
from hub.pipeline.stage import FlushContext
from hub.routing.matchers import parse_matchers
from hub.routing.tree import Route
from hub.store.outbox import OutboxRow
from hub.store.schema import incident_events, outbox
from hub.store.silences import (
    NewSilence,
    Silence,
    SilenceState,
    expire_silence,
    get_silence,
    insert_silence,
    list_silences,
)
from tests.conftest import fixture_bytes

T0 = datetime(2026, 11, 24, 22, 10, tzinfo=UTC)
M = timedelta(minutes=1)


def new_silence(matchers: str, starts: datetime = T0, ends: datetime = T0 + 60 * M) -> NewSilence:
    return NewSilence(tuple(parse_matchers(matchers)), starts, ends, "ayse", "test")


async def ingest(engine: AsyncEngine, *names: str) -> dict[str, int]:
    """Ingest fixture payloads; returns incident id by alertname (first seen)."""
    ids: dict[str, int] = {}
    async with engine.begin() as conn:
        for name in names:
            payload = WebhookPayload.model_validate_json(fixture_bytes(name))
            await ingest_payloads(conn, [payload], T0 - 2 * M)
        for view in await load_views(conn, list(range(1, 50))):
            ids.setdefault(view.alertname, view.id)
    return ids


async def store(engine: AsyncEngine, new: NewSilence, now: datetime = T0) -> Silence:
    async with engine.begin() as conn:
        silence = await insert_silence(conn, new, now)
        await schedule_lifecycle(conn, silence, now, 10 * M)
    return silence


async def events(engine: AsyncEngine, kind: str) -> list[tuple[int, dict[str, Any]]]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(incident_events.c.incident_id, incident_events.c.detail)
            .where(incident_events.c.type == kind)
            .order_by(incident_events.c.id)
        )
        return [(r.incident_id, r.detail) for r in rows]


async def outbox_rows(engine: AsyncEngine, kind: str) -> list[Any]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(outbox).where(outbox.c.kind == kind).order_by(outbox.c.due_at, outbox.c.id)
        )
        return list(rows)


async def mute(engine: AsyncEngine, now: datetime) -> list[str]:
    """Run the silence MuteStage over every incident at ``now``; return the alertnames left."""
    async with engine.begin() as conn:
        flush = FlushBody(receiver="am", group_key="g", incident_ids=())
        route = Route(receiver="oncall", matchers=(), continue_=False, routes=())
        ctx = FlushContext(conn=conn, now=now, row_id=0, row_key="", flush=flush)
        ctx = ctx.for_receiver("oncall", route)
        views = await load_views(conn, list(range(1, 50)))
        left = await MuteStage(SilenceMuter()).run(ctx, views)
    return sorted(v.alertname for v in left)


async def test_muter_applies_between_start_and_end(engine: AsyncEngine) -> None:
    await ingest(engine, "01-critical-firing.json", "03-drift-firing.json")
    await store(engine, new_silence('alertname="DataDrift"', T0 + 5 * M, T0 + 60 * M))
    everything = ["DataDrift", "HighErrorRate"]
    assert await mute(engine, T0 + 5 * M - timedelta(microseconds=1)) == everything
    assert await mute(engine, T0 + 5 * M) == ["HighErrorRate"]
    assert await mute(engine, T0 + 60 * M - timedelta(microseconds=1)) == ["HighErrorRate"]
    assert await mute(engine, T0 + 60 * M) == everything
    suppressed = await events(engine, "suppressed")
    assert len(suppressed) == 2
    assert {d["reason"] for _, d in suppressed} == {"silenced"}


async def test_deleted_silence_stops_muting_at_once(engine: AsyncEngine) -> None:
    await ingest(engine, "03-drift-firing.json")
    silence = await store(engine, new_silence('alertname="DataDrift"'))
    assert await mute(engine, T0 + 10 * M) == []
    async with engine.begin() as conn:
        await expire_silence(conn, silence.id, T0 + 20 * M)
    assert await mute(engine, T0 + 19 * M) == []
    assert await mute(engine, T0 + 20 * M) == ["DataDrift"]


async def test_sql_states_agree_with_state_at(engine: AsyncEngine) -> None:
    specs = [(0, 60, None), (10, 20, None), (-30, -10, None), (30, 90, 40), (5, 50, 3)]
    async with engine.begin() as conn:
        for start, end, expired in specs:
            silence = await insert_silence(
                conn, new_silence('a="b"', T0 + start * M, T0 + end * M), T0 - 60 * M
            )
            if expired is not None:
                await expire_silence(conn, silence.id, T0 + expired * M)
        for minute, state in itertools.product(range(-40, 100, 5), SilenceState):
            now = T0 + minute * M
            every = await list_silences(conn, now)
            expected = [s.id for s in every if s.state_at(now) is state]
            assert [s.id for s in await list_silences(conn, now, state)] == expected


async def test_lifecycle_rows_are_scheduled(engine: AsyncEngine) -> None:
    silence = await store(engine, new_silence('alertname="DataDrift"'))
    rows = await outbox_rows(engine, OutboxKind.SILENCE_EXPIRY)
    steps = [(SilenceStepBody.parse(r.payload), r.due_at) for r in rows]
    assert [(b.step, due) for b, due in steps] == [
        (SilenceStepKind.WARN_OWNER, T0 + 50 * M),
        (SilenceStepKind.EXPIRED, T0 + 60 * M),
    ]
    assert {b.silence_id for b, _ in steps} == {silence.id}
    assert all(b.at == due for b, due in steps)


def as_row(row: Any) -> OutboxRow:
    return OutboxRow(row.id, row.kind, row.key, row.payload, row.attempts, row.created_at)


async def run_step(engine: AsyncEngine, step: SilenceStepKind, now: datetime) -> None:
    handler = SilenceLifecycleHandler(engine)
    for row in await outbox_rows(engine, OutboxKind.SILENCE_EXPIRY):
        body = SilenceStepBody.parse(row.payload)
        if body.step is step and row.state == "pending" and row.due_at <= now:
            await handler(as_row(row), now)


async def test_owner_is_warned_once_while_still_firing(engine: AsyncEngine) -> None:
    ids = await ingest(engine, "03-drift-firing.json", "01-critical-firing.json")
    silence = await store(engine, new_silence('alertname="DataDrift"'))
    await run_step(engine, SilenceStepKind.WARN_OWNER, T0 + 50 * M)
    warned = await events(engine, "silence_expiring")
    assert warned == [
        (
            ids["DataDrift"],
            {"silence_id": silence.id, "owner": "ayse", "ends_at": silence.ends_at.isoformat()},
        )
    ]
    async with engine.connect() as conn:
        after = await get_silence(conn, silence.id)
    assert after is not None
    assert after.owner_warned_at == T0 + 50 * M
    await run_step(engine, SilenceStepKind.WARN_OWNER, T0 + 51 * M)
    assert len(await events(engine, "silence_expiring")) == 1


async def test_no_warning_when_nothing_fires(engine: AsyncEngine) -> None:
    await ingest(engine, "01-critical-firing.json")
    await store(engine, new_silence('alertname="DataDrift"'))
    await run_step(engine, SilenceStepKind.WARN_OWNER, T0 + 50 * M)
    assert await events(engine, "silence_expiring") == []


async def test_expiry_flushes_the_covered_group_at_once(engine: AsyncEngine) -> None:
    ids = await ingest(engine, "03-drift-firing.json", "01-critical-firing.json")
    silence = await store(engine, new_silence('alertname="DataDrift"'))
    flushes_before = len(await outbox_rows(engine, OutboxKind.FLUSH))
    await run_step(engine, SilenceStepKind.EXPIRED, T0 + 60 * M)
    flushes = (await outbox_rows(engine, OutboxKind.FLUSH))[flushes_before:]
    assert len(flushes) == 1
    (flush,) = flushes
    assert flush.due_at == T0 + 60 * M
    body = FlushBody.parse(flush.payload)
    assert body.incident_ids == (ids["DataDrift"],)
    assert body.status == "firing"
    assert body.common_labels["alertname"] == "DataDrift"
    assert await events(engine, "silence_expired") == [
        (ids["DataDrift"], {"silence_id": silence.id, "owner": "ayse"})
    ]


async def test_delete_replaces_the_scheduled_expiry(engine: AsyncEngine) -> None:
    await ingest(engine, "03-drift-firing.json")
    silence = await store(engine, new_silence('alertname="DataDrift"'))
    async with engine.begin() as conn:
        expired = await expire_silence(conn, silence.id, T0 + 20 * M)
        assert expired is not None
        await schedule_expired_now(conn, expired)
    await run_step(engine, SilenceStepKind.EXPIRED, T0 + 20 * M)
    assert len(await events(engine, "silence_expired")) == 1
    # The row due at the original end is stale now and does nothing.
    await run_step(engine, SilenceStepKind.EXPIRED, T0 + 60 * M)
    assert len(await events(engine, "silence_expired")) == 1
    rows = await outbox_rows(engine, OutboxKind.SILENCE_EXPIRY)
    states = {SilenceStepBody.parse(r.payload).at: r.state for r in rows}
    assert set(states.values()) == {"done", "pending"}  # the warning row never came due
