"""What enrichment adds to a message, and how many Loki requests an alert storm makes.

Runs the real ``enrich()`` (runbook lookup, LogQL rendering, the Loki client with its cache
and single-flight) against the fake Loki on loopback answering in ``--loki-ms`` (50 ms):

* latency: ``--messages`` sequential messages cycling over 5 services, the enrich call timed
  without Loki (runbook only), with the cache off (``cache_ttl: 0s``) and on (30 s);
* storm: ``--storm`` alerts on 5 services at once, their ``startsAt`` spread evenly over
  ``--spread-s`` seconds (25 s: one 30 s window each; 120 s: several); counts the
  requests Loki received per (service, window).

``python bench/enrich.py`` prints the numbers.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from hub.config.enrich import LokiConfig  # noqa: E402
from hub.enrich.enricher import enrich  # noqa: E402
from hub.enrich.loki import WINDOW_ROUNDING, LokiClient  # noqa: E402
from hub.enrich.runbooks import RunbookIndex  # noqa: E402
from tests.fakes.loki_api import FakeLoki  # noqa: E402

SERVICES = [f"model-{name}" for name in ("api", "ranker", "embedder", "llm", "vision")]
NS = 1_000_000_000
# On the window grid, so a storm starting within 25 s shares one window per service.
T0 = datetime(2026, 11, 24, 22, 7, 30, tzinfo=UTC)
RUNBOOKS = RunbookIndex.load(REPO / "runbooks")


def labels_for(service: str) -> dict[str, str]:
    return {
        "alertname": "HighErrorRate",
        "namespace": "prod",
        "service": service,
        "severity": "critical",
    }


def percentile(samples: Sequence[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def loki_config(url: str, cache_ttl: str) -> LokiConfig:
    return LokiConfig.model_validate({"url": url, "cache_ttl": cache_ttl, "timeout": "2s"})


async def time_messages(
    session: aiohttp.ClientSession, loki: FakeLoki, messages: int, cache_ttl: str | None
) -> list[float]:
    """Seconds per enrich call for ``messages`` sequential messages over the 5 services."""
    client = None if cache_ttl is None else LokiClient(session, loki_config(loki.url, cache_ttl))
    samples = []
    for i in range(messages):
        labels = labels_for(SERVICES[i % len(SERVICES)])
        started = time.perf_counter()
        result = await enrich(labels, {}, T0, loki=client, runbooks=RUNBOOKS)
        samples.append(time.perf_counter() - started)
        assert result.runbook_name == "HighErrorRate"
        assert client is None or result.log_lines, result
    return samples


async def storm(
    session: aiohttp.ClientSession, loki: FakeLoki, alerts: int, spread_s: float
) -> tuple[int, int, float, int]:
    """(requests Loki received, windows touched, wall seconds, messages with logs)."""
    client = LokiClient(session, loki_config(loki.url, "30s"))
    before = len(loki.queries)
    step = spread_s / max(alerts - 1, 1)
    starts = [T0 + timedelta(seconds=i * step) for i in range(alerts)]
    grid = WINDOW_ROUNDING.total_seconds()
    windows = {(SERVICES[i % len(SERVICES)], s.timestamp() // grid) for i, s in enumerate(starts)}
    started = time.perf_counter()
    results = await asyncio.gather(
        *(
            enrich(labels_for(SERVICES[i % len(SERVICES)]), {}, s, loki=client, runbooks=RUNBOOKS)
            for i, s in enumerate(starts)
        )
    )
    wall = time.perf_counter() - started
    with_logs = sum(1 for r in results if r.log_lines)
    return len(loki.queries) - before, len(windows), wall, with_logs


def row(name: str, samples: Sequence[float]) -> str:
    p50, p99 = percentile(samples, 0.5) * 1000, percentile(samples, 0.99) * 1000
    return f"  {name:<26} p50 {p50:8.3f} ms   p99 {p99:8.3f} ms   (n={len(samples)})"


async def run(args: argparse.Namespace) -> None:
    async with FakeLoki() as loki, aiohttp.ClientSession() as session:
        base = int(T0.timestamp()) * NS
        for service in SERVICES:
            loki.add_lines(
                {"namespace": "prod", "app": service},
                [(base - (60 - i) * NS, f"ERROR {service} request failed #{i}") for i in range(60)],
            )
        loki.delay = args.loki_ms / 1000
        print(f"enrich() per message, Loki answering in {args.loki_ms:g} ms, 5 services:")
        for name, ttl in (
            ("no Loki (runbook only)", None),
            ("Loki, cache off", "0s"),
            ("Loki, cache on (30 s)", "30s"),
        ):
            print(row(name, await time_messages(session, loki, args.messages, ttl)))

        for spread in args.spread_s:
            requests, windows, wall, with_logs = await storm(session, loki, args.storm, spread)
            print(
                f"storm: {args.storm} alerts on {len(SERVICES)} services within {spread:g} s:"
                f" {requests} Loki requests for {windows} (service, 30 s window) pairs"
                f" ({requests / windows:.2f} per window), {with_logs}/{args.storm} messages"
                f" with logs, all enriched in {wall * 1000:.0f} ms"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--loki-ms", type=float, default=50.0)
    parser.add_argument("--messages", type=int, default=200)
    parser.add_argument("--storm", type=int, default=500)
    parser.add_argument("--spread-s", type=float, nargs="+", default=[25.0, 120.0])
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
