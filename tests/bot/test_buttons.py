"""Buttons on alert messages: every press answered; acted on only for the right role."""

from __future__ import annotations

import re
from typing import Any

from tests.bot.conftest import (
    ACKED_BY_RITA,
    ALERT_CHAT,
    RESPONDER,
    STRANGER,
    VIEWER,
    BotRig,
    pod_group,
)
from tests.conftest import api_headers
from tests.support.waiting import eventually


def buttons(markup: Any) -> list[tuple[str, str]]:
    rows = (markup or {}).get("inline_keyboard", [])
    return [(b["text"], b["callback_data"]) for row in rows for b in row]


async def test_ack_button_acks_the_group_and_edits_once(bot: BotRig) -> None:
    await bot.post(pod_group(3))
    message = await bot.alert_message()
    first = min(i["id"] for i in await bot.incidents())
    assert buttons(bot.tg.messages[message].reply_markup) == [
        ("Ack", f"ack:v1:{first}"),
        ("Silence 1h", f"silence:v1:{first}:1h"),
    ]
    answer = await bot.press(RESPONDER, message, f"ack:v1:{first}")
    assert answer["text"] == f"Acknowledged 3 incidents of HighErrorRate (#{first}'s group)."
    edited = await eventually(lambda: bot.tg.messages[message], check=lambda m: "ACKED" in m.text)
    assert re.match(ACKED_BY_RITA, edited.text)
    assert buttons(edited.reply_markup) == [("Silence 1h", f"silence:v1:{first}:1h")]
    assert {i["acked_by"] for i in await bot.incidents()} == {"rita"}
    again = await bot.press(RESPONDER, message, f"ack:v1:{first}")
    assert again["text"].endswith("its group was already acknowledged.")
    await bot.settled()
    assert len(bot.tg.calls_to("editMessageText")) == 1
    assert len(bot.tg.sent_to(ALERT_CHAT)) == 1


async def test_press_without_the_role_is_answered_not_acted_on(bot: BotRig) -> None:
    await bot.post(pod_group(1))
    message = await bot.alert_message()
    [incident] = await bot.incidents()
    viewer = await bot.press(VIEWER, message, f"ack:v1:{incident['id']}")
    assert viewer["text"] == "Sorry, /ack needs the responder role."
    assert str(viewer["show_alert"]).lower() == "true"
    stranger = await bot.press(STRANGER, message, f"silence:v1:{incident['id']}:1h")
    assert stranger["text"].startswith("Sorry, you are not on this hub's list of people")
    await bot.settled()
    [incident] = await bot.incidents()
    assert incident["acked_by"] is None
    resp = await bot.hub.get("/api/v1/silences", headers=api_headers())
    assert (await resp.json())["items"] == []
    assert bot.tg.calls_to("editMessageText") == []


async def test_silence_button_silences_the_group_for_an_hour(bot: BotRig) -> None:
    await bot.post(pod_group(2))
    message = await bot.alert_message()
    first = min(i["id"] for i in await bot.incidents())
    answer = await bot.press(RESPONDER, message, f"silence:v1:{first}:1h")
    resp = await bot.hub.get("/api/v1/silences", headers=api_headers())
    [silence] = (await resp.json())["items"]
    assert answer["text"].startswith(f"Silence {silence['id']} for 1h: ")
    assert silence["created_by"] == "rita"
    assert 'alertname="HighErrorRate"' in silence["matchers"]
    assert not any(m.startswith("pod=") for m in silence["matchers"])


async def test_unknown_or_old_buttons_are_refused_explicitly(bot: BotRig) -> None:
    await bot.post(pod_group(1))
    message = await bot.alert_message()
    for data in ("reboot:v1:5", "ack:v0:5", "garbage"):
        answer = await bot.press(RESPONDER, message, data)
        assert answer["text"] == "This button is not understood any more; /help"


async def test_press_on_a_resolved_incident_says_so(bot: BotRig) -> None:
    await bot.post(pod_group(1))
    message = await bot.alert_message()
    [incident] = await bot.incidents()
    await bot.post(pod_group(0, resolved=1))
    await eventually(lambda: bot.incidents(status="resolved"), check=bool)
    answer = await bot.press(RESPONDER, message, f"ack:v1:{incident['id']}")
    assert answer["text"] == f"incident {incident['id']} is already resolved"
