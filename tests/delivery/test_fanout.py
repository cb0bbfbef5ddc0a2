"""Routed, rendered, durable notifications: one message per channel, edits on resolve."""

from __future__ import annotations

from typing import Any

from tests.delivery.conftest import Rig, eventually


async def test_one_critical_alert_one_message_per_channel(rig: Rig) -> None:
    await rig.post("01-critical-firing.json")
    await eventually(lambda: rig.tg.calls_to("sendMessage"))
    await eventually(lambda: rig.slack.calls_to("chat.postMessage"))
    await eventually(lambda: rig.smtp.messages)
    await rig.post("05-critical-repeat.json")
    await rig.settled()
    assert await rig.suppressed("HighErrorRate", "duplicate")
    assert len(rig.tg.calls_to("sendMessage")) == 1
    assert len(rig.slack.calls_to("chat.postMessage")) == 1
    assert len(rig.smtp.messages) == 1
    text = rig.tg.calls_to("sendMessage")[0].params["text"]
    assert "HighErrorRate" in text
    assert "FIRING" in text
    subject = rig.smtp.messages[0]["Subject"]
    assert subject.startswith("🔴 [FIRING:1] HighErrorRate")

    incident = await rig.incident("HighErrorRate")
    types = [e["type"] for e in incident["timeline"]]
    assert types.count("notified") == 3, incident["timeline"]
    notified = {e["detail"]["channel"] for e in incident["timeline"] if e["type"] == "notified"}
    assert notified == {"telegram[0]", "slack[0]", "email[0]"}


async def test_resolve_edits_and_threads_instead_of_new_messages(rig: Rig) -> None:
    await rig.post("01-critical-firing.json")
    await eventually(lambda: len(rig.smtp.messages) == 1 and rig.slack.calls_to("chat.postMessage"))
    await eventually(lambda: rig.tg.calls_to("sendMessage"))
    await rig.post("07-critical-resolved.json")
    edit = await eventually(lambda: rig.tg.calls_to("editMessageText"))
    assert "RESOLVED" in edit[0].params["text"]
    assert int(edit[0].params["message_id"]) in rig.tg.messages
    await eventually(lambda: rig.slack.calls_to("chat.update"))
    await eventually(lambda: len(rig.smtp.messages) == 2)
    reply = rig.smtp.messages[1]
    assert reply["In-Reply-To"] == rig.smtp.messages[0]["Message-ID"]
    assert reply["Subject"].startswith("Re: [RESOLVED]")
    assert len(rig.tg.calls_to("sendMessage")) == 1
    posts = rig.slack.calls_to("chat.postMessage")
    assert [bool(c.params.get("thread_ts")) for c in posts] == [False, True]


async def test_channel_down_gets_its_message_later_and_others_are_not_delayed(rig: Rig) -> None:
    await rig.tg.set_down(True)
    await rig.post("01-critical-firing.json")
    await eventually(lambda: rig.slack.calls_to("chat.postMessage"), timeout=3)
    await eventually(lambda: rig.smtp.messages, timeout=3)
    assert await eventually(lambda: _has_event(rig, "delivery_retry"))
    await rig.tg.set_down(False)
    await eventually(lambda: rig.tg.calls_to("sendMessage"), timeout=10)


async def test_rate_limit_retry_after_is_honoured(rig: Rig) -> None:
    rig.tg.rate_limit(1, retry_after=1)
    await rig.post("01-critical-firing.json")
    # The fake records the refused call too: wait for the hub's answer to it.
    retries = await eventually(lambda: _events(rig, "delivery_retry"), timeout=10)
    assert retries[0]["detail"]["reason"] == "rate_limited"
    assert retries[0]["detail"]["retry_in_s"] == 1


async def test_dead_letter_after_max_attempts(rig: Rig) -> None:
    rig.tg.fail(100)
    await rig.post("01-critical-firing.json")
    await eventually(lambda: _has_event(rig, "delivery_failed"), timeout=15)
    incident = await rig.incident("HighErrorRate")
    failed = [e for e in incident["timeline"] if e["type"] == "delivery_failed"]
    assert failed[0]["detail"]["attempts"] == 4
    metrics = await (await rig.hub.get("/metrics")).text()
    assert 'alerthub_delivery_dead_letters_total{channel="telegram"} 1.0' in metrics


async def _events(rig: Rig, kind: str) -> list[dict[str, Any]]:
    incident = await rig.incident("HighErrorRate")
    return [e for e in incident["timeline"] if e["type"] == kind]


async def _has_event(rig: Rig, kind: str) -> bool:
    return bool(await _events(rig, kind))
