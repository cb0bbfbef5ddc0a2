"""Two hub processes on one PostgreSQL: one polls; when it is killed the other takes over."""

from __future__ import annotations

import signal
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path

import pytest
from sqlalchemy import select

from hub.config.models import DatabaseConfig
from hub.store.engine import build_engine
from hub.store.schema import bot_updates
from tests.bot.conftest import TEAM_CHAT, VIEWER, bot_section
from tests.conftest import API_TOKEN, INTAKE_TOKEN
from tests.fakes.telegram_api import FakeTelegram
from tests.support.hub_process import HubProcess, start_hub_process, stop_hub, write_hub_config
from tests.support.waiting import eventually

pytestmark = pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
TOKEN_ENV = "REPLICA_TG_TOKEN"


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as fake:
        yield fake


def is_polling(hub: HubProcess) -> bool:
    """Whether the hub's last word on polling is that it started."""
    log = hub.log()
    return log.rfind("bot_polling_started") > log.rfind("bot_polling_stopped")


async def test_one_replica_polls_and_another_takes_over(
    tmp_path: Path, db_url: str, tg: FakeTelegram
) -> None:
    config = write_hub_config(
        tmp_path / "hub.yaml",
        {
            "external_url": "http://hub.test",
            "database": {"url": db_url},
            "intake": {"token": INTAKE_TOKEN},
            "api": {"token": API_TOKEN},
            "telegram_bot": {**bot_section(tg), "bot_token": "${" + TOKEN_ENV + "}"},
        },
    )
    env = {TOKEN_ENV: tg.token}
    async with AsyncExitStack() as stack:
        hubs: list[HubProcess] = []
        for name in ("a", "b"):
            hub = await start_hub_process(config, tmp_path / f"{name}.log", env=env)
            stack.push_async_callback(stop_hub, hub, signal.SIGKILL)
            hubs.append(hub)
        pollers = await eventually(
            lambda: [h for h in hubs if is_polling(h)], what="a poller", check=bool
        )
        sent = 3
        for _ in range(sent):
            await tg.push(tg.command(VIEWER, TEAM_CHAT, "/whoami"))
        await eventually(lambda: tg.sent_to(TEAM_CHAT), check=lambda s: len(s) == sent)
        assert [h for h in hubs if is_polling(h)] == pollers  # still exactly one
        [leader] = pollers
        [other] = [h for h in hubs if h is not leader]
        # Kill only once the leader recorded what it did: a kill between its reply and that
        # record leaves its update claimed and unanswered again: at most once, never twice.
        await eventually(
            lambda: audit(db_url),
            check=lambda rows: len(rows) == sent and all(o == "done" for _, o in rows),
            what="the leader's outcomes recorded",
        )

        await stop_hub(leader, signal.SIGKILL)
        await tg.push(tg.command(VIEWER, TEAM_CHAT, "/help"))
        await eventually(lambda: is_polling(other), timeout=15, what="the other replica polling")
        replies = await eventually(
            lambda: tg.sent_to(TEAM_CHAT), timeout=15, check=lambda s: len(s) == sent + 1
        )
        assert "vera (viewer)" in replies[-1]
        # Updates the dead poller took but never confirmed come again: none is answered twice.
        await tg.push(tg.command(VIEWER, TEAM_CHAT, "/whoami"))
        await eventually(tg.pending_updates, check=lambda p: not p, what="confirmed")
        outcomes = await eventually(lambda: audit(db_url), check=lambda rows: len(rows) == sent + 2)
        assert all(outcome == "done" for _, outcome in outcomes)
        assert len(tg.sent_to(TEAM_CHAT)) == sent + 2
        assert "Traceback" not in other.log()


async def audit(db_url: str) -> list[tuple[int, str]]:
    """Every update any replica took, and what came of it."""
    engine = build_engine(DatabaseConfig(url=db_url))
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(select(bot_updates.c.update_id, bot_updates.c.outcome))
            return [(r.update_id, r.outcome) for r in rows]
    finally:
        await engine.dispose()
