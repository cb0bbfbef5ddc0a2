"""What the alert message says about an action, one line, as it moves along (pure).

"Restart model-api: waiting for approval" → "rollout restart at 03:16 (approved by ayse)
— rollout complete" → "… — cleared in 4 min".
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from hub.channels.render import format_duration_human
from hub.remediate.model import ActionKind, ActionStatus
from hub.remediate.store import ActionRow

_PROPOSE = {
    ActionKind.ROLLOUT_RESTART: "Restart",
    ActionKind.DELETE_POD: "Delete pod",
    ActionKind.SCALE: "Scale",
    ActionKind.CREATE_JOB: "Run a job from",
}
_DONE = {
    ActionKind.ROLLOUT_RESTART: "rollout restart",
    ActionKind.DELETE_POD: "pod delete",
    ActionKind.SCALE: "scale",
    ActionKind.CREATE_JOB: "job",
}


def proposal(action: ActionKind, name: str) -> str:
    """``Restart model-api``: the action as a person would ask for it."""
    return f"{_PROPOSE[action]} {name or '(no target)'}"


def _done(a: ActionRow) -> str:
    verb = _DONE[a.action]
    if a.action is ActionKind.SCALE and "replicas" in a.params:
        verb = f"scale to {a.params['replicas']}"
    at = a.called_at.strftime("%H:%M") if a.called_at else ""
    who = f"approved by {a.approved_by}" if a.approved_by else "auto"
    return f"{verb} {a.target_name} at {at} ({who})"


def _waiting(a: ActionRow) -> str | None:
    what = proposal(a.action, a.target_name)
    match a.status:
        case ActionStatus.PENDING_APPROVAL:
            return f"{what}: waiting for approval"
        case ActionStatus.REFUSED:
            return f"{what}: refused ({a.reason})"
        case ActionStatus.DRY_RUN:
            return f"{what}: dry run, nothing called"
        case ActionStatus.REJECTED:
            return f"{what}: rejected by {a.params.get('rejected_by', 'someone')}"
        case ActionStatus.EXPIRED:
            return f"{what}: not approved in time"
    if a.called_at is not None:
        return None
    return (
        f"{what}: failed ({a.reason})" if a.status is ActionStatus.FAILED else f"{what}: starting"
    )


def action_line(a: ActionRow, resolved_at: datetime | None) -> str:
    """The message line of one action; ``resolved_at`` is its incident's."""
    if (line := _waiting(a)) is not None:
        return line
    assert a.called_at is not None
    head = _done(a)
    if resolved_at is not None and a.status in (
        ActionStatus.RUNNING,
        ActionStatus.VERIFYING,
        ActionStatus.SUCCEEDED,
    ):
        tail = f"cleared in {format_duration_human(resolved_at - a.called_at)}"
    else:
        tail = {
            ActionStatus.RUNNING: "rolling out",
            ActionStatus.VERIFYING: "rollout complete",
            ActionStatus.SUCCEEDED: "cleared",
            ActionStatus.NO_EFFECT: "rollout complete, still firing",
            ActionStatus.FAILED: f"failed ({a.reason})",
        }.get(a.status, a.status.value)
    line = f"{head} — {tail}"
    if a.params.get("circuit_open"):
        line += f" · auto-remediation stopped for {a.target_name} (circuit open)"
    return line


def suggestion_line(detail: Mapping[str, Any]) -> str:
    """``Suggested: restart model-api (policy restart-model-api)``."""
    what = proposal(ActionKind(detail["action"]), str(detail.get("target", {}).get("name", "")))
    return f"Suggested: {what[0].lower()}{what[1:]} (policy {detail['policy']})"
