"""A hub wired to a fake Telegram, a fake Slack and a real SMTP server, on each store."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from aiosmtpd.controller import Controller

from hub.app import create_app
from hub.clock import Clock, utc_now
from tests.conftest import api_headers, fixture_bytes, intake_headers, make_config
from tests.fakes.slack_api import FakeSlack
from tests.fakes.telegram_api import FakeTelegram
from tests.support import outbox
from tests.support.smtp import RecordingHandler, run_smtp
from tests.support.waiting import eventually

Client = TestClient[Any, Any]


def routed_config(
    db_url: str, tg: FakeTelegram, slack: FakeSlack, smtp: Controller, **extra: Any
) -> Any:
    sections: dict[str, Any] = {
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
                "email_configs": [
                    {
                        "to": "oncall@example.org",
                        "from": "hub@example.org",
                        "smarthost": f"127.0.0.1:{smtp.port}",
                        "require_tls": False,
                    }
                ],
            },
            {
                "name": "lead",
                "telegram_configs": [
                    {"bot_token": tg.token, "chat_id": -2002, "api_url": tg.base_url}
                ],
            },
        ],
        "delivery": {
            "poll_interval": "50ms",
            "backoff_base": "100ms",
            "backoff_max": "1s",
            "max_attempts": 4,
            "send_timeout": "3s",
        },
    }
    return make_config(db_url, **{**sections, **extra})


@dataclass
class Rig:
    hub: Client
    tg: FakeTelegram
    slack: FakeSlack
    smtp: RecordingHandler

    async def post(self, name: str) -> None:
        resp = await self.hub.post(
            "/api/v1/alerts/alertmanager", data=fixture_bytes(name), headers=intake_headers()
        )
        assert resp.status == 200, await resp.text()

    async def incident(self, alertname: str) -> dict[str, Any]:
        resp = await self.hub.get(
            "/api/v1/incidents", params={"alertname": alertname}, headers=api_headers()
        )
        (item,) = (await resp.json())["items"]
        detail = await self.hub.get(f"/api/v1/incidents/{item['id']}", headers=api_headers())
        result: dict[str, Any] = await detail.json()
        return result

    async def suppressed(self, alertname: str, reason: str) -> bool:
        """Whether the incident's timeline records a message held back for ``reason``."""
        timeline = (await self.incident(alertname))["timeline"]
        return any(e["type"] == "suppressed" and e["detail"]["reason"] == reason for e in timeline)

    async def pending(self, *, due: bool = False) -> list[tuple[str, datetime]]:
        return await outbox.pending(self.hub.app, due=due)

    async def settled(self) -> None:
        await outbox.settled(self.hub.app)

    async def drained(self) -> None:
        await outbox.drained(self.hub.app)


@pytest.fixture
def smtp_handler() -> RecordingHandler:
    return RecordingHandler()


@pytest.fixture
def smtp_server(smtp_handler: RecordingHandler) -> Iterator[Controller]:
    yield from run_smtp(smtp_handler)


RigFactory = Callable[..., AbstractAsyncContextManager[Rig]]


@pytest.fixture
def make_rig(db_url: str, smtp_server: Controller, smtp_handler: RecordingHandler) -> RigFactory:
    """A rig whose config gets ``extra`` top-level sections (e.g. ``fatigue``)."""

    @asynccontextmanager
    async def factory(clock: Clock = utc_now, **extra: Any) -> AsyncIterator[Rig]:
        async with FakeTelegram() as tg, FakeSlack() as slack:
            app = create_app(routed_config(db_url, tg, slack, smtp_server, **extra), clock=clock)
            async with TestClient(TestServer(app)) as client:
                yield Rig(client, tg, slack, smtp_handler)

    return factory


@pytest.fixture
async def rig(make_rig: RigFactory) -> AsyncIterator[Rig]:
    async with make_rig() as made:
        yield made


__all__ = ["Rig", "RigFactory", "eventually"]
