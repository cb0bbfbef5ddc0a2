"""Two hub replicas on one PostgreSQL: the same webhook to both is still one message per channel."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from aiosmtpd.controller import Controller
from sqlalchemy import select

from hub.app import create_app
from hub.clock import utc_now
from hub.config.models import DatabaseConfig, DeliveryConfig
from hub.store.engine import build_engine
from hub.store.schema import outbox
from tests.conftest import fixture_bytes, intake_headers
from tests.delivery.conftest import eventually, routed_config
from tests.e2e import group_body
from tests.fakes.slack_api import FakeSlack
from tests.fakes.telegram_api import FakeTelegram
from tests.support.smtp import RecordingHandler

pytestmark = pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
Client = TestClient[Any, Any]
GROUPS = 12
HOOK = "/api/v1/alerts/alertmanager"
# Small batches so both replicas' claims overlap instead of one taking everything at once.
DELIVERY = DeliveryConfig.model_validate(
    {
        "poll_interval": "20ms",
        "batch_size": 4,
        "backoff_base": "100ms",
        "backoff_max": "1s",
        "send_timeout": "3s",
        "lease": "10s",
    }
)


@dataclass
class Replicas:
    """Two apps on one database, sharing the fakes; the test sees every call they make."""

    hubs: list[Client]
    tg: FakeTelegram
    slack: FakeSlack
    smtp: RecordingHandler
    db_url: str

    async def post_to_all(self, body: bytes) -> None:
        """What an Alertmanager HA pair does: both members deliver, to different replicas."""
        answers = await asyncio.gather(
            *(hub.post(HOOK, data=body, headers=intake_headers()) for hub in self.hubs)
        )
        for resp in answers:
            assert resp.status == 200, await resp.text()

    def top_level(self) -> dict[str, int]:
        return {
            "telegram": len(self.tg.calls_to("sendMessage")),
            "slack": sum(
                1 for c in self.slack.calls_to("chat.postMessage") if not c.params.get("thread_ts")
            ),
            "email": sum(1 for m in self.smtp.messages if not m["In-Reply-To"]),
        }

    async def settled(self) -> bool:
        """No flush or delivery row is left pending, so nothing more will be sent."""
        engine = build_engine(DatabaseConfig(url=self.db_url))
        try:
            async with engine.connect() as conn:
                states = (
                    await conn.execute(
                        select(outbox.c.state).where(outbox.c.kind.in_(("flush", "deliver")))
                    )
                ).scalars()
                found = list(states)
        finally:
            await engine.dispose()
        return bool(found) and set(found) == {"done"}

    async def sent_per_replica(self) -> list[float]:
        """``alerthub_notifications_sent_total`` summed over labels, per replica."""
        totals = []
        for hub in self.hubs:
            text = await (await hub.get("/metrics")).text()
            totals.append(
                sum(
                    float(line.rsplit(" ", 1)[1])
                    for line in text.splitlines()
                    if line.startswith("alerthub_notifications_sent_total{")
                )
            )
        return totals


@pytest.fixture
async def replicas(
    db_url: str, smtp_server: Controller, smtp_handler: RecordingHandler
) -> AsyncIterator[Replicas]:
    async with FakeTelegram() as tg, FakeSlack() as slack:
        config = routed_config(db_url, tg, slack, smtp_server)
        config = config.model_copy(update={"delivery": DELIVERY})
        async with (
            TestClient(TestServer(create_app(config, clock=utc_now))) as one,
            TestClient(TestServer(create_app(config, clock=utc_now))) as two,
        ):
            yield Replicas([one, two], tg, slack, smtp_handler, db_url)


async def test_same_webhooks_to_two_replicas_send_each_message_once(replicas: Replicas) -> None:
    bodies = [group_body(i, "Replica") for i in range(GROUPS)]
    await asyncio.gather(*(replicas.post_to_all(body) for body in bodies))
    # Alertmanager re-sends a group on every repeat interval, again to both replicas.
    await asyncio.gather(*(replicas.post_to_all(body) for body in bodies))
    await eventually(replicas.settled, timeout=15)

    assert replicas.top_level() == {"telegram": GROUPS, "slack": GROUPS, "email": GROUPS}
    names = sorted(
        c.params["text"].split("Replica", 1)[1][:2] for c in replicas.tg.calls_to("sendMessage")
    )
    assert names == [f"{i:02d}" for i in range(GROUPS)]
    assert sum(await replicas.sent_per_replica()) == 3 * GROUPS


async def test_resolve_sent_to_both_replicas_edits_once(replicas: Replicas) -> None:
    await replicas.post_to_all(fixture_bytes("01-critical-firing.json"))
    await eventually(replicas.settled, timeout=10)
    await replicas.post_to_all(fixture_bytes("07-critical-resolved.json"))
    await eventually(lambda: replicas.tg.calls_to("editMessageText"), timeout=10)
    await eventually(replicas.settled, timeout=10)

    assert len(replicas.tg.calls_to("editMessageText")) == 1
    assert len(replicas.slack.calls_to("chat.update")) == 1
    assert len(replicas.smtp.messages) == 2
    assert replicas.top_level() == {"telegram": 1, "slack": 1, "email": 1}
    assert sum(await replicas.sent_per_replica()) == 6
