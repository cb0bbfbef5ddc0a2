"""enrich(): runbook link, log excerpt or why not, Explore link; never raises, never blocks."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from hub.channels.model import LogLine
from hub.config.enrich import GrafanaConfig, LokiConfig
from hub.enrich.enricher import enrich, format_window, log_summary
from hub.enrich.loki import LogExcerpt, LokiClient
from hub.enrich.runbooks import RunbookIndex
from tests.fakes.loki_api import FakeLoki

REPO = Path(__file__).resolve().parents[2]
T0 = datetime(2025, 3, 1, 3, 12, tzinfo=UTC)
NS = 1_000_000_000
LABELS = {
    "alertname": "HighErrorRate",
    "namespace": "prod",
    "service": "model-api",
    "severity": "critical",
}
GRAFANA = GrafanaConfig(url="https://grafana.example.com")
RUNBOOKS = RunbookIndex.load(REPO / "runbooks")


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client_session:
        yield client_session


@pytest.fixture
async def loki() -> AsyncIterator[FakeLoki]:
    async with FakeLoki(tenant="ml") as fake:
        base = int(T0.timestamp()) * NS
        fake.add_lines(
            {"app": "model-api"},
            [(base - (42 - i) * NS, f"ERROR inference failed #{i}") for i in range(42)],
        )
        yield fake


def client(session: aiohttp.ClientSession, url: str, **overrides: Any) -> LokiClient:
    cfg = LokiConfig.model_validate({"url": url, "tenant": "ml", "max_lines": 3, **overrides})
    return LokiClient(session, cfg)


async def test_full_enrichment(session: aiohttp.ClientSession, loki: FakeLoki) -> None:
    result = await enrich(
        LABELS,
        {"summary": "5xx share 7.3 %"},
        T0,
        loki=client(session, loki.url),
        runbooks=RUNBOOKS,
        grafana=GRAFANA,
        external_url="https://hub.example.com/",
    )
    assert result.runbook_name == "HighErrorRate"
    assert result.runbook_url == "https://hub.example.com/runbooks/HighErrorRate"
    assert [line.text for line in result.log_lines] == [
        f"ERROR inference failed #{i}" for i in (39, 40, 41)
    ]
    assert [line.at for line in result.log_lines] == sorted(line.at for line in result.log_lines)
    assert result.log_summary == "Loki · last 5 min · 3 of 42 matching lines"
    assert result.logs_unavailable is None
    assert result.explore_url is not None
    assert result.explore_url.startswith("https://grafana.example.com/explore?")
    assert result.dashboards[0].title == "Model service overview"
    assert loki.queries[0].params["query"] == (
        '{namespace="prod", app="model-api"} |~ "(?i)error|exception|traceback"'
    )


async def test_links_only_for_an_edit_do_not_ask_loki(
    session: aiohttp.ClientSession, loki: FakeLoki
) -> None:
    result = await enrich(
        LABELS,
        {},
        T0,
        loki=client(session, loki.url),
        runbooks=RUNBOOKS,
        grafana=GRAFANA,
        external_url="https://hub.example.com",
        fetch_logs=False,
    )
    assert loki.queries == []
    assert result.runbook_url == "https://hub.example.com/runbooks/HighErrorRate"
    assert result.dashboards[0].title == "Model service overview"
    assert result.explore_url is not None
    assert result.explore_url.startswith("https://grafana.example.com/explore?")
    assert result.log_lines == ()
    assert result.logs_unavailable is None


async def test_timeout_never_blocks(session: aiohttp.ClientSession, loki: FakeLoki) -> None:
    loki.delay = 60  # Loki does not answer while the test runs
    result = await enrich(
        LABELS,
        {},
        T0,
        loki=client(session, loki.url, timeout="100ms"),
        runbooks=RUNBOOKS,
        grafana=GRAFANA,
    )
    assert loki.answered == 0, "enrichment returned before Loki answered"
    assert result.logs_unavailable == "timeout after 0.1 s"
    assert result.log_lines == ()
    assert result.runbook_name == "HighErrorRate"
    assert result.explore_url is not None  # the link still helps when our fetch failed


async def test_http_error_and_no_loki(session: aiohttp.ClientSession, loki: FakeLoki) -> None:
    loki.status = 502
    result = await enrich(
        LABELS, {}, T0, loki=client(session, loki.url), runbooks=RUNBOOKS, external_url=None
    )
    assert result.logs_unavailable == "HTTP 502"
    assert result.runbook_url == "/runbooks/HighErrorRate"
    result = await enrich(LABELS, {}, T0, loki=None, runbooks=RUNBOOKS)
    assert result.logs_unavailable is None
    assert result.log_summary is None


async def test_config_default_query_by_matchers(
    session: aiohttp.ClientSession, loki: FakeLoki
) -> None:
    queries = [
        {"matchers": ['team="search"'], "query": '{app="search"}'},
        {"matchers": ['alertname="Custom"'], "query": '{app="{{ labels.service }}"} |= "boom"'},
    ]
    labels = {"alertname": "Custom", "service": 'x"y'}
    loki.streams.clear()  # the fake does not evaluate LogQL: nothing matches
    result = await enrich(
        labels, {}, T0, loki=client(session, loki.url, queries=queries), runbooks=RunbookIndex()
    )
    assert result.runbook_name is None
    assert loki.queries[0].params["query"] == '{app="x\\"y"} |= "boom"'
    assert result.log_summary == "Loki · last 5 min · no matching lines"
    no_match = await enrich(
        {"alertname": "Other"},
        {},
        T0,
        loki=client(session, loki.url, queries=queries),
        runbooks=RunbookIndex(),
    )
    assert no_match.log_summary is None
    assert no_match.explore_url is None


async def test_storm_of_enrichments_makes_one_loki_request(
    session: aiohttp.ClientSession, loki: FakeLoki
) -> None:
    loki.delay = 0.05
    shared = client(session, loki.url)
    results = await asyncio.gather(
        *(
            enrich(
                {**LABELS, "pod": f"model-api-{i}"},
                {},
                T0 + timedelta(milliseconds=50 * i),
                loki=shared,
                runbooks=RUNBOOKS,
            )
            for i in range(100)
        )
    )
    assert len(loki.queries) == 1
    assert {r.log_summary for r in results} == {"Loki · last 5 min · 3 of 42 matching lines"}


@pytest.mark.parametrize(
    ("window", "text"),
    [
        pytest.param(timedelta(minutes=5), "5 min", id="minutes"),
        pytest.param(timedelta(seconds=90), "90 s", id="seconds"),
        pytest.param(timedelta(hours=2), "2 h", id="hours"),
    ],
)
def test_format_window(window: timedelta, text: str) -> None:
    assert format_window(window) == text


def test_summary_counts_capped_and_singular() -> None:
    window = timedelta(minutes=6)
    capped = LogExcerpt(
        lines=(LogLine(T0, "a"),) * 15, total_matching=1000, window=window, query="q"
    )
    assert log_summary(capped, timedelta(minutes=5)) == (
        "Loki · last 5 min · 15 of 1000+ matching lines"
    )
    one = LogExcerpt(lines=(LogLine(T0, "a"),), total_matching=1, window=window, query="q")
    assert log_summary(one, timedelta(minutes=5)) == "Loki · last 5 min · 1 of 1 matching line"
