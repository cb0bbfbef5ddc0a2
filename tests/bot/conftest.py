"""A hub with its bot, a Telegram chat for alerts, and people of every role (and a stranger)."""

from __future__ import annotations

import copy
import json
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from hub.api.keys import BOT
from hub.app import create_app
from hub.clock import Clock, utc_now
from tests.conftest import api_headers, fixture_bytes, intake_headers, make_config
from tests.fakes.telegram_api import FakeTelegram, Person
from tests.support import outbox
from tests.support.waiting import eventually

Client = TestClient[Any, Any]
ALERT_CHAT = -1001
TEAM_CHAT = -1009
STRANGE_CHAT = -1666
VIEWER = Person(11, "vera")
RESPONDER = Person(22, "rita")
OPERATOR = Person(33, "omar")
ADMIN = Person(44, "ayse")
STRANGER = Person(99, "mallory")
WEBHOOK_SECRET = "s3cret-hook_token"
# The acked headline names the Telegram handle, not the API name, with the time of the ack.
ACKED_BY_RITA = r"<b>🟠 ACKED by @rita at \d\d:\d\d · critical · HighErrorRate</b>"


def bot_section(tg: FakeTelegram, **extra: Any) -> dict[str, Any]:
    return {
        "bot_token": tg.token,
        "api_url": tg.base_url,
        "allowed_chats": [ALERT_CHAT, TEAM_CHAT],
        "users": [
            {"id": VIEWER.id, "name": "vera", "role": "viewer"},
            {"id": RESPONDER.id, "name": "rita", "role": "responder"},
            {"id": OPERATOR.id, "name": "omar", "role": "operator"},
            {"id": ADMIN.id, "name": "ayse", "role": "admin"},
        ],
        **extra,
    }


def bot_config(db_url: str, tg: FakeTelegram, **bot: Any) -> Any:
    return make_config(
        db_url,
        route={"receiver": "oncall"},
        receivers=[
            {
                "name": "oncall",
                "telegram_configs": [
                    {"bot_token": tg.token, "chat_id": ALERT_CHAT, "api_url": tg.base_url}
                ],
            }
        ],
        delivery={"poll_interval": "50ms", "backoff_base": "100ms", "send_timeout": "3s"},
        telegram_bot=bot_section(tg, **bot),
    )


_TEMPLATE = json.loads(fixture_bytes("01-critical-firing.json"))


def pod_group(firing: int, resolved: int = 0, *, total: int | None = None) -> bytes:
    """One Alertmanager group of ``HighErrorRate`` alerts, one per pod; the first
    ``resolved`` pods resolved, the next ``firing`` firing."""
    body: dict[str, Any] = copy.deepcopy(_TEMPLATE)
    template = body["alerts"][0]
    alerts = []
    for i in range(resolved + firing):
        alert = copy.deepcopy(template)
        alert["labels"]["pod"] = f"model-api-{i}"
        alert["fingerprint"] = f"feed{i:012x}"
        if i < resolved:
            alert["status"] = "resolved"
            alert["endsAt"] = "2026-11-24T22:20:00Z"
        alerts.append(alert)
    body["alerts"] = alerts
    body["status"] = "firing" if firing else "resolved"
    return json.dumps(body).encode()


@dataclass
class BotRig:
    """The hub, the fake Bot API, and helpers to talk as people do."""

    hub: Client
    tg: FakeTelegram

    async def post(self, body: bytes) -> None:
        resp = await self.hub.post(
            "/api/v1/alerts/alertmanager", data=body, headers=intake_headers()
        )
        assert resp.status == 200, await resp.text()

    async def say(self, person: Person, text: str, chat: int = TEAM_CHAT) -> str:
        """Send a command and return the bot's reply in that chat."""
        before = len(self.tg.sent_to(chat))
        await self.tg.push(self.tg.command(person, chat, text))
        sent = await eventually(
            lambda: self.tg.sent_to(chat), what=f"a reply to {text!r}",
            check=lambda s: len(s) > before,
        )  # fmt: skip
        return str(sent[before])

    async def press(self, person: Person, message_id: int, data: str) -> dict[str, Any]:
        """Press a button and return Telegram's record of the answer."""
        update = self.tg.press(person, message_id, data)
        await self.tg.push(update)
        query_id = update["callback_query"]["id"]
        answers = await eventually(
            self.tg.answers, what=f"an answer to {data!r}", check=lambda a: query_id in a
        )
        return dict(answers[query_id])

    async def alert_message(self, count: int = 1) -> int:
        """The id of the ``count``-th alert message in the alert chat."""
        await eventually(
            lambda: self.tg.sent_to(ALERT_CHAT), what="the alert message",
            check=lambda s: len(s) >= count,
        )  # fmt: skip
        ids = [i for i, m in self.tg.messages.items() if str(m.chat_id) == str(ALERT_CHAT)]
        return ids[count - 1]

    async def incidents(self, **params: str) -> list[dict[str, Any]]:
        resp = await self.hub.get("/api/v1/incidents", params=params, headers=api_headers())
        items: list[dict[str, Any]] = (await resp.json())["items"]
        return items

    async def settled(self) -> None:
        await outbox.settled(self.hub.app)

    async def polling(self) -> None:
        await eventually(lambda: self.hub.app[BOT].polling, what="the bot polling")


BotRigFactory = Callable[..., AbstractAsyncContextManager[BotRig]]


@pytest.fixture
def make_bot_rig(db_url: str) -> BotRigFactory:
    @asynccontextmanager
    async def factory(clock: Clock = utc_now, **bot: Any) -> AsyncIterator[BotRig]:
        async with FakeTelegram() as tg:
            app = create_app(bot_config(db_url, tg, **bot), clock=clock)
            async with TestClient(TestServer(app)) as client:
                yield BotRig(client, tg)

    return factory


@pytest.fixture
async def bot(make_bot_rig: BotRigFactory) -> AsyncIterator[BotRig]:
    async with make_bot_rig() as rig:
        await rig.polling()
        yield rig
