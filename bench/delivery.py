"""Delivery speed: webhook → first delivery attempt latency, and outbox drain rate.

    python bench/delivery.py [--db sqlite|postgresql] [--rate 100] [--seconds 10] [--backlog 5000]

A real ``alerthub serve`` subprocess talks to FakeTelegram and FakeSlack (from
``tests/fakes``) that answer at once, served from this process, which also drives
the load, so the hub's event loop is its own.

(a) latency: one new single-alert group per webhook, posted open-loop at ``--rate``
    alerts/s for ``--seconds``; for every message, the time from sending the webhook
    to the fake receiving the first ``sendMessage`` / ``chat.postMessage`` for it.
(b) drain: ``--backlog`` delivery rows (half Telegram, half Slack) piled up while both
    fakes were down (retry scheduled an hour ahead), then made due at once with the
    fakes up; the rate is rows done per second, timed by the fakes and by the store.

Targets (issue 4): p99 < 100 ms, drain ≥ 500 messages/s. Prints numbers, asserts nothing.
The hub's CPU time per phase is printed too (the hub is CPU-bound long before the fakes
are); ``BENCH_PYSPY=/tmp/out.txt`` samples the hub with py-spy (raw, collapsed stacks).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import re
import signal
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
from aiohttp import web
from sqlalchemy import func, select, update

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from hub.config.models import DatabaseConfig  # noqa: E402
from hub.store.engine import build_engine  # noqa: E402
from hub.store.schema import outbox  # noqa: E402
from tests.fakes.slack_api import FakeSlack  # noqa: E402
from tests.fakes.telegram_api import FakeTelegram  # noqa: E402
from tests.support.hub_process import HubProcess, start_hub_process, stop_hub  # noqa: E402

HOOK = "/api/v1/alerts/alertmanager"
INTAKE_TOKEN = "bench-intake-token"
API_TOKEN = "bench-api-token"
NAME = re.compile(r"Bench(\d{7})")
PG_ADMIN_DSN = os.environ.get("ALERTHUB_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


@dataclass
class Arrivals:
    """When each message first reached a fake: (channel, alert index) -> perf_counter."""

    first: dict[tuple[str, int], float] = field(default_factory=dict)
    times: list[float] = field(default_factory=list)

    def note(self, channel: str, text: str) -> None:
        now = time.perf_counter()
        self.times.append(now)
        found = NAME.search(text)
        if found:
            self.first.setdefault((channel, int(found.group(1))), now)


def timed_fakes(arrivals: Arrivals) -> tuple[FakeTelegram, FakeSlack]:
    """Fakes (not started yet) that note when each send arrives."""
    tg, slack = FakeTelegram(), FakeSlack()
    _stamp(tg, "telegram", arrivals)
    _stamp(slack, "slack", arrivals)
    return tg, slack


def _stamp(fake: FakeTelegram | FakeSlack, channel: str, arrivals: Arrivals) -> None:
    """Note the arrival of every send, before the fake does anything else with it."""

    @web.middleware
    async def stamp(request: web.Request, handler: Any) -> web.StreamResponse:
        method = request.match_info.get("method", "")
        if method in ("sendMessage", "chat.postMessage"):
            body = await request.text()
            arrivals.note(channel, body)
        return await handler(request)

    fake._app.middlewares.append(stamp)


def body(index: int) -> bytes:
    """A one-alert, critical Alertmanager group of its own, named after ``index``."""
    name = f"Bench{index:07d}"
    labels = {"alertname": name, "namespace": "prod", "severity": "critical", "service": "api"}
    return json.dumps(
        {
            "receiver": "hub",
            "status": "firing",
            "alerts": [
                {
                    "status": "firing",
                    "labels": labels,
                    "annotations": {"summary": "bench alert"},
                    "startsAt": "2026-11-24T22:07:31.137763279Z",
                    "endsAt": "0001-01-01T00:00:00Z",
                    "generatorURL": "",
                    "fingerprint": f"{index:016x}",
                }
            ],
            "groupLabels": {"alertname": name},
            "commonLabels": labels,
            "commonAnnotations": {"summary": "bench alert"},
            "externalURL": "http://am:9093",
            "version": "4",
            "groupKey": f'{{}}:{{alertname="{name}"}}',
            "truncatedAlerts": 0,
        }
    ).encode()


def hub_config(db_url: str, tg: FakeTelegram, slack: FakeSlack, **delivery: Any) -> dict[str, Any]:
    return {
        "external_url": "http://hub.bench",
        "database": {"url": db_url},
        "intake": {"token": INTAKE_TOKEN},
        "api": {"token": API_TOKEN},
        "logging": {"level": "warning"},
        "route": {"receiver": "oncall"},
        "receivers": [
            {
                "name": "oncall",
                "telegram_configs": [
                    {"bot_token": tg.token, "chat_id": -1001, "api_url": tg.base_url}
                ],
                "slack_configs": [
                    {"token": slack.token, "channel": "#alerts", "api_url": slack.api_url}
                ],
            }
        ],
        "delivery": delivery,
    }


@contextlib.asynccontextmanager
async def hub_process(workdir: Path, config: dict[str, Any]) -> AsyncIterator[HubProcess]:
    path = workdir / "hub.yaml"
    path.write_text(json.dumps(config), encoding="utf-8")
    hub = await start_hub_process(path, workdir / "hub.log")
    try:
        yield hub
    finally:
        await stop_hub(hub, signal.SIGTERM)


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    if not ordered:
        return math.nan
    return ordered[max(1, math.ceil(q / 100 * len(ordered))) - 1]


async def post(session: aiohttp.ClientSession, url: str, index: int) -> int:
    headers = {"Authorization": f"Bearer {INTAKE_TOKEN}", "Content-Type": "application/json"}
    async with session.post(url, data=body(index), headers=headers) as resp:
        await resp.read()
        return resp.status


async def bench_latency(workdir: Path, db_url: str, rate: float, seconds: float) -> None:
    arrivals = Arrivals()
    tg, slack = timed_fakes(arrivals)
    async with (
        tg,
        slack,
        hub_process(workdir, hub_config(db_url, tg, slack)) as hub,
        aiohttp.ClientSession() as session,
    ):
        spy = await start_spy(hub, seconds)
        cpu_before = cpu_seconds(hub.process.pid)
        total = int(rate * seconds)
        sent_at: dict[int, float] = {}
        tasks = []
        start = time.perf_counter()
        for i in range(total):
            await asyncio.sleep(max(start + i / rate - time.perf_counter(), 0))
            sent_at[i] = time.perf_counter()
            tasks.append(asyncio.create_task(post(session, hub.url + HOOK, i)))
        statuses = await asyncio.gather(*tasks)
        deadline = time.perf_counter() + 30
        while len(arrivals.first) < 2 * total and time.perf_counter() < deadline:
            await asyncio.sleep(0.05)
        elapsed = time.perf_counter() - start
        cpu = cpu_seconds(hub.process.pid) - cpu_before
        await finish_spy(spy)
    print(
        f"(a) latency: {total} alerts at {rate:g}/s over {elapsed:.1f}s; "
        f"webhook statuses {sorted(set(statuses))}; "
        f"{len(arrivals.first)}/{2 * total} first attempts seen"
    )
    print(f"    hub CPU {cpu:.1f}s over {elapsed:.1f}s wall")
    for channel in ("telegram", "slack", "all"):
        lat = [
            (t - sent_at[i]) * 1000
            for (ch, i), t in arrivals.first.items()
            if channel in ("all", ch)
        ]
        print(
            f"    {channel:8s} p50 {percentile(lat, 50):7.1f} ms  p99 {percentile(lat, 99):7.1f} ms"
            f"  max {max(lat, default=math.nan):7.1f} ms"
        )


SPY_OUT = os.environ.get("BENCH_PYSPY")  # a path: sample the hub with py-spy into it


async def start_spy(hub: HubProcess, seconds: float) -> asyncio.subprocess.Process | None:
    if not SPY_OUT:
        return None
    py_spy = Path(sys.executable).with_name("py-spy")
    return await asyncio.create_subprocess_exec(
        str(py_spy), "record", "--pid", str(hub.process.pid), "--format", "raw",
        "--duration", str(int(seconds)), "--rate", "200", "--output", SPY_OUT,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip


async def finish_spy(spy: asyncio.subprocess.Process | None, *, stop: bool = False) -> None:
    if spy is not None:
        if stop and spy.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                spy.send_signal(signal.SIGINT)  # py-spy writes what it has on Ctrl-C
        await spy.wait()
        print(f"    py-spy samples written to {SPY_OUT}")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (all threads) so far, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def count_pending(db_url: str, kind: str) -> int:
    engine = build_engine(DatabaseConfig(url=db_url))
    try:
        async with engine.connect() as conn:
            query = select(func.count()).where(outbox.c.kind == kind, outbox.c.state == "pending")
            return int((await conn.execute(query)).scalar_one())
    finally:
        await engine.dispose()


async def make_due(db_url: str) -> None:
    engine = build_engine(DatabaseConfig(url=db_url))
    try:
        async with engine.begin() as conn:
            await conn.execute(
                update(outbox)
                .where(outbox.c.kind == "deliver", outbox.c.state == "pending")
                .values(due_at=datetime.now(UTC), leased_until=None)
            )
    finally:
        await engine.dispose()


async def pile_up(workdir: Path, db_url: str, tg: FakeTelegram, slack: FakeSlack, n: int) -> None:
    """Write ``n`` delivery rows whose first attempt failed; their retry is an hour away."""
    await tg.set_down(True)
    await slack.set_down(True)
    config = hub_config(db_url, tg, slack, backoff_base="1h", backoff_max="1h")
    async with hub_process(workdir, config) as hub, aiohttp.ClientSession() as session:
        sem = asyncio.Semaphore(32)

        async def one(i: int) -> None:
            async with sem:
                await post(session, hub.url + HOOK, i)

        await asyncio.gather(*(one(i) for i in range(n // 2)))
        deadline = time.perf_counter() + 120
        while time.perf_counter() < deadline:
            if await count_pending(db_url, "flush") == 0 and await _attempted(db_url) >= n:
                break
            await asyncio.sleep(0.5)
    await tg.set_down(False)
    await slack.set_down(False)


async def _attempted(db_url: str) -> int:
    engine = build_engine(DatabaseConfig(url=db_url))
    try:
        async with engine.connect() as conn:
            query = select(func.count()).where(
                outbox.c.kind == "deliver", outbox.c.state == "pending", outbox.c.attempts >= 1
            )
            return int((await conn.execute(query)).scalar_one())
    finally:
        await engine.dispose()


async def bench_drain(workdir: Path, db_url: str, backlog: int) -> None:
    arrivals = Arrivals()
    tg, slack = timed_fakes(arrivals)
    async with tg, slack:
        await pile_up(workdir, db_url, tg, slack, backlog)
        rows = await count_pending(db_url, "deliver")
        config = hub_config(db_url, tg, slack)
        async with hub_process(workdir, config) as hub:
            spy = await start_spy(hub, 20)
            cpu_before = cpu_seconds(hub.process.pid)
            started = time.perf_counter()
            await make_due(db_url)
            while await count_pending(db_url, "deliver") and time.perf_counter() - started < 120:
                await asyncio.sleep(0.05)
            store_s = time.perf_counter() - started
            left = await count_pending(db_url, "deliver")
            cpu = cpu_seconds(hub.process.pid) - cpu_before
            await finish_spy(spy, stop=True)
    sends = sorted(arrivals.times)
    span = sends[-1] - sends[0] if len(sends) > 1 else math.nan
    print(
        f"(b) drain: {rows} rows due at once; {rows - left} done in {store_s:.2f}s"
        f" = {(rows - left) / store_s:,.0f} msg/s (store view, incl. up to one poll interval);"
        f" {len(sends)} sends in {span:.2f}s = {len(sends) / span:,.0f} msg/s (fakes' view)"
    )
    per_message = cpu / max(rows, 1) * 1000
    print(f"    hub CPU {cpu:.1f}s over {store_s:.1f}s = {per_message:.1f} ms per message")


@contextlib.asynccontextmanager
async def database(kind: str) -> AsyncIterator[str]:
    """A fresh database URL: a SQLite file, or a throw-away PostgreSQL database."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix="alerthub-bench-db-") as tmp:
            yield f"sqlite+aiosqlite:///{tmp}/hub.db"
        return
    name = f"alerthub_bench_{uuid.uuid4().hex[:8]}"
    conn = await asyncpg.connect(PG_ADMIN_DSN)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    try:
        yield f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
    finally:
        conn = await asyncpg.connect(PG_ADMIN_DSN)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--rate", type=float, default=100.0, help="alerts per second")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--backlog", type=int, default=5000, help="delivery rows to drain")
    parser.add_argument("--only", choices=("latency", "drain"))
    parser.add_argument("--workdir", help="keep configs and hub logs here (default: a temp dir)")
    args = parser.parse_args()
    print(f"store: {args.db}")
    with contextlib.ExitStack() as stack:
        tmp = args.workdir or stack.enter_context(
            tempfile.TemporaryDirectory(prefix="alerthub-bench-")
        )
        Path(tmp).mkdir(parents=True, exist_ok=True)
        if args.only in (None, "latency"):
            async with database(args.db) as url:
                await bench_latency(Path(tmp), url, args.rate, args.seconds)
        if args.only in (None, "drain"):
            async with database(args.db) as url:
                await bench_drain(Path(tmp), url, args.backlog)


if __name__ == "__main__":
    asyncio.run(main())
