"""``GET /api/v1/reports/noise``: exact numbers per alertname and advice, on both stores."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy.ext.asyncio import AsyncEngine

from hub.api.reports import parse_since
from hub.app import create_app
from hub.timeframe import TimeParamError
from tests.conftest import ManualClock, api_headers, make_config
from tests.reports import (
    CRAFTED,
    DEFAULT_SINCE,
    NOW,
    Client,
    noise,
    seed_fixture_replay,
    seed_self_resolving,
)

# The crafted episodes span 12 h 8 min before NOW: enough history for advice here.
MIN_HISTORY = "12h"


@pytest.fixture
async def hub(db_url: str, clock: ManualClock) -> AsyncIterator[Client]:
    """The hub with advice from 5 episodes over 12 h (the shipped minimum is 7 days)."""
    config = make_config(db_url, reports={"advice_min_history": MIN_HISTORY})
    async with TestClient(TestServer(create_app(config, clock=clock))) as client:
        yield client


# HighErrorRate's startsAt 22:07:31.137763279Z (kept to the microsecond), endsAt 22:07:37.385023Z.
HIGH_ERROR_RATE_RESOLVE_SECONDS = 6.24726

FIXTURE_REPLAY_ROWS: list[dict[str, Any]] = [
    {
        "alertname": "ModelLatencyHigh",
        "notifications_received": 9,  # 3 alerts x (02 + repeats 06, 09)
        "incidents": 3,
        "messages_sent": 2,  # one message listing all three, on Telegram and on Slack
        "messages_per_incident": pytest.approx(2 / 3),
        "suppressed": {"duplicate": 6},
        "suppressed_total": 6,
        "median_resolve_seconds": None,
        "flapping_episodes": 0,
        "ack_rate": 0.0,
        "looked_at": "3 episodes over 28 s",
        "advice": [
            "no advice yet: 3 episodes over 28 s; advice needs 5 episodes over 12 h"
            " (2 more episodes and 11 h 59 min more history)"
        ],
    },
    {
        "alertname": "HighErrorRate",
        "notifications_received": 3,  # 01, repeat 05, resolve 07
        "incidents": 1,
        "messages_sent": 2,  # the message and its edit on resolve
        "messages_per_incident": 2.0,
        "suppressed": {},
        "suppressed_total": 0,
        "median_resolve_seconds": pytest.approx(HIGH_ERROR_RATE_RESOLVE_SECONDS, abs=1e-6),
        "flapping_episodes": 0,
        "ack_rate": 1.0,
        "looked_at": "1 episode over 28 s",
        "advice": [
            "no advice yet: 1 episode over 28 s; advice needs 5 episodes over 12 h"
            " (4 more episodes and 11 h 59 min more history)"
        ],
    },
    {
        "alertname": "DataDrift",
        "notifications_received": 3,  # 03, repeats 04, 08
        "incidents": 1,
        "messages_sent": 1,  # the failed delivery is not a message
        "messages_per_incident": 1.0,
        "suppressed": {"duplicate": 1, "silenced": 2},
        "suppressed_total": 3,
        "median_resolve_seconds": None,
        "flapping_episodes": 2,
        "ack_rate": 0.0,
        "looked_at": "1 episode over 28 s",
        "advice": [
            "no advice yet: 1 episode over 28 s; advice needs 5 episodes over 12 h"
            " (4 more episodes and 11 h 59 min more history)"
        ],
    },
]

SELF_RESOLVE_ADVICE = (
    f"{CRAFTED} resolved on its own in 83 % of episodes within 3 min: raise its `for:` to 5m"
)
NEVER_ACKED_ADVICE = (
    f"{CRAFTED} was never acknowledged in 6 episodes over 12 h 8 min:"
    " lower its severity or route it to email"
)


async def test_fixture_replay_counts(hub: Client, engine: AsyncEngine) -> None:
    await seed_fixture_replay(hub, engine)
    body = await noise(hub)
    assert body["since"] == DEFAULT_SINCE
    assert body["alerts"] == FIXTURE_REPLAY_ROWS


@pytest.mark.parametrize(
    ("ack_last", "ack_rate", "expected_advice"),
    [
        (True, 1 / 6, [SELF_RESOLVE_ADVICE]),
        (False, 0.0, [SELF_RESOLVE_ADVICE, NEVER_ACKED_ADVICE]),
    ],
    ids=["one-acked", "never-acked"],
)
async def test_quick_self_resolving_episodes_advise_raising_for(
    hub: Client, ack_last: bool, ack_rate: float, expected_advice: list[str]
) -> None:
    await seed_self_resolving(hub, ack_last=ack_last)
    (row,) = (await noise(hub))["alerts"]
    assert row == {
        "alertname": CRAFTED,
        "notifications_received": 13,  # 6 fired + 1 re-send + 6 resolved
        "incidents": 6,
        "messages_sent": 0,
        "messages_per_incident": 0.0,
        "suppressed": {},
        "suppressed_total": 0,
        "median_resolve_seconds": 150.0,
        "flapping_episodes": 0,
        "ack_rate": pytest.approx(ack_rate),
        "looked_at": "6 episodes over 12 h 8 min",
        "advice": expected_advice,
    }


@pytest.mark.parametrize(
    ("since", "expected"),
    [
        ("2026-11-24T22:07:31Z", {"HighErrorRate", "ModelLatencyHigh", "DataDrift"}),
        ("2026-11-24T22:07:31.2Z", {"DataDrift"}),  # started 22:07:31.254508
        ("2026-11-24T22:07:32+00:00", set()),
        ("1h", {"HighErrorRate", "ModelLatencyHigh", "DataDrift"}),
        ("25s", set()),  # from 22:07:35
    ],
    ids=["all", "between-starts", "after-all", "look-back-1h", "look-back-25s"],
)
async def test_since_bounds_the_incidents(
    hub: Client, engine: AsyncEngine, since: str, expected: set[str]
) -> None:
    await seed_fixture_replay(hub, engine)
    body = await noise(hub, since=since)
    assert {row["alertname"] for row in body["alerts"]} == expected


async def test_empty_store_reports_nothing(hub: Client) -> None:
    assert await noise(hub) == {"since": DEFAULT_SINCE, "alerts": []}


@pytest.mark.parametrize(
    ("params", "headers", "status", "error"),
    [
        ({}, {}, 401, "missing bearer token"),
        ({}, api_headers("wrong"), 401, "invalid bearer token"),
        ({"since": "yesterday"}, api_headers(), 400, "since: 'yesterday' is neither"),
        ({"since": "2026-11-01T00:00:00"}, api_headers(), 400, "needs a zone offset"),
        ({"since": "2030-01-01T00:00:00Z"}, api_headers(), 400, "is not before now"),
    ],
    ids=["no-token", "wrong-token", "not-a-time", "naive-time", "future"],
)
async def test_errors(
    hub: Client, params: dict[str, str], headers: dict[str, str], status: int, error: str
) -> None:
    resp = await hub.get("/api/v1/reports/noise", params=params, headers=headers)
    assert resp.status == status
    assert error in (await resp.json())["error"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, NOW - timedelta(days=14)),
        ("14d", NOW - timedelta(days=14)),
        ("36h", NOW - timedelta(hours=36)),
        ("2026-11-20T00:00:00Z", NOW.replace(day=20, hour=0, minute=0)),
        ("2026-11-20T03:00:00+03:00", NOW.replace(day=20, hour=0, minute=0)),
    ],
    ids=["default", "days", "hours", "utc", "offset"],
)
def test_parse_since(value: str | None, expected: object) -> None:
    assert parse_since(value, NOW) == expected


@pytest.mark.parametrize("value", ["0", "", "soon", "2026-11-24T22:08:00Z"], ids=str)
def test_parse_since_refuses(value: str) -> None:
    with pytest.raises(TimeParamError):
        parse_since(value, NOW)
