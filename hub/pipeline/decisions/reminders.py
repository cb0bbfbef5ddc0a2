"""Reminder and escalation schedules for a firing, unacknowledged incident, on the hub's clock."""

from __future__ import annotations

from datetime import datetime, timedelta

from hub.model.policies import ReminderPolicy


def next_reminder_at(
    started_at: datetime, reminders_sent: int, policy: ReminderPolicy
) -> datetime | None:
    """When reminder number ``reminders_sent + 1`` is due, or ``None`` for never.

    Measured from ``started_at`` so a late reminder does not push the rest back:
    with 30m and backoff 2 the reminders fall at +30m, +1h30m, +3h30m, … .
    """
    if policy.first is None:
        return None
    elapsed = timedelta(0)
    interval = policy.first
    for done in range(reminders_sent + 1):
        if interval >= policy.max_interval:
            return started_at + elapsed + policy.max_interval * (reminders_sent + 1 - done)
        elapsed += interval
        interval = interval * policy.backoff
    return started_at + elapsed
