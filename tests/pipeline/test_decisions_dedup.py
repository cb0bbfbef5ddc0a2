"""Episode dedup, case by case, with Alertmanager's ``needsUpdate`` semantics adapted."""

from __future__ import annotations

from collections.abc import Set as AbstractSet
from datetime import UTC, datetime

import pytest

from hub.model.notify import LogEntry
from hub.model.reasons import NotifyReason, SuppressReason
from hub.pipeline.decisions.dedup import GroupState, needs_update, severity_rank

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
WARN, CRIT = 1, 3


def entry(
    firing: AbstractSet[int],
    resolved: AbstractSet[int] = frozenset(),
    rank: int = WARN,
    acked: bool = False,
) -> LogEntry:
    return LogEntry(frozenset(firing), frozenset(resolved), rank, T0, acked)


def state(
    firing: AbstractSet[int],
    resolved: AbstractSet[int] = frozenset(),
    rank: int = WARN,
    acked: bool = False,
) -> GroupState:
    return GroupState(frozenset(firing), frozenset(resolved), rank, acked)


CASES: list[tuple[str, LogEntry | None, GroupState, bool, NotifyReason | SuppressReason]] = [
    ("first", None, state({1}), True, NotifyReason.FIRST_NOTIFICATION),
    ("first-nothing-at-all", None, state(set()), True, SuppressReason.DUPLICATE),
    ("first-only-resolved-unseen", None, state(set(), {1}), True, SuppressReason.DUPLICATE),
    ("repeat-unchanged", entry({1, 2}), state({1, 2}), True, SuppressReason.DUPLICATE),
    ("new-alert-joins", entry({1}), state({1, 2}), True, NotifyReason.NEW_ALERTS),
    ("new-alert-replaces", entry({1}), state({2}, {1}), True, NotifyReason.NEW_ALERTS),
    ("severity-up", entry({1}, rank=WARN), state({1}, rank=CRIT), True, NotifyReason.SEVERITY_UP),
    ("severity-down", entry({1}, rank=CRIT), state({1}, rank=WARN), True, SuppressReason.DUPLICATE),
    ("all-resolved", entry({1, 2}), state(set(), {1, 2}), True, NotifyReason.RESOLVED),
    (
        "all-resolved-without-send-resolved",
        entry({1, 2}),
        state(set(), {1, 2}),
        False,
        NotifyReason.RESOLVED,
    ),
    (
        "all-resolved-already-told",
        entry(set(), {1, 2}),
        state(set(), {1, 2}),
        True,
        SuppressReason.DUPLICATE,
    ),
    ("some-resolved", entry({1, 2}), state({2}, {1}), True, NotifyReason.RESOLVED),
    (
        "some-resolved-without-send-resolved",
        entry({1, 2}),
        state({2}, {1}),
        False,
        SuppressReason.DUPLICATE,
    ),
    (
        "some-resolved-already-told",
        entry({2}, {1}),
        state({2}, {1}),
        True,
        SuppressReason.DUPLICATE,
    ),
    (
        "resolved-never-seen-firing",
        entry({2}),
        state({2}, {9}),
        True,
        SuppressReason.DUPLICATE,
    ),
    ("acked", entry({1}), state({1}, acked=True), True, NotifyReason.ACKNOWLEDGED),
    (
        "acked-already-told",
        entry({1}, acked=True),
        state({1}, acked=True),
        True,
        SuppressReason.DUPLICATE,
    ),
    (
        "new-alert-beats-ack",
        entry({1}),
        state({1, 2}, acked=True),
        True,
        NotifyReason.NEW_ALERTS,
    ),
    (
        "resolve-beats-ack",
        entry({1}),
        state(set(), {1}, acked=True),
        True,
        NotifyReason.RESOLVED,
    ),
]


@pytest.mark.parametrize(
    ("log", "now", "send_resolved", "expected"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_needs_update(
    log: LogEntry | None,
    now: GroupState,
    send_resolved: bool,
    expected: NotifyReason | SuppressReason,
) -> None:
    assert needs_update(log, now, send_resolved=send_resolved) == expected


def test_needs_update_defaults_to_send_resolved() -> None:
    assert needs_update(entry({1, 2}), state({2}, {1})) == NotifyReason.RESOLVED


@pytest.mark.parametrize(
    ("severity", "rank"),
    [
        ("critical", 3),
        ("page", 3),
        ("CRITICAL", 3),
        ("error", 2),
        ("warning", 1),
        ("info", 0),
        (None, 0),
        ("unknown", 0),
    ],
    ids=["critical", "page", "upper-case", "error", "warning", "info", "none", "unknown"],
)
def test_severity_rank(severity: str | None, rank: int) -> None:
    assert severity_rank(severity) == rank
