"""Reminder schedule with backoff and cap, and the escalation hook."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from hub.pipeline.reasons import NotifyReason, SuppressReason
from hub.pipeline.reminders import (
    NEVER_REMIND,
    ReminderPolicy,
    decide_reminder,
    escalation_due,
    next_reminder_at,
    reminder_due,
)

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


DUE_CASES: list[tuple[str, ReminderPolicy, int, timedelta, bool]] = [
    ("never-policy", NEVER_REMIND, 0, 1000 * M, False),
    ("just-before", CRITICAL, 0, 30 * M - timedelta(seconds=1), False),
    ("exactly-due", CRITICAL, 0, 30 * M, True),
    ("second-not-yet", CRITICAL, 1, 89 * M, False),
    ("second-due", CRITICAL, 1, 90 * M, True),
]


@pytest.mark.parametrize(
    ("policy", "sent", "elapsed", "due"),
    [case[1:] for case in DUE_CASES],
    ids=[case[0] for case in DUE_CASES],
)
def test_reminder_due(policy: ReminderPolicy, sent: int, elapsed: timedelta, due: bool) -> None:
    assert reminder_due(T0, sent, policy, T0 + elapsed) is due


@pytest.mark.parametrize(
    ("elapsed", "acked", "expected"),
    [
        (29 * M, False, None),
        (30 * M, False, NotifyReason.REMINDER_DUE),
        (30 * M, True, SuppressReason.ACKNOWLEDGED),
        (29 * M, True, None),
    ],
    ids=["not-due", "due", "due-but-acked", "not-due-acked"],
)
def test_decide_reminder(
    elapsed: timedelta, acked: bool, expected: NotifyReason | SuppressReason | None
) -> None:
    assert decide_reminder(T0, 0, CRITICAL, T0 + elapsed, acked=acked) == expected


@pytest.mark.parametrize(
    ("first", "backoff", "max_interval"),
    [(0 * M, 2.0, M), (M, 0.5, M), (M, 2.0, 0 * M)],
    ids=["zero-first", "shrinking-backoff", "zero-cap"],
)
def test_policy_rejects(first: timedelta, backoff: float, max_interval: timedelta) -> None:
    with pytest.raises(ValueError):
        ReminderPolicy(first, backoff, max_interval)


ESCALATION_CASES: list[tuple[str, timedelta, bool, str | None, bool]] = [
    ("critical-waited", 15 * M, False, "critical", True),
    ("critical-not-yet", 14 * M, False, "critical", False),
    ("acked", 60 * M, True, "critical", False),
    ("warning-not-escalated", 60 * M, False, "warning", False),
    ("no-severity", 60 * M, False, None, False),
    ("case-insensitive", 15 * M, False, "Critical", True),
]


@pytest.mark.parametrize(
    ("elapsed", "acked", "severity", "due"),
    [case[1:] for case in ESCALATION_CASES],
    ids=[case[0] for case in ESCALATION_CASES],
)
def test_escalation_due(elapsed: timedelta, acked: bool, severity: str | None, due: bool) -> None:
    result = escalation_due(
        T0, T0 + elapsed, 15 * M, acked=acked, severity=severity, severities=["critical"]
    )
    assert result is due
