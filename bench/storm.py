"""Alert-fatigue storm replay: how many messages reach people, and why the rest did not.

    python bench/storm.py [--groups 200] [--alerts 10] [--repeats 2] [--flapping 20]

Replays a deterministic storm (``tests/support/storm.py``: 200 groups of 10 alerts with
Alertmanager repeats, a flapping 10 %, and a ModelServiceDown outage that inhibits its
service's alerts) into an in-process hub on SQLite, with a fake Telegram answering at
once, and prints: webhook notifications in, incidents, messages out, messages per
incident, suppressed by reason, and critical incidents that reached a channel.

Target (issue 5): messages per incident ≤ 1.2 and every critical incident delivered.
Prints numbers, asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import aiohttp
import yaml
from aiohttp import web
from sqlalchemy import func, select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from hub.api.keys import ENGINE  # noqa: E402
from hub.app import create_app  # noqa: E402
from hub.config.loader import parse_config  # noqa: E402
from hub.store import migrate  # noqa: E402
from hub.store.outbox import PENDING  # noqa: E402
from hub.store.schema import incident_events, incidents, outbox  # noqa: E402
from tests.fakes.telegram_api import FakeTelegram  # noqa: E402
from tests.support.ports import free_port  # noqa: E402
from tests.support.storm import INHIBIT_RULES, StormShape, make_storm  # noqa: E402

TOKEN = "storm-intake-token"


def hub_config(db: Path, tg: FakeTelegram, shape: StormShape) -> str:
    return yaml.safe_dump(
        {
            "database": {"url": f"sqlite+aiosqlite:///{db}"},
            "intake": {"token": TOKEN},
            "api": {"token": "storm-api-token"},
            "route": {"receiver": "oncall"},
            "receivers": [
                {
                    "name": "oncall",
                    "telegram_configs": [
                        {"bot_token": tg.token, "chat_id": -1, "api_url": tg.base_url}
                    ],
                }
            ],
            "inhibit_rules": INHIBIT_RULES,
            "delivery": {"poll_interval": "20ms"},
            "fatigue": {
                "reminders": {"critical": {"every": None}, "warning": {"every": None}},
                "flapping": {"threshold": shape.flap_threshold, "window": "30m"},
            },
        }
    )


async def drained(app: web.Application) -> None:
    while True:
        async with app[ENGINE].connect() as conn:
            pending = await conn.scalar(
                select(func.count()).select_from(outbox).where(outbox.c.state == PENDING)
            )
        if not pending:
            return
        await asyncio.sleep(0.01)


async def run(shape: StormShape) -> None:
    storm = make_storm(shape)
    with tempfile.TemporaryDirectory() as tmp:
        async with FakeTelegram() as tg:
            loaded = parse_config(hub_config(Path(tmp) / "storm.db", tg, shape), env={})
            app = create_app(loaded.config)
            from hub.store.engine import build_engine

            engine = build_engine(loaded.config.database)
            await migrate.upgrade(engine)
            await engine.dispose()
            runner = web.AppRunner(app, access_log=None)
            await runner.setup()
            port = free_port()
            await web.TCPSite(runner, "127.0.0.1", port).start()
            url = f"http://127.0.0.1:{port}/api/v1/alerts/alertmanager"
            headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
            started = time.perf_counter()
            async with aiohttp.ClientSession() as session:
                for body in storm.bodies:
                    async with session.post(url, data=body, headers=headers) as resp:
                        assert resp.status == 200
                    await drained(app)
            elapsed = time.perf_counter() - started
            await report(app, tg, storm.alerts, len(storm.bodies), elapsed)
            await runner.cleanup()


async def report(
    app: web.Application, tg: FakeTelegram, alerts: int, bodies: int, elapsed: float
) -> None:
    async with app[ENGINE].connect() as conn:
        n_incidents = await conn.scalar(select(func.count()).select_from(incidents))
        reasons = Counter(
            row.detail["reason"]
            for row in await conn.execute(
                select(incident_events.c.detail).where(incident_events.c.type == "suppressed")
            )
        )
        critical = (await conn.execute(
            select(incidents.c.id).where(incidents.c.severity == "critical")
        )).scalars().all()  # fmt: skip
        notified = set(
            (
                await conn.execute(
                    select(incident_events.c.incident_id).where(
                        incident_events.c.type == "notified"
                    )
                )
            )
            .scalars()
            .all()
        )
    messages = len(tg.calls_to("sendMessage"))
    edits = len(tg.calls_to("editMessageText"))
    print(f"webhook notifications in : {bodies} ({alerts} alerts) in {elapsed:.1f} s")
    print(f"incidents                : {n_incidents}")
    print(f"messages out             : {messages} (+{edits} edits in place)")
    print(f"messages per incident    : {messages / max(n_incidents or 1, 1):.3f}")
    print("suppressed by reason     : " + ", ".join(f"{k}={v}" for k, v in reasons.most_common()))
    print(
        f"critical incidents       : {len(critical)}, reached a channel:"
        f" {len([c for c in critical if c in notified])}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--groups", type=int, default=200)
    parser.add_argument("--alerts", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--flapping", type=int, default=20)
    args = parser.parse_args()
    shape = StormShape(
        groups=args.groups,
        alerts_per_group=args.alerts,
        repeats=args.repeats,
        flapping=args.flapping,
        flap_cycles=6,
    )
    asyncio.run(run(shape))


if __name__ == "__main__":
    main()
