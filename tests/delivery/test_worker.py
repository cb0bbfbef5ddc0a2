"""The outbox worker never runs one row twice at once, even when a handler overruns its lease."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from hub.config.models import DeliveryConfig
from hub.metrics import HubMetrics
from hub.model.outbox import FlushBody, OutboxKind
from hub.pipeline.worker import OutboxWorker
from hub.store.outbox import OutboxRow, complete, enqueue
from tests.conftest import ManualClock

LEASE = timedelta(seconds=2)


async def test_a_row_whose_handler_overran_its_lease_is_not_started_again(
    engine: AsyncEngine, clock: ManualClock
) -> None:
    async with engine.begin() as conn:
        body = FlushBody(receiver="am", group_key="{}:{}", incident_ids=(1,))
        await enqueue(conn, "flush:test", body, clock.now)
    release = asyncio.Event()
    started: list[int] = []

    async def slow_handler(row: OutboxRow, now: datetime) -> None:
        started.append(row.id)
        await release.wait()
        async with engine.begin() as conn:
            await complete(conn, row.id, now)

    config = DeliveryConfig(lease=LEASE)
    worker = OutboxWorker(engine, {OutboxKind.FLUSH: slow_handler}, clock, config, HubMetrics())

    assert await worker.run_once() == 1
    clock.now += LEASE * 2  # the lease has run out while the handler still runs
    assert await worker.run_once() == 0
    release.set()
    await worker.drain()
    clock.now += LEASE * 2
    assert await worker.run_once() == 0, "the row is done"
    assert len(started) == 1
