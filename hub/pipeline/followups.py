"""Follow-ups on the hub's own schedule: reminders while a group fires unacked, and escalation."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam
from sqlalchemy.ext.asyncio import AsyncEngine

from hub.config.fatigue import FatigueConfig
from hub.pipeline.dedup import severity_rank
from hub.pipeline.enqueue import REMINDER_KIND, enqueue_deliveries, reminder_key
from hub.pipeline.flush import load_views
from hub.pipeline.reasons import NotifyReason, SuppressReason
from hub.pipeline.reminders import next_reminder_at
from hub.store.events import add_events
from hub.store.notify_log import group_hash
from hub.store.outbox import OutboxRow, complete, enqueue
from hub.store.schema import incidents


class _FollowUp:
    """What every follow-up handler needs: the store, each receiver's channels, the policy."""

    def __init__(
        self, engine: AsyncEngine, channels: Mapping[str, Sequence[str]], fatigue: FatigueConfig
    ) -> None:
        self._engine = engine
        self._channels = channels
        self._fatigue = fatigue


class ReminderHandler(_FollowUp):
    """Handles due ``reminder`` rows: remind, schedule the next (backing off), or stop."""

    async def __call__(self, row: OutboxRow, now: datetime) -> None:
        p = row.payload
        async with self._engine.begin() as conn:
            views = await load_views(conn, p["incident_ids"])
            firing = [v for v in views if v.is_firing]
            waiting = [v for v in firing if not v.acked_by]
            if firing and not waiting:
                detail = {"reason": SuppressReason.ACKNOWLEDGED.value, "receiver": p["receiver"]}
                await add_events(conn, [(v.id, "suppressed", detail) for v in firing], now)
            if waiting:
                await self._remind(conn, p, waiting, now)
            await complete(conn, row.id, now)

    async def _remind(
        self, conn: Any, p: Mapping[str, Any], waiting: Sequence[Any], now: datetime
    ) -> None:
        sent = int(p["sent"]) + 1
        body = {
            **p,
            "incident_ids": [v.id for v in waiting],
            "reason": NotifyReason.REMINDER_DUE.value,
            "kind": "reminder",
            "in_place": False,
            "sent": sent,
        }
        await enqueue_deliveries(
            conn, self._channels.get(p["receiver"], ()), body, f"reminder|{sent}", now
        )
        await conn.execute(
            incidents.update()
            .where(incidents.c.id == bindparam("iid"))
            .values(reminders_sent=incidents.c.reminders_sent + 1),
            [{"iid": v.id} for v in waiting],
        )
        worst = max(waiting, key=lambda v: severity_rank(v.severity))
        policy = self._fatigue.reminder_policy(worst.severity)
        due = next_reminder_at(datetime.fromisoformat(p["started_at"]), sent, policy)
        if due is not None and policy.first is not None:
            # After downtime, catch up with one reminder, not a burst.
            due = max(due, now + policy.first)
            first_id = min(p["incident_ids"])
            key = reminder_key(group_hash(p["group_key"]), p["receiver"], first_id, sent)
            await enqueue(conn, REMINDER_KIND, key, body, due)


class EscalationHandler(_FollowUp):
    """An unacknowledged critical after ``fatigue.escalation.after`` goes to ``escalate_to``."""

    async def __call__(self, row: OutboxRow, now: datetime) -> None:
        p = row.payload
        rule = self._fatigue.escalation
        async with self._engine.begin() as conn:
            views = await load_views(conn, p["incident_ids"])
            waiting = [v for v in views if v.is_firing and not v.acked_by]
            if rule is not None and waiting:
                body = {
                    **p,
                    "receiver": rule.escalate_to,
                    "escalated_from": p["receiver"],
                    "incident_ids": [v.id for v in waiting],
                    "reason": NotifyReason.ESCALATED.value,
                    "kind": "firing",
                    "in_place": False,
                }
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
