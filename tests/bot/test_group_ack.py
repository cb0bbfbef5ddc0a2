"""A message stands for a group: one ack takes it all; a partial resolve keeps the ack."""

from __future__ import annotations

import re
from typing import Any

from tests.bot.conftest import ACKED_BY_RITA, ALERT_CHAT, RESPONDER, BotRig, pod_group
from tests.support.waiting import eventually


def buttons(markup: Any) -> list[str]:
    rows = (markup or {}).get("inline_keyboard", [])
    return [b["text"] for row in rows for b in row]


async def test_group_ack_partial_resolve_and_a_late_joiner(bot: BotRig) -> None:
    await bot.post(pod_group(10))
    message = await bot.alert_message()
    some = sorted(i["id"] for i in await bot.incidents())[4]  # any incident of the group
    reply = await bot.say(RESPONDER, f"/ack {some}")
    assert reply == f"Acknowledged 10 incidents of HighErrorRate (#{some}'s group)."
    await eventually(lambda: bot.tg.messages[message].text, check=lambda t: "ACKED" in t)
    await bot.settled()
    assert len(bot.tg.calls_to("editMessageText")) == 1  # one edit for ten incidents

    await bot.post(pod_group(5, resolved=5))  # five of ten resolve
    text = await eventually(
        lambda: bot.tg.messages[message].text, check=lambda t: "5 of 10 resolved" in t
    )
    assert re.match(ACKED_BY_RITA, text)
    assert buttons(bot.tg.messages[message].reply_markup) == ["Silence 1h"]
    await bot.settled()
    assert len(bot.tg.sent_to(ALERT_CHAT)) == 1  # no new FIRING message

    await bot.post(pod_group(6, resolved=5))  # pod 10 joins after the ack
    await eventually(lambda: bot.tg.sent_to(ALERT_CHAT), check=lambda s: len(s) == 2)
    late = bot.tg.sent_to(ALERT_CHAT)[1]
    assert late.startswith("<b>🔴 FIRING · critical · HighErrorRate</b>")
    newest = max(bot.tg.messages)
    assert buttons(bot.tg.messages[newest].reply_markup) == ["Ack", "Silence 1h"]
    open_ = await bot.incidents(status="firing")
    assert [i["labels"]["pod"] for i in open_] == ["model-api-10"]
