"""The remediation policy decision, case by case: every reason it can give."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from hub.remediate.circuit import Circuit, CircuitState
from hub.remediate.config import PolicyConfig
from hub.remediate.model import ActionMode, ActionReason, ActionStatus
from hub.remediate.policy import PolicyFacts, Verdict, decide, decide_approval
from hub.remediate.target import render_target

T0 = datetime(2026, 3, 1, 3, 16, tzinfo=UTC)
CLOSED = Circuit(CircuitState.CLOSED, 0)
OPEN = Circuit(CircuitState.OPEN, 2)
LABELS = {"alertname": "ModelServiceDown", "namespace": "prod", "deployment": "model-api"}


def policy(mode: str = "approval") -> PolicyConfig:
    return PolicyConfig.model_validate(
        {
            "name": "restart-model-api",
            "matchers": ['alertname="ModelServiceDown"'],
            "action": "rollout_restart",
            "target": {
                "kind": "Deployment",
                "namespace": "{{ labels.namespace }}",
                "name": "{{ labels.deployment }}",
            },
            "allowed_namespaces": ["prod", "staging"],
            "allowed_names": ["model-.*"],
            "mode": mode,
            "cooldown": "15m",
        }
    )


def facts(**changes: object) -> PolicyFacts:
    base = PolicyFacts(
        now=T0,
        enabled=True,
        paused=False,
        dry_run=False,
        max_actions_per_hour=20,
        actions_last_hour=0,
        last_action_at=None,
        circuit=CLOSED,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


R = ActionReason
S = ActionStatus
CASES: list[tuple[str, str, dict[str, str], PolicyFacts, bool, ActionStatus | None, R]] = [
    ("auto-runs", "auto", {}, facts(), False, S.RUNNING, R.ALLOWED),
    ("approval-waits", "approval", {}, facts(), False, S.PENDING_APPROVAL, R.APPROVAL_REQUIRED),
    ("suggest-only-shows", "suggest", {}, facts(), False, None, R.SUGGESTED),
    ("suggest-asked-by-hand-waits", "suggest", {}, facts(), True, S.PENDING_APPROVAL,
     R.APPROVAL_REQUIRED),
    ("approval-asked-by-hand-waits", "approval", {}, facts(), True, S.PENDING_APPROVAL,
     R.APPROVAL_REQUIRED),
    ("auto-asked-by-hand-runs", "auto", {}, facts(), True, S.RUNNING, R.ALLOWED),
    ("label-missing", "auto", {"deployment": ""}, facts(), False, S.REFUSED, R.INVALID_TARGET),
    ("name-not-rfc1123", "auto", {"deployment": "Model_API"}, facts(), False, S.REFUSED,
     R.INVALID_TARGET),
    ("namespace-not-rfc1123", "auto", {"namespace": "prod;rm"}, facts(), False, S.REFUSED,
     R.INVALID_TARGET),
    ("namespace-not-allowed", "auto", {"namespace": "kube-system"}, facts(), False, S.REFUSED,
     R.NAMESPACE_NOT_ALLOWED),
    ("name-not-allowed", "auto", {"deployment": "billing"}, facts(), False, S.REFUSED,
     R.NAME_NOT_ALLOWED),
    ("name-is-full-match", "auto", {"deployment": "x-model-api"}, facts(), False, S.REFUSED,
     R.NAME_NOT_ALLOWED),
    ("kill-switch", "auto", {}, facts(enabled=False), False, S.REFUSED, R.DISABLED),
    ("paused", "auto", {}, facts(paused=True), False, S.REFUSED, R.PAUSED),
    ("paused-before-cooldown", "auto", {}, facts(paused=True, last_action_at=T0), False,
     S.REFUSED, R.PAUSED),
    ("circuit-open-stops-auto", "auto", {}, facts(circuit=OPEN), False, S.REFUSED,
     R.CIRCUIT_OPEN),
    ("circuit-open-approval-still-asks", "approval", {}, facts(circuit=OPEN), False,
     S.PENDING_APPROVAL, R.APPROVAL_REQUIRED),
    ("cooldown", "auto", {}, facts(last_action_at=T0 - timedelta(minutes=14)), False, S.REFUSED,
     R.COOLDOWN),
    ("cooldown-over", "auto", {}, facts(last_action_at=T0 - timedelta(minutes=15)), False,
     S.RUNNING, R.ALLOWED),
    ("budget-used", "auto", {}, facts(actions_last_hour=20), False, S.REFUSED, R.HOURLY_BUDGET),
    ("budget-zero", "approval", {}, facts(max_actions_per_hour=0), False, S.REFUSED,
     R.HOURLY_BUDGET),
    ("budget-left", "auto", {}, facts(actions_last_hour=19), False, S.RUNNING, R.ALLOWED),
    ("dry-run", "auto", {}, facts(dry_run=True), False, S.DRY_RUN, R.DRY_RUN),
    ("dry-run-still-refuses", "auto", {"namespace": "dev"}, facts(dry_run=True), False,
     S.REFUSED, R.NAMESPACE_NOT_ALLOWED),
]  # fmt: skip


@pytest.mark.parametrize(
    ("mode", "labels", "state", "requested", "status", "reason"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_decide(
    mode: str,
    labels: dict[str, str],
    state: PolicyFacts,
    requested: bool,
    status: ActionStatus | None,
    reason: ActionReason,
) -> None:
    p = policy(mode)
    rendered = render_target(p.target_template, {**LABELS, **labels})
    verdict = decide(p, rendered, state, requested=requested)
    assert (verdict.status, verdict.reason) == (status, reason)
    assert verdict.runs is (status is ActionStatus.RUNNING)


def test_refusal_names_the_offender() -> None:
    p = policy("auto")
    rendered = render_target(p.target_template, {**LABELS, "namespace": "kube-system"})
    assert decide(p, rendered, facts()).detail == "namespace 'kube-system'"


def test_modes_are_the_configured_ones() -> None:
    assert policy("suggest").mode is ActionMode.SUGGEST


APPROVALS: list[tuple[str, PolicyFacts, Verdict]] = [
    ("approved-runs", facts(), Verdict(S.RUNNING, R.APPROVED)),
    ("paused-since", facts(paused=True), Verdict(S.REFUSED, R.PAUSED, "remediation is paused")),
    ("switched-off", facts(enabled=False),
     Verdict(S.REFUSED, R.DISABLED, "remediation.enabled is false")),
    ("budget-used-since", facts(actions_last_hour=20, max_actions_per_hour=20),
     Verdict(S.REFUSED, R.HOURLY_BUDGET, "20 of 20 actions in the last hour")),
    ("circuit-is-a-human-call", facts(circuit=OPEN), Verdict(S.RUNNING, R.APPROVED)),
]  # fmt: skip


@pytest.mark.parametrize(
    ("state", "expected"), [c[1:] for c in APPROVALS], ids=[c[0] for c in APPROVALS]
)
def test_decide_approval(state: PolicyFacts, expected: Verdict) -> None:
    assert decide_approval(state) == expected
