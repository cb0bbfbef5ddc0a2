"""Follow-ups on the hub's own schedule: reminders while a group fires unacked, and escalation."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlalchemy import bindparam
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from hub.config.fatigue import FatigueConfig
from hub.metrics import HubMetrics
from hub.model.keys import group_hash, reminder_key
from hub.model.notify import NotifyKind
from hub.model.outbox import EscalationBody, ReminderBody
from hub.model.reasons import NotifyReason, SuppressReason
from hub.pipeline.decisions.dedup import severity_rank
from hub.pipeline.decisions.reminders import next_reminder_at
from hub.pipeline.enqueue import enqueue_deliveries
from hub.pipeline.flush import load_views
from hub.pipeline.stage import IncidentView
from hub.pipeline.suppress import record_suppression
from hub.store.events import add_events
from hub.store.outbox import OutboxRow, complete, enqueue
from hub.store.schema import incidents


class _FollowUp:
    """What every follow-up handler needs: the store, each receiver's channels, the policy."""

    def __init__(
        self,
        engine: AsyncEngine,
        channels: Mapping[str, Sequence[str]],
        fatigue: FatigueConfig,
        metrics: HubMetrics | None,
    ) -> None:
        self._engine = engine
        self._channels = channels
        self._fatigue = fatigue
        self._metrics = metrics


class ReminderHandler(_FollowUp):
    """Handles due ``reminder`` rows: remind, schedule the next (backing off), or stop.

    An acknowledged group is not reminded of: ``suppressed(acknowledged)``.
    """

    async def __call__(self, row: OutboxRow, now: datetime) -> None:
        body = ReminderBody.parse(row.payload)
        async with self._engine.begin() as conn:
            views = await load_views(conn, body.incident_ids)
            firing = [v for v in views if v.is_firing]
            waiting = [v for v in firing if not v.acked_by]
            if firing and not waiting:
                await record_suppression(
                    conn, self._metrics, [v.id for v in firing], SuppressReason.ACKNOWLEDGED,
                    receiver=body.receiver, now=now,
                )  # fmt: skip
            if waiting:
                await self._remind(conn, body, waiting, now)
            await complete(conn, row.id, now)

    async def _remind(
        self,
        conn: AsyncConnection,
        due: ReminderBody,
        waiting: Sequence[IncidentView],
        now: datetime,
    ) -> None:
        sent = due.sent + 1
        body = due.replaced(
            incident_ids=tuple(v.id for v in waiting),
            reason=NotifyReason.REMINDER_DUE,
            kind=NotifyKind.REMINDER,
            in_place=False,
            sent=sent,
        )
        channels = self._channels.get(body.receiver, ())
        await enqueue_deliveries(conn, channels, body, f"reminder|{sent}", now)
        await conn.execute(
            incidents.update()
            .where(incidents.c.id == bindparam("iid"))
            .values(reminders_sent=incidents.c.reminders_sent + 1),
            [{"iid": v.id} for v in waiting],
        )
        worst = max(waiting, key=lambda v: severity_rank(v.severity))
        policy = self._fatigue.reminder_policy(worst.severity)
        next_at = next_reminder_at(due.started_at, sent, policy)
        if next_at is not None and policy.first is not None:
            # After downtime, catch up with one reminder, not a burst.
            next_at = max(next_at, now + policy.first)
            first_id = min(due.incident_ids)
            key = reminder_key(group_hash(body.group_key), body.receiver, first_id, sent)
            await enqueue(conn, key, body, next_at)


class EscalationHandler(_FollowUp):
    """An unacknowledged critical after ``fatigue.escalation.after`` goes to ``escalate_to``."""

    async def __call__(self, row: OutboxRow, now: datetime) -> None:
        due = EscalationBody.parse(row.payload)
        rule = self._fatigue.escalation
        async with self._engine.begin() as conn:
            views = await load_views(conn, due.incident_ids)
            waiting = [v for v in views if v.is_firing and not v.acked_by]
            if rule is not None and waiting:
                body = due.replaced(
                    receiver=rule.escalate_to,
                    escalated_from=due.receiver,
                    incident_ids=tuple(v.id for v in waiting),
                    reason=NotifyReason.ESCALATED,
                    kind=NotifyKind.FIRING,
                    in_place=False,
                )
                channels = self._channels.get(rule.escalate_to, ())
                await enqueue_deliveries(conn, channels, body, f"escalated|{row.id}", now)
                await conn.execute(
                    incidents.update()
                    .where(incidents.c.id.in_([v.id for v in waiting]))
                    .values(escalated_at=now)
                )
                detail = {"to": rule.escalate_to, "after_s": rule.after.total_seconds()}
                await add_events(conn, [(v.id, "escalated", detail) for v in waiting], now)
            await complete(conn, row.id, now)
