"""Value types of remediation, shared by the policy, the executor, the store and the API."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ActionKind(StrEnum):
    """What an action does to the cluster (each is one ``kubectl`` command)."""

    ROLLOUT_RESTART = "rollout_restart"
    DELETE_POD = "delete_pod"
    SCALE = "scale"
    CREATE_JOB = "create_job"


class ActionMode(StrEnum):
    """Who starts an action: the hub (``auto``), an operator (``approval``) or nobody."""

    AUTO = "auto"
    APPROVAL = "approval"
    SUGGEST = "suggest"


class ActionStatus(StrEnum):
    """Where an action stands; the API's ``status`` field (fixed names)."""

    PENDING_APPROVAL = "pending_approval"
    REFUSED = "refused"
    DRY_RUN = "dry_run"
    RUNNING = "running"
    VERIFYING = "verifying"
    SUCCEEDED = "succeeded"
    NO_EFFECT = "no_effect"
    FAILED = "failed"
    REJECTED = "rejected"
    EXPIRED = "expired"


# An action in one of these statuses will not change again.
FINAL_STATUSES = frozenset(
    {
        ActionStatus.REFUSED,
        ActionStatus.DRY_RUN,
        ActionStatus.SUCCEEDED,
        ActionStatus.NO_EFFECT,
        ActionStatus.FAILED,
        ActionStatus.REJECTED,
        ActionStatus.EXPIRED,
    }
)
# Outcomes the circuit breaker counts as a fix that did not work.
BAD_OUTCOMES = frozenset({ActionStatus.FAILED, ActionStatus.NO_EFFECT})
# Actions that occupy their target for the cooldown (proposed, run, or decided in a dry run).
COOLDOWN_STATUSES = frozenset(
    {
        ActionStatus.PENDING_APPROVAL,
        ActionStatus.DRY_RUN,
        ActionStatus.RUNNING,
        ActionStatus.VERIFYING,
        ActionStatus.SUCCEEDED,
        ActionStatus.NO_EFFECT,
        ActionStatus.FAILED,
    }
)
# Actions that made a call to the cluster (they count against the hourly budget).
CALLED_STATUSES = frozenset(
    {
        ActionStatus.RUNNING,
        ActionStatus.VERIFYING,
        ActionStatus.SUCCEEDED,
        ActionStatus.NO_EFFECT,
        ActionStatus.FAILED,
    }
)


class ActionReason(StrEnum):
    """Why an action has its status; a closed set, so it can be a label and a test case."""

    # The policy's verdict.
    ALLOWED = "allowed"
    SUGGESTED = "suggested"
    APPROVAL_REQUIRED = "approval_required"
    INVALID_TARGET = "invalid_target"
    NAMESPACE_NOT_ALLOWED = "namespace_not_allowed"
    NAME_NOT_ALLOWED = "name_not_allowed"
    DISABLED = "disabled"
    PAUSED = "paused"
    CIRCUIT_OPEN = "circuit_open"
    COOLDOWN = "cooldown"
    HOURLY_BUDGET = "hourly_budget"
    DRY_RUN = "dry_run"
    # People.
    APPROVED = "approved"
    REJECTED = "rejected"
    APPROVAL_TIMEOUT = "approval_timeout"
    # The call and what came of it.
    REPLICAS_AT_LIMIT = "replicas_at_limit"
    TARGET_PAUSED = "target_paused"
    API_ERROR = "api_error"
    ROLLOUT_STUCK = "rollout_stuck"
    ROLLOUT_COMPLETE = "rollout_complete"
    CLEARED = "cleared"
    STILL_FIRING = "still_firing"


# Refusals: the action is recorded and audited but never runs.
REFUSALS = frozenset(
    {
        ActionReason.INVALID_TARGET,
        ActionReason.NAMESPACE_NOT_ALLOWED,
        ActionReason.NAME_NOT_ALLOWED,
        ActionReason.DISABLED,
        ActionReason.PAUSED,
        ActionReason.CIRCUIT_OPEN,
        ActionReason.COOLDOWN,
        ActionReason.HOURLY_BUDGET,
        ActionReason.REPLICAS_AT_LIMIT,
    }
)


class TargetKind(StrEnum):
    """The Kubernetes kinds an action can touch."""

    DEPLOYMENT = "Deployment"
    STATEFUL_SET = "StatefulSet"
    DAEMON_SET = "DaemonSet"
    POD = "Pod"
    CRON_JOB = "CronJob"


# Which kinds each action accepts as its target.
ACTION_KINDS: dict[ActionKind, frozenset[TargetKind]] = {
    ActionKind.ROLLOUT_RESTART: frozenset(
        {TargetKind.DEPLOYMENT, TargetKind.STATEFUL_SET, TargetKind.DAEMON_SET}
    ),
    ActionKind.DELETE_POD: frozenset({TargetKind.POD}),
    ActionKind.SCALE: frozenset({TargetKind.DEPLOYMENT}),
    ActionKind.CREATE_JOB: frozenset({TargetKind.CRON_JOB}),
}


@dataclass(frozen=True)
class Target:
    """One rendered Kubernetes object: ``kind namespace/name``."""

    kind: TargetKind
    namespace: str
    name: str

    def __str__(self) -> str:
        return f"{self.kind.value.lower()} {self.namespace}/{self.name}"
