"""Real Alertmanager → real ``alerthub serve`` → fake Telegram, fake Slack and real SMTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.conftest import API_TOKEN, INTAKE_TOKEN
from tests.delivery.conftest import eventually
from tests.e2e import (
    HOOK,
    SECRET_ENV,
    Channels,
    assert_no_secret_in,
    running_channels,
    write_routed_config,
)
from tests.support.alertmanager import RunningAlertmanager, postable_alert, run_alertmanager
from tests.support.hub_process import HubProcess, running_hub

pytestmark = pytest.mark.e2e

LABELS = {"alertname": "E2EFanout", "namespace": "prod", "severity": "critical"}
ANNOTATIONS = {"summary": "5xx ratio above 5% on checkout"}
# Telegram stays down until the hub has failed this many times (backoff capped at
# 500 ms, FAST_DELIVERY): several failed attempts, then delivery soon after recovery.
RETRIES_WHILE_DOWN = 5
# Slack and email must not wait behind Telegram's failed attempts.


class E2E:
    """One hub process with its channels and one Alertmanager posting to it."""

    def __init__(self, ch: Channels, hub: HubProcess, am: RunningAlertmanager) -> None:
        self.ch, self.hub, self.am = ch, hub, am
        self.starts = datetime.now(UTC) - timedelta(seconds=5)

    async def fire(self) -> None:
        await self.am.api_v2.push_alerts(
            [postable_alert(LABELS, annotations=ANNOTATIONS, starts_at=self.starts)]
        )

    async def resolve(self) -> None:
        ended = datetime.now(UTC) - timedelta(seconds=1)
        await self.am.api_v2.push_alerts(
            [postable_alert(LABELS, annotations=ANNOTATIONS, starts_at=self.starts, ends_at=ended)]
        )

    async def incident(self) -> dict[str, Any]:
        (item,) = await self.hub.incidents(API_TOKEN, alertname=LABELS["alertname"])
        headers = {"Authorization": f"Bearer {API_TOKEN}"}
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as session,
            session.get(f"{self.hub.url}/api/v1/incidents/{item['id']}", headers=headers) as r,
        ):
            assert r.status == 200, await r.text()
            detail: dict[str, Any] = await r.json()
            return detail

    async def events(self, kind: str) -> list[dict[str, Any]]:
        return [e for e in (await self.incident())["timeline"] if e["type"] == kind]


@pytest.fixture
async def e2e(tmp_path: Path, db_url: str) -> AsyncIterator[E2E]:
    async with running_channels() as ch:
        config = write_routed_config(tmp_path, db_url, ch)
        async with (
            running_hub(config, tmp_path / "hub.log", env=SECRET_ENV) as hub,
            run_alertmanager(
                tmp_path,
                webhook_url=hub.url + HOOK,
                bearer_token=INTAKE_TOKEN,
                group_interval="1s",
                repeat_interval="1s",
            ) as am,
        ):
            yield E2E(ch, hub, am)
            assert_no_secret_in(hub.log())


async def test_one_message_per_routed_channel_and_resolve_updates_in_place(e2e: E2E) -> None:
    ch = e2e.ch
    await e2e.fire()
    one_each = {"telegram": 1, "slack": 1, "email": 1}
    await eventually(lambda: ch.counts() == one_each, timeout=10)
    # Alertmanager re-sends the group every second (repeat_interval 1s); the hub must
    # recognise each repeat as the same episode. Wait until it has seen three.
    await eventually(lambda: _duplicates_at_least(e2e, 3), timeout=10)
    assert ch.counts() == one_each
    first_post = ch.slack.calls_to("chat.postMessage")[0]
    assert first_post.params["channel"] == "#alerts", "critical must not reach #team"
    sent = ch.tg.calls_to("sendMessage")[0].params
    assert "E2EFanout" in sent["text"]
    assert "FIRING" in sent["text"]
    assert ch.smtp.messages[0]["Subject"].startswith("🔴 [FIRING:1] E2EFanout")

    await e2e.resolve()
    edits = await eventually(lambda: ch.tg.calls_to("editMessageText"), timeout=10)
    await eventually(lambda: ch.slack.calls_to("chat.update"), timeout=10)
    await eventually(lambda: len(ch.slack.calls_to("chat.postMessage")) == 2, timeout=10)
    await eventually(lambda: len(ch.smtp.messages) == 2, timeout=10)

    assert "RESOLVED" in edits[0].params["text"]
    assert int(edits[0].params["message_id"]) == 1
    (update,) = ch.slack.calls_to("chat.update")
    first_ts = next(iter(ch.slack.messages))[1]
    assert update.params["ts"] == first_ts
    reply = ch.slack.calls_to("chat.postMessage")[1]
    assert reply.params["thread_ts"] == first_ts
    email_reply = ch.smtp.messages[1]
    assert email_reply["In-Reply-To"] == ch.smtp.messages[0]["Message-ID"]
    assert email_reply["Subject"].startswith("Re: [RESOLVED]")
    assert ch.counts() == one_each, "a resolved group must not produce a fresh message"
    assert (await e2e.incident())["status"] == "resolved"


async def test_channel_down_gets_its_message_later_without_delaying_the_others(e2e: E2E) -> None:
    ch = e2e.ch
    await ch.tg.set_down(True)
    await e2e.fire()
    await eventually(lambda: ch.counts()["slack"] == 1 and ch.counts()["email"] == 1, timeout=5)
    assert ch.counts()["telegram"] == 0, "Slack and email went out while Telegram was down"

    retries = await eventually(
        lambda: _telegram_retries(e2e, at_least=RETRIES_WHILE_DOWN), timeout=15
    )
    assert {r["detail"]["reason"] for r in retries} == {"connection"}
    assert ch.counts()["telegram"] == 0
    await ch.tg.set_down(False)

    await eventually(lambda: ch.counts()["telegram"] == 1, timeout=5)
    await eventually(lambda: _duplicates_at_least(e2e, 2), timeout=10)
    assert ch.counts() == {"telegram": 1, "slack": 1, "email": 1}
    notified = {e["detail"]["channel"] for e in await e2e.events("notified")}
    assert notified == {"telegram[0]", "slack[0]", "email[0]"}


async def _duplicates_at_least(e2e: E2E, n: int) -> bool:
    items = await e2e.hub.incidents(API_TOKEN, alertname=LABELS["alertname"])
    return bool(items) and items[0]["duplicate_count"] >= n


async def _telegram_retries(e2e: E2E, at_least: int) -> list[dict[str, Any]]:
    retries = [
        e for e in await e2e.events("delivery_retry") if e["detail"]["channel"] == "telegram[0]"
    ]
    return retries if len(retries) >= at_least else []
