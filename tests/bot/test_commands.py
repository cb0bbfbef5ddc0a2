"""Commands through getUpdates: replies, refusals, helpful errors, escaping, once only."""

from __future__ import annotations

from tests.bot.conftest import (
    RESPONDER,
    VIEWER,
    BotRig,
    pod_group,
)


async def test_help_lists_what_the_role_may_do(bot: BotRig) -> None:
    viewer = await bot.say(VIEWER, "/help")
    assert "vera (viewer)" in viewer
    assert "/incidents" in viewer
    assert "/ack" not in viewer
    responder = await bot.say(RESPONDER, "/help")
    assert "/ack" in responder
    assert "/silence" in responder


async def test_ack_acknowledges_the_group(bot: BotRig) -> None:
    await bot.post(pod_group(3))
    await bot.alert_message()
    first = min(i["id"] for i in await bot.incidents())
    reply = await bot.say(RESPONDER, f"/ack {first} on it")
    assert reply == f"Acknowledged 3 incidents of HighErrorRate (#{first}&#x27;s group)."
