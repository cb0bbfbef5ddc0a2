"""The message line of an action at each status, case by case."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from hub.remediate.lines import action_line, suggestion_line
from hub.remediate.model import ActionKind, ActionMode, ActionStatus
from hub.remediate.store import ActionRow

T0 = datetime(2026, 3, 1, 3, 16, tzinfo=UTC)
S = ActionStatus
BASE = ActionRow(
    id=1, incident_id=7, policy="restart-model-api", action=ActionKind.ROLLOUT_RESTART,
    target_kind="Deployment", target_namespace="prod", target_name="model-api",
    mode=ActionMode.APPROVAL, status=S.PENDING_APPROVAL, reason="approval_required", detail="",
    requested_by=None, approved_by=None, params={}, created_at=T0, expires_at=None,
    called_at=None, rolled_out_at=None, finished_at=None,
)  # fmt: skip
CALLED = {"called_at": T0, "approved_by": "ayse"}


def row(**changes: Any) -> ActionRow:
    return replace(BASE, **changes)


CASES: list[tuple[str, ActionRow, datetime | None, str]] = [
    ("waiting", row(), None, "Restart model-api: waiting for approval"),
    ("refused", row(status=S.REFUSED, reason="cooldown"), None,
     "Restart model-api: refused (cooldown)"),
    ("dry-run", row(status=S.DRY_RUN), None, "Restart model-api: dry run, nothing called"),
    ("rejected", row(status=S.REJECTED, params={"rejected_by": "bob"}), None,
     "Restart model-api: rejected by bob"),
    ("expired", row(status=S.EXPIRED), None, "Restart model-api: not approved in time"),
    ("starting", row(status=S.RUNNING, approved_by="ayse"), None, "Restart model-api: starting"),
    ("failed-before-call", row(status=S.FAILED, reason="api_error"), None,
     "Restart model-api: failed (api_error)"),
    ("rolling", row(status=S.RUNNING, **CALLED), None,
     "rollout restart model-api at 03:16 (approved by ayse) — rolling out"),
    ("rolled-out", row(status=S.VERIFYING, **CALLED), None,
     "rollout restart model-api at 03:16 (approved by ayse) — rollout complete"),
    ("cleared", row(status=S.SUCCEEDED, **CALLED), T0 + timedelta(minutes=4),
     "rollout restart model-api at 03:16 (approved by ayse) — cleared in 4 min"),
    ("cleared-before-verified", row(status=S.VERIFYING, **CALLED), T0 + timedelta(minutes=4),
     "rollout restart model-api at 03:16 (approved by ayse) — cleared in 4 min"),
    ("auto-no-effect", row(status=S.NO_EFFECT, called_at=T0), None,
     "rollout restart model-api at 03:16 (auto) — rollout complete, still firing"),
    ("failed-circuit-open", row(status=S.FAILED, reason="rollout_stuck", called_at=T0,
                                params={"circuit_open": True}), None,
     "rollout restart model-api at 03:16 (auto) — failed (rollout_stuck)"
     " · auto-remediation stopped for model-api (circuit open)"),
    ("scale", row(action=ActionKind.SCALE, status=S.VERIFYING, called_at=T0,
                  params={"replicas": 4}), None,
     "scale model-api to 4 at 03:16 (auto) — rollout complete"),
    ("delete-pod-waiting", row(action=ActionKind.DELETE_POD, target_name="model-api-x1"), None,
     "Delete pod model-api-x1: waiting for approval"),
    ("job-waiting", row(action=ActionKind.CREATE_JOB, target_name="retrain"), None,
     "Run a job from retrain: waiting for approval"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("action", "resolved_at", "line"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_action_line(action: ActionRow, resolved_at: datetime | None, line: str) -> None:
    assert action_line(action, resolved_at) == line


def test_suggestion_line() -> None:
    detail = {
        "policy": "restart-model-api",
        "action": "rollout_restart",
        "target": {"kind": "Deployment", "namespace": "prod", "name": "model-api"},
    }
    assert suggestion_line(detail) == "Suggested: restart model-api (policy restart-model-api)"
