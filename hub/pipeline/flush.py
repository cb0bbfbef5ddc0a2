"""FlushHandler: run the flush pipeline for one outbox ``flush`` row, in one transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import partial
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from hub.metrics import HubMetrics
from hub.model.outbox import FlushBody
from hub.pipeline.stage import FlushContext, IncidentView, Stage
from hub.store.group_commit import GroupCommit
from hub.store.outbox import OutboxRow, complete
from hub.store.schema import incidents


async def load_views(conn: AsyncConnection, ids: Sequence[int]) -> list[IncidentView]:
    """Incidents by id, in the order given."""
    if not ids:
        return []
    rows = {r.id: r for r in await conn.execute(select(incidents).where(incidents.c.id.in_(ids)))}
    return [_view(rows[i]) for i in ids if i in rows]


def _view(r: Any) -> IncidentView:
    return IncidentView(
        id=r.id,
        fingerprint=r.fingerprint,
        alertname=r.alertname,
        status=r.status,
        severity=r.severity,
        labels=r.labels,
        annotations=r.annotations,
        started_at=r.started_at,
        resolved_at=r.resolved_at,
        generator_url=r.generator_url,
        acked_by=r.acked_by,
        acked_at=r.acked_at,
        created_at=r.created_at,
        ack_handles=r.ack_handles or {},
    )


class FlushHandler:
    """Claims nothing itself: the worker hands it due ``flush`` rows."""

    def __init__(
        self, engine: AsyncEngine, pipeline: Stage[FlushContext] | None, metrics: HubMetrics
    ) -> None:
        self._pipeline = pipeline
        self._metrics = metrics
        self._commits = GroupCommit(engine)

    async def __call__(self, row: OutboxRow, now: datetime) -> None:
        """Flushes due together share one transaction; each runs after the previous."""
        await self._commits.run(partial(self._flush, row=row, now=now))

    async def _flush(self, conn: AsyncConnection, *, row: OutboxRow, now: datetime) -> None:
        if self._pipeline is not None:
            body = FlushBody.parse(row.payload)
            ctx = FlushContext(
                conn=conn, now=now, row_id=row.id, row_key=row.key, flush=body,
                metrics=self._metrics,
            )  # fmt: skip
            await self._pipeline.run(ctx, await load_views(conn, body.incident_ids))
        await complete(conn, row.id, now)
