"""Scale arithmetic and the circuit breaker, case by case."""

from __future__ import annotations

import pytest

from hub.remediate.circuit import Circuit, CircuitState, circuit_for
from hub.remediate.model import ActionStatus
from hub.remediate.scale import ReplicaChange, ScalePlan, ScaleReason, parse_replicas, plan_scale

PARSE_CASES = [
    ("absolute", "3", ReplicaChange(3, relative=False)),
    ("plus", "+1", ReplicaChange(1, relative=True)),
    ("minus", "-2", ReplicaChange(-2, relative=True)),
    ("zero", "0", ReplicaChange(0, relative=False)),
    ("spaces", " +1 ", ReplicaChange(1, relative=True)),
]


@pytest.mark.parametrize(
    ("text", "change"), [c[1:] for c in PARSE_CASES], ids=[c[0] for c in PARSE_CASES]
)
def test_parse(text: str, change: ReplicaChange) -> None:
    assert parse_replicas(text) == change


@pytest.mark.parametrize("text", ["", "+", "1.5", "x", "++1", "1234567"], ids=str)
def test_parse_refuses(text: str) -> None:
    with pytest.raises(ValueError, match="must be a count"):
        parse_replicas(text)


S = ScaleReason
PLAN_CASES = [
    ("to-3", "3", 2, 1, 5, ScalePlan(3, S.WITHIN_LIMITS)),
    ("up-one", "+1", 2, 1, 5, ScalePlan(3, S.WITHIN_LIMITS)),
    ("down-one", "-1", 2, 1, 5, ScalePlan(1, S.WITHIN_LIMITS)),
    ("up-capped", "+3", 4, 1, 5, ScalePlan(5, S.CLAMPED_TO_MAX)),
    ("to-above-max", "9", 2, 1, 5, ScalePlan(5, S.CLAMPED_TO_MAX)),
    ("down-floored", "-3", 3, 2, 5, ScalePlan(2, S.CLAMPED_TO_MIN)),
    ("at-max", "+1", 5, 1, 5, ScalePlan(5, S.NO_CHANGE)),
    ("at-min", "-1", 1, 1, 5, ScalePlan(1, S.NO_CHANGE)),
    ("already-there", "3", 3, 1, 5, ScalePlan(3, S.NO_CHANGE)),
    ("outside-bounds-pulled-in", "+1", 9, 1, 5, ScalePlan(5, S.CLAMPED_TO_MAX)),
]


@pytest.mark.parametrize(
    ("text", "current", "low", "high", "plan"),
    [c[1:] for c in PLAN_CASES],
    ids=[c[0] for c in PLAN_CASES],
)
def test_plan(text: str, current: int, low: int, high: int, plan: ScalePlan) -> None:
    assert plan_scale(parse_replicas(text), current, low=low, high=high) == plan


F, N, OK = ActionStatus.FAILED, ActionStatus.NO_EFFECT, ActionStatus.SUCCEEDED
CIRCUIT_CASES = [
    ("fresh", [], 2, Circuit(CircuitState.CLOSED, 0)),
    ("one-failure", [F], 2, Circuit(CircuitState.CLOSED, 1)),
    ("two-failures", [F, F], 2, Circuit(CircuitState.OPEN, 2)),
    ("no-effect-counts", [F, N], 2, Circuit(CircuitState.OPEN, 2)),
    ("success-ends-run", [F, OK, F], 2, Circuit(CircuitState.CLOSED, 1)),
    ("old-run-then-success", [F, F, OK], 2, Circuit(CircuitState.CLOSED, 0)),
    ("threshold-one", [N], 1, Circuit(CircuitState.OPEN, 1)),
    ("long-run", [F, F, F, F], 3, Circuit(CircuitState.OPEN, 4)),
]


@pytest.mark.parametrize(
    ("outcomes", "max_failures", "circuit"),
    [c[1:] for c in CIRCUIT_CASES],
    ids=[c[0] for c in CIRCUIT_CASES],
)
def test_circuit(outcomes: list[ActionStatus], max_failures: int, circuit: Circuit) -> None:
    result = circuit_for(outcomes, max_failures)
    assert result == circuit
    assert result.is_open is (circuit.state is CircuitState.OPEN)
