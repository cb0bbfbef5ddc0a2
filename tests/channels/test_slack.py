"""SlackChannel against FakeSlack: the real slack-sdk AsyncWebClient over HTTP."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from hub.channels.errors import DeliveryError, FailureReason
from hub.channels.slack import SlackChannel, build_blocks
from hub.config.receivers import SlackConfig
from hub.model.notify import NotifyKind
from tests.channels.conftest import ACK, EXTERNAL_URL, make_alert, make_note
from tests.fakes.slack_api import FakeSlack

ChannelFactory = Callable[..., SlackChannel]


@pytest.fixture
async def make_channel(fake_slack: FakeSlack) -> AsyncIterator[ChannelFactory]:
    """Slack channels pointed at the fake; closed (their keep-alive sessions too) after."""
    made: list[SlackChannel] = []

    def factory(token: str | None = None) -> SlackChannel:
        config = SlackConfig.model_validate(
            {
                "token": token or fake_slack.token,
                "channel": "#alerts",
                "api_url": fake_slack.api_url,
                "timeout": "2s",
            }
        )
        made.append(SlackChannel(config, external_url=EXTERNAL_URL))
        return made[-1]

    yield factory
    for channel in made:
        await channel.close()


async def test_post_sends_blocks_and_fallback_text(
    fake_slack: FakeSlack, make_channel: ChannelFactory
) -> None:
    sent = await make_channel().send(make_note())
    [call] = fake_slack.calls_to("chat.postMessage")
    assert call.authorization == f"Bearer {fake_slack.token}"
    blocks: list[dict[str, Any]] = call.params["blocks"]
    assert blocks[0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": "🔴 FIRING · critical · HighErrorRate"},
    }
    # Slack presses have no endpoint in the hub, so its messages carry no buttons.
    assert [b["type"] for b in blocks][-1] == "context"
    assert all(b["type"] != "actions" for b in blocks)
    assert call.params["text"].startswith("*🔴 FIRING · critical · HighErrorRate*")
    channel_id = FakeSlack.channel_id("#alerts")
    assert sent.message_id == f"{channel_id}:1700000000.000001"
    assert sent.thread_id == "1700000000.000001"


async def test_update_rewrites_and_replies_in_thread(
    fake_slack: FakeSlack, make_channel: ChannelFactory
) -> None:
    channel = make_channel()
    first = await channel.send(make_note())
    reply = await channel.update(make_note(NotifyKind.ACKNOWLEDGED, ack=ACK), first)
    [update] = fake_slack.calls_to("chat.update")
    assert update.params["ts"] == first.thread_id
    assert update.params["channel"] == FakeSlack.channel_id("#alerts")
    assert update.params["blocks"][0]["text"]["text"].startswith("🟠 ACKED by ayse at 03:15")
    assert all(b["type"] != "actions" for b in update.params["blocks"])  # Slack: no buttons
    thread = fake_slack.calls_to("chat.postMessage")[1]
    assert thread.params["thread_ts"] == first.thread_id
    assert "\n" not in thread.params["text"]
    assert reply.thread_id == first.thread_id


async def test_reminder_is_a_thread_reply(
    fake_slack: FakeSlack, make_channel: ChannelFactory
) -> None:
    channel = make_channel()
    first = await channel.send(make_note())
    await channel.reply(make_note(NotifyKind.REMINDER), first)
    reply = fake_slack.calls_to("chat.postMessage")[1]
    assert reply.params["thread_ts"] == first.thread_id
    assert reply.params["text"].startswith("⏰ Still firing")


async def test_rate_limit_reads_retry_after_and_does_not_retry(
    fake_slack: FakeSlack, make_channel: ChannelFactory
) -> None:
    fake_slack.rate_limit(1, retry_after=12)
    with pytest.raises(DeliveryError) as err:
        await make_channel().send(make_note())
    assert err.value.reason == FailureReason.RATE_LIMITED
    assert err.value.retry_after == 12.0
    assert len(fake_slack.calls_to("chat.postMessage")) == 1  # the SDK did not retry


async def test_server_error_is_retryable(
    fake_slack: FakeSlack, make_channel: ChannelFactory
) -> None:
    fake_slack.fail(1)
    with pytest.raises(DeliveryError) as err:
        await make_channel().send(make_note())
    assert err.value.retryable
    assert err.value.reason == FailureReason.SERVER_ERROR


async def test_invalid_auth_is_permanent_without_token(
    fake_slack: FakeSlack, make_channel: ChannelFactory
) -> None:
    secret = "xoxb-wrong-secret-0123456789"
    with pytest.raises(DeliveryError) as err:
        await make_channel(token=secret).send(make_note())
    assert err.value.reason == FailureReason.AUTH
    assert not err.value.retryable
    assert secret not in str(err.value)
    assert "invalid_auth" in str(err.value)


async def test_down_is_retryable(fake_slack: FakeSlack, make_channel: ChannelFactory) -> None:
    await fake_slack.set_down(True)
    with pytest.raises(DeliveryError) as err:
        await make_channel().send(make_note())
    assert err.value.retryable
    assert err.value.reason == FailureReason.CONNECTION
    await fake_slack.set_down(False)
    await make_channel().send(make_note())
    assert len(fake_slack.calls_to("chat.postMessage")) == 1


def test_blocks_respect_slack_limits_and_escape() -> None:
    alerts = tuple(make_alert(f"<!channel>-{i}", "x" * 400) for i in range(80))
    note = make_note(
        alerts=alerts,
        truncated_alerts=20,
        common_labels={"alertname": "A" * 300, "namespace": "<!here>", "severity": "critical"},
    )
    blocks = build_blocks(note)
    assert len(blocks) <= 50
    assert len(blocks[0]["text"]["text"]) <= 150
    for block in blocks:
        if "text" in block and block["type"] == "section":
            assert len(block["text"]["text"]) <= 3000
        for field in block.get("fields", []):
            assert len(field["text"]) <= 2000
    dumped = json.dumps(blocks, ensure_ascii=False)
    assert "<!channel>" not in dumped
    assert "<!here>" not in dumped
    alert_list = next(b for b in blocks if "… and" in b.get("text", {}).get("text", ""))
    text = alert_list["text"]["text"]
    assert text.count("• &lt;!channel&gt;-") + int(text.split("… and ")[1].split()[0]) == 100
