"""Create and expire silences, mirrored into Alertmanager: the API and the bot share this.

The hub's silence is the record. Alertmanager's copy (when ``alertmanager.url`` is set) is
a courtesy that makes the source go quiet too: if Alertmanager cannot be reached the hub
silence still stands, its ``alertmanager_id`` stays null and the caller gets a warning.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from hub.alertmanager_client import AlertmanagerClient, AlertmanagerError, PostableSilence
from hub.pipeline.silence import schedule_expired_now, schedule_lifecycle
from hub.store.silences import (
    NewSilence,
    Silence,
    SilenceState,
    expire_silence,
    get_silence,
    insert_silence,
    set_alertmanager_id,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Silencer:
    """What silencing needs: the store, the optional Alertmanager, the owner warning lead."""

    engine: AsyncEngine
    alertmanager: AlertmanagerClient | None
    expiry_warning: timedelta


@dataclass(frozen=True)
class SilenceOutcome:
    """The silence as stored, and what did not work on the way (Alertmanager unreachable)."""

    silence: Silence
    warnings: tuple[str, ...] = ()


async def create_silence(silencer: Silencer, new: NewSilence, now: datetime) -> SilenceOutcome:
    """Store the silence with its lifecycle rows, then mirror it into Alertmanager."""
    async with silencer.engine.begin() as conn:
        silence = await insert_silence(conn, new, now)
        await schedule_lifecycle(conn, silence, now, silencer.expiry_warning)
    if silencer.alertmanager is None:
        return SilenceOutcome(silence)
    postable = PostableSilence(
        silence.matchers, silence.starts_at, silence.ends_at, silence.created_by, silence.comment
    )
    try:
        am_id = await silencer.alertmanager.create_silence(postable)
    except AlertmanagerError as exc:
        log.warning("alertmanager_silence_failed", extra={"silence": silence.id, "error": str(exc)})
        return SilenceOutcome(silence, (f"alertmanager: silence not created there: {exc}",))
    async with silencer.engine.begin() as conn:
        await set_alertmanager_id(conn, silence.id, am_id, now)
    return SilenceOutcome(replace(silence, alertmanager_id=am_id, updated_at=now))


async def expire_silence_now(
    silencer: Silencer, silence_id: int, now: datetime
) -> SilenceOutcome | None:
    """Expire the silence now (an expired one stays as it was) and in Alertmanager too."""
    async with silencer.engine.begin() as conn:
        silence = await get_silence(conn, silence_id)
        if silence is not None and silence.state_at(now) is not SilenceState.EXPIRED:
            silence = await expire_silence(conn, silence_id, now)
            if silence is not None:
                await schedule_expired_now(conn, silence)
    if silence is None:
        return None
    return SilenceOutcome(silence, tuple(await _mirror_expire(silencer, silence, now)))


async def _mirror_expire(silencer: Silencer, silence: Silence, now: datetime) -> list[str]:
    """Expire Alertmanager's copy unless it has run out on its own already."""
    am = silencer.alertmanager
    if am is None or silence.alertmanager_id is None or silence.ends_at <= now:
        return []
    try:
        await am.expire_silence(silence.alertmanager_id)
    except AlertmanagerError as exc:
        log.warning("alertmanager_expire_failed", extra={"silence": silence.id, "error": str(exc)})
        return [f"alertmanager: silence {silence.alertmanager_id} not expired there: {exc}"]
    return []
