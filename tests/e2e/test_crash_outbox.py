"""SIGKILL ``alerthub serve`` with outbox rows due; after a restart each message goes out once."""

from __future__ import annotations

import signal
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import select

from hub.config.models import DatabaseConfig
from hub.store.engine import build_engine
from hub.store.schema import outbox
from tests.conftest import intake_headers
from tests.delivery.conftest import eventually
from tests.e2e import (
    HOOK,
    SECRET_ENV,
    Channels,
    group_body,
    running_channels,
    write_routed_config,
)
from tests.support.hub_process import HubProcess, start_hub_process, stop_hub

GROUPS = 6
SENDING_KINDS = ("flush", "deliver")


async def post_groups(hub: HubProcess, count: int) -> None:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as session:
        for index in range(count):
            async with session.post(
                hub.url + HOOK, data=group_body(index, "Crash"), headers=intake_headers()
            ) as resp:
                assert resp.status == 200, await resp.text()


async def outbox_states(db_url: str) -> list[tuple[str, str, int]]:
    """(kind, state, attempts) of every outbox row, read straight from the store."""
    engine = build_engine(DatabaseConfig(url=db_url))
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(select(outbox.c.kind, outbox.c.state, outbox.c.attempts))
            return [(r.kind, r.state, r.attempts) for r in rows]
    finally:
        await engine.dispose()


def pending(rows: Sequence[tuple[str, str, int]]) -> list[tuple[str, str, int]]:
    return [r for r in rows if r[1] == "pending"]


@pytest.fixture
async def ch() -> AsyncIterator[Channels]:
    async with running_channels() as channels:
        yield channels


async def _restart_and_settle(config: Path, log: Path, db_url: str, ch: Channels) -> HubProcess:
    """Restart on the same store; return once no flush or delivery row is left pending.

    Once none is pending nothing more can be sent, so the counts taken then are final.
    """
    hub = await start_hub_process(config, log, env=SECRET_ENV)
    try:
        # A row the killed process had claimed waits for its lease (2 s) to run out.
        await eventually(lambda: _all_done(db_url), timeout=15)
    except AssertionError:
        await stop_hub(hub, signal.SIGKILL)
        rows = await outbox_states(db_url)
        tail = log.read_text()[-3000:]
        raise AssertionError(f"outbox not drained: {rows}\n--- hub log ---\n{tail}") from None
    return hub


async def _all_done(db_url: str) -> bool:
    """Every flush and delivery row is done (timers of other kinds may be due later)."""
    rows = [r for r in await outbox_states(db_url) if r[0] in SENDING_KINDS]
    return bool(rows) and all(state == "done" for _, state, _ in rows)


async def test_sigkill_with_retrying_rows(tmp_path: Path, db_url: str, ch: Channels) -> None:
    """Telegram is down: its rows are retrying when the hub dies; Slack and email are done."""
    config = write_routed_config(tmp_path, db_url, ch)
    log = tmp_path / "hub.log"
    await ch.tg.set_down(True)
    hub = await start_hub_process(config, log, env=SECRET_ENV)
    try:
        await post_groups(hub, GROUPS)
        await eventually(lambda: ch.counts() == {"telegram": 0, "slack": GROUPS, "email": GROUPS})
        retrying = await eventually(lambda: _retrying_deliveries(db_url, GROUPS), timeout=GROUPS)
        # Kill only once Slack's and email's sends are recorded as done: a send whose
        # mark-done a crash interrupts is sent again (at-least-once, as documented).
        await eventually(lambda: _done_deliveries(db_url, 2 * GROUPS), timeout=GROUPS)
    finally:
        assert await stop_hub(hub, signal.SIGKILL) == -signal.SIGKILL
    assert len(retrying) == GROUPS, retrying

    await ch.tg.set_down(False)
    hub = await _restart_and_settle(config, log, db_url, ch)
    await stop_hub(hub, signal.SIGKILL)
    assert ch.counts() == {"telegram": GROUPS, "slack": GROUPS, "email": GROUPS}
    texts = sorted(c.params["text"].split("Crash", 1)[1][:2] for c in ch.tg.calls_to("sendMessage"))
    assert texts == [f"{i:02d}" for i in range(GROUPS)], "each group exactly once on Telegram"


async def test_sigkill_right_after_intake(tmp_path: Path, db_url: str, ch: Channels) -> None:
    """Every channel refuses, so nothing can have gone out; kill as soon as intake answered."""
    config = write_routed_config(tmp_path, db_url, ch)
    log = tmp_path / "hub.log"
    await ch.tg.set_down(True)
    await ch.slack.set_down(True)
    ch.smtp.data_reply = "451 4.3.0 try again later"
    hub = await start_hub_process(config, log, env=SECRET_ENV)
    try:
        await post_groups(hub, GROUPS)
    finally:
        assert await stop_hub(hub, signal.SIGKILL) == -signal.SIGKILL
    rows = await outbox_states(db_url)
    assert len([r for r in pending(rows) if r[0] in SENDING_KINDS]) >= GROUPS, rows
    assert ch.counts() == {"telegram": 0, "slack": 0, "email": 0}

    await ch.tg.set_down(False)
    await ch.slack.set_down(False)
    ch.smtp.data_reply = None
    hub = await _restart_and_settle(config, log, db_url, ch)
    await stop_hub(hub, signal.SIGKILL)
    assert ch.counts() == {"telegram": GROUPS, "slack": GROUPS, "email": GROUPS}
    deliveries = [r for r in await outbox_states(db_url) if r[0] == "deliver"]
    assert len(deliveries) == 3 * GROUPS, "one delivery row per group and channel"


async def _done_deliveries(db_url: str, want: int) -> bool:
    rows = await outbox_states(db_url)
    return len([r for r in rows if r[0] == "deliver" and r[1] == "done"]) >= want


async def _retrying_deliveries(db_url: str, want: int) -> list[tuple[str, str, int]]:
    rows = [r for r in pending(await outbox_states(db_url)) if r[0] == "deliver" and r[2] >= 1]
    return rows if len(rows) >= want else []
