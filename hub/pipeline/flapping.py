"""FlappingStage: an identity that keeps firing and resolving gets one notice, then quiet."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from hub.model.policies import FlapConfig
from hub.model.reasons import SuppressReason
from hub.pipeline.decisions.flapping import FlapDecision, decide_flap
from hub.pipeline.stage import Alerts, FlushContext, IncidentView
from hub.pipeline.suppress import record_suppressed
from hub.store.dialect import insert_for
from hub.store.schema import identity_state, incidents


@dataclass(frozen=True)
class FlappingStage:
    """Runs before routing: flapping is a property of the identity, not of a receiver.

    Sets ``ctx.flap_started``. A re-run deferred by a group timer carries the incidents
    its first run found starting to flap, so their one notice is not muted as "continuing".
    """

    cfg: FlapConfig

    async def run(self, ctx: FlushContext, alerts: Alerts) -> Alerts:
        fingerprints = sorted({a.fingerprint for a in alerts})
        since = min(a.started_at for a in alerts) - self.cfg.window - self.cfg.stable_for
        history = await _episodes(ctx.conn, fingerprints, since)
        states = await _flapping(ctx.conn, fingerprints)
        carried = set(ctx.flush.flap_started)
        started: list[int] = []
        muted: list[IncidentView] = []
        for fp in fingerprints:
            mine = [a for a in alerts if a.fingerprint == fp]
            decision = decide_flap(history.get(fp, []), self.cfg, states.get(fp, False))
            if decision is FlapDecision.CONTINUING and carried.issuperset(a.id for a in mine):
                started.extend(a.id for a in mine)  # its notice waited for a group timer
            elif decision is FlapDecision.STARTED:
                started.extend(a.id for a in mine)
                await _set_flapping(ctx.conn, fp, True, ctx.now, new_episode=True)
            elif decision is FlapDecision.CONTINUING:
                muted.extend(mine)
            elif decision is FlapDecision.ENDED:
                await _set_flapping(ctx.conn, fp, False, ctx.now, new_episode=False)
        await record_suppressed(ctx, muted, SuppressReason.FLAPPING)
        ctx.flap_started = frozenset(started)
        return [a for a in alerts if a not in muted]


async def _episodes(
    conn: AsyncConnection, fingerprints: list[str], since: datetime
) -> dict[str, list[tuple[datetime, datetime | None]]]:
    rows = await conn.execute(
        select(incidents.c.fingerprint, incidents.c.started_at, incidents.c.resolved_at)
        .where(incidents.c.fingerprint.in_(fingerprints))
        .where(incidents.c.started_at >= since)
    )
    out: dict[str, list[tuple[datetime, datetime | None]]] = {}
    for row in rows:
        out.setdefault(row.fingerprint, []).append((row.started_at, row.resolved_at))
    return out


async def _flapping(conn: AsyncConnection, fingerprints: list[str]) -> dict[str, bool]:
    rows = await conn.execute(
        select(identity_state.c.fingerprint, identity_state.c.flapping).where(
            identity_state.c.fingerprint.in_(fingerprints)
        )
    )
    return {row.fingerprint: bool(row.flapping) for row in rows}


async def _set_flapping(
    conn: AsyncConnection, fp: str, flapping: bool, now: datetime, *, new_episode: bool
) -> None:
    values: dict[str, Any] = {
        "fingerprint": fp,
        "flapping": int(flapping),
        "flap_started_at": now if flapping else None,
        "flap_episodes": int(new_episode),
        "updated_at": now,
    }
    stmt = insert_for(conn, identity_state).values(**values)
    update: dict[str, Any] = {"flapping": int(flapping), "updated_at": now}
    if new_episode:
        update["flap_started_at"] = now
        update["flap_episodes"] = identity_state.c.flap_episodes + 1
    await conn.execute(stmt.on_conflict_do_update(index_elements=["fingerprint"], set_=update))
