"""Silences in the pipeline: the muter, and the lifecycle rows that run around a silence's end.

Lifecycle, as outbox rows of kind ``silence_expiry`` written when a silence is created:

- ``warn_owner`` at ``ends_at - fatigue.silence_expiry_warning``: if what the silence
  covers is still firing, each such incident gets a ``silence_expiring`` timeline event
  naming the owner (``created_by``) and the silence's ``owner_warned_at`` is set. The owner
  is a free-form name, not a receiver, so the hub records the warning rather than guessing
  a channel; the events show up in the incident API and the silence in ``GET /silences``.
- ``expired`` at the moment the silence stops applying (``ends_at``, or the time it was
  deleted): every still-firing incident it covered gets a ``silence_expired`` event and its
  group is flushed at once, so the pipeline notifies it now instead of at the next
  Alertmanager repeat. Dedup sees those incidents as new to the receiver (they were muted
  before it), so the message goes out; incidents a receiver already heard of stay quiet.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from hub.model.keys import rerun_flush_key, silence_step_key
from hub.model.outbox import FlushBody, SilenceStepBody, SilenceStepKind
from hub.model.reasons import SuppressReason
from hub.pipeline.stage import Alerts, FlushContext
from hub.store.events import add_events
from hub.store.outbox import OutboxRow, complete, enqueue
from hub.store.silences import (
    CoveredIncident,
    Silence,
    active_silences,
    firing_covered,
    get_silence,
    mark_owner_warned,
    open_group_members,
)

log = logging.getLogger(__name__)


def silenced_by(
    silences: Iterable[Silence], labels: Mapping[str, str], now: datetime
) -> Silence | None:
    """The first silence active at ``now`` that matches ``labels``, or None."""
    for silence in silences:
        if silence.is_active_at(now) and silence.covers(labels):
            return silence
    return None


@dataclass(frozen=True)
class SilenceMuter:
    """Mutes firing incidents while an active silence matches their labels."""

    reason: SuppressReason = SuppressReason.SILENCED

    async def muted(self, ctx: FlushContext, alerts: Alerts) -> set[int]:
        if not alerts:
            return set()
        silences = await active_silences(ctx.conn, ctx.now)
        return {a.id for a in alerts if silenced_by(silences, a.labels, ctx.now) is not None}


def lifecycle_schedule(
    silence: Silence, now: datetime, warning: timedelta
) -> list[tuple[SilenceStepKind, datetime]]:
    """When to warn the owner (never before the silence starts) and when it has expired."""
    steps: list[tuple[SilenceStepKind, datetime]] = []
    if warning > timedelta(0):
        warn_at = max(silence.ends_at - warning, silence.starts_at, now)
        if warn_at < silence.ended_at:
            steps.append((SilenceStepKind.WARN_OWNER, warn_at))
    steps.append((SilenceStepKind.EXPIRED, silence.ended_at))
    return steps


async def schedule_lifecycle(
    conn: AsyncConnection, silence: Silence, now: datetime, warning: timedelta
) -> None:
    """Write the silence's lifecycle rows in the caller's transaction."""
    for step, due_at in lifecycle_schedule(silence, now, warning):
        await _enqueue_step(conn, silence, step, due_at)


async def schedule_expired_now(conn: AsyncConnection, silence: Silence) -> None:
    """After a silence is deleted: run its ``expired`` step at the time it stopped."""
    await _enqueue_step(conn, silence, SilenceStepKind.EXPIRED, silence.ended_at)


async def _enqueue_step(
    conn: AsyncConnection, silence: Silence, step: SilenceStepKind, due_at: datetime
) -> None:
    body = SilenceStepBody(silence_id=silence.id, step=step, at=due_at)
    await enqueue(conn, silence_step_key(silence.id, step, due_at.isoformat()), body, due_at)


class SilenceLifecycleHandler:
    """Runs due ``silence_expiry`` rows; each in one transaction with its completion."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def __call__(self, row: OutboxRow, now: datetime) -> None:
        body = SilenceStepBody.parse(row.payload)
        async with self._engine.begin() as conn:
            silence = await get_silence(conn, body.silence_id)
            if silence is not None and body.step is SilenceStepKind.WARN_OWNER:
                await warn_owner(conn, silence, now)
            elif silence is not None:
                await notify_expired(conn, silence, body.at, now)
            await complete(conn, row.id, now)


async def warn_owner(conn: AsyncConnection, silence: Silence, now: datetime) -> bool:
    """Record the expiry warning on what the silence still holds down; False if nothing."""
    if not silence.is_active_at(now) or silence.owner_warned_at is not None:
        return False
    covered = await firing_covered(conn, silence)
    if not covered:
        return False
    detail = {
        "silence_id": silence.id,
        "owner": silence.created_by,
        "ends_at": silence.ends_at.isoformat(),
    }
    await add_events(conn, [(c.id, "silence_expiring", detail) for c in covered], now)
    await mark_owner_warned(conn, silence.id, now)
    log.warning("silence_expiring", extra={**detail, "incidents": len(covered)})
    return True


async def notify_expired(
    conn: AsyncConnection, silence: Silence, at: datetime, now: datetime
) -> int:
    """Flush at once the groups of still-firing incidents the silence held; returns how many.

    ``at`` is when the row expected the silence to end; a row made stale by an earlier
    delete does nothing (the delete wrote its own row).
    """
    if silence.ended_at != at or silence.ended_at > now:
        return 0
    covered = await firing_covered(conn, silence)
    if not covered:
        return 0
    detail = {"silence_id": silence.id, "owner": silence.created_by}
    await add_events(conn, [(c.id, "silence_expired", detail) for c in covered], now)
    groups = _groups(covered)
    for receiver, group_key in groups:
        members = await open_group_members(conn, receiver, group_key)
        key = rerun_flush_key(receiver, group_key, f"silence:{silence.id}")
        await enqueue(conn, key, FlushBody.for_open_group(receiver, group_key, members), now)
    log.info("silence_expired", extra={**detail, "groups": len(groups)})
    return len(groups)


def _groups(covered: Sequence[CoveredIncident]) -> list[tuple[str, str]]:
    return list(dict.fromkeys((c.receiver, c.group_key) for c in covered))
