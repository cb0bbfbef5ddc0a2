"""Remediation from Telegram: the Restart button, /restart, /actions, /approve, /reject,
/pause, /resume and /circuit_reset, through the same services as the API (fake Kubernetes)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from hub.api.keys import BOT
from hub.app import create_app
from tests.bot.conftest import ADMIN, ALERT_CHAT, OPERATOR, RESPONDER, BotRig, bot_section
from tests.conftest import api_headers, make_config
from tests.fakes.kube_api import FakeKube
from tests.fakes.telegram_api import FakeTelegram
from tests.remediate.rig import LABELS, payload, policy
from tests.support.waiting import eventually


@pytest.fixture
async def bot(db_url: str, kubeconfig: Path) -> AsyncIterator[BotRig]:
    async with FakeTelegram() as tg:
        config = make_config(
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
            delivery={"poll_interval": "50ms", "backoff_base": "100ms", "max_attempts": 3},
            kubernetes={"kubeconfig": str(kubeconfig)},
            remediation={"policies": [policy()]},
            telegram_bot=bot_section(tg),
        )
        async with TestClient(TestServer(create_app(config))) as client:
            rig = BotRig(client, tg)
            await eventually(lambda: client.app[BOT].polling, what="the bot polling")
            yield rig


def buttons(markup: Any) -> list[tuple[str, str]]:
    rows = (markup or {}).get("inline_keyboard", [])
    return [(b["text"], b["callback_data"]) for row in rows for b in row]


async def pending_action(rig: BotRig) -> dict[str, Any]:
    async def newest() -> dict[str, Any] | None:
        resp = await rig.hub.get("/api/v1/actions", headers=api_headers())
        items = (await resp.json())["items"]
        return items[0] if items else None

    found: dict[str, Any] = await eventually(
        newest, check=lambda a: a is not None and a["status"] == "pending_approval"
    )
    return found


async def test_restart_button_approves_for_operators_only(bot: BotRig, kube: FakeKube) -> None:
    await bot.post(payload(LABELS))
    action = await pending_action(bot)
    message = await bot.alert_message()
    restart = ("Restart model-api", f"restart:v1:{action['id']}")
    markup = await eventually(
        lambda: bot.tg.messages[message].reply_markup, check=lambda m: restart in buttons(m)
    )
    assert [text for text, _ in buttons(markup)] == ["Ack", "Silence 1h", "Restart model-api"]
    refused = await bot.press(RESPONDER, message, restart[1])
    assert refused["text"] == "Sorry, /approve needs the operator role."
    assert kube.calls(mutating=True) == []
    approved = await bot.press(OPERATOR, message, restart[1])
    assert approved["text"] == (
        f"Action {action['id']}: Restart model-api: starting"
        f" (policy restart-model-api, incident #{action['incident_id']})"
    )
    await eventually(lambda: kube.calls(mutating=True), what="the PATCH", check=bool)
    edited = await eventually(
        lambda: bot.tg.messages[message].reply_markup,
        check=lambda m: restart not in buttons(m),
    )
    assert [text for text, _ in buttons(edited)] == ["Ack", "Silence 1h"]
    again = await bot.press(OPERATOR, message, restart[1])
    assert again["text"].endswith("not pending_approval")


async def test_restart_reject_approve_and_actions(bot: BotRig, kube: FakeKube) -> None:
    await bot.post(payload(LABELS))
    first = await pending_action(bot)
    rejected = await bot.say(OPERATOR, f"/reject {first['id']}")
    assert rejected.startswith(f"Action {first['id']}: Restart model-api: rejected by omar")
    unknown = await bot.say(OPERATOR, "/restart deployment/other-api -n prod")
    assert unknown == (
        "no remediation policy restarts deployment/other-api -n prod for an open incident;"
        " nothing asked"
    )
    asked = await bot.say(OPERATOR, "/restart deployment/model-api")
    second = await pending_action(bot)
    assert asked == (
        f"Action {second['id']}: Restart model-api: waiting for approval"
        f" (policy restart-model-api, incident #{second['incident_id']})"
        f" · /approve {second['id']} or /reject {second['id']}"
    )
    assert second["requested_by"] == "omar"
    listing = await bot.say(RESPONDER, "/actions")
    assert listing.startswith("<b>Remediation actions</b> (newest first)")
    assert f"Action {first['id']}: Restart model-api: rejected by omar" in listing
    assert await bot.say(RESPONDER, f"/approve {second['id']}") == (
        "Sorry, /approve needs the operator role."
    )
    approved = await bot.say(OPERATOR, f"/approve {second['id']}")
    assert approved.startswith(f"Action {second['id']}: Restart model-api: starting")
    await eventually(lambda: kube.calls(mutating=True), what="the PATCH", check=bool)
    resp = await bot.hub.get("/api/v1/actions", headers=api_headers())
    assert (await resp.json())["items"][0]["approved_by"] == "omar"
    assert await bot.say(OPERATOR, "/approve abc") == "action id is a number: /approve 12"
    assert await bot.say(OPERATOR, "/restart model-api") == (
        "which workload? /restart deployment/model-api -n prod"
    )


async def test_pause_resume_and_circuit_reset_are_for_admins(bot: BotRig) -> None:
    assert await bot.say(OPERATOR, "/pause") == "Sorry, /pause needs the admin role."
    assert await bot.say(ADMIN, "/pause") == "Remediation paused: nothing runs until /resume."
    await bot.post(payload(LABELS))
    await bot.alert_message()
    status = await bot.hub.get("/api/v1/actions", headers=api_headers())
    assert [a["status"] for a in (await status.json())["items"]] in ([], ["refused"])
    assert await bot.say(ADMIN, "/resume") == "Remediation resumed."
    reset = await bot.say(ADMIN, "/circuit_reset deployment/model-api -n prod")
    assert reset == "Circuit of prod/model-api closed: auto-remediation may act again."
    assert await bot.say(ADMIN, "/circuit_reset cronjob/x -n prod") == (
        "kind is deployment, statefulset or daemonset: /circuit_reset deployment/model-api -n prod"
    )
