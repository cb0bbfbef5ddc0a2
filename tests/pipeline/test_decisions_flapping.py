"""Flap detection: start, continue, end, with exact times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from hub.model.policies import FlapConfig
from hub.pipeline.decisions.flapping import FlapDecision, count_cycles, flap_state

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
CFG = FlapConfig(threshold=3, window=timedelta(minutes=30), stable_for=timedelta(minutes=15))


def at(*minutes: float) -> list[datetime]:
    return [T0 + timedelta(minutes=m) for m in minutes]


# fire at even positions, resolve at odd ones
THREE_CYCLES = at(0, 2, 4, 6, 8, 10)  # fires at 0, 4, 8
TWO_CYCLES = at(0, 2, 4, 6)

CASES: list[tuple[str, list[datetime], float, bool, float | None, FlapDecision]] = [
    ("no-history", [], 0, False, None, FlapDecision.STABLE),
    ("below-threshold", TWO_CYCLES, 6, False, None, FlapDecision.STABLE),
    ("reaches-threshold-on-fire", THREE_CYCLES[:5], 8, False, None, FlapDecision.STARTED),
    ("reaches-threshold-after-resolve", THREE_CYCLES, 10, False, None, FlapDecision.STARTED),
    # 30 min window ending at 34: fires at 4 and 8 count, the one at 0 does not.
    ("old-cycle-outside-window", at(0, 2, 4, 6, 8, 34), 34, False, None, FlapDecision.STABLE),
    ("cycle-on-window-edge-excluded", at(0, 1, 15, 16, 30), 30, False, None, FlapDecision.STABLE),
    (
        "cycles-old-and-quiet-do-not-start",
        THREE_CYCLES,
        25,
        False,
        None,
        FlapDecision.STABLE,
    ),
    ("continuing", THREE_CYCLES, 12, True, None, FlapDecision.CONTINUING),
    ("continuing-just-before-stable", THREE_CYCLES, 24.99, True, None, FlapDecision.CONTINUING),
    ("ends-after-stable-for", THREE_CYCLES, 25, True, None, FlapDecision.ENDED),
    ("explicit-last-transition-wins", THREE_CYCLES, 25, True, 20, FlapDecision.CONTINUING),
    ("flapping-without-history-ends", [], 0, True, None, FlapDecision.ENDED),
]


@pytest.mark.parametrize(
    ("transitions", "now_min", "flapping", "last_min", "expected"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_flap_state(
    transitions: list[datetime],
    now_min: float,
    flapping: bool,
    last_min: float | None,
    expected: FlapDecision,
) -> None:
    now = T0 + timedelta(minutes=now_min)
    last = None if last_min is None else T0 + timedelta(minutes=last_min)
    assert flap_state(transitions, now, CFG, flapping, last) == expected


def test_count_cycles_counts_fires_only() -> None:
    assert count_cycles(THREE_CYCLES, T0 + timedelta(minutes=10), CFG.window) == 3


@pytest.mark.parametrize(
    ("threshold", "window", "stable_for"),
    [(0, 30, 15), (3, 0, 15), (3, 30, 0)],
    ids=["zero-threshold", "zero-window", "zero-stable-for"],
)
def test_flap_config_rejects(threshold: int, window: int, stable_for: int) -> None:
    with pytest.raises(ValueError):
        FlapConfig(threshold, timedelta(minutes=window), timedelta(minutes=stable_for))
