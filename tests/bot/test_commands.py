"""Commands through getUpdates: replies, refusals (audited), helpful errors, escaping, once only."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from hub.api.keys import ENGINE
from hub.store.schema import bot_updates
from tests.bot.conftest import (
    ADMIN,
    OPERATOR,
    RESPONDER,
    STRANGE_CHAT,
    STRANGER,
    TEAM_CHAT,
    VIEWER,
    BotRig,
    BotRigFactory,
    pod_group,
)
from tests.conftest import api_headers
from tests.fakes.telegram_api import Person
from tests.support.waiting import eventually


async def audit_rows(rig: BotRig) -> list[Any]:
    async with rig.hub.app[ENGINE].connect() as conn:
        rows = await conn.execute(select(bot_updates).order_by(bot_updates.c.update_id))
        return list(rows)


async def test_help_and_whoami_follow_the_role(bot: BotRig) -> None:
    viewer = await bot.say(VIEWER, "/help")
    assert "vera (viewer)" in viewer
    assert "/incidents" in viewer
    assert "/ack" not in viewer
    responder = await bot.say(RESPONDER, "/help")
    assert "/ack" in responder
    assert "/silence" in responder
    whoami = await bot.say(ADMIN, "/whoami")
    assert "You are <b>ayse</b> (@ayse), Telegram id 44, role <b>admin</b>." in whoami


async def test_stranger_is_refused_politely_and_audited(bot: BotRig) -> None:
    reply = await bot.say(STRANGER, "/incidents")
    assert reply.startswith("Sorry, you are not on this hub's list of people")
    assert "your Telegram id is 99" in reply
    rows = await eventually(
        lambda: audit_rows(bot), check=lambda r: r and r[0].outcome != "received"
    )
    assert [(r.user_id, r.command, r.outcome, r.reason) for r in rows] == [
        (99, "/incidents", "refused", "unknown_user")
    ]


async def test_chat_not_allowed_is_refused(bot: BotRig) -> None:
    reply = await bot.say(ADMIN, "/help", chat=STRANGE_CHAT)
    assert reply.startswith("Sorry, the hub does not take commands in this chat (-1666)")
    [row] = await eventually(
        lambda: audit_rows(bot), check=lambda r: r and r[0].outcome != "received"
    )
    assert (row.outcome, row.reason) == ("refused", "chat_not_allowed")


@pytest.mark.parametrize(
    "command", ["/ack 1", "/silence 1 1h", "/unsilence 1"], ids=["ack", "silence", "unsilence"]
)
async def test_viewer_may_not_change_anything(bot: BotRig, command: str) -> None:
    await bot.post(pod_group(1))
    await bot.alert_message()
    reply = await bot.say(VIEWER, command)
    name = command.split(maxsplit=1)[0]
    assert reply == f"Sorry, {name} needs the responder role."
    [incident] = await bot.incidents()
    assert incident["acked_by"] is None
    resp = await bot.hub.get("/api/v1/silences", headers=api_headers())
    assert (await resp.json())["items"] == []
    await eventually(lambda: audit_rows(bot), check=lambda r: r[-1].reason == "role_too_low")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/ack abc", "incident id is a number: /ack 1042"),
        ("/incident", "which incident id? /incident 1042"),
        ("/silence 5 soon", "duration is like 30m or 4h: /silence 1042 30m"),
        ("/unsilence x", "silence id is a number: /unsilence 17"),
        ("/stats lately", "since is a duration (7d, 24h) or a date (2025-03-01): /stats 7d"),
    ],
    ids=["ack", "incident", "silence", "unsilence", "stats"],
)
async def test_bad_arguments_get_helpful_errors(bot: BotRig, text: str, expected: str) -> None:
    assert await bot.say(RESPONDER, text) == expected
    await eventually(lambda: audit_rows(bot), check=lambda r: r[-1].outcome == "invalid")


async def test_replies_escape_what_they_echo(bot: BotRig) -> None:
    reply = await bot.say(OPERATOR, "/nope<b>x</b>")
    assert reply == "/nope&lt;b&gt;x&lt;/b&gt; is not a command here; /help lists them."


async def test_incidents_incident_history_and_stats(bot: BotRig) -> None:
    await bot.post(pod_group(2))
    await bot.alert_message()
    ids = sorted(i["id"] for i in await bot.incidents())
    listing = await bot.say(VIEWER, "/incidents severity=critical")
    assert listing.startswith("<b>Open incidents</b> (page 1, newest first)")
    assert all(f"#{i} HighErrorRate · critical · prod" in listing for i in ids)
    assert await bot.say(VIEWER, "/incidents severity=warning") == "No open incidents."
    detail = await bot.say(VIEWER, f"/incident {ids[0]}")
    assert detail.startswith(f"<b>#{ids[0]} HighErrorRate</b> · firing")
    assert "pod=model-api-0" in detail
    assert '<a href="https://runbooks.example.com/HighErrorRate">Runbook</a>' in detail
    assert await bot.say(VIEWER, "/incident 999999") == "incident 999999 not found"
    assert await bot.say(VIEWER, "/history HighErrorRate") == (
        "No resolved incidents of HighErrorRate in that time."
    )
    await bot.post(pod_group(0, resolved=2))
    await eventually(lambda: bot.incidents(status="resolved"), check=lambda r: len(r) == 2)
    history = await bot.say(VIEWER, "/history HighErrorRate 3650d")
    assert history.startswith("<b>Past incidents of HighErrorRate</b>")
    assert f"#{ids[0]} HighErrorRate" in history
    stats = await bot.say(VIEWER, "/stats 3650d")
    assert ": 2 incidents, 0 acked, 2 resolved" in stats
    assert "Noisiest: HighErrorRate x2" in stats


async def test_silence_and_unsilence(bot: BotRig) -> None:
    await bot.post(pod_group(2))
    await bot.alert_message()
    first = min(i["id"] for i in await bot.incidents())
    reply = await bot.say(RESPONDER, f"/silence {first} 2h deploy in progress")
    resp = await bot.hub.get("/api/v1/silences", headers=api_headers())
    [silence] = (await resp.json())["items"]
    assert reply.startswith(f'Silence {silence["id"]} for 2h: alertname="HighErrorRate"')
    # The group's shared labels, not one pod's.
    assert not any(m.startswith("pod=") for m in silence["matchers"])
    assert 'severity="critical"' in silence["matchers"]
    assert (silence["created_by"], silence["comment"]) == ("rita", "deploy in progress")
    by_matcher = await bot.say(RESPONDER, '/silence alertname="Data Drift" 30m')
    assert 'alertname="Data Drift"' in by_matcher
    gone = await bot.say(RESPONDER, f"/unsilence {silence['id']}")
    assert gone == f"Silence {silence['id']} expired."
    resp = await bot.hub.get(f"/api/v1/silences/{silence['id']}", headers=api_headers())
    assert (await resp.json())["state"] == "expired"
    assert await bot.say(RESPONDER, "/unsilence 999") == "silence 999 not found"


async def test_each_update_is_handled_once(bot: BotRig) -> None:
    update = bot.tg.command(VIEWER, TEAM_CHAT, "/whoami")
    await bot.tg.push(update)
    await eventually(lambda: bot.tg.sent_to(TEAM_CHAT), check=lambda s: len(s) == 1)
    await bot.tg.push(update)  # Telegram (or another replica) hands the same update again
    await bot.say(VIEWER, "/help")  # handled in order after the duplicate
    assert len(bot.tg.sent_to(TEAM_CHAT)) == 2
    rows = await eventually(
        lambda: audit_rows(bot), check=lambda r: [x.outcome for x in r] == ["done", "done"]
    )
    assert len(rows) == 2


async def test_floods_are_held_back_per_person(make_bot_rig: BotRigFactory) -> None:
    async with make_bot_rig(commands_per_minute=2) as rig:
        await rig.polling()
        flood = [rig.tg.command(RESPONDER, TEAM_CHAT, "/whoami") for _ in range(4)]
        await rig.tg.push(*flood)
        await eventually(lambda: audit_rows(rig), check=lambda r: len(r) == 4)
        await eventually(
            lambda: audit_rows(rig),
            check=lambda rows: (
                sorted(r.outcome for r in rows) == ["done", "done", "rate_limited", "rate_limited"]
            ),
        )
        replies = await eventually(lambda: rig.tg.sent_to(TEAM_CHAT), check=lambda r: len(r) == 3)
        warning = "Too many requests; wait a minute and try again."
        assert replies.count(warning) == 1  # told once, not once per command
        other = await rig.say(Person(11, "vera"), "/help")  # someone else is not held back
        assert "vera (viewer)" in other
