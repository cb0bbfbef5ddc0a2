"""What people do to actions (approve, reject, ask by hand) and to remediation as a whole
(pause, resume, close a circuit); each is one transaction of store changes and outbox rows."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from hub.metrics import HubMetrics
from hub.model.outbox import ActionStep
from hub.remediate.config import RemediationConfig
from hub.remediate.evaluate import Proposal, propose
from hub.remediate.kube import rfc3339
from hub.remediate.messages import ActionEdits
from hub.remediate.model import ActionKind, ActionReason, ActionStatus
from hub.remediate.outbox import enqueue_step
from hub.remediate.policy import decide_approval
from hub.remediate.store import (
    ActionRow,
    load_action,
    policy_facts,
    record_event,
    reset_circuit,
    set_paused,
    update_action,
)
from hub.store.schema import incidents

log = logging.getLogger(__name__)


class ActionError(Exception):
    """The request cannot be done; ``status`` is the HTTP answer."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


async def _pending(conn: AsyncConnection, action_id: int, now: datetime) -> ActionRow:
    action = await load_action(conn, action_id, lock=True)
    if action is None:
        raise ActionError(404, f"action {action_id} not found")
    if action.status is not ActionStatus.PENDING_APPROVAL:
        raise ActionError(409, f"action {action_id} is {action.status.value}, not pending_approval")
    if action.expires_at is not None and now >= action.expires_at:
        raise ActionError(409, f"action {action_id} was not approved in time")
    return action


async def approve(
    conn: AsyncConnection,
    config: RemediationConfig,
    *,
    action_id: int,
    by: str,
    now: datetime,
    metrics: HubMetrics,
    edits: ActionEdits,
) -> ActionRow:
    """An operator says yes: re-check what may have changed, then queue the call."""
    action = await _pending(conn, action_id, now)
    policy = config.policy(action.policy)
    if policy is None:
        raise ActionError(409, f"policy {action.policy!r} is no longer configured")
    facts = await policy_facts(
        conn,
        config,
        namespace=action.target_namespace,
        name=action.target_name,
        max_failures=policy.max_failures,
        now=now,
        exclude_id=action.id,
    )
    verdict = decide_approval(facts)
    assert verdict.status is not None
    values: dict[str, object] = {
        "status": verdict.status.value,
        "reason": verdict.reason.value,
        "detail": verdict.detail,
        "approved_by": by,
    }
    if verdict.runs:
        params = dict(action.params)
        if action.action is ActionKind.ROLLOUT_RESTART:
            params["restarted_at"] = rfc3339(now)
        values["params"] = params
        await enqueue_step(conn, action.id, ActionStep.CALL, now)
    else:
        values["finished_at"] = now
    await update_action(conn, action.id, **values)
    return await _decided(
        conn, action, verdict.status, now, metrics=metrics, edits=edits,
        reason=verdict.reason.value, detail=verdict.detail, by=by,
    )  # fmt: skip


async def reject(
    conn: AsyncConnection,
    *,
    action_id: int,
    by: str,
    now: datetime,
    metrics: HubMetrics,
    edits: ActionEdits,
) -> ActionRow:
    action = await _pending(conn, action_id, now)
    await update_action(
        conn,
        action.id,
        status=ActionStatus.REJECTED.value,
        reason=ActionReason.REJECTED.value,
        params={**action.params, "rejected_by": by},
        finished_at=now,
    )
    return await _decided(
        conn, action, ActionStatus.REJECTED, now, metrics=metrics, edits=edits, by=by
    )


async def _decided(
    conn: AsyncConnection,
    action: ActionRow,
    status: ActionStatus,
    now: datetime,
    *,
    metrics: HubMetrics,
    edits: ActionEdits,
    **event: Any,
) -> ActionRow:
    """A person's decision, after the row is updated: audit it, edit the message, count it."""
    await record_event(conn, action, now, status=status.value, **event)
    await edits.enqueue(conn, action.incident_id, f"{action.id}|{status.value}", now)
    metrics.actions.labels(action.action.value, status.value).inc()
    fresh = await load_action(conn, action.id)
    assert fresh is not None
    return fresh


async def request(
    conn: AsyncConnection,
    config: RemediationConfig,
    *,
    incident_id: int,
    policy_name: str,
    by: str,
    now: datetime,
    metrics: HubMetrics,
    edits: ActionEdits,
) -> Proposal:
    """A person asks for a policy's action on an incident; every rule still applies."""
    policy = config.policy(policy_name)
    if policy is None:
        raise ActionError(404, f"policy: no remediation policy named {policy_name!r}")
    row = (
        await conn.execute(
            select(incidents.c.labels, incidents.c.resolved_at).where(incidents.c.id == incident_id)
        )
    ).first()
    if row is None:
        raise ActionError(404, f"incident {incident_id} not found")
    if row.resolved_at is not None:
        raise ActionError(409, f"incident {incident_id} is already resolved")
    return await propose(
        conn,
        config,
        policy,
        incident_id=incident_id,
        labels=row.labels,
        now=now,
        requested_by=by,
        metrics=metrics,
        edits=edits,
    )


async def pause(conn: AsyncConnection, paused: bool, by: str, now: datetime) -> None:
    await set_paused(conn, paused, by, now)
    log.warning("remediation_paused" if paused else "remediation_resumed", extra={"by": by})


async def close_circuit(
    conn: AsyncConnection, namespace: str, name: str, by: str, now: datetime
) -> None:
    await reset_circuit(conn, namespace, name, by, now)
    log.warning("circuit_reset", extra={"target": f"{namespace}/{name}", "by": by})
