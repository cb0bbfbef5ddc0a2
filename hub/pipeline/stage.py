"""The pipeline's one interface and its combinators, shaped like Alertmanager's notify stages."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncConnection

from hub.api.metrics import HubMetrics
from hub.pipeline.reasons import SuppressReason
from hub.store.events import add_events

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class IncidentView:
    """What the stages know of one incident of the flushed group."""

    id: int
    fingerprint: str
    alertname: str
    status: str
    severity: str | None
    labels: dict[str, str]
    annotations: dict[str, str]
    started_at: datetime
    resolved_at: datetime | None
    generator_url: str
    acked_by: str | None = None
    acked_at: datetime | None = None
    ack_handles: Mapping[str, str] = field(default_factory=dict)

    @property
    def is_firing(self) -> bool:
        return self.resolved_at is None


@dataclass(frozen=True)
class FlushContext:
    """Everything fixed for one flush: the group, the receiver once routed, and ``now``.

    ``now`` is read once per flush and passed down; stages never read the clock.
    """

    conn: AsyncConnection
    now: datetime
    group_key: str
    group: dict[str, Any]
    metrics: HubMetrics | None = None
    receiver: str = ""
    notes: dict[str, Any] = field(default_factory=dict)

    def for_receiver(self, receiver: str) -> FlushContext:
        """A context of its own per receiver (notes copied), so branches never share notes."""
        return FlushContext(
            self.conn, self.now, self.group_key, self.group, self.metrics, receiver, {**self.notes}
        )


Alerts = Sequence[IncidentView]


class Stage(Protocol):
    """Takes the incidents of one flush and returns those that go on."""

    async def run(self, ctx: FlushContext, alerts: Alerts) -> Alerts: ...


@dataclass(frozen=True)
class Chain:
    """Run stages in order; stop as soon as nothing is left."""

    stages: Sequence[Stage]

    async def run(self, ctx: FlushContext, alerts: Alerts) -> Alerts:
        for stage in self.stages:
            if not alerts:
                break
            alerts = await stage.run(ctx, alerts)
        return alerts


async def record_suppressed(
    ctx: FlushContext, alerts: Alerts, reason: SuppressReason, **detail: Any
) -> None:
    """Noise is counted, not hidden: every stopped incident gets a ``suppressed`` event."""
    if not alerts:
        return
    payload = {"reason": reason.value, "receiver": ctx.receiver, **detail}
    await add_events(ctx.conn, [(a.id, "suppressed", payload) for a in alerts], ctx.now)
    if ctx.metrics is not None:
        ctx.metrics.suppressed.labels(reason.value).inc(len(alerts))
    log.info(
        "suppressed",
        extra={"reason": reason.value, "receiver": ctx.receiver, "incidents": len(alerts)},
    )
