"""Reminder schedule with backoff and cap."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from hub.model.policies import NEVER_REMIND, ReminderPolicy
from hub.pipeline.decisions.reminders import next_reminder_at

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
M = timedelta(minutes=1)
CRITICAL = ReminderPolicy(first=30 * M, backoff=2.0, max_interval=4 * 60 * M)
FLAT = ReminderPolicy(first=4 * 60 * M, backoff=1.0, max_interval=24 * 60 * M)
CAPPED_AT_START = ReminderPolicy(first=2 * 60 * M, max_interval=60 * M)

NEXT_CASES: list[tuple[str, ReminderPolicy, int, timedelta | None]] = [
    ("never", NEVER_REMIND, 0, None),
    ("first-after-30m", CRITICAL, 0, 30 * M),
    ("second-1h-later", CRITICAL, 1, 90 * M),
    ("third-2h-later", CRITICAL, 2, 210 * M),
    ("fourth-4h-later-hits-cap", CRITICAL, 3, 450 * M),
    ("fifth-stays-at-cap", CRITICAL, 4, 690 * M),
    ("hundredth-stays-at-cap", CRITICAL, 99, 450 * M + 96 * 240 * M),
    ("no-backoff", FLAT, 2, 12 * 60 * M),
    ("first-above-cap-is-capped", CAPPED_AT_START, 1, 120 * M),
]


@pytest.mark.parametrize(
    ("policy", "sent", "after"),
    [case[1:] for case in NEXT_CASES],
    ids=[case[0] for case in NEXT_CASES],
)
def test_next_reminder_at(policy: ReminderPolicy, sent: int, after: timedelta | None) -> None:
    expected = None if after is None else T0 + after
    assert next_reminder_at(T0, sent, policy) == expected


@pytest.mark.parametrize(
    ("first", "backoff", "max_interval"),
    [(0 * M, 2.0, M), (M, 0.5, M), (M, 2.0, 0 * M)],
    ids=["zero-first", "shrinking-backoff", "zero-cap"],
)
def test_policy_rejects(first: timedelta, backoff: float, max_interval: timedelta) -> None:
    with pytest.raises(ValueError):
        ReminderPolicy(first, backoff, max_interval)
