"""When a firing incident matches a policy: decide, record the action, queue what follows.

``RemediationStage`` runs in the flush pipeline and judges each incident once (the
incident row is marked in the same transaction); ``propose`` is also what a request by
hand goes through, so both meet every rule.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncConnection

from hub.api.metrics import HubMetrics
from hub.config.models import HubConfig
from hub.pipeline.stage import Alerts, FlushContext
from hub.remediate.config import PolicyConfig, RemediationConfig
from hub.remediate.kube import rfc3339
from hub.remediate.messages import ActionEdits
from hub.remediate.model import ActionKind, ActionStatus
from hub.remediate.outbox import Step, enqueue_step
from hub.remediate.policy import Verdict, decide
from hub.remediate.store import (
    SUGGESTED_EVENT,
    ActionRow,
    insert_action,
    load_action,
    policy_facts,
    record_event,
)
from hub.remediate.target import RenderedTarget, render_target
from hub.routing.matchers import all_match
from hub.store.events import add_events
from hub.store.schema import incidents

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Proposal:
    """What became of a policy's action for an incident (``action`` None: a suggestion,
    or another replica decided it first)."""

    verdict: Verdict
    action: ActionRow | None


def _target_fields(policy: PolicyConfig, rendered: RenderedTarget) -> dict[str, str]:
    return {
        "target_kind": policy.target.kind.value,
        "target_namespace": rendered.namespace,
        "target_name": rendered.name,
    }


async def propose(
    conn: AsyncConnection,
    config: RemediationConfig,
    policy: PolicyConfig,
    *,
    incident_id: int,
    labels: Mapping[str, str],
    now: datetime,
    edits: ActionEdits,
    requested_by: str | None = None,
    metrics: HubMetrics | None = None,
) -> Proposal:
    """Judge one policy for one incident and write the outcome in the caller's transaction."""
    rendered = render_target(policy.target_template, labels)
    facts = await policy_facts(
        conn,
        config,
        namespace=rendered.namespace,
        name=rendered.name,
        max_failures=policy.max_failures,
        now=now,
    )
    verdict = decide(policy, rendered, facts, requested=requested_by is not None)
    if verdict.status is None:
        detail = {
            "policy": policy.name,
            "action": policy.action.value,
            "target": {
                "kind": policy.target.kind.value,
                "namespace": rendered.namespace,
                "name": rendered.name,
            },
        }
        await add_events(conn, [(incident_id, SUGGESTED_EVENT, detail)], now)
        await edits.enqueue(conn, incident_id, f"suggested|{policy.name}", now)
        return Proposal(verdict, None)
    params: dict[str, str] = {}
    if verdict.status is ActionStatus.RUNNING and policy.action is ActionKind.ROLLOUT_RESTART:
        params["restarted_at"] = rfc3339(now)
    pending = verdict.status is ActionStatus.PENDING_APPROVAL
    action_id = await insert_action(
        conn,
        {
            "incident_id": incident_id,
            "policy": policy.name,
            "action": policy.action.value,
            **_target_fields(policy, rendered),
            "mode": policy.mode.value,
            "status": verdict.status.value,
            "reason": verdict.reason.value,
            "detail": verdict.detail,
            "requested_by": requested_by,
            "params": params,
            "created_at": now,
            "expires_at": now + policy.approval_timeout if pending else None,
            "finished_at": now
            if verdict.status in (ActionStatus.REFUSED, ActionStatus.DRY_RUN)
            else None,
        },
    )
    if action_id is None:
        return Proposal(verdict, None)
    action = await load_action(conn, action_id)
    assert action is not None
    await record_event(
        conn,
        action,
        now,
        status=verdict.status.value,
        reason=verdict.reason.value,
        detail=verdict.detail,
        by=requested_by,
    )
    if pending:
        await enqueue_step(conn, action.id, Step.EXPIRE, now + policy.approval_timeout)
    elif verdict.runs:
        await enqueue_step(conn, action.id, Step.CALL, now)
    await edits.enqueue(conn, incident_id, f"{action.id}|{verdict.status}", now)
    if metrics is not None:
        metrics.actions.labels(policy.action.value, verdict.status.value).inc()
    log.info(
        "action_decided",
        extra={
            "action_id": action.id,
            "policy": policy.name,
            "status": verdict.status.value,
            "reason": verdict.reason.value,
        },
    )
    return Proposal(verdict, action)


@dataclass(frozen=True)
class RemediationStage:
    """Judge each firing incident of the flush against the policies, once per incident."""

    config: RemediationConfig
    edits: ActionEdits

    @classmethod
    def from_config(cls, config: HubConfig) -> RemediationStage:
        return cls(config.remediation, ActionEdits.from_config(config))

    async def run(self, ctx: FlushContext, alerts: Alerts) -> Alerts:
        firing = [a for a in alerts if a.is_firing]
        if not self.config.policies or not firing:
            return alerts
        claimed = set(
            (
                await ctx.conn.scalars(
                    update(incidents)
                    .where(incidents.c.id.in_([a.id for a in firing]))
                    .where(incidents.c.remediation_evaluated_at.is_(None))
                    .values(remediation_evaluated_at=ctx.now)
                    .returning(incidents.c.id)
                )
            ).all()
        )
        for alert in firing:
            if alert.id not in claimed:
                continue
            for policy in self.config.policies:
                if all_match(policy.matchers, alert.labels):
                    await propose(
                        ctx.conn,
                        self.config,
                        policy,
                        incident_id=alert.id,
                        labels=alert.labels,
                        now=ctx.now,
                        edits=self.edits,
                        metrics=ctx.metrics,
                    )
        return alerts
