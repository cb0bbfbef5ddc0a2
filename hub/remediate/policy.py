"""The policy decision: may this action run on this target now, and if not, why not.

Pure: every fact it needs (pause flag, budget use, the target's last action and its
circuit) is read by the caller and passed in. Checks run from the most fundamental
(the target is not ours to touch) to the most transient (budget, dry run), so the
reason recorded is the one a person would want to hear first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from hub.remediate.circuit import Circuit
from hub.remediate.config import PolicyConfig
from hub.remediate.model import ActionMode, ActionReason, ActionStatus
from hub.remediate.target import RenderedTarget


@dataclass(frozen=True)
class PolicyFacts:
    """What the store says right now, for one policy and one target."""

    now: datetime
    enabled: bool
    paused: bool
    dry_run: bool
    max_actions_per_hour: int
    actions_last_hour: int
    last_action_at: datetime | None  # the target's latest action that occupies it
    circuit: Circuit


@dataclass(frozen=True)
class Verdict:
    """The decision: the action's first status (None: only a suggestion) and the reason."""

    status: ActionStatus | None
    reason: ActionReason
    detail: str = ""

    @property
    def runs(self) -> bool:
        return self.status is ActionStatus.RUNNING


def _refused(reason: ActionReason, detail: str = "") -> Verdict:
    return Verdict(ActionStatus.REFUSED, reason, detail)


def effective_mode(policy: PolicyConfig, *, requested: bool) -> ActionMode:
    """A request by hand never skips an approval the policy would ask for; a suggestion
    asked for by hand becomes a proposal that waits for approval."""
    if requested and policy.mode is ActionMode.SUGGEST:
        return ActionMode.APPROVAL
    return policy.mode


def _target_refusal(policy: PolicyConfig, rendered: RenderedTarget) -> Verdict | None:
    if rendered.target is None:
        return _refused(ActionReason.INVALID_TARGET, rendered.problem or "")
    target = rendered.target
    if target.namespace not in policy.allowed_namespaces:
        return _refused(ActionReason.NAMESPACE_NOT_ALLOWED, f"namespace {target.namespace!r}")
    if not any(p.fullmatch(target.name) for p in policy.name_patterns):
        return _refused(ActionReason.NAME_NOT_ALLOWED, f"name {target.name!r}")
    return None


def _state_refusal(facts: PolicyFacts) -> Verdict | None:
    if not facts.enabled:
        return _refused(ActionReason.DISABLED, "remediation.enabled is false")
    if facts.paused:
        return _refused(ActionReason.PAUSED, "remediation is paused")
    return None


def _budget_refusal(facts: PolicyFacts) -> Verdict | None:
    if facts.actions_last_hour >= facts.max_actions_per_hour:
        used = f"{facts.actions_last_hour} of {facts.max_actions_per_hour} actions in the last hour"
        return _refused(ActionReason.HOURLY_BUDGET, used)
    return None


def decide(
    policy: PolicyConfig, rendered: RenderedTarget, facts: PolicyFacts, *, requested: bool = False
) -> Verdict:
    """Decide what becomes of a policy's action for one firing incident."""
    if (refusal := _target_refusal(policy, rendered) or _state_refusal(facts)) is not None:
        return refusal
    mode = effective_mode(policy, requested=requested)
    if mode is ActionMode.AUTO and facts.circuit.is_open:
        runs = facts.circuit.consecutive_failures
        return _refused(ActionReason.CIRCUIT_OPEN, f"{runs} failed attempts in a row")
    if facts.last_action_at is not None and facts.now - facts.last_action_at < policy.cooldown:
        return _refused(ActionReason.COOLDOWN, f"last action at {facts.last_action_at:%H:%M:%S}")
    if (refusal := _budget_refusal(facts)) is not None:
        return refusal
    if facts.dry_run:
        return Verdict(ActionStatus.DRY_RUN, ActionReason.DRY_RUN)
    if mode is ActionMode.SUGGEST:
        return Verdict(None, ActionReason.SUGGESTED)
    if mode is ActionMode.APPROVAL:
        return Verdict(ActionStatus.PENDING_APPROVAL, ActionReason.APPROVAL_REQUIRED)
    return Verdict(ActionStatus.RUNNING, ActionReason.ALLOWED)


def decide_approval(facts: PolicyFacts) -> Verdict:
    """Re-check an approved action: the switch, the pause and the budget may have changed.

    The target, cooldown and circuit were judged when it was proposed; a person has now
    looked at it.
    """
    refusal = _state_refusal(facts) or _budget_refusal(facts)
    if refusal is not None:
        return refusal
    return Verdict(ActionStatus.RUNNING, ActionReason.APPROVED)
