"""Deliver one outbox ``deliver`` row: enrich → send → record; the only stage that retries."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from hub.api.metrics import HubMetrics
from hub.channels.base import Channel
from hub.channels.errors import DeliveryError, FailureReason
from hub.channels.model import AlertView, Enrichment, Notification, NotifyKind, SentMessage
from hub.config.models import DeliveryConfig
from hub.pipeline.backoff import next_delay
from hub.pipeline.enrich_stage import Enricher, to_enrichment
from hub.pipeline.flush import load_views
from hub.pipeline.stage import IncidentView
from hub.remediate.messages import load_action_lines, pending_restart
from hub.store import notify_log, outbox
from hub.store.events import add_events
from hub.store.group_commit import GroupCommit
from hub.store.outbox import OutboxRow

log = logging.getLogger(__name__)
ChannelKey = tuple[str, str]


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
    payload: Mapping[str, Any],
    views: Sequence[IncidentView],
    *,
    external_url: str,
    now: datetime,
    enrichment: Enrichment,
    action_lines: tuple[str, ...] = (),
    restart: tuple[int, str] | None = None,
) -> Notification:
    """The render input for one delivery row; the incidents are read fresh from the store."""
    acked = next((v for v in views if v.acked_by), None)
    return Notification(
        kind=NotifyKind(payload["kind"]),
        receiver=payload["receiver"],
        group_key=payload["group_key"],
        alerts=tuple(alert_view(v) for v in views),
        truncated_alerts=int(payload.get("truncated_alerts") or 0),
        group_labels=payload.get("group_labels") or {},
        common_labels=payload.get("common_labels") or {},
        common_annotations=payload.get("common_annotations") or {},
        incident_id=views[0].id,
        external_url=external_url,
        now=now,
        acked_by=acked.acked_by if acked else None,
        acked_at=acked.acked_at if acked else None,
        ack_handles=acked.ack_handles if acked else {},
        enrichment=enrichment,
        reason_text=payload.get("reason_text"),
        digest_lines=tuple(payload.get("digest_lines") or ()),
        footer_text=payload.get("footer_text"),
        action_lines=action_lines,
        restart_action_id=restart[0] if restart else None,
        restart_target=restart[1] if restart else None,
    )


@dataclass
class DeliverHandler:
    """Sends due delivery rows; one slow channel only ever holds its own semaphore."""

    engine: AsyncEngine
    channels: Mapping[ChannelKey, Channel]
    config: DeliveryConfig
    metrics: HubMetrics
    external_url: str
    enricher: Enricher | None = None
    _limits: dict[ChannelKey, asyncio.Semaphore] = field(default_factory=dict)
    _commits: GroupCommit = field(init=False)

    def __post_init__(self) -> None:
        self._commits = GroupCommit(self.engine)

    async def __call__(self, row: OutboxRow, now: datetime) -> None:
        p = row.payload
        key: ChannelKey = (p["receiver"], p["channel"])
        channel = self.channels.get(key)
        ghash = notify_log.group_hash(p["group_key"])
        async with self.engine.connect() as conn:
            views = await load_views(conn, p["incident_ids"])
            first = await notify_log.open_message(conn, ghash, *key)
            action_lines = await load_action_lines(conn, p["incident_ids"])
            restart = await pending_restart(conn, p["incident_ids"], now)
            # An edit or a reply waits for the rows of its message queued before it (the
            # first message, earlier edits), so edits land in order.
            follows_up = p["in_place"] or p["kind"] == NotifyKind.REMINDER
            waiting = follows_up and await outbox.earlier_pending(conn, row)
        if waiting:
            async with self.engine.begin() as conn:
                await outbox.postpone(conn, row.id, now + self.config.poll_interval, now)
            return
        if first is None and p.get("edit_only"):
            # Nothing was sent to edit (the group was muted or held): nothing to do.
            async with self.engine.begin() as conn:
                await outbox.complete(conn, row.id, now)
            return
        if channel is None or not views:
            why = "channel no longer configured" if channel is None else "incidents gone"
            await self._give_up(row, views, key, why, reason=FailureReason.CLIENT_ERROR, now=now)
            return
        enrichment, events = await self._enrich(p, views, first)
        note = build_note(
            p, views, external_url=self.external_url, now=now, enrichment=enrichment,
            action_lines=action_lines, restart=restart,
        )  # fmt: skip
        try:
            sent = await self._send(key, channel, note, first, in_place=p["in_place"])
        except DeliveryError as exc:
            await self._failed(row, views, key, exc, now)
            return
        await self._record(
            row=row, views=views, key=key, ghash=ghash, note=note,
            first=first, sent=sent, events=events, now=now,
        )  # fmt: skip

    async def _enrich(
        self, p: Mapping[str, Any], views: Sequence[IncidentView], first: SentMessage | None
    ) -> tuple[Enrichment, list[tuple[int, str, dict[str, Any]]]]:
        if self.enricher is None or p["kind"] != NotifyKind.FIRING or p["in_place"]:
            return Enrichment(), []
        result = await self.enricher(views[0])
        events: list[tuple[int, str, dict[str, Any]]] = []
        if result.logs_unavailable:
            events.append((views[0].id, "enrichment_failed", {"reason": result.logs_unavailable}))
        return to_enrichment(result, views[0]), events

    async def _send(
        self,
        key: ChannelKey,
        channel: Channel,
        note: Notification,
        first: SentMessage | None,
        *,
        in_place: bool,
    ) -> SentMessage:
        limit = self._limits.setdefault(key, asyncio.Semaphore(self.config.per_channel_concurrency))
        timeout = self.config.send_timeout.total_seconds()
        async with limit:
            try:
                if in_place and first is not None:
                    return await asyncio.wait_for(channel.update(note, first), timeout)
                if note.kind is NotifyKind.REMINDER and first is not None:
                    return await asyncio.wait_for(channel.reply(note, first), timeout)
                return await asyncio.wait_for(channel.send(note), timeout)
            except TimeoutError:
                raise DeliveryError(
                    f"no answer within {timeout:g} s", reason=FailureReason.TIMEOUT, retryable=True
                ) from None

    async def _record(
        self,
        *,
        row: OutboxRow,
        views: Sequence[IncidentView],
        key: ChannelKey,
        ghash: str,
        note: Notification,
        first: SentMessage | None,
        sent: SentMessage,
        events: list[tuple[int, str, dict[str, Any]]],
        now: datetime,
    ) -> None:
        receiver, channel = key
        detail = {
            "channel": channel,
            "receiver": receiver,
            "message_id": sent.message_id,
            "kind": note.kind.value,
            "reason": row.payload["reason"],
        }

        async def write(conn: AsyncConnection) -> None:
            if note.kind is NotifyKind.RESOLVED:
                await notify_log.close_message(conn, ghash, receiver, channel, now)
            elif first is None or not (row.payload["in_place"] or note.kind is NotifyKind.REMINDER):
                await notify_log.remember_message(
                    conn, ghash=ghash, receiver=receiver, channel=channel,
                    incident_id=views[0].id, sent=sent, now=now,
                )  # fmt: skip
            await add_events(conn, [*events, *((v.id, "notified", detail) for v in views)], now)
            await outbox.complete(conn, row.id, now)

        await self._commits.run(write)
        kind = channel.split("[", 1)[0]
        self.metrics.notifications_sent.labels(kind, receiver).inc()
        self.metrics.delivery_latency.labels(kind).observe(
            max((now - row.created_at).total_seconds(), 0.0)
        )
        log.info("notified", extra=detail)

    async def _failed(
        self,
        row: OutboxRow,
        views: Sequence[IncidentView],
        key: ChannelKey,
        exc: DeliveryError,
        now: datetime,
    ) -> None:
        attempts = row.attempts + 1
        if not exc.retryable or attempts >= self.config.max_attempts:
            await self._give_up(row, views, key, str(exc), reason=exc.reason, now=now)
            return
        delay = next_delay(
            row.attempts,
            base=self.config.backoff_base,
            cap=self.config.backoff_max,
            retry_after=exc.retry_after,
        )
        detail = {
            "channel": key[1], "receiver": key[0], "reason": exc.reason.value,
            "attempt": attempts, "retry_in_s": round(delay.total_seconds(), 3),
        }  # fmt: skip

        async def write(conn: AsyncConnection) -> None:
            await add_events(conn, [(v.id, "delivery_retry", detail) for v in views], now)
            await outbox.retry_at(conn, row.id, now + delay, f"{exc.reason}: {exc}", now)

        await self._commits.run(write)
        self.metrics.delivery_failures.labels(key[1].split("[", 1)[0], exc.reason.value).inc()
        log.warning("delivery_retry", extra={**detail, "error": str(exc)})

    async def _give_up(
        self,
        row: OutboxRow,
        views: Sequence[IncidentView],
        key: ChannelKey,
        error: str,
        *,
        reason: FailureReason,
        now: datetime,
    ) -> None:
        """Dead-letter: a timeline event, a metric and a log line; never silently dropped."""
        detail = {
            "channel": key[1], "receiver": key[0], "reason": reason.value,
            "attempts": row.attempts + 1, "error": error,
        }  # fmt: skip

        async def write(conn: AsyncConnection) -> None:
            await add_events(conn, [(v.id, "delivery_failed", detail) for v in views], now)
            await outbox.dead_letter(conn, row.id, f"{reason}: {error}", now)

        await self._commits.run(write)
        self.metrics.delivery_failures.labels(key[1].split("[", 1)[0], reason.value).inc()
        self.metrics.dead_letters.labels(key[1].split("[", 1)[0]).inc()
        log.error("delivery_failed", extra=detail)
