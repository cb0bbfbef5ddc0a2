"""Which layout a decided notification uses: the message must stay true to the group's state."""

from __future__ import annotations

import pytest

from hub.model.notify import NotifyKind
from hub.model.reasons import NotifyReason
from hub.pipeline.decisions.dedup import GroupState
from hub.pipeline.dedup import notify_kind


def _state(firing: set[int], resolved: set[int], *, acked: bool) -> GroupState:
    return GroupState(frozenset(firing), frozenset(resolved), 3, acked)


@pytest.mark.parametrize(
    ("reason", "state", "kind"),
    [
        (NotifyReason.FIRST_NOTIFICATION, _state({1}, set(), acked=False), NotifyKind.FIRING),
        (NotifyReason.ACKNOWLEDGED, _state({1}, set(), acked=True), NotifyKind.ACKNOWLEDGED),
        (NotifyReason.RESOLVED, _state({2}, {1}, acked=False), NotifyKind.FIRING),
        (NotifyReason.RESOLVED, _state({2}, {1}, acked=True), NotifyKind.ACKNOWLEDGED),
        (NotifyReason.RESOLVED, _state(set(), {1, 2}, acked=True), NotifyKind.RESOLVED),
        (NotifyReason.NEW_ALERTS, _state({1, 3}, set(), acked=False), NotifyKind.FIRING),
        (NotifyReason.REMINDER_DUE, _state({1}, set(), acked=False), NotifyKind.REMINDER),
    ],
    ids=[
        "first",
        "ack",
        "partial-resolve",
        "partial-resolve-keeps-the-ack",
        "all-resolved",
        "new-alerts",
        "reminder",
    ],
)
def test_notify_kind(reason: NotifyReason, state: GroupState, kind: NotifyKind) -> None:
    assert notify_kind(reason, state) is kind
