"""Memory in the message: the history line, its store read, and the message that carries it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from hub.channels.model import AlertView, Notification, NotifyKind
from hub.channels.render import render_email, render_telegram
from hub.history.memory import PastIncidents, action_words, ago, history_line
from hub.store.memory import load_history_line
from tests.history import NOW, Seed, seed

MIN = timedelta(minutes=1)
DAY = timedelta(days=1)
# startsAt of the captured 01-critical-firing.json (HighErrorRate, prod/model-api)
FIRED = datetime(2026, 11, 24, 22, 7, 31, tzinfo=UTC)


@pytest.mark.parametrize(
    ("past", "expected"),
    [
        (PastIncidents(0), None),
        (PastIncidents(1, NOW - 3 * DAY, NOW - 3 * DAY + 12 * MIN),
         "seen once in 30 days · last 3 days ago, resolved in 12 min"),
        (PastIncidents(4, NOW - 3 * DAY, NOW - 3 * DAY + 12 * MIN, "rollout restart, cleared"),
         "seen 4 times in 30 days · last 3 days ago, resolved in 12 min"
         " (rollout restart, cleared)"),
        (PastIncidents(2, NOW - 5 * 60 * MIN, None),
         "seen 2 times in 30 days · last 5 h ago, still open"),
        (PastIncidents(2, NOW - DAY - MIN, NOW),
         "seen 2 times in 30 days · last 1 day ago, resolved in 1 d"),
    ],
    ids=["no-history", "once", "with-action", "still-open", "one-day"],
)  # fmt: skip
def test_history_line(past: PastIncidents, expected: str | None) -> None:
    assert history_line(past, NOW) == expected


@pytest.mark.parametrize(
    ("event_type", "detail", "expected"),
    [
        ("action_completed", {"kind": "rollout_restart", "result": "cleared"},
         "rollout restart, cleared"),
        ("action", {"action": "scale_up", "outcome": "failed"}, "scale up, failed"),
        ("action_refused", {"kind": "rollout_restart"}, "rollout restart"),
        ("action_refused", {}, "action refused"),
    ],
    ids=["kind-result", "action-outcome", "kind-only", "bare"],
)  # fmt: skip
def test_action_words(event_type: str, detail: dict[str, Any], expected: str) -> None:
    assert action_words(event_type, detail) == expected


@pytest.mark.parametrize(
    ("elapsed", "expected"),
    [(12 * MIN, "12 min ago"), (90 * MIN, "1 h 30 min ago"), (DAY, "1 day ago"),
     (9 * DAY, "9 days ago")],
    ids=["minutes", "hours", "one-day", "days"],
)  # fmt: skip
def test_ago(elapsed: timedelta, expected: str) -> None:
    assert ago(elapsed) == expected


SERVICE = {"namespace": "prod", "service": "model-api"}
HISTORY = [
    Seed("HighErrorRate", FIRED - 20 * DAY, None, 30 * MIN, SERVICE),
    Seed("HighErrorRate", FIRED - 9 * DAY, 2 * MIN, 5 * MIN, SERVICE),
    Seed("HighErrorRate", FIRED - 3 * DAY, 1 * MIN, 12 * MIN, SERVICE,
         events=[("action_completed", 4 * MIN, {"kind": "rollout_restart", "result": "cleared"})]),
    Seed("HighErrorRate", FIRED - 40 * DAY, None, MIN, SERVICE),  # outside 30 days
    Seed("HighErrorRate", FIRED - 2 * DAY, None, MIN, {"service": "gateway"}),  # other service
    Seed("ModelLatencyHigh", FIRED - 1 * DAY, None, MIN, SERVICE),  # other alert
]  # fmt: skip
EXPECTED = (
    "seen 3 times in 30 days · last 3 days ago, resolved in 12 min (rollout restart, cleared)"
)


async def test_store_counts_same_alert_and_service_in_thirty_days(engine: AsyncEngine) -> None:
    await seed(engine, HISTORY)
    async with engine.connect() as conn:
        line = await load_history_line(conn, "HighErrorRate", SERVICE, FIRED, FIRED)
        gateway = await load_history_line(
            conn, "HighErrorRate", {"service": "gateway"}, FIRED, FIRED
        )
        none = await load_history_line(conn, "DataDrift", SERVICE, FIRED, FIRED)
    assert line == EXPECTED
    assert gateway == "seen once in 30 days · last 2 days ago, resolved in 1 min"
    assert none is None


def _note(history: str | None) -> Notification:
    alert = AlertView(1, "fp", "firing", {"alertname": "A", **SERVICE}, {}, NOW, None, "")
    return Notification(
        kind=NotifyKind.FIRING, receiver="oncall", group_key="g", alerts=(alert,),
        truncated_alerts=0, group_labels={}, common_labels={"alertname": "A", **SERVICE},
        common_annotations={}, incident_id=1, external_url="http://hub.test", now=NOW,
        history=history,
    )  # fmt: skip


def test_templates_carry_the_line_after_since_only_when_there_is_history() -> None:
    line = "seen 2 times in 30 days · last 3 days ago, resolved in <12> min"
    telegram = render_telegram(_note(line)).splitlines()
    assert telegram[3] == "seen 2 times in 30 days · last 3 days ago, resolved in &lt;12&gt; min"
    assert telegram[2].startswith("since ")
    assert "seen" not in render_telegram(_note(None))
    assert line in render_email(_note(line)).text
