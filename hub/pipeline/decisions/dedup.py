"""Episode dedup against the notification log, after Alertmanager's ``DedupStage.needsUpdate``."""

from __future__ import annotations

from dataclasses import dataclass

from hub.model.notify import LogEntry
from hub.model.reasons import NotifyReason, SuppressReason

_SEVERITY_RANKS = {"critical": 3, "page": 3, "error": 2, "warning": 1, "info": 0}


def severity_rank(severity: str | None) -> int:
    """Rank severities for "went up": critical/page 3, error 2, warning 1, else 0."""
    if severity is None:
        return 0
    return _SEVERITY_RANKS.get(severity.strip().lower(), 0)


@dataclass(frozen=True)
class GroupState:
    """The group as it stands in this flush."""

    firing_ids: frozenset[int]
    resolved_ids: frozenset[int]
    max_severity_rank: int
    acked: bool


def needs_update(
    entry: LogEntry | None, state: GroupState, *, send_resolved: bool = True
) -> NotifyReason | SuppressReason:
    """Whether the receiver must hear about this group again, and why; reminders live elsewhere.

    Like Alertmanager, a group never notified is only sent while something fires (alerts that
    fired and resolved unseen are not news), and "all resolved" is sent whatever
    ``send_resolved`` says, so the receiver's last word about the group is not "firing".
    """
    if entry is None:
        if state.firing_ids:
            return NotifyReason.FIRST_NOTIFICATION
        return SuppressReason.DUPLICATE
    if not state.firing_ids <= entry.firing_ids:
        return NotifyReason.NEW_ALERTS
    if state.max_severity_rank > entry.max_severity_rank:
        return NotifyReason.SEVERITY_UP
    if not state.firing_ids:
        return NotifyReason.RESOLVED if entry.firing_ids else SuppressReason.DUPLICATE
    newly_resolved = (state.resolved_ids & entry.firing_ids) - entry.resolved_ids
    if send_resolved and newly_resolved:
        return NotifyReason.RESOLVED
    if state.acked and not entry.acked:
        return NotifyReason.ACKNOWLEDGED
    return SuppressReason.DUPLICATE
