"""Actions in the store: rows, status changes with their timeline events, and the facts the
policy decision reads (pause flag, hourly budget, a target's cooldown and circuit)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from hub.remediate.circuit import Circuit, circuit_for
from hub.remediate.config import RemediationConfig
from hub.remediate.model import (
    CALLED_STATUSES,
    COOLDOWN_STATUSES,
    ActionKind,
    ActionMode,
    ActionStatus,
)
from hub.remediate.policy import PolicyFacts
from hub.store.dialect import insert_for
from hub.store.events import add_events
from hub.store.schema import actions, circuit_resets, incident_events, remediation_state

ACTION_EVENT = "action"
SUGGESTED_EVENT = "action_suggested"
_OUTCOMES = (ActionStatus.SUCCEEDED, ActionStatus.FAILED, ActionStatus.NO_EFFECT)


@dataclass(frozen=True)
class ActionRow:
    """One action as stored."""

    id: int
    incident_id: int
    policy: str
    action: ActionKind
    target_kind: str
    target_namespace: str
    target_name: str
    mode: ActionMode
    status: ActionStatus
    reason: str
    detail: str
    requested_by: str | None
    approved_by: str | None
    params: dict[str, Any]
    created_at: datetime
    expires_at: datetime | None
    called_at: datetime | None
    rolled_out_at: datetime | None
    finished_at: datetime | None


def _row(r: Any) -> ActionRow:
    return ActionRow(
        id=r.id,
        incident_id=r.incident_id,
        policy=r.policy,
        action=ActionKind(r.action),
        target_kind=r.target_kind,
        target_namespace=r.target_namespace,
        target_name=r.target_name,
        mode=ActionMode(r.mode),
        status=ActionStatus(r.status),
        reason=r.reason,
        detail=r.detail,
        requested_by=r.requested_by,
        approved_by=r.approved_by,
        params=dict(r.params or {}),
        created_at=r.created_at,
        expires_at=r.expires_at,
        called_at=r.called_at,
        rolled_out_at=r.rolled_out_at,
        finished_at=r.finished_at,
    )


async def insert_action(conn: AsyncConnection, values: dict[str, Any]) -> int | None:
    """Insert an action; None when this incident's automatic decision for the policy exists."""
    stmt = (
        insert_for(conn, actions)
        .on_conflict_do_nothing(
            index_elements=["incident_id", "policy"],
            index_where=actions.c.requested_by.is_(None),
        )
        .returning(actions.c.id)
    )
    return await conn.scalar(stmt, values)


async def load_action(
    conn: AsyncConnection, action_id: int, *, lock: bool = False
) -> ActionRow | None:
    stmt = select(actions).where(actions.c.id == action_id)
    if lock and conn.dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    row = (await conn.execute(stmt)).first()
    return _row(row) if row is not None else None


async def update_action(conn: AsyncConnection, action_id: int, **values: Any) -> None:
    await conn.execute(actions.update().where(actions.c.id == action_id).values(**values))


def event_detail(action: ActionRow, **extra: Any) -> dict[str, Any]:
    """The timeline event of an action step: which action, on what, and where it stands."""
    return {
        "action_id": action.id,
        "policy": action.policy,
        "action": action.action.value,
        "target": target_dict(action),
        **extra,
    }


def target_dict(action: ActionRow) -> dict[str, str]:
    return {
        "kind": action.target_kind,
        "namespace": action.target_namespace,
        "name": action.target_name,
    }


async def record_event(
    conn: AsyncConnection, action: ActionRow, now: datetime, **detail: Any
) -> None:
    await add_events(
        conn, [(action.incident_id, ACTION_EVENT, event_detail(action, **detail))], now
    )


async def is_paused(conn: AsyncConnection) -> bool:
    paused = await conn.scalar(
        select(remediation_state.c.paused).where(remediation_state.c.id == 1)
    )
    return bool(paused)


async def set_paused(conn: AsyncConnection, paused: bool, by: str, now: datetime) -> None:
    values = {"paused": int(paused), "changed_by": by, "changed_at": now}
    stmt = insert_for(conn, remediation_state).values(id=1, **values)
    await conn.execute(stmt.on_conflict_do_update(index_elements=["id"], set_=values))


async def reset_circuit(
    conn: AsyncConnection, namespace: str, name: str, by: str, now: datetime
) -> None:
    values = {"reset_by": by, "reset_at": now}
    stmt = insert_for(conn, circuit_resets).values(
        target_namespace=namespace, target_name=name, **values
    )
    await conn.execute(
        stmt.on_conflict_do_update(index_elements=["target_namespace", "target_name"], set_=values)
    )


async def circuit_of(
    conn: AsyncConnection, namespace: str, name: str, max_failures: int
) -> Circuit:
    """The target's breaker, judged on its outcomes since an operator last reset it."""
    reset_at = await conn.scalar(
        select(circuit_resets.c.reset_at).where(
            circuit_resets.c.target_namespace == namespace, circuit_resets.c.target_name == name
        )
    )
    stmt = (
        select(actions.c.status)
        .where(actions.c.target_namespace == namespace, actions.c.target_name == name)
        .where(actions.c.status.in_([s.value for s in _OUTCOMES]))
        .order_by(actions.c.finished_at, actions.c.id)
    )
    if reset_at is not None:
        stmt = stmt.where(actions.c.finished_at > reset_at)
    outcomes = [ActionStatus(s) for s in (await conn.scalars(stmt)).all()]
    return circuit_for(outcomes, max_failures)


async def policy_facts(
    conn: AsyncConnection,
    config: RemediationConfig,
    *,
    namespace: str,
    name: str,
    max_failures: int,
    now: datetime,
    exclude_id: int | None = None,
) -> PolicyFacts:
    """Everything the decision reads, in the caller's transaction."""
    called = await conn.scalar(
        select(func.count())
        .select_from(actions)
        .where(actions.c.called_at >= now - timedelta(hours=1))
        .where(actions.c.status.in_([s.value for s in CALLED_STATUSES]))
    )
    last = select(func.max(actions.c.created_at)).where(
        actions.c.target_namespace == namespace,
        actions.c.target_name == name,
        actions.c.status.in_([s.value for s in COOLDOWN_STATUSES]),
    )
    if exclude_id is not None:
        last = last.where(actions.c.id != exclude_id)
    return PolicyFacts(
        now=now,
        enabled=config.enabled,
        paused=await is_paused(conn),
        dry_run=config.dry_run,
        max_actions_per_hour=config.max_actions_per_hour,
        actions_last_hour=int(called or 0),
        last_action_at=await conn.scalar(last),
        circuit=await circuit_of(conn, namespace, name, max_failures),
    )


async def list_actions(
    conn: AsyncConnection,
    *,
    status: str | None = None,
    incident_id: int | None = None,
    since: datetime | None = None,
    limit: int = 100,
) -> list[ActionRow]:
    stmt = select(actions).order_by(actions.c.id.desc()).limit(limit)
    if status is not None:
        stmt = stmt.where(actions.c.status == status)
    if incident_id is not None:
        stmt = stmt.where(actions.c.incident_id == incident_id)
    if since is not None:
        stmt = stmt.where(actions.c.created_at >= since)
    return [_row(r) for r in await conn.execute(stmt)]


async def actions_of_incidents(
    conn: AsyncConnection, incident_ids: Sequence[int]
) -> list[ActionRow]:
    if not incident_ids:
        return []
    stmt = select(actions).where(actions.c.incident_id.in_(incident_ids)).order_by(actions.c.id)
    return [_row(r) for r in await conn.execute(stmt)]


async def action_events(
    conn: AsyncConnection, rows: Sequence[ActionRow]
) -> dict[int, list[dict[str, Any]]]:
    """Each action's timeline events (``action`` events of its incident that name it)."""
    found: dict[int, list[dict[str, Any]]] = {r.id: [] for r in rows}
    if not rows:
        return found
    stmt = (
        select(incident_events.c.at, incident_events.c.detail)
        .where(incident_events.c.incident_id.in_({r.incident_id for r in rows}))
        .where(incident_events.c.type == ACTION_EVENT)
        .order_by(incident_events.c.id)
    )
    for at, detail in await conn.execute(stmt):
        action_id = detail.get("action_id")
        if action_id in found:
            step = {k: v for k, v in detail.items() if k not in ("action_id", "policy", "target")}
            found[action_id].append({"at": at.isoformat(), **step})
    return found


async def suggestions_of_incidents(
    conn: AsyncConnection, incident_ids: Sequence[int]
) -> list[dict[str, Any]]:
    if not incident_ids:
        return []
    stmt = (
        select(incident_events.c.detail)
        .where(incident_events.c.incident_id.in_(incident_ids))
        .where(incident_events.c.type == SUGGESTED_EVENT)
        .order_by(incident_events.c.id)
    )
    return [dict(d) for d in (await conn.scalars(stmt)).all()]
