"""Run the flush pipeline for one outbox ``flush`` row, in one transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import partial
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from hub.api.metrics import HubMetrics
from hub.pipeline.reasons import SuppressReason
from hub.pipeline.stage import FlushContext, IncidentView, Stage
from hub.store.events import add_events
from hub.store.group_commit import GroupCommit
from hub.store.ingest import group_flush_prefix
from hub.store.outbox import PENDING, OutboxRow, complete
from hub.store.schema import incidents, outbox

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
        ack_handles=r.ack_handles or {},
    )


class FlushHandler:
    """Claims nothing itself: the worker hands it due ``flush`` rows."""

    def __init__(
        self, engine: AsyncEngine, pipeline: Stage | None, metrics: HubMetrics | None = None
    ) -> None:
        self._pipeline = pipeline
        self._metrics = metrics
        self._commits = GroupCommit(engine)

    async def __call__(self, row: OutboxRow, now: datetime) -> None:
        """Flushes due together share one transaction; each runs after the previous."""
        await self._commits.run(partial(self._flush, row=row, now=now))

    async def _flush(self, conn: AsyncConnection, *, row: OutboxRow, now: datetime) -> None:
        if self._pipeline is not None and await _superseded(conn, row):
            await self._grouped(conn, row, now)
        elif self._pipeline is not None:
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

    async def _grouped(self, conn: AsyncConnection, row: OutboxRow, now: datetime) -> None:
        """A newer notification of the same group is waiting: it carries these alerts too."""
        ids = row.payload["incident_ids"]
        detail = {"reason": SuppressReason.GROUPED.value, "receiver": row.payload["receiver"]}
        await add_events(conn, [(iid, "suppressed", detail) for iid in ids], now)
        if self._metrics is not None:
            self._metrics.suppressed.labels(SuppressReason.GROUPED.value).inc(len(ids))


async def _superseded(conn: AsyncConnection, row: OutboxRow) -> bool:
    """Whether a later flush of the same Alertmanager group is already queued."""
    p = row.payload
    prefix = group_flush_prefix(p["receiver"], p["group_key"])
    if not row.key.startswith(prefix):
        return False  # ack and silence flushes re-run a group; they are never superseded
    newer = await conn.scalar(
        select(outbox.c.id)
        .where(outbox.c.key.startswith(prefix, autoescape=True))
        .where(outbox.c.state == PENDING, outbox.c.id > row.id)
        .limit(1)
    )
    return newer is not None
