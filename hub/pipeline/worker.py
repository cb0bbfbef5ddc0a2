"""The outbox worker: claims due rows and hands each to the handler of its kind."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from hub.clock import Clock
from hub.config.models import DeliveryConfig
from hub.metrics import HubMetrics
from hub.store.outbox import OutboxRow, claim_due

log = logging.getLogger(__name__)
RowHandler = Callable[[OutboxRow, datetime], Awaitable[None]]


class OutboxWorker:
    """Every timer is a row with a due time; this loop is the only thing that reads them.

    It wakes on its poll interval or at once when the intake commits new work. Rows of one
    batch run side by side, so a slow channel delays only its own rows.
    """

    def __init__(
        self,
        engine: AsyncEngine,
        handlers: Mapping[str, RowHandler],
        clock: Clock,
        config: DeliveryConfig,
        metrics: HubMetrics,
    ) -> None:
        self._engine = engine
        self._handlers = handlers
        self._clock = clock
        self._config = config
        self._metrics = metrics
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._inflight: set[asyncio.Task[None]] = set()
        self._inflight_rows: set[int] = set()

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="outbox-worker")

    async def stop(self) -> None:
        """Stop claiming; let rows already being handled finish (their leases cover a crash)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._inflight:
            await asyncio.wait(self._inflight, timeout=self._config.send_timeout.total_seconds())

    async def _run(self) -> None:
        poll = self._config.poll_interval.total_seconds()
        while True:
            try:
                claimed = await self.run_once()
            except (SQLAlchemyError, OSError) as exc:
                self._metrics.db_errors.labels("outbox_claim").inc()
                log.warning("outbox_claim_failed", extra={"error": repr(exc)})
                claimed = 0
            if claimed >= self._config.batch_size:
                continue
            self._wake.clear()
            # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow the cancel that
            # stop() sends when the wake-up lands at the same moment, and stop() hangs.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(poll):
                    await self._wake.wait()

    async def run_once(self) -> int:
        """Claim one batch and start its rows; returns how many were started."""
        now = self._clock()
        room = self._config.batch_size * 4 - len(self._inflight)
        if room <= 0:
            return 0
        rows = await claim_due(
            self._engine, now, min(room, self._config.batch_size), self._config.lease
        )
        # A row whose handler overran its lease and still runs here is claimed again (its
        # lease renewed) but not started twice: a second handler would send it again.
        rows = [row for row in rows if row.id not in self._inflight_rows]
        for row in rows:
            task = asyncio.create_task(self._handle(row, now))
            self._inflight.add(task)
            self._inflight_rows.add(row.id)
            task.add_done_callback(self._inflight.discard)
        return len(rows)

    async def drain(self) -> None:
        """Wait for the rows already started (tests and benchmarks use it)."""
        while self._inflight:
            await asyncio.wait(set(self._inflight))

    async def _handle(self, row: OutboxRow, now: datetime) -> None:
        try:
            await self._run_handler(row, now)
        finally:
            self._inflight_rows.discard(row.id)

    async def _run_handler(self, row: OutboxRow, now: datetime) -> None:
        handler = self._handlers.get(row.kind)
        if handler is None:
            log.error("outbox_unknown_kind", extra={"kind": row.kind, "row": row.id})
            return
        try:
            await handler(row, now)
            # A handled row may have queued follow-up rows (a flush queues deliveries):
            # look again at once instead of after the poll interval.
            self._wake.set()
        except Exception:
            # The lease expires and the row is tried again; nothing is dropped.
            self._metrics.db_errors.labels(f"outbox_{row.kind}").inc()
            log.exception("outbox_row_failed", extra={"kind": row.kind, "row": row.id})
