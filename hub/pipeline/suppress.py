"""The one way to record a suppression: a timeline event per incident and the metric, together."""

from __future__ import annotations

import logging
from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from hub.metrics import HubMetrics
from hub.model.reasons import SuppressReason
from hub.pipeline.stage import Alerts, FlushContext
from hub.store.counters import count_suppressions
from hub.store.events import add_events

log = logging.getLogger(__name__)


async def record_suppression(
    conn: AsyncConnection,
    metrics: HubMetrics | None,
    incident_ids: Collection[int],
    reason: SuppressReason,
    *,
    receiver: str,
    now: datetime,
    **detail: Any,
) -> None:
    """Noise is counted, not hidden: a ``suppressed`` event and counter per incident, the metric."""
    if not incident_ids:
        return
    payload = {"reason": reason.value, "receiver": receiver, **detail}
    await add_events(conn, [(iid, "suppressed", payload) for iid in incident_ids], now)
    await count_suppressions(conn, incident_ids)
    if metrics is not None:
        metrics.suppressed.labels(reason.value).inc(len(incident_ids))
    log.info(
        "suppressed",
        extra={"reason": reason.value, "receiver": receiver, "incidents": len(incident_ids)},
    )


async def record_suppressed(
    ctx: FlushContext, alerts: Alerts, reason: SuppressReason, **detail: Any
) -> None:
    """``record_suppression`` for the incidents a stage stops."""
    await record_suppression(
        ctx.conn, ctx.metrics, [a.id for a in alerts], reason,
        receiver=ctx.receiver, now=ctx.now, **detail,
    )  # fmt: skip
