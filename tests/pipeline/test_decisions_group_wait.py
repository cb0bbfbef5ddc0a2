"""Group timers per (group, receiver), case by case, as Alertmanager's aggregation groups run."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from hub.model.notify import LogEntry
from hub.pipeline.decisions.group_wait import GroupTimers, Timing, TimingReason, decide_timing

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
S = timedelta(seconds=1)
BOTH = GroupTimers(group_wait=30 * S, group_interval=300 * S)


def told(sent_at: datetime, firing: frozenset[int] = frozenset({1})) -> LogEntry:
    return LogEntry(firing, frozenset(), 1, sent_at, acked=False)


NONE = GroupTimers()
WAIT_ONLY = GroupTimers(group_wait=30 * S)
INTERVAL_ONLY = GroupTimers(group_interval=300 * S)
ZERO_WAIT = GroupTimers(group_wait=timedelta(0))
R = TimingReason
CASES = [
    ("no-timers-new-group", None, T0, NONE, Timing(R.NO_TIMER)),
    ("no-timers-later-change", told(T0), T0 + S, NONE, Timing(R.NO_TIMER)),
    ("new-group-waits", None, T0 + 10 * S, BOTH, Timing(R.GROUP_WAIT, T0 + 30 * S)),
    ("new-group-wait-elapsed", None, T0 + 30 * S, BOTH, Timing(R.WAIT_ELAPSED)),
    ("zero-wait-sends", None, T0, ZERO_WAIT, Timing(R.WAIT_ELAPSED)),
    ("interval-only-new-group-sends", None, T0, INTERVAL_ONLY, Timing(R.NO_TIMER)),
    ("all-resolved-is-new", told(T0, frozenset()), T0 + S, BOTH, Timing(R.GROUP_WAIT, T0 + 30 * S)),
    (
        "change-too-soon",
        told(T0 + 30 * S),
        T0 + 40 * S,
        BOTH,
        Timing(R.GROUP_INTERVAL, T0 + 330 * S),
    ),
    ("change-after-interval", told(T0 + 30 * S), T0 + 330 * S, BOTH, Timing(R.INTERVAL_ELAPSED)),
    ("wait-only-later-change-sends", told(T0), T0 + S, WAIT_ONLY, Timing(R.NO_TIMER)),
]


@pytest.mark.parametrize(
    ("previous", "now", "timers", "expected"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_decide_timing(
    previous: LogEntry | None, now: datetime, timers: GroupTimers, expected: Timing
) -> None:
    # The hub first heard of the group's alerts at T0.
    assert decide_timing(previous, T0, now, timers) == expected
