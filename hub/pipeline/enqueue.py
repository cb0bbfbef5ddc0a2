"""EnqueueStage: turn a decision to notify into one durable delivery row per channel."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from hub.channels.model import NotifyKind
from hub.config.fatigue import FatigueConfig
from hub.config.types import format_duration
from hub.pipeline.dedup import GroupState, LogEntry, severity_rank
from hub.pipeline.dedup_stage import REASON_NOTE, STATE_NOTE
from hub.pipeline.flap_stage import FLAP_STARTED_NOTE
from hub.pipeline.reasons import NotifyReason
from hub.pipeline.reminders import next_reminder_at
from hub.pipeline.stage import Alerts, FlushContext
from hub.store.notify_log import group_hash, write_entry
from hub.store.outbox import enqueue

DELIVER_KIND = "deliver"
REMINDER_KIND = "reminder"
ESCALATION_KIND = "escalation"
IN_PLACE = frozenset({NotifyReason.RESOLVED, NotifyReason.ACKNOWLEDGED})
STARTS_EPISODE = frozenset({NotifyReason.FIRST_NOTIFICATION, NotifyReason.NEW_ALERTS})


def notify_kind(reason: NotifyReason, state: GroupState) -> NotifyKind:
    if not state.firing_ids:
        return NotifyKind.RESOLVED
    if reason is NotifyReason.ACKNOWLEDGED or state.acked:  # a partial resolve keeps the ack
        return NotifyKind.ACKNOWLEDGED
    if reason is NotifyReason.REMINDER_DUE:
        return NotifyKind.REMINDER
    return NotifyKind.FIRING


def _digest(*parts: object) -> str:
    return hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()


def _key(kind: str, *parts: object) -> str:
    """Idempotency key: the same transition for the same target is one row, however decided."""
    return f"{kind}:{_digest(*parts)}"


async def enqueue_deliveries(
    conn: AsyncConnection,
    channels: Sequence[str],
    body: Mapping[str, Any],
    transition: str,
    now: datetime,
) -> None:
    """One ``deliver`` row per channel of the body's receiver."""
    ghash = group_hash(body["group_key"])
    for channel in channels:
        prefix = delivery_prefix(ghash, body["receiver"], channel)
        key = prefix + _digest(ghash, body["receiver"], channel, transition)
        await enqueue(conn, DELIVER_KIND, key, {**body, "channel": channel}, now)


def delivery_prefix(ghash: str, receiver: str, channel: str) -> str:
    """The key prefix of every delivery to one channel for one group, so a later change
    (resolve, ack) can wait for the earlier message it edits."""
    token = hashlib.sha256(f"{ghash}|{receiver}|{channel}".encode()).hexdigest()[:32]
    return f"{DELIVER_KIND}:{token}:"


def transition_of(reason: NotifyReason, state: GroupState) -> str:
    return f"{reason}|{sorted(state.firing_ids)}|{sorted(state.resolved_ids)}|{state.acked}"


@dataclass(frozen=True)
class EnqueueStage:
    """Write the delivery rows, the notification log entry and the first reminder."""

    channels: Mapping[str, Sequence[str]]
    fatigue: FatigueConfig

    async def run(self, ctx: FlushContext, alerts: Alerts) -> Alerts:
        reason: NotifyReason = ctx.notes[REASON_NOTE]
        state: GroupState = ctx.notes[STATE_NOTE]
        kind = notify_kind(reason, state)
        flapping = ctx.notes.get(FLAP_STARTED_NOTE, frozenset()) & state.firing_ids
        if flapping and kind is NotifyKind.FIRING:
            kind, reason = NotifyKind.FLAPPING, NotifyReason.FLAPPING_STARTED
        body: dict[str, Any] = {
            **ctx.group,
            "group_key": ctx.group_key,
            "receiver": ctx.receiver,
            "incident_ids": [a.id for a in alerts],
            "reason": reason.value,
            "kind": kind.value,
            "in_place": reason in IN_PLACE,
        }
        if flapping:
            body["reason_text"] = self._flap_text()
        channels = self.channels.get(ctx.receiver, ())
        await enqueue_deliveries(ctx.conn, channels, body, transition_of(reason, state), ctx.now)
        entry = LogEntry(
            state.firing_ids, state.resolved_ids, state.max_severity_rank, ctx.now, state.acked
        )
        await write_entry(ctx.conn, group_hash(ctx.group_key), ctx.receiver, entry)
        if reason in STARTS_EPISODE:
            await self._schedule_reminder(ctx, alerts, body)
            await self._schedule_escalation(ctx, alerts, body)
        return alerts

    def _flap_text(self) -> str:
        flap = self.fatigue.flapping
        return (
            f"fired and resolved {flap.threshold}+ times in {format_duration(flap.window)}"
            f" — muted until stable for {format_duration(flap.stable_for)}"
        )

    async def _schedule_escalation(
        self, ctx: FlushContext, alerts: Alerts, body: dict[str, Any]
    ) -> None:
        rule = self.fatigue.escalation
        if rule is None or rule.escalate_to == ctx.receiver:
            return
        wanted = [a for a in alerts if a.is_firing and (a.severity or "") in rule.severities]
        if not wanted:
            return
        first_id = min(a.id for a in wanted)
        key = _key(ESCALATION_KIND, group_hash(ctx.group_key), ctx.receiver, first_id)
        payload = {**body, "incident_ids": [a.id for a in wanted]}
        await enqueue(ctx.conn, ESCALATION_KIND, key, payload, ctx.now + rule.after)

    async def _schedule_reminder(
        self, ctx: FlushContext, alerts: Alerts, body: dict[str, Any]
    ) -> None:
        # Reminders count from the first message, not from the alert's start: an alert
        # the hub hears of late must not be reminded of at once.
        firing = [a for a in alerts if a.is_firing]
        worst = max(firing, key=lambda a: severity_rank(a.severity))
        due = next_reminder_at(ctx.now, 0, self.fatigue.reminder_policy(worst.severity))
        if due is None:
            return
        payload = {**body, "sent": 0, "started_at": ctx.now.isoformat()}
        key = reminder_key(group_hash(ctx.group_key), ctx.receiver, min(a.id for a in firing), 0)
        await enqueue(ctx.conn, REMINDER_KIND, key, payload, due)


def reminder_key(ghash: str, receiver: str, started: object, sent: int) -> str:
    """One reminder row per group episode and count: a replay never doubles a reminder."""
    return _key(REMINDER_KIND, ghash, receiver, started, sent)
