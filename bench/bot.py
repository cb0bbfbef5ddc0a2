"""Bot speed: command round-trip time and updates handled per second, against FakeTelegram.

    python bench/bot.py [--db sqlite|postgresql] [--round-trips 200] [--burst 2000]

A real ``alerthub serve`` subprocess polls FakeTelegram (``tests/fakes``), served from
this process, which also plays the people.

(a) round trip: ``--round-trips`` ``/whoami`` commands one after the other; for each, the
    time from queuing the update at the fake to the fake receiving the reply
    (long poll wake-up, claim in the store, permission check, reply, audit).
(b) throughput: ``--burst`` commands from 100 people queued at once; updates handled per
    second, from the queuing to the last reply.

Prints numbers, asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import asyncpg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.fakes.telegram_api import FakeTelegram, Person  # noqa: E402
from tests.support.hub_process import start_hub_process, stop_hub  # noqa: E402

CHAT = -1009
PEOPLE = [Person(1000 + i, f"p{i}") for i in range(100)]
PG_ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"


def hub_config(db_url: str, tg: FakeTelegram) -> dict[str, Any]:
    return {
        "external_url": "http://hub.bench",
        "database": {"url": db_url},
        "intake": {"token": "bench-intake"},
        "api": {"token": "bench-api"},
        "logging": {"level": "warning"},
        "telegram_bot": {
            "bot_token": tg.token,
            "api_url": tg.base_url,
            "allowed_chats": [CHAT],
            "commands_per_minute": 600,
            "users": [{"id": p.id, "name": p.username, "role": "viewer"} for p in PEOPLE],
        },
    }


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1)]


async def replies(tg: FakeTelegram, count: int, timeout: float = 120.0) -> None:
    """Wait for ``count`` replies in all (every sent message here is a reply)."""
    deadline = time.monotonic() + timeout
    while len(tg.messages) < count:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{len(tg.messages)} of {count} replies")
        await asyncio.sleep(0.001)


async def round_trips(tg: FakeTelegram, count: int) -> list[float]:
    times = []
    for i in range(count):
        before = len(tg.messages)
        started = time.perf_counter()
        await tg.push(tg.command(PEOPLE[i % len(PEOPLE)], CHAT, "/whoami"))
        await replies(tg, before + 1)
        times.append(time.perf_counter() - started)
    return times


async def burst(tg: FakeTelegram, count: int) -> float:
    before = len(tg.messages)
    updates = [tg.command(PEOPLE[i % len(PEOPLE)], CHAT, "/whoami") for i in range(count)]
    started = time.perf_counter()
    await tg.push(*updates)
    await replies(tg, before + count)
    return count / (time.perf_counter() - started)


async def run(db: str, trips: int, size: int) -> None:
    async with FakeTelegram() as tg:
        with tempfile.TemporaryDirectory() as tmp:
            workdir = Path(tmp)
            db_url, drop = await database(db, workdir)
            path = workdir / "hub.yaml"
            path.write_text(json.dumps(hub_config(db_url, tg)), encoding="utf-8")
            hub = await start_hub_process(path, workdir / "hub.log")
            try:
                await tg.push(tg.command(PEOPLE[0], CHAT, "/whoami"))  # warm up, polling
                await replies(tg, 1, timeout=30)
                times = await round_trips(tg, trips)
                rate = await burst(tg, size)
            except TimeoutError:
                print(hub.log()[-4000:], file=sys.stderr)
                raise
            finally:
                await stop_hub(hub)
                await drop()
    ms = [t * 1000 for t in times]
    print(f"store: {db}")
    print(
        f"command round trip ({trips} sequential /whoami): p50 {percentile(ms, 0.5):.1f} ms,"
        f" p95 {percentile(ms, 0.95):.1f} ms, p99 {percentile(ms, 0.99):.1f} ms,"
        f" max {max(ms):.1f} ms"
    )
    print(f"throughput ({size} commands from {len(PEOPLE)} people at once): {rate:.0f} updates/s")


async def database(db: str, workdir: Path) -> tuple[str, Any]:
    if db == "sqlite":

        async def nothing() -> None:
            return None

        return f"sqlite+aiosqlite:///{workdir / 'hub.db'}", nothing
    name = f"alerthub_bench_bot_{int(time.time())}"
    conn = await asyncpg.connect(PG_ADMIN_DSN)
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()

    async def drop() -> None:
        admin = await asyncpg.connect(PG_ADMIN_DSN)
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()

    return f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}", drop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--round-trips", type=int, default=200)
    parser.add_argument("--burst", type=int, default=2000)
    args = parser.parse_args()
    asyncio.run(run(args.db, args.round_trips, args.burst))


if __name__ == "__main__":
    main()
