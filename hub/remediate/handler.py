"""Run an action's outbox rows: call the cluster, watch the rollout, verify, expire.

A crash never loses a step (it is a row) and never doubles an effect: whatever a call
depends on (the restart timestamp, the pod's uid, the replica count, the Job's name) is
committed before the call, so a call repeated after a crash changes nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from hub.api.metrics import HubMetrics
from hub.config.models import HubConfig
from hub.pipeline.backoff import next_delay
from hub.remediate.config import PolicyConfig
from hub.remediate.errors import KubeError, KubeFailureReason
from hub.remediate.kube import CallResult, KubeExecutor, job_name
from hub.remediate.messages import ActionEdits
from hub.remediate.model import (
    BAD_OUTCOMES,
    ActionKind,
    ActionReason,
    ActionStatus,
    Target,
    TargetKind,
)
from hub.remediate.outbox import Step, enqueue_step
from hub.remediate.scale import ScaleReason, plan_scale
from hub.remediate.store import ActionRow, circuit_of, load_action, record_event, update_action
from hub.store import outbox
from hub.store.outbox import OutboxRow
from hub.store.schema import incidents

log = logging.getLogger(__name__)


def poll_interval(window: timedelta) -> timedelta:
    """How often to look again while waiting: a thirtieth of the window, 0.1 s to 2 s."""
    return min(timedelta(seconds=2), max(timedelta(milliseconds=100), window / 30))


@dataclass(frozen=True)
class Outcome:
    status: ActionStatus
    reason: ActionReason | KubeFailureReason
    detail: str = ""


def _target(action: ActionRow) -> Target:
    return Target(TargetKind(action.target_kind), action.target_namespace, action.target_name)


class ActionHandler:
    """The outbox handler of ``action`` rows (one per step of one action)."""

    def __init__(
        self,
        engine: AsyncEngine,
        executor: KubeExecutor | None,
        config: HubConfig,
        metrics: HubMetrics,
    ) -> None:
        self._engine = engine
        self._executor = executor
        self._config = config.remediation
        self._delivery = config.delivery
        self._metrics = metrics
        self._edits = ActionEdits.from_config(config)

    async def __call__(self, row: OutboxRow, now: datetime) -> None:
        step = Step(row.payload["step"])
        async with self._engine.connect() as conn:
            action = await load_action(conn, int(row.payload["action_id"]))
        policy = self._config.policy(action.policy) if action is not None else None
        if action is None or policy is None or self._executor is None:
            if action is not None and action.status in (
                ActionStatus.RUNNING,
                ActionStatus.VERIFYING,
            ):
                why = "policy no longer configured" if policy is None else "no cluster access"
                await self._finish(
                    row, action, Outcome(ActionStatus.FAILED, KubeFailureReason.CONFIG, why), now
                )
                return
            await self._complete(row, now)
            return
        match step:
            case Step.CALL:
                await self._call(row, action, policy, self._executor, now)
            case Step.WATCH:
                await self._watch(row, action, policy, self._executor, now)
            case Step.VERIFY:
                await self._verify(row, action, policy, now)
            case Step.EXPIRE:
                await self._expire(row, action, now)

    # -- steps -------------------------------------------------------------------------

    async def _call(
        self,
        row: OutboxRow,
        action: ActionRow,
        policy: PolicyConfig,
        ex: KubeExecutor,
        now: datetime,
    ) -> None:
        if action.status is not ActionStatus.RUNNING or action.called_at is not None:
            await self._complete(row, now)  # replayed after the call was recorded
            return
        try:
            params = await self._prepare(action, policy, ex, now)
            if params is None:
                plan = Outcome(
                    ActionStatus.REFUSED,
                    ActionReason.REPLICAS_AT_LIMIT,
                    "already at the replica limit",
                )
                await self._finish(row, action, plan, now)
                return
            result = await self._make_call(action, params, ex)
        except KubeError as exc:
            await self._call_failed(row, action, exc, now)
            return
        await self._called(row, action, params, result, now)

    async def _prepare(
        self, action: ActionRow, policy: PolicyConfig, ex: KubeExecutor, now: datetime
    ) -> dict[str, Any] | None:
        """Fix everything the call depends on, and commit it before the call."""
        params = dict(action.params)
        target = _target(action)
        if action.action is ActionKind.ROLLOUT_RESTART and "restarted_at" not in params:
            raise AssertionError("restart without restarted_at")  # set when it was allowed
        if action.action is ActionKind.DELETE_POD and "uid" not in params:
            params["uid"] = await ex.pod_uid(target)
        if action.action is ActionKind.SCALE and "replicas" not in params:
            current = await ex.current_replicas(target)
            change = policy.replica_change
            assert change is not None
            assert policy.max_replicas is not None
            plan = plan_scale(
                change, current, low=policy.min_replicas or 0, high=policy.max_replicas
            )
            if plan.reason is ScaleReason.NO_CHANGE:
                return None
            params.update(replicas=plan.replicas, replicas_before=current, plan=plan.reason.value)
        if action.action is ActionKind.CREATE_JOB:
            params.setdefault("job", job_name(target.name, action.id))
        if params != action.params:
            async with self._engine.begin() as conn:
                await update_action(conn, action.id, params=params)
        return params

    async def _make_call(
        self, action: ActionRow, params: dict[str, Any], ex: KubeExecutor
    ) -> CallResult:
        target = _target(action)
        self._metrics.action_calls.labels(action.action.value).inc()
        match action.action:
            case ActionKind.ROLLOUT_RESTART:
                return await ex.rollout_restart(target, params["restarted_at"])
            case ActionKind.DELETE_POD:
                return await ex.delete_pod(target, params["uid"])
            case ActionKind.SCALE:
                return await ex.scale(target, int(params["replicas"]))
            case ActionKind.CREATE_JOB:
                return await ex.create_job(target, params["job"])

    async def _called(
        self,
        row: OutboxRow,
        action: ActionRow,
        params: dict[str, Any],
        result: CallResult,
        now: datetime,
    ) -> None:
        params = {**params, "generation": result.generation, "already_done": result.already_done}
        no_rollout = action.action is ActionKind.DELETE_POD
        async with self._engine.begin() as conn:
            values: dict[str, Any] = {"called_at": now, "params": params}
            if no_rollout:
                values.update(status=ActionStatus.VERIFYING.value, rolled_out_at=now)
            await update_action(conn, action.id, **values)
            fresh = await load_action(conn, action.id)
            assert fresh is not None
            await record_event(
                conn, fresh, now, status=fresh.status.value, step="called", detail=result.detail
            )
            await enqueue_step(conn, action.id, Step.VERIFY if no_rollout else Step.WATCH, now)
            await self._edits.enqueue(conn, action.incident_id, f"{action.id}|called", now)
            await outbox.complete(conn, row.id, now)
        if no_rollout:
            self._metrics.actions.labels(action.action.value, ActionStatus.VERIFYING.value).inc()
        log.info("action_called", extra={"action_id": action.id, "detail": result.detail})

    async def _call_failed(
        self, row: OutboxRow, action: ActionRow, exc: KubeError, now: datetime
    ) -> None:
        attempts = row.attempts + 1
        if exc.retryable and attempts < self._delivery.max_attempts:
            delay = next_delay(
                row.attempts,
                base=self._delivery.backoff_base,
                cap=self._delivery.backoff_max,
                retry_after=exc.retry_after,
            )
            async with self._engine.begin() as conn:
                await record_event(
                    conn,
                    action,
                    now,
                    status=action.status.value,
                    step="retry",
                    reason=exc.reason.value,
                    detail=str(exc),
                    attempt=attempts,
                )
                await outbox.retry_at(conn, row.id, now + delay, f"{exc.reason}: {exc}", now)
            return
        reason = (
            ActionReason.TARGET_PAUSED
            if exc.reason is KubeFailureReason.TARGET_PAUSED
            else ActionReason.API_ERROR
        )
        detail = f"{exc.reason.value}: {exc}"
        await self._finish(row, action, Outcome(ActionStatus.FAILED, reason, detail), now)

    async def _watch(
        self,
        row: OutboxRow,
        action: ActionRow,
        policy: PolicyConfig,
        ex: KubeExecutor,
        now: datetime,
    ) -> None:
        if action.status is not ActionStatus.RUNNING or action.called_at is None:
            await self._complete(row, now)
            return
        kind: TargetKind | str = action.target_kind
        name = action.target_name
        if action.action is ActionKind.CREATE_JOB:
            kind, name = "Job", action.params["job"]
        late = now - action.called_at >= policy.rollout_timeout
        try:
            state = await ex.rollout(kind, action.target_namespace, name)
        except KubeError as exc:
            if exc.retryable and not late:
                await self._later(row, now + poll_interval(policy.rollout_timeout), now)
                return
            await self._finish(
                row,
                action,
                Outcome(ActionStatus.FAILED, ActionReason.API_ERROR, f"{exc.reason.value}: {exc}"),
                now,
            )
            return
        if state.error is not None:
            await self._finish(
                row,
                action,
                Outcome(ActionStatus.FAILED, ActionReason.ROLLOUT_STUCK, state.error),
                now,
            )
        elif state.done:
            await self._rolled_out(row, action, state.message, now)
        elif late:
            await self._finish(
                row,
                action,
                Outcome(ActionStatus.FAILED, ActionReason.ROLLOUT_STUCK, state.message),
                now,
            )
        else:
            await self._later(row, now + poll_interval(policy.rollout_timeout), now)

    async def _rolled_out(
        self, row: OutboxRow, action: ActionRow, message: str, now: datetime
    ) -> None:
        async with self._engine.begin() as conn:
            await update_action(
                conn,
                action.id,
                status=ActionStatus.VERIFYING.value,
                reason=ActionReason.ROLLOUT_COMPLETE.value,
                rolled_out_at=now,
            )
            await record_event(
                conn,
                action,
                now,
                status=ActionStatus.VERIFYING.value,
                reason=ActionReason.ROLLOUT_COMPLETE.value,
                detail=message,
            )
            await enqueue_step(conn, action.id, Step.VERIFY, now)
            await self._edits.enqueue(conn, action.incident_id, f"{action.id}|rolled_out", now)
            await outbox.complete(conn, row.id, now)
        self._metrics.actions.labels(action.action.value, ActionStatus.VERIFYING.value).inc()

    async def _verify(
        self, row: OutboxRow, action: ActionRow, policy: PolicyConfig, now: datetime
    ) -> None:
        if action.status is not ActionStatus.VERIFYING or action.rolled_out_at is None:
            await self._complete(row, now)
            return
        async with self._engine.connect() as conn:
            resolved_at = await conn.scalar(
                select(incidents.c.resolved_at).where(incidents.c.id == action.incident_id)
            )
        if resolved_at is not None:
            took = max((resolved_at - (action.called_at or resolved_at)).total_seconds(), 0.0)
            outcome = Outcome(
                ActionStatus.SUCCEEDED, ActionReason.CLEARED, f"cleared {took:.0f} s after the call"
            )
            await self._finish(row, action, outcome, now)
        elif now - action.rolled_out_at >= policy.verify_window:
            outcome = Outcome(
                ActionStatus.NO_EFFECT,
                ActionReason.STILL_FIRING,
                "still firing after the verify window",
            )
            await self._finish(row, action, outcome, now)
        else:
            await self._later(row, now + poll_interval(policy.verify_window), now)

    async def _expire(self, row: OutboxRow, action: ActionRow, now: datetime) -> None:
        if action.status is ActionStatus.PENDING_APPROVAL:
            outcome = Outcome(
                ActionStatus.EXPIRED, ActionReason.APPROVAL_TIMEOUT, "nobody approved in time"
            )
            await self._finish(row, action, outcome, now)
            return
        await self._complete(row, now)

    # -- bookkeeping -------------------------------------------------------------------

    async def _finish(
        self, row: OutboxRow, action: ActionRow, outcome: Outcome, now: datetime
    ) -> None:
        """The final status, its event, the circuit, the message edit; one transaction."""
        async with self._engine.begin() as conn:
            current = await load_action(conn, action.id, lock=True)
            if current is None or current.status is not action.status:
                # Someone moved it on meanwhile (approved while expiring, ...): not ours.
                await outbox.complete(conn, row.id, now)
                return
            await update_action(
                conn,
                action.id,
                status=outcome.status.value,
                reason=outcome.reason.value,
                detail=outcome.detail,
                finished_at=now,
            )
            await record_event(
                conn,
                current,
                now,
                status=outcome.status.value,
                reason=outcome.reason.value,
                detail=outcome.detail,
            )
            if outcome.status in BAD_OUTCOMES:
                await self._judge_circuit(conn, current, now)
            await self._edits.enqueue(
                conn, action.incident_id, f"{action.id}|{outcome.status}", now
            )
            await outbox.complete(conn, row.id, now)
        self._metrics.actions.labels(action.action.value, outcome.status.value).inc()
        log.info(
            "action_finished",
            extra={
                "action_id": action.id,
                "status": outcome.status.value,
                "reason": outcome.reason.value,
            },
        )

    async def _judge_circuit(self, conn: AsyncConnection, action: ActionRow, now: datetime) -> None:
        policy = self._config.policy(action.policy)
        if policy is None:
            return
        circuit = await circuit_of(
            conn, action.target_namespace, action.target_name, policy.max_failures
        )
        if circuit.is_open and circuit.consecutive_failures == policy.max_failures:
            await update_action(conn, action.id, params={**action.params, "circuit_open": True})
            await record_event(
                conn,
                action,
                now,
                status="circuit_open",
                detail=f"{circuit.consecutive_failures} failed attempts in a row",
            )

    async def _later(self, row: OutboxRow, due: datetime, now: datetime) -> None:
        async with self._engine.begin() as conn:
            await outbox.postpone(conn, row.id, due, now)

    async def _complete(self, row: OutboxRow, now: datetime) -> None:
        async with self._engine.begin() as conn:
            await outbox.complete(conn, row.id, now)
