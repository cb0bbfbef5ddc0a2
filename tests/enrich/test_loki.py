"""LokiClient against a fake Loki speaking the real query_range JSON on loopback."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest

from hub.config.enrich import GrafanaConfig, LokiConfig
from hub.enrich.loki import (
    EnrichmentError,
    EnrichmentFailureKind,
    LokiClient,
    build_excerpt,
    explore_url,
    round_window,
)
from tests.fakes.loki_api import FakeLoki
from tests.support.waiting import eventually

T0 = datetime(2025, 3, 1, 3, 12, tzinfo=UTC)
NS = 1_000_000_000
QUERY = '{namespace="prod", app="model-api"} |~ "(?i)error"'


def ns(at: datetime) -> int:
    return int(at.timestamp()) * NS


def config(url: str, **overrides: Any) -> LokiConfig:
    return LokiConfig.model_validate({"url": url, **overrides})


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client_session:
        yield client_session


@pytest.fixture
async def loki() -> AsyncIterator[FakeLoki]:
    async with FakeLoki() as fake:
        fake.add_lines(
            {"pod": "x1"},
            [(ns(T0 - timedelta(seconds=60 - i)), f"x1 ERROR line {i}") for i in range(0, 60, 2)],
        )
        fake.add_lines(
            {"pod": "x2"},
            [(ns(T0 - timedelta(seconds=60 - i)), f"x2 ERROR line {i}") for i in range(1, 60, 2)],
        )
        yield fake


async def test_success_merges_streams_newest_last(
    session: aiohttp.ClientSession, loki: FakeLoki
) -> None:
    client = LokiClient(session, config(loki.url, max_lines=3))
    excerpt = await client.query_range(QUERY, T0 - timedelta(minutes=5), T0 + timedelta(minutes=1))
    # oldest first, each with its own time, whichever stream it came from
    assert [(line.at, line.text) for line in excerpt.lines] == [
        (T0 - timedelta(seconds=3), "x2 ERROR line 57"),
        (T0 - timedelta(seconds=2), "x1 ERROR line 58"),
        (T0 - timedelta(seconds=1), "x2 ERROR line 59"),
    ]
    assert excerpt.total_matching == 60
    assert excerpt.query == QUERY
    assert excerpt.window == timedelta(minutes=6, seconds=30)
    [sent] = loki.queries
    assert sent.params["query"] == QUERY
    assert sent.params["direction"] == "backward"
    assert sent.params["start"] == str(ns(T0 - timedelta(minutes=5)))
    assert sent.params["end"] == str(ns(T0 + timedelta(seconds=90)))  # widened to the grid
    assert int(sent.params["limit"]) >= 15


async def test_timeout_reason(session: aiohttp.ClientSession, loki: FakeLoki) -> None:
    loki.delay = 0.4
    client = LokiClient(session, config(loki.url, timeout="100ms"))
    with pytest.raises(EnrichmentError) as info:
        await client.query_range(QUERY, T0, T0 + timedelta(minutes=1))
    assert info.value.reason == "timeout after 0.1 s"
    assert info.value.kind is EnrichmentFailureKind.TIMEOUT


def test_default_timeout_reads_2_s() -> None:
    assert config("http://loki:3100").timeout == timedelta(seconds=2)


@pytest.mark.parametrize("status", [500, 502, 429], ids=["500", "502", "429"])
async def test_http_error_reason(
    session: aiohttp.ClientSession, loki: FakeLoki, status: int
) -> None:
    loki.status = status
    client = LokiClient(session, config(loki.url))
    with pytest.raises(EnrichmentError, match=f"^HTTP {status}$"):
        await client.query_range(QUERY, T0, T0 + timedelta(minutes=1))


async def test_connection_refused(session: aiohttp.ClientSession) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = LokiClient(session, config(f"http://127.0.0.1:{port}"))
    with pytest.raises(EnrichmentError) as info:
        await client.query_range(QUERY, T0, T0 + timedelta(minutes=1))
    assert info.value.reason == "connection refused"
    assert info.value.kind is EnrichmentFailureKind.CONNECTION


async def test_tenant_header_required_and_sent(session: aiohttp.ClientSession) -> None:
    async with FakeLoki(tenant="team-ml") as fake:
        without = LokiClient(session, config(fake.url))
        with pytest.raises(EnrichmentError, match="HTTP 401"):
            await without.query_range(QUERY, T0, T0 + timedelta(minutes=1))
        wrong = LokiClient(session, config(fake.url, tenant="team-x"))
        with pytest.raises(EnrichmentError, match="HTTP 400"):
            await wrong.query_range(QUERY, T0, T0 + timedelta(minutes=1))
        right = LokiClient(session, config(fake.url, tenant="team-ml", bearer_token="s3cret"))
        excerpt = await right.query_range(QUERY, T0, T0 + timedelta(minutes=1))
    assert excerpt.total_matching == 0
    assert fake.queries[-1].headers["X-Scope-OrgID"] == "team-ml"
    assert fake.queries[-1].headers["Authorization"] == "Bearer s3cret"


async def test_basic_auth_header(session: aiohttp.ClientSession, loki: FakeLoki) -> None:
    cfg = config(loki.url, basic_auth={"username": "u", "password": "p"})
    await LokiClient(session, cfg).query_range(QUERY, T0, T0 + timedelta(minutes=1))
    assert loki.queries[0].headers["Authorization"] == "Basic dTpw"


async def test_storm_makes_one_request(session: aiohttp.ClientSession, loki: FakeLoki) -> None:
    loki.delay = 0.05
    client = LokiClient(session, config(loki.url))
    starts = [T0 + timedelta(milliseconds=97 * i) for i in range(100)]  # within one 30 s grid
    results = await asyncio.gather(
        *(
            client.query_range(QUERY, s - timedelta(minutes=5), s + timedelta(minutes=1))
            for s in starts
        )
    )
    assert len(loki.queries) == 1
    assert len({r.lines for r in results}) == 1
    await client.query_range(QUERY, T0 - timedelta(minutes=5), T0 + timedelta(minutes=1))
    assert len(loki.queries) == 1  # later: served from the cache


async def test_cache_expires(session: aiohttp.ClientSession, loki: FakeLoki) -> None:
    now = [0.0]
    client = LokiClient(session, config(loki.url, cache_ttl="30s"), clock=lambda: now[0])
    await client.query_range(QUERY, T0, T0 + timedelta(minutes=1))
    now[0] = 29.0
    await client.query_range(QUERY, T0, T0 + timedelta(minutes=1))
    now[0] = 31.0
    await client.query_range(QUERY, T0, T0 + timedelta(minutes=1))
    assert len(loki.queries) == 2


async def test_concurrency_limit(session: aiohttp.ClientSession, loki: FakeLoki) -> None:
    loki.delay = 0.05
    client = LokiClient(session, config(loki.url, max_concurrency=2))
    active = peak = 0
    original = client._get

    async def counting(*args: Any) -> Any:
        nonlocal active, peak
        active += 1
        peak = max(peak, active)
        try:
            return await original(*args)
        finally:
            active -= 1

    client._get = counting  # type: ignore[method-assign,assignment]
    await asyncio.gather(
        *(client.query_range(f'{{app="s{i}"}}', T0, T0 + timedelta(minutes=1)) for i in range(6))
    )
    assert len(loki.queries) == 6
    assert peak == 2


async def test_cancelled_caller_does_not_cancel_shared_request(
    session: aiohttp.ClientSession, loki: FakeLoki
) -> None:
    loki.delay = 0.1
    client = LokiClient(session, config(loki.url))
    first = asyncio.create_task(client.query_range(QUERY, T0, T0 + timedelta(minutes=1)))
    second = asyncio.create_task(client.query_range(QUERY, T0, T0 + timedelta(minutes=1)))
    await eventually(lambda: loki.queries, what="the shared query at Loki")
    first.cancel()
    excerpt = await second
    assert excerpt.total_matching >= 0
    assert len(loki.queries) == 1


def _payload(*streams: list[tuple[int, str]]) -> dict[str, Any]:
    return {
        "status": "success",
        "data": {
            "resultType": "streams",
            "result": [
                {"stream": {"s": str(i)}, "values": [[str(t), line] for t, line in values]}
                for i, values in enumerate(streams)
            ],
        },
    }


@pytest.mark.parametrize(
    ("overrides", "lines", "expected"),
    [
        pytest.param({"max_lines": 2}, ["a", "b", "c"], ("b", "c"), id="max-lines-keeps-newest"),
        pytest.param(
            {"max_line_chars": 16}, ["x" * 40], ("x" * 15 + "…",), id="line-cut-with-ellipsis"
        ),
        pytest.param(
            {"max_bytes": 90, "max_line_chars": 40},
            ["a" * 30, "b" * 30, "c" * 30],
            ("b" * 30, "c" * 30),
            id="bytes-drop-oldest",
        ),
        pytest.param(
            {"max_bytes": 64, "max_line_chars": 100},
            ["é" * 90],
            ("é" * 25 + "…",),
            id="one-huge-line-cut-on-utf8-boundary",
        ),
        pytest.param({}, ["trailing\n"], ("trailing",), id="trailing-newline"),
    ],
)
def test_excerpt_limits(overrides: dict[str, Any], lines: list[str], expected: tuple[str]) -> None:
    cfg = config("http://loki", **overrides)
    payload = _payload([(i + 1, line) for i, line in enumerate(lines)])
    excerpt = build_excerpt(payload, "q", timedelta(minutes=6), cfg)
    assert tuple(line.text for line in excerpt.lines) == expected
    assert excerpt.total_matching == len(lines)
    shown = sum(len(f"00:00:00 {line.text}\n".encode()) for line in excerpt.lines)
    assert shown <= cfg.max_bytes


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param({"status": "error"}, id="status-error"),
        pytest.param({"status": "success", "data": {"resultType": "matrix"}}, id="matrix"),
        pytest.param(
            {"status": "success", "data": {"resultType": "streams", "result": [{}]}},
            id="stream-without-values",
        ),
        pytest.param([], id="not-an-object"),
    ],
)
def test_unexpected_payload(payload: Any) -> None:
    with pytest.raises(EnrichmentError, match="unexpected response"):
        build_excerpt(payload, "q", timedelta(minutes=1), config("http://loki"))


def test_round_window_widens_to_grid() -> None:
    start, end = round_window(T0 + timedelta(seconds=7), T0 + timedelta(seconds=61))
    assert start == T0
    assert end == T0 + timedelta(seconds=90)
    assert round_window(T0, T0 + timedelta(seconds=60))[1] == T0 + timedelta(seconds=90)


def test_explore_url_is_encoded() -> None:
    grafana = GrafanaConfig(url="https://grafana.example.com/", loki_datasource_uid="P8E80F9")
    query = '{app="a&b"} |= "x y#z"'
    url = explore_url(grafana, query, T0, T0 + timedelta(minutes=6))
    parts = urlsplit(url)
    assert url.startswith("https://grafana.example.com/explore?")
    assert " " not in url
    assert "#" not in url
    params = parse_qs(parts.query)
    import json

    panes = json.loads(params["panes"][0])
    (pane,) = panes.values()
    assert pane["queries"][0]["expr"] == query
    assert pane["queries"][0]["datasource"] == {"type": "loki", "uid": "P8E80F9"}
    assert pane["range"] == {
        "from": str(int(T0.timestamp() * 1000)),
        "to": str(int((T0 + timedelta(minutes=6)).timestamp() * 1000)),
    }


def test_config_rejects_both_auths_and_reads_token_file(tmp_path: Any) -> None:
    with pytest.raises(ValueError, match="not both"):
        config("http://loki", bearer_token="a", basic_auth={"username": "u", "password": "p"})
    token = tmp_path / "token"
    token.write_text("from-file\n")
    cfg = config("http://loki/", bearer_token_file=str(token))
    assert cfg.bearer_token is not None
    assert cfg.bearer_token.get_secret_value() == "from-file"
    assert cfg.url == "http://loki"
    with pytest.raises(ValueError, match="double-quoted"):
        config("http://loki", queries=[{"matchers": ["team=ml"], "query": "{a={{ labels.a }}}"}])
