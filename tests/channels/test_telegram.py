"""TelegramChannel against FakeTelegram: the real python-telegram-bot client over HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from hub.channels.callbacks import (
    CallbackAction,
    CallbackData,
    build_callback_data,
    parse_callback_data,
)
from hub.channels.errors import DeliveryError, FailureReason
from hub.channels.telegram import TelegramChannel
from hub.config.receivers import TelegramConfig
from hub.model.notify import NotifyKind, SentMessage
from tests.channels.conftest import ACK, EXTERNAL_URL, make_note
from tests.fakes.telegram_api import FakeTelegram


def _config(fake: FakeTelegram, **extra: Any) -> TelegramConfig:
    return TelegramConfig.model_validate(
        {
            "bot_token": fake.token,
            "chat_id": -100123,
            "api_url": fake.base_url,
            "timeout": "2s",
            **extra,
        }
    )


@pytest.fixture
async def channel(fake_telegram: FakeTelegram) -> AsyncIterator[TelegramChannel]:
    ch = TelegramChannel(_config(fake_telegram), external_url=EXTERNAL_URL, buttons=True)
    yield ch
    await ch.close()


DETAILS = f"{EXTERNAL_URL}/incidents/1042"  # the Details button opens the incident page


def _buttons(markup: Any) -> list[str]:
    """Callback data of each button, or the URL a link button opens."""
    rows = (markup or {}).get("inline_keyboard", [])
    return [b.get("callback_data") or b["url"] for row in rows for b in row]


async def test_send_posts_html_with_ack_button(
    channel: TelegramChannel, fake_telegram: FakeTelegram
) -> None:
    sent = await channel.send(make_note())
    [call] = fake_telegram.calls_to("sendMessage")
    assert call.params["parse_mode"] == "HTML"
    assert str(call.params["chat_id"]) == "-100123"
    assert call.params["text"].startswith("<b>🔴 FIRING · critical · HighErrorRate</b>")
    assert _buttons(call.params["reply_markup"]) == ["ack:v1:1042", "silence:v1:1042:1h", DETAILS]
    assert sent == SentMessage(message_id="1")


async def test_initializes_once(channel: TelegramChannel, fake_telegram: FakeTelegram) -> None:
    await channel.send(make_note())
    await channel.send(make_note())
    assert len(fake_telegram.calls_to("getMe")) == 1
    assert len(fake_telegram.calls_to("sendMessage")) == 2


async def test_ack_edits_in_place_and_drops_button(
    channel: TelegramChannel, fake_telegram: FakeTelegram
) -> None:
    first = await channel.send(make_note())
    again = await channel.update(make_note(NotifyKind.ACKNOWLEDGED, ack=ACK), first)
    assert again == first
    [edit] = fake_telegram.calls_to("editMessageText")
    assert edit.params["message_id"] in (1, "1")
    stored = fake_telegram.messages[1]
    assert stored.text.startswith("<b>🟠 ACKED by @ayse")
    assert _buttons(stored.reply_markup) == ["silence:v1:1042:1h", DETAILS]
    assert len(fake_telegram.calls_to("sendMessage")) == 1


async def test_identical_update_is_not_an_error(
    channel: TelegramChannel, fake_telegram: FakeTelegram
) -> None:
    first = await channel.send(make_note())
    ack = make_note(NotifyKind.ACKNOWLEDGED, ack=ACK)
    await channel.update(ack, first)
    await channel.update(ack, first)  # Telegram: "message is not modified"
    assert len(fake_telegram.calls_to("editMessageText")) == 2


async def test_reminder_replies_to_first(
    channel: TelegramChannel, fake_telegram: FakeTelegram
) -> None:
    first = await channel.send(make_note())
    await channel.reply(make_note(NotifyKind.REMINDER), first)
    reply = fake_telegram.calls_to("sendMessage")[1]
    assert reply.params["reply_parameters"]["message_id"] == 1
    assert reply.params["text"].startswith("⏰ Still firing")


async def test_rate_limit_maps_to_retry_after(
    channel: TelegramChannel, fake_telegram: FakeTelegram
) -> None:
    fake_telegram.rate_limit(1, retry_after=7)
    with pytest.raises(DeliveryError) as err:
        await channel.send(make_note())
    assert err.value.reason == FailureReason.RATE_LIMITED
    assert err.value.retryable
    assert err.value.retry_after == 7.0
    await channel.send(make_note())  # no retry inside the channel; the next call works
    assert len(fake_telegram.calls_to("sendMessage")) == 2


async def test_server_error_is_retryable(
    channel: TelegramChannel, fake_telegram: FakeTelegram
) -> None:
    fake_telegram.fail(1)
    with pytest.raises(DeliveryError) as err:
        await channel.send(make_note())
    assert err.value.retryable
    assert err.value.reason == FailureReason.SERVER_ERROR
    assert len(fake_telegram.calls_to("sendMessage")) == 1


async def test_unparseable_html_is_resent_as_plain_text(
    channel: TelegramChannel, fake_telegram: FakeTelegram
) -> None:
    fake_telegram.reject_html_once()
    await channel.send(make_note(common_labels={"alertname": "A & <B>", "severity": "critical"}))
    html_call, plain_call = fake_telegram.calls_to("sendMessage")
    assert html_call.params["parse_mode"] == "HTML"
    assert "parse_mode" not in plain_call.params
    assert plain_call.params["text"].startswith("🔴 FIRING · critical · A & <B>")
    assert "<b>" not in plain_call.params["text"]


async def test_down_server_is_retryable_connection_error(fake_telegram: FakeTelegram) -> None:
    ch = TelegramChannel(_config(fake_telegram), external_url=EXTERNAL_URL)
    await ch.send(make_note())
    await fake_telegram.set_down(True)
    with pytest.raises(DeliveryError) as err:
        await ch.send(make_note())
    assert err.value.retryable
    assert err.value.reason in (FailureReason.CONNECTION, FailureReason.TIMEOUT)
    await fake_telegram.set_down(False)
    await ch.send(make_note())
    await ch.close()
    assert len(fake_telegram.calls_to("sendMessage")) == 2


async def test_bad_token_is_permanent_and_never_in_message(fake_telegram: FakeTelegram) -> None:
    secret = "999999:WRONG-secret-token-value"
    ch = TelegramChannel(_config(fake_telegram, bot_token=secret), external_url=EXTERNAL_URL)
    with pytest.raises(DeliveryError) as err:
        await ch.send(make_note())
    await ch.close()
    assert not err.value.retryable
    assert err.value.reason == FailureReason.AUTH
    assert secret not in str(err.value)
    assert secret not in repr(err.value)


async def test_connection_error_message_has_no_token(fake_telegram: FakeTelegram) -> None:
    ch = TelegramChannel(_config(fake_telegram), external_url=EXTERNAL_URL)
    await fake_telegram.set_down(True)
    with pytest.raises(DeliveryError) as err:
        await ch.send(make_note())
    await ch.close()
    assert fake_telegram.token not in str(err.value)


async def test_quiet_for_non_critical_only(fake_telegram: FakeTelegram) -> None:
    ch = TelegramChannel(
        _config(fake_telegram, disable_notifications=True, message_thread_id=7),
        external_url=EXTERNAL_URL,
    )
    await ch.send(make_note())
    await ch.send(make_note(common_labels={"alertname": "X", "severity": "warning"}))
    await ch.close()
    critical, warning = fake_telegram.calls_to("sendMessage")
    assert str(critical.params.get("disable_notification", "false")).lower() == "false"
    assert str(warning.params["disable_notification"]).lower() == "true"
    assert str(warning.params["message_thread_id"]) == "7"


def test_callback_data_round_trip_and_size() -> None:
    data = build_callback_data(CallbackAction.ACK, 2**63 - 1)
    assert len(data.encode()) <= 64
    assert parse_callback_data(data) == CallbackData(CallbackAction.ACK, 2**63 - 1)
    hour = timedelta(hours=1)
    silence = build_callback_data(CallbackAction.SILENCE, 2**63 - 1, hour)
    assert silence == f"silence:v1:{2**63 - 1}:1h"
    assert len(silence.encode()) <= 64
    assert parse_callback_data(silence) == CallbackData(CallbackAction.SILENCE, 2**63 - 1, hour)
    restart = build_callback_data(CallbackAction.RESTART, 12)
    assert restart == "restart:v1:12"
    assert parse_callback_data(restart) == CallbackData(CallbackAction.RESTART, 12)


async def test_restart_button_while_a_restart_waits(
    channel: TelegramChannel, fake_telegram: FakeTelegram
) -> None:
    note = make_note(restart_action_id=12, restart_target="model-api")
    await channel.send(note)
    [call] = fake_telegram.calls_to("sendMessage")
    assert _buttons(call.params["reply_markup"]) == [
        "ack:v1:1042", "silence:v1:1042:1h", "restart:v1:12", DETAILS,
    ]  # fmt: skip


async def test_no_buttons_where_the_bot_does_not_answer(fake_telegram: FakeTelegram) -> None:
    ch = TelegramChannel(_config(fake_telegram), external_url=EXTERNAL_URL)
    try:
        await ch.send(make_note())
    finally:
        await ch.close()
    [call] = fake_telegram.calls_to("sendMessage")
    assert _buttons(call.params.get("reply_markup")) == []


async def test_ack_names_the_telegram_handle(
    channel: TelegramChannel, fake_telegram: FakeTelegram
) -> None:
    first = await channel.send(make_note())
    ack = replace(ACK, handles={"telegram": "@ayse_t"})
    acked = make_note(NotifyKind.ACKNOWLEDGED, ack=ack)
    await channel.update(acked, first)
    assert fake_telegram.messages[1].text.startswith("<b>🟠 ACKED by @ayse_t")


@pytest.mark.parametrize(
    "data",
    [
        "ack:v2:1",
        "nuke:v1:1",
        "ack:v1:",
        "ack:v1:1:2",
        "ack:v1:-1",
        "ack:v1:" + "1" * 60,
        "ack:v1:\u0661",
        "silence:v1:1",
        "silence:v1:1:forever",
        "silence:v1:1:0s",
        "silence:v1:1:30d",
        "ack:v1:1:1h",
        "restart:v1:1:1h",
    ],
    ids=[
        "old-version",
        "unknown-action",
        "no-id",
        "extra-part",
        "negative",
        "too-long",
        "non-ascii",
        "silence-without-duration",
        "silence-bad-duration",
        "silence-zero",
        "silence-too-long",
        "ack-with-duration",
        "restart-with-duration",
    ],
)
def test_parse_callback_data_refuses(data: str) -> None:
    with pytest.raises(ValueError):
        parse_callback_data(data)
