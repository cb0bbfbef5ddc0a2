"""``GET /api/v1/stats``: MTTA and MTTR percentiles, messages and suppressions, on both stores."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy.ext.asyncio import AsyncEngine

from hub.reports.stats import (
    IncidentTimes,
    build_series,
    build_stats_items,
    group_times,
    percentile,
)
from tests.conftest import api_headers
from tests.history import NOW, Seed, notified, seed

Client = TestClient[Any, Any]
MIN = timedelta(minutes=1)
T0 = NOW - timedelta(days=2)


@pytest.mark.parametrize(
    ("values", "q", "expected"),
    [
        ([], 0.5, None),
        ([7.0], 0.9, 7.0),
        ([1.0, 2.0, 3.0], 0.5, 2.0),
        ([4.0, 1.0, 3.0, 2.0], 0.5, 2.5),
        ([60.0 * i for i in range(1, 11)], 0.9, 546.0),
        ([10.0, 20.0], 0.0, 10.0),
        ([10.0, 20.0], 1.0, 20.0),
    ],
    ids=["empty", "one", "odd-median", "even-median-unsorted", "p90-interpolated", "min", "max"],
)
def test_percentile(values: list[float], q: float, expected: float | None) -> None:
    assert percentile(values, q) == expected


def _t(key: str, ack: float | None, resolve: float | None, start: datetime = T0) -> IncidentTimes:
    return IncidentTimes(
        key, start,
        start + timedelta(seconds=ack) if ack is not None else None,
        start + timedelta(seconds=resolve) if resolve is not None else None,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("times", "expected"),
    [
        ([], []),
        (
            [_t("A", 60, 600), _t("A", None, 300), _t("A", 120, None)],
            [("A", 3, 2, (90.0, 114.0), (450.0, 570.0))],
        ),
        ([_t("A", None, None)], [("A", 1, 0, (None, None), (None, None))]),
        (
            [_t("B", 1, 2), _t("A", 1, 2), _t("B", 3, 4)],
            [("B", 2, 2, (2.0, 2.8), (3.0, 3.8)), ("A", 1, 1, (1.0, 1.0), (2.0, 2.0))],
        ),
        ([_t("A", -30, -5)], [("A", 1, 1, (0.0, 0.0), (0.0, 0.0))]),
    ],
    ids=["nothing", "unacked-and-open-stay-out", "open-unacked", "most-incidents-first", "skew"],
)
def test_build_stats_items(times: list[IncidentTimes], expected: list[tuple[Any, ...]]) -> None:
    items = build_stats_items(group_times(times))
    got = [
        (i.key, i.incidents, i.acknowledged, (i.mtta_seconds.p50, i.mtta_seconds.p90),
         (i.mttr_seconds.p50, i.mttr_seconds.p90))
        for i in items
    ]  # fmt: skip
    assert got == expected


def test_build_series_buckets_by_day() -> None:
    since = datetime(2026, 11, 20, tzinfo=UTC)
    times = [
        _t("A", 60, 600, since + timedelta(hours=1)),
        _t("A", 180, 1200, since + timedelta(hours=2)),
        _t("A", None, None, since + timedelta(days=2, hours=3)),
    ]
    day = timedelta(days=1)
    series = build_series(group_times(times, since, day), since, since + 3 * day, day)
    assert [(p.start.day, p.incidents, p.mtta_p50, p.mttr_p50) for p in series["A"]] == [
        (20, 2, 120.0, 900.0),
        (21, 0, None, None),
        (22, 1, None, None),
    ]


SEEDS = [
    Seed("HighErrorRate", T0, 2 * MIN, 20 * MIN, {"service": "model-api", "namespace": "prod"},
         "critical", events=[("notified", MIN, notified("telegram[0]", "m1")),
                             ("notified", MIN, notified("slack[0]", "s1")),
                             ("notified", 20 * MIN, notified("telegram[0]", "m1", "resolved")),
                             ("suppressed", 5 * MIN, {"reason": "duplicate"})]),
    Seed("HighErrorRate", T0 + timedelta(hours=5), 4 * MIN, 10 * MIN,
         {"service": "model-api", "namespace": "prod"}, "critical"),
    Seed("HighErrorRate", T0 + timedelta(hours=9), None, 30 * MIN,
         {"service": "gateway", "namespace": "prod"}, "critical"),
    Seed("DataDrift", T0 + timedelta(hours=1), None, None, {"namespace": "staging"},
         events=[("suppressed", 2 * MIN, {"reason": "silenced"}),
                 ("suppressed", 3 * MIN, {"reason": "rate_limited"})]),
    Seed("DataDrift", NOW - timedelta(days=20), MIN, 2 * MIN, {"namespace": "staging"}),
]  # fmt: skip


@pytest.fixture
async def seeded(hub: Client, engine: AsyncEngine) -> Client:
    await seed(engine, SEEDS)
    return hub


async def stats(hub: Client, **params: str) -> dict[str, Any]:
    resp = await hub.get("/api/v1/stats", params=params, headers=api_headers())
    assert resp.status == 200, await resp.text()
    body: dict[str, Any] = await resp.json()
    return body


async def test_by_alertname_over_seven_days(seeded: Client) -> None:
    body = await stats(seeded, since="7d")
    assert body["since"] == "2026-11-17T22:08:00Z"
    assert body["until"] == "2026-11-24T22:08:00Z"
    assert body["items"] == [
        {
            "key": "HighErrorRate", "incidents": 3, "acknowledged": 2,
            "mtta_seconds": {"p50": 180.0, "p90": 228.0},
            "mttr_seconds": {"p50": 1200.0, "p90": 1680.0},
            "messages": 3, "suppressed": 1,
        },
        {
            "key": "DataDrift", "incidents": 1, "acknowledged": 0,
            "mtta_seconds": {"p50": None, "p90": None},
            "mttr_seconds": {"p50": None, "p90": None},
            "messages": 0, "suppressed": 2,
        },
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"by": "service"}, {"model-api": 2, "gateway": 1, "": 1}),
        ({"by": "namespace"}, {"prod": 3, "staging": 1}),
        ({"by": "severity"}, {"critical": 3, "warning": 1}),
        ({"since": "30d", "by": "namespace"}, {"prod": 3, "staging": 2}),
        ({"since": "2026-11-22T22:08:00Z", "until": "2026-11-23T00:00:00Z"}, {"HighErrorRate": 1,
                                                                             "DataDrift": 1}),
        ({"since": "1d"}, {}),
    ],
    ids=["service", "namespace", "severity", "thirty-days", "rfc3339-window", "empty-window"],
)  # fmt: skip
async def test_grouping_and_windows(
    seeded: Client, params: dict[str, str], expected: dict[str, int]
) -> None:
    body = await stats(seeded, **params)
    assert {i["key"]: i["incidents"] for i in body["items"]} == expected


@pytest.mark.parametrize(
    ("params", "headers", "status", "error"),
    [
        ({}, {}, 401, "missing bearer token"),
        ({"by": "pod"}, api_headers(), 400, "by: 'pod' is not one of alertname, service"),
        ({"since": "last week"}, api_headers(), 400, "since: 'last week' is neither"),
        ({"since": "1d", "until": "2d"}, api_headers(), 400, "since: '1d' is not before until"),
        ({"until": "2026-11-01T00:00:00"}, api_headers(), 400, "until: RFC 3339 time needs"),
    ],
    ids=["no-token", "bad-by", "bad-since", "reversed", "naive-until"],
)
async def test_errors(
    hub: Client, params: dict[str, str], headers: dict[str, str], status: int, error: str
) -> None:
    resp = await hub.get("/api/v1/stats", params=params, headers=headers)
    assert resp.status == status
    assert error in (await resp.json())["error"]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ([("since", "3d")], 4),
        ([("since", "30d")], 5),
        ([("since", "3d"), ("until", "1d")], 4),
        ([("since", "30d"), ("until", "3d")], 1),
        ([("since", "2026-11-22T00:00:00Z"), ("until", "1d")], 4),
    ],
    ids=["look-back", "longer-look-back", "both-relative", "until-relative", "mixed"],
)
async def test_incident_list_takes_the_same_time_syntax(
    seeded: Client, params: list[tuple[str, str]], expected: int
) -> None:
    resp = await seeded.get("/api/v1/incidents", params=params, headers=api_headers())
    assert resp.status == 200, await resp.text()
    assert len((await resp.json())["items"]) == expected
