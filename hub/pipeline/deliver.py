"""DeliverHandler: one ``deliver`` row, enrich → render → send → record; the only retrier.

A failed send is retried with back-off scheduled in the row itself, or dead-lettered.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, tzinfo
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from hub.channels.base import Channel
from hub.channels.errors import DeliveryError, FailureReason
from hub.channels.model import Acknowledgement, AlertView, Enrichment, Escalation, Notification
from hub.config.models import DeliveryConfig
from hub.metrics import HubMetrics
from hub.model.keys import group_hash
from hub.model.notify import NotifyKind, SentMessage
from hub.model.outbox import DeliverBody
from hub.pipeline.decisions.backoff import next_delay
from hub.pipeline.enrichment import Enricher, to_enrichment
from hub.pipeline.flush import load_views
from hub.pipeline.stage import IncidentView
from hub.remediate.messages import load_action_lines, pending_restart
from hub.store import notify_log, outbox
from hub.store.counters import count_message
from hub.store.events import add_events
from hub.store.group_commit import GroupCommit
from hub.store.memory import load_history_line
from hub.store.outbox import OutboxRow

log = logging.getLogger(__name__)
ChannelKey = tuple[str, str]
Events = list[tuple[int, str, dict[str, Any]]]
LINKED_KINDS = frozenset({NotifyKind.FIRING, NotifyKind.ACKNOWLEDGED})
"""Messages that carry the runbook, dashboard and log links, first send and every edit."""


def alert_view(v: IncidentView) -> AlertView:
    return AlertView(
        incident_id=v.id,
        fingerprint=v.fingerprint,
        status="firing" if v.is_firing else "resolved",
        labels=v.labels,
        annotations=v.annotations,
        starts_at=v.started_at,
        ends_at=v.resolved_at,
        generator_url=v.generator_url,
    )


def build_note(
    body: DeliverBody,
    views: Sequence[IncidentView],
    *,
    external_url: str,
    now: datetime,
    enrichment: Enrichment,
    tz: tzinfo = UTC,
    action_lines: tuple[str, ...] = (),
    history: str | None = None,
    restart: tuple[int, str] | None = None,
) -> Notification:
    """The render input for one delivery row; the incidents are read fresh from the store."""
    escalated_from = body.escalated_from
    return Notification(
        kind=body.kind,
        receiver=body.receiver,
        group_key=body.group_key,
        alerts=tuple(alert_view(v) for v in views),
        truncated_alerts=body.truncated_alerts,
        group_labels=body.group_labels,
        common_labels=body.common_labels,
        common_annotations=body.common_annotations,
        incident_id=views[0].id,
        external_url=external_url,
        now=now,
        ack=_acknowledgement(views, now),
        escalation=Escalation(escalated_from, body.first_sent_at) if escalated_from else None,
        tz=tz,
        enrichment=enrichment,
        reason_text=body.reason_text,
        digest_lines=body.digest_lines,
        footer_text=body.footer_text,
        action_lines=action_lines,
        history=history,
        restart_action_id=restart[0] if restart else None,
        restart_target=restart[1] if restart else None,
    )


def _acknowledgement(views: Sequence[IncidentView], now: datetime) -> Acknowledgement | None:
    """Who took the group, with the handles a channel names them by (Telegram's @username)."""
    acked = next((v for v in views if v.acked_by), None)
    if acked is None or acked.acked_by is None:
        return None
    return Acknowledgement(acked.acked_by, acked.acked_at or now, acked.ack_handles)


@dataclass(frozen=True)
class Delivery:
    """One claimed row with what it needs: the body, the incidents, the message it edits."""

    row: OutboxRow
    body: DeliverBody
    views: Sequence[IncidentView]
    first: SentMessage | None  # the episode's message on this channel, if already sent
    action_lines: tuple[str, ...] = ()  # remediation lines, read when the message is rendered
    history: str | None = None  # the memory line of a live message (firing or acked)
    restart: tuple[int, str] | None = None  # a restart awaiting approval: (action id, name)

    @property
    def key(self) -> ChannelKey:
        return (self.body.receiver, self.body.channel)

    @property
    def ghash(self) -> str:
        return group_hash(self.body.group_key)

    @property
    def follows_up(self) -> bool:
        """An edit (resolve, ack) or a reply (reminder) to the episode's first message."""
        return self.body.in_place or self.body.kind is NotifyKind.REMINDER


@dataclass
class DeliverHandler:
    """Sends due delivery rows; one slow channel only ever holds its own semaphore."""

    engine: AsyncEngine
    channels: Mapping[ChannelKey, Channel]
    config: DeliveryConfig
    metrics: HubMetrics
    external_url: str
    enricher: Enricher | None = None
    tz: tzinfo = UTC
    _limits: dict[ChannelKey, asyncio.Semaphore] = field(default_factory=dict)
    _commits: GroupCommit = field(init=False)

    def __post_init__(self) -> None:
        self._commits = GroupCommit(self.engine)

    async def __call__(self, row: OutboxRow, now: datetime) -> None:
        job, waits = await self._load(row, now)
        if waits:  # an edit or a reply waits for the earlier rows of its message
            async with self.engine.begin() as conn:
                await outbox.postpone(conn, row.id, now + self.config.poll_interval, now)
            return
        if job.first is None and job.body.edit_only:
            # Nothing was sent to edit (the group was muted or held): nothing to do.
            async with self.engine.begin() as conn:
                await outbox.complete(conn, row.id, now)
            return
        channel = self.channels.get(job.key)
        if channel is None or not job.views:
            why = "channel no longer configured" if channel is None else "incidents gone"
            await self._give_up(job, why, reason=FailureReason.CLIENT_ERROR, now=now)
            return
        enrichment, events = await self._enrich(job)
        note = build_note(
            job.body,
            job.views,
            external_url=self.external_url,
            now=now,
            enrichment=enrichment,
            tz=self.tz,
            action_lines=job.action_lines,
            history=job.history,
            restart=job.restart,
        )
        try:
            sent = await self._send(job, channel, note)
        except DeliveryError as exc:
            await self._failed(job, exc, now)
            return
        await self._record(job, note, sent, events, now)

    async def _load(self, row: OutboxRow, now: datetime) -> tuple[Delivery, bool]:
        body = DeliverBody.parse(row.payload)
        async with self.engine.connect() as conn:
            views = await load_views(conn, body.incident_ids)
            first = await notify_log.open_message(
                conn, group_hash(body.group_key), body.receiver, body.channel
            )
            action_lines = await load_action_lines(conn, body.incident_ids)
            restart = await pending_restart(conn, body.incident_ids, now)
            job = Delivery(row, body, views, first, action_lines, restart=restart)
            # The first message and earlier edits queued before this row go first, so an
            # edit never overtakes the message it edits nor an edit made before it.
            waits = job.follows_up and await outbox.earlier_pending(conn, row)
            if not waits and views and body.kind in LINKED_KINDS:
                v = views[0]
                history = await load_history_line(conn, v.alertname, v.labels, v.started_at, now)
                job = replace(job, history=history)
        return job, waits

    async def _enrich(self, job: Delivery) -> tuple[Enrichment, Events]:
        """Firing and acked messages are enriched; enrichment never fails the message.

        An edit keeps every link but does not ask Loki again: it must be quick and sure.
        """
        if self.enricher is None or job.body.kind not in LINKED_KINDS:
            return Enrichment(), []
        view = job.views[0]
        result = await self.enricher(view, fetch_logs=not job.body.in_place)
        events: Events = []
        if result.logs_unavailable:
            events.append((view.id, "enrichment_failed", {"reason": result.logs_unavailable}))
        return to_enrichment(result, view), events

    async def _send(self, job: Delivery, channel: Channel, note: Notification) -> SentMessage:
        """Edit in place, reply, or send anew; a channel that does not answer times out."""
        limit = self._limits.setdefault(
            job.key, asyncio.Semaphore(self.config.per_channel_concurrency)
        )
        timeout = self.config.send_timeout.total_seconds()
        first = job.first
        async with limit:
            try:
                if job.body.in_place and first is not None:
                    return await asyncio.wait_for(channel.update(note, first), timeout)
                if note.kind is NotifyKind.REMINDER and first is not None:
                    return await asyncio.wait_for(channel.reply(note, first), timeout)
                return await asyncio.wait_for(channel.send(note), timeout)
            except TimeoutError:
                raise DeliveryError(
                    f"no answer within {timeout:g} s", reason=FailureReason.TIMEOUT, retryable=True
                ) from None

    async def _record(
        self, job: Delivery, note: Notification, sent: SentMessage, events: Events, now: datetime
    ) -> None:
        """The message id (so later changes edit it), ``notified`` events + count, the row done."""
        receiver, channel = job.key
        detail = {
            "channel": channel,
            "receiver": receiver,
            "message_id": sent.message_id,
            "kind": note.kind.value,
            "reason": job.body.reason.value,
        }

        async def write(conn: AsyncConnection) -> None:
            if note.kind is NotifyKind.RESOLVED:
                await notify_log.close_message(conn, job.ghash, receiver, channel, now)
            elif job.first is None or not job.follows_up:
                await notify_log.remember_message(
                    conn, ghash=job.ghash, receiver=receiver, channel=channel,
                    incident_id=job.views[0].id, sent=sent, now=now,
                )  # fmt: skip
            notified = ((v.id, "notified", detail) for v in job.views)
            await add_events(conn, [*events, *notified], now)
            await count_message(conn, [v.id for v in job.views])
            await outbox.complete(conn, job.row.id, now)

        await self._commits.run(write)
        kind = channel.split("[", 1)[0]
        self.metrics.notifications_sent.labels(kind, receiver).inc()
        self.metrics.delivery_latency.labels(kind).observe(
            max((now - job.row.created_at).total_seconds(), 0.0)
        )
        log.info("notified", extra=detail)

    async def _failed(self, job: Delivery, exc: DeliveryError, now: datetime) -> None:
        """Retry with back-off (``Retry-After`` honoured), or dead-letter when out of tries."""
        row = job.row
        attempts = row.attempts + 1
        if not exc.retryable or attempts >= self.config.max_attempts:
            await self._give_up(job, str(exc), reason=exc.reason, now=now)
            return
        delay = next_delay(
            row.attempts,
            base=self.config.backoff_base,
            cap=self.config.backoff_max,
            retry_after=exc.retry_after,
        )
        receiver, channel = job.key
        detail = {
            "channel": channel, "receiver": receiver, "reason": exc.reason.value,
            "attempt": attempts, "retry_in_s": round(delay.total_seconds(), 3),
        }  # fmt: skip

        async def write(conn: AsyncConnection) -> None:
            await add_events(conn, [(v.id, "delivery_retry", detail) for v in job.views], now)
            await outbox.retry_at(conn, row.id, now + delay, f"{exc.reason}: {exc}", now)

        await self._commits.run(write)
        self.metrics.delivery_failures.labels(channel.split("[", 1)[0], exc.reason.value).inc()
        log.warning("delivery_retry", extra={**detail, "error": str(exc)})

    async def _give_up(
        self, job: Delivery, error: str, *, reason: FailureReason, now: datetime
    ) -> None:
        """Dead-letter: a timeline event, a metric and a log line; never silently dropped."""
        receiver, channel = job.key
        detail = {
            "channel": channel, "receiver": receiver, "reason": reason.value,
            "attempts": job.row.attempts + 1, "error": error,
        }  # fmt: skip

        async def write(conn: AsyncConnection) -> None:
            await add_events(conn, [(v.id, "delivery_failed", detail) for v in job.views], now)
            await outbox.dead_letter(conn, job.row.id, f"{reason}: {error}", now)

        await self._commits.run(write)
        kind = channel.split("[", 1)[0]
        self.metrics.delivery_failures.labels(kind, reason.value).inc()
        self.metrics.dead_letters.labels(kind).inc()
        log.error("delivery_failed", extra=detail)
