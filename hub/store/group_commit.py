"""Commit many small transactions as one: whoever holds the write lock writes all queued."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

Write = Callable[[AsyncConnection], Awaitable[None]]


class GroupCommit:
    """Run the writes of outbox rows that finish together in one transaction.

    A transaction per row made rows queue for the database's write lock (on SQLite,
    sleeping in its busy handler) and a backlog crawled. Whoever holds the lock writes
    everything queued so far, in order; a failed batch is replayed one write at a time,
    so one bad row cannot fail the others.
    """

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._lock = asyncio.Lock()
        self._queue: list[tuple[Write, asyncio.Future[None]]] = []

    async def run(self, write: Write) -> None:
        """Return once ``write`` is committed; raise what it raised otherwise."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queue.append((write, done))
        async with self._lock:
            if not done.done():
                batch, self._queue = self._queue, []
                await self._commit(batch)
        await done

    async def _commit(self, batch: list[tuple[Write, asyncio.Future[None]]]) -> None:
        try:
            async with self._engine.begin() as conn:
                for write, _ in batch:
                    await write(conn)
            for _, done in batch:
                _settle(done, None)
        except Exception as exc:
            if len(batch) == 1:
                _settle(batch[0][1], exc)
                return
            for single in batch:
                await self._commit([single])
        finally:  # cancelled mid-commit: no waiter may hang; their rows' leases run out
            for _, done in batch:
                _settle(done, RuntimeError("delivery write abandoned"))


def _settle(done: asyncio.Future[None], exc: BaseException | None) -> None:
    if done.done():  # its waiter was cancelled
        return
    if exc is None:
        done.set_result(None)
    else:
        done.set_exception(exc)
