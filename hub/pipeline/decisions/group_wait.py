"""Alertmanager's group timers per (group, receiver): ``group_wait`` and ``group_interval``.

A new group's first message waits ``group_wait`` after the hub first heard of its alerts,
so alerts arriving together go out together; every later message (new alerts, resolves,
acks) goes out no sooner than ``group_interval`` after the previous one. A group is new
when the receiver was never told of it, or its last message said everything resolved
(Alertmanager drops such a group; the next alert starts a new one).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from hub.model.notify import LogEntry


class TimingReason(StrEnum):
    """Why a message goes now or waits."""

    NO_TIMER = "no_timer"  # the route sets no timer for this case
    WAIT_ELAPSED = "group_wait_elapsed"
    INTERVAL_ELAPSED = "group_interval_elapsed"
    GROUP_WAIT = "group_wait"  # a new group waits for more alerts
    GROUP_INTERVAL = "group_interval"  # too soon after the previous message


@dataclass(frozen=True)
class GroupTimers:
    """A route's resolved timers; None means "do not wait"."""

    group_wait: timedelta | None = None
    group_interval: timedelta | None = None


@dataclass(frozen=True)
class Timing:
    """The decision: ``until`` is set when the message must wait until then."""

    reason: TimingReason
    until: datetime | None = None


def is_new_group(previous: LogEntry | None) -> bool:
    """Never told, or last told that everything resolved."""
    return previous is None or not previous.firing_ids


def decide_timing(
    previous: LogEntry | None, first_seen_at: datetime, now: datetime, timers: GroupTimers
) -> Timing:
    """When the receiver may hear this change of the group; ``first_seen_at`` is when the
    hub first heard of the group's firing alerts."""
    if previous is None or is_new_group(previous):
        return _after(first_seen_at, timers.group_wait, now, TimingReason.GROUP_WAIT)
    return _after(previous.sent_at, timers.group_interval, now, TimingReason.GROUP_INTERVAL)


_ELAPSED = {
    TimingReason.GROUP_WAIT: TimingReason.WAIT_ELAPSED,
    TimingReason.GROUP_INTERVAL: TimingReason.INTERVAL_ELAPSED,
}


def _after(start: datetime, timer: timedelta | None, now: datetime, reason: TimingReason) -> Timing:
    if timer is None:
        return Timing(TimingReason.NO_TIMER)
    if now < start + timer:
        return Timing(reason, start + timer)
    return Timing(_ELAPSED[reason])
