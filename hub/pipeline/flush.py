"""Run the flush pipeline for one outbox ``flush`` row, in one transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from hub.api.metrics import HubMetrics
from hub.pipeline.stage import FlushContext, IncidentView, Stage
from hub.store.outbox import OutboxRow, complete
from hub.store.schema import incidents

GROUP_FIELDS = ("status", "group_labels", "common_labels", "common_annotations", "truncated_alerts")


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
    )


class FlushHandler:
    """Claims nothing itself: the worker hands it due ``flush`` rows."""

    def __init__(
        self, engine: AsyncEngine, pipeline: Stage | None, metrics: HubMetrics | None = None
    ) -> None:
        self._engine = engine
        self._pipeline = pipeline
        self._metrics = metrics

    async def __call__(self, row: OutboxRow, now: datetime) -> None:
        async with self._engine.begin() as conn:
            if self._pipeline is not None:
                payload = row.payload
                ctx = FlushContext(
                    conn=conn,
                    now=now,
                    group_key=payload["group_key"],
                    group={k: payload.get(k) for k in GROUP_FIELDS},
                    metrics=self._metrics,
                )
                await self._pipeline.run(ctx, await load_views(conn, payload["incident_ids"]))
            await complete(conn, row.id, now)
