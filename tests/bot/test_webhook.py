"""Webhook mode: Telegram posts updates to the hub's own route, with the secret it was given."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from hub.api.keys import BOT
from tests.bot.conftest import TEAM_CHAT, VIEWER, WEBHOOK_SECRET, BotRig, BotRigFactory
from tests.support.waiting import eventually

HOOK = "/api/v1/telegram/webhook"
HEADER = "X-Telegram-Bot-Api-Secret-Token"


@pytest.fixture
async def hooked(make_bot_rig: BotRigFactory) -> AsyncIterator[BotRig]:
    async with make_bot_rig(mode="webhook", webhook_secret=WEBHOOK_SECRET) as rig:
        await eventually(lambda: rig.tg.webhook.url, what="setWebhook")
        await eventually(lambda: rig.hub.app[BOT].ready, what="the bot started")
        yield rig


async def test_sets_its_webhook_and_never_polls(hooked: BotRig) -> None:
    assert hooked.tg.webhook.url == "http://hub.test/api/v1/telegram/webhook"
    assert hooked.tg.webhook.secret_token == WEBHOOK_SECRET
    [call] = hooked.tg.calls_to("setWebhook")
    assert call.params["allowed_updates"] == ["message", "callback_query"]
    assert hooked.tg.calls_to("getUpdates") == []


async def test_right_secret_is_handled_once(hooked: BotRig) -> None:
    update = hooked.tg.command(VIEWER, TEAM_CHAT, "/whoami")
    for _ in range(2):  # Telegram retries a delivery it thinks failed
        resp = await hooked.hub.post(HOOK, json=update, headers={HEADER: WEBHOOK_SECRET})
        assert resp.status == 200, await resp.text()
    [reply] = await eventually(lambda: hooked.tg.sent_to(TEAM_CHAT), check=bool)
    assert "You are <b>vera</b>" in reply
    resp = await hooked.hub.post(
        HOOK, json=hooked.tg.command(VIEWER, TEAM_CHAT, "/help"), headers={HEADER: WEBHOOK_SECRET}
    )
    assert resp.status == 200
    await eventually(lambda: hooked.tg.sent_to(TEAM_CHAT), check=lambda s: len(s) == 2)


@pytest.mark.parametrize(
    ("headers", "error"),
    [
        ({HEADER: "not-the-secret"}, f"{HEADER}: wrong secret token"),
        ({}, f"{HEADER}: missing secret token"),
    ],
    ids=["wrong", "missing"],
)
async def test_wrong_or_missing_secret_is_refused(
    hooked: BotRig, headers: dict[str, str], error: str
) -> None:
    update = hooked.tg.command(VIEWER, TEAM_CHAT, "/whoami")
    resp = await hooked.hub.post(HOOK, json=update, headers=headers)
    assert resp.status == 401
    assert (await resp.json())["error"] == error
    # The same update with the secret is handled: the refused one was not recorded.
    resp = await hooked.hub.post(HOOK, json=update, headers={HEADER: WEBHOOK_SECRET})
    assert resp.status == 200
    [reply] = await eventually(lambda: hooked.tg.sent_to(TEAM_CHAT), check=bool)
    assert "You are <b>vera</b>" in reply


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (b"{nope", "body is not valid JSON"),
        (b"[1, 2]", "update_id: a Telegram update carries an integer update_id"),
        (b'{"update_id": "7"}', "update_id: a Telegram update carries an integer update_id"),
    ],
    ids=["not-json", "not-object", "string-id"],
)
async def test_bodies_that_are_no_update_are_refused(
    hooked: BotRig, body: bytes, error: str
) -> None:
    resp = await hooked.hub.post(HOOK, data=body, headers={HEADER: WEBHOOK_SECRET})
    assert resp.status == 400
    assert (await resp.json())["error"] == error


async def test_no_webhook_route_in_polling_mode(bot: BotRig) -> None:
    resp = await bot.hub.post(HOOK, json={"update_id": 1}, headers={HEADER: WEBHOOK_SECRET})
    assert resp.status == 404
