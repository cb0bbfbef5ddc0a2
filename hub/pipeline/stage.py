"""The pipeline's one interface, its contexts and combinators, after Alertmanager's notify stages.

Stages hand facts on through typed fields of the context, each set by one stage and read
by later ones. Reading a fact its stage has not set raises ``StageOrderError`` naming the
stage: a pipeline built in the wrong order fails at once, not with a ``KeyError`` later.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Generic, Protocol, TypeVar

from sqlalchemy.ext.asyncio import AsyncConnection

from hub.metrics import HubMetrics
from hub.model.notify import LogEntry, NotifyKind
from hub.model.outbox import FlushBody
from hub.model.reasons import NotifyReason
from hub.pipeline.decisions.dedup import GroupState
from hub.routing.tree import Route


class StageOrderError(RuntimeError):
    """A stage read a fact that an earlier stage sets: the pipeline is assembled wrongly."""

    def __init__(self, fact: str, stage: str) -> None:
        super().__init__(f"{fact} is not set: {stage} must run before this stage")


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
    created_at: datetime | None = None  # when the hub first stored it
    ack_handles: Mapping[str, str] = field(default_factory=dict)

    @property
    def is_firing(self) -> bool:
        return self.resolved_at is None


@dataclass(frozen=True)
class Notice:
    """What the receiver will be told: dedup's decision, reshaped by later stages."""

    reason: NotifyReason
    kind: NotifyKind
    state: GroupState
    previous: LogEntry | None
    reason_text: str | None = None

    def log_entry(self, now: datetime) -> LogEntry:
        """The notification-log row saying the receiver has now heard this state."""
        s = self.state
        return LogEntry(s.firing_ids, s.resolved_ids, s.max_severity_rank, now, s.acked)


@dataclass(kw_only=True)
class FlushContext:
    """One flush: its row, its transaction and ``now`` (read once; stages never read the
    clock), and what the stages before routing found out."""

    conn: AsyncConnection
    now: datetime
    row_id: int
    row_key: str
    flush: FlushBody
    metrics: HubMetrics | None = None
    _flap_started: frozenset[int] | None = field(default=None, repr=False)

    @property
    def group_key(self) -> str:
        return self.flush.group_key

    @property
    def receiver(self) -> str:
        """Whom suppressions before routing are recorded for: nobody yet."""
        return ""

    @property
    def flap_started(self) -> frozenset[int]:
        """The incidents whose identity started flapping in this flush."""
        if self._flap_started is None:
            raise StageOrderError("the flapping set", "FlappingStage")
        return self._flap_started

    @flap_started.setter
    def flap_started(self, ids: frozenset[int]) -> None:
        self._flap_started = ids

    def for_receiver(self, receiver: str, route: Route) -> ReceiverContext:
        """A context of its own per receiver, so branches never share what they decide."""
        return ReceiverContext(
            conn=self.conn, now=self.now, row_id=self.row_id, row_key=self.row_key,
            flush=self.flush, metrics=self.metrics, _flap_started=self._flap_started,
            receiver_name=receiver, route=route,
        )  # fmt: skip


@dataclass(kw_only=True)
class ReceiverContext(FlushContext):
    """One receiver's branch of a flush: the route that chose it and dedup's notice."""

    receiver_name: str
    route: Route
    _notice: Notice | None = field(default=None, repr=False)

    @property
    def receiver(self) -> str:
        return self.receiver_name

    @property
    def notice(self) -> Notice:
        if self._notice is None:
            raise StageOrderError("the notice", "DedupStage")
        return self._notice

    @notice.setter
    def notice(self, notice: Notice) -> None:
        self._notice = notice


Alerts = Sequence[IncidentView]
Ctx = TypeVar("Ctx", bound=FlushContext)
Ctx_contra = TypeVar("Ctx_contra", bound=FlushContext, contravariant=True)


class Stage(Protocol[Ctx_contra]):
    """Takes the incidents of one flush and returns those that go on."""

    async def run(self, ctx: Ctx_contra, alerts: Alerts) -> Alerts: ...


@dataclass(frozen=True)
class Chain(Generic[Ctx]):
    """Run stages in order; stop as soon as nothing is left."""

    stages: Sequence[Stage[Ctx]]

    async def run(self, ctx: Ctx, alerts: Alerts) -> Alerts:
        for stage in self.stages:
            if not alerts:
                break
            alerts = await stage.run(ctx, alerts)
        return alerts
