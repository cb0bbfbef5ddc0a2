"""Group commit: concurrent webhook requests share one transaction and one commit."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from hub.clock import Clock
from hub.intake.models import WebhookPayload
from hub.intake.plan import IngestResult, plan_batch
from hub.store.ingest import ConcurrentOpenError, load_known, write_plan

log = logging.getLogger(__name__)
# A lost race is settled once the winner has committed, which the next read sees; more
# attempts only help when yet another replica opens one of the batch's identities.
RACE_ATTEMPTS = 3


async def ingest(
    conn: AsyncConnection,
    payloads: Sequence[WebhookPayload],
    now: datetime,
    flush_delay: timedelta = timedelta(0),
) -> list[IngestResult]:
    """Apply payloads in order in the caller's transaction: read, plan purely, write.

    Raises ``ConcurrentOpenError`` (nothing of the transaction may be committed then).
    """
    known = await load_known(conn, [a for p in payloads for a in p.alerts])
    return await write_plan(conn, plan_batch(payloads, known, now, now + flush_delay))


@dataclass
class _Pending:
    payload: WebhookPayload
    done: asyncio.Future[IngestResult]


class IngestWriter:
    """One writer task drains queued payloads into a single transaction per batch.

    SQLite has one writer; queueing a transaction per request behind it costs a commit
    (an fsync) each. Batching makes the commit cost shared, and every request still gets
    its 2xx only after its own data is committed.
    """

    def __init__(
        self,
        engine: AsyncEngine,
        clock: Clock,
        *,
        max_batch: int = 256,
        flush_delay: timedelta = timedelta(0),
        on_batch: Callable[[int], Awaitable[None]] | None = None,
    ) -> None:
        self._engine = engine
        self._clock = clock
        self._max_batch = max_batch
        self._flush_delay = flush_delay
        self._queue: asyncio.Queue[_Pending] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._on_batch = on_batch

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="ingest-writer")

    async def stop(self) -> None:
        """Let queued work finish, then stop the writer."""
        if self._task is None:
            return
        await self._queue.join()
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None

    async def submit(self, payload: WebhookPayload) -> IngestResult:
        """Queue a payload; returns once it is committed, raises if it could not be."""
        done: asyncio.Future[IngestResult] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait(_Pending(payload, done))
        return await asyncio.shield(done)

    async def _run(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while len(batch) < self._max_batch and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            try:
                await self._commit_batch(batch)
            finally:
                for _ in batch:
                    self._queue.task_done()

    async def _commit_batch(self, batch: list[_Pending]) -> None:
        try:
            results = await self._write(batch)
        except Exception as exc:
            if len(batch) == 1:
                _settle(batch[0].done, exc)
                return
            # Isolate: one payload that cannot be written must not fail its neighbours.
            log.warning("batch_commit_failed", extra={"size": len(batch), "error": repr(exc)})
            for item in batch:
                await self._commit_batch([item])
            return
        for item, result in zip(batch, results, strict=True):
            if not item.done.done():
                item.done.set_result(result)
        if self._on_batch is not None:
            await self._on_batch(len(batch))

    async def _write(self, batch: list[_Pending]) -> list[IngestResult]:
        payloads = [item.payload for item in batch]
        for attempt in range(1, RACE_ATTEMPTS):
            try:
                async with self._engine.begin() as conn:
                    return await ingest(conn, payloads, self._clock(), self._flush_delay)
            except ConcurrentOpenError:
                # Another replica opened one of these identities meanwhile: read and plan
                # again, which makes the lost race a duplicate of the winner's incident.
                log.info("batch_replanned", extra={"size": len(batch), "attempt": attempt})
        async with self._engine.begin() as conn:
            return await ingest(conn, payloads, self._clock(), self._flush_delay)


def _settle(future: asyncio.Future[IngestResult], exc: BaseException) -> None:
    if not future.done():
        future.set_exception(exc)
