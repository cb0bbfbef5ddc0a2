"""The one place that maps receiver config to channel adapters."""

from __future__ import annotations

from hub.channels.base import Channel
from hub.channels.email import EmailChannel
from hub.channels.slack import SlackChannel
from hub.channels.telegram import TelegramChannel
from hub.config.bot import TelegramBotConfig
from hub.config.receivers import ReceiverConfig


def channel_keys(receiver: ReceiverConfig) -> list[str]:
    """The keys ``build_channels`` gives a receiver's channels, without building them."""
    return [
        *(f"telegram[{i}]" for i in range(len(receiver.telegram_configs))),
        *(f"email[{i}]" for i in range(len(receiver.email_configs))),
        *(f"slack[{i}]" for i in range(len(receiver.slack_configs))),
    ]


def build_channels(
    receiver: ReceiverConfig, *, external_url: str, bot: TelegramBotConfig | None = None
) -> list[tuple[str, Channel]]:
    """Build every channel of a receiver, keyed ``telegram[0]``, ``email[1]``, ``slack[0]``.

    Keys are stable for a given config, so sent-message records survive restarts. Telegram
    messages carry buttons only where the hub's bot receives and accepts the presses.
    """
    url = external_url.rstrip("/")
    channels: list[tuple[str, Channel]] = []
    for i, telegram in enumerate(receiver.telegram_configs):
        buttons = bot is not None and bot.answers_buttons_of(telegram)
        channel = TelegramChannel(telegram, external_url=url, buttons=buttons)
        channels.append((f"telegram[{i}]", channel))
    for i, email in enumerate(receiver.email_configs):
        channels.append((f"email[{i}]", EmailChannel(email, external_url=url)))
    for i, slack in enumerate(receiver.slack_configs):
        channels.append((f"slack[{i}]", SlackChannel(slack, external_url=url)))
    return channels
