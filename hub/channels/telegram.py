"""Telegram adapter: HTML messages with Ack and Silence buttons, edited in place on changes."""

from __future__ import annotations

import asyncio
import warnings
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TypeVar

from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Message,
    ReplyParameters,
)
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.request import HTTPXRequest
from telegram.warnings import PTBDeprecationWarning

from hub.channels.callbacks import (
    SILENCE_BUTTON_FOR,
    CallbackAction,
    build_callback_data,
)
from hub.channels.errors import DeliveryError, FailureReason, scrub
from hub.channels.fit import cut_plain, html_to_plain, utf16_len
from hub.channels.model import Notification
from hub.channels.render import TELEGRAM_LIMIT, TemplateFormat, load_template, render_telegram
from hub.config.receivers import TelegramConfig
from hub.model.notify import NotifyKind, SentMessage

T = TypeVar("T")

# NetworkError messages PTB writes when no HTTP answer arrived at all.
_TRANSPORT_PREFIXES = ("httpx.", "Unknown error in HTTP implementation")
_CONNECTION_POOL_SIZE = 16  # at least the default delivery.per_channel_concurrency (8)
TELEGRAM = "telegram"


def build_keyboard(note: Notification) -> InlineKeyboardMarkup | None:
    """Buttons that work for this notification: Ack until acked, Silence 1h while it fires,
    Restart while a remediation policy's restart waits for approval, Details (the page)."""
    silence = InlineKeyboardButton(
        "Silence 1h",
        callback_data=build_callback_data(
            CallbackAction.SILENCE, note.incident_id, SILENCE_BUTTON_FOR
        ),
    )
    if note.kind not in (NotifyKind.FIRING, NotifyKind.REMINDER, NotifyKind.ACKNOWLEDGED):
        return None
    row = [silence]
    if note.kind is not NotifyKind.ACKNOWLEDGED:
        ack = build_callback_data(CallbackAction.ACK, note.incident_id)
        row.insert(0, InlineKeyboardButton("Ack", callback_data=ack))
    if note.restart_action_id is not None:
        label = f"Restart {note.restart_target or ''}".strip()[:40]
        data = build_callback_data(CallbackAction.RESTART, note.restart_action_id)
        row.append(InlineKeyboardButton(label, callback_data=data))
    if note.external_url.startswith("https://"):
        # Telegram opens only public URLs from a button; elsewhere the text's link serves.
        page = f"{note.external_url}/incidents/{note.incident_id}"
        row.append(InlineKeyboardButton("Details", url=page))
    return InlineKeyboardMarkup([row])


def _retry_after_seconds(exc: RetryAfter) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def map_telegram_error(exc: TelegramError, token: str) -> DeliveryError:
    """Map a python-telegram-bot error to a reason; the token never reaches the message."""
    text = scrub(f"telegram: {type(exc).__name__}: {exc.message}", [token])
    match exc:
        case RetryAfter():
            after = _retry_after_seconds(exc)
            return DeliveryError(
                text, reason=FailureReason.RATE_LIMITED, retryable=True, retry_after=after
            )
        case InvalidToken() | Forbidden():
            return DeliveryError(text, reason=FailureReason.AUTH, retryable=False)
        case BadRequest():  # a NetworkError subclass: check it first
            return DeliveryError(text, reason=FailureReason.CLIENT_ERROR, retryable=False)
        case TimedOut():
            return DeliveryError(text, reason=FailureReason.TIMEOUT, retryable=True)
        case NetworkError() if exc.message.startswith(_TRANSPORT_PREFIXES):
            return DeliveryError(text, reason=FailureReason.CONNECTION, retryable=True)
        case NetworkError():  # an HTTP answer that is none of the above: 5xx and friends
            return DeliveryError(text, reason=FailureReason.SERVER_ERROR, retryable=True)
        case _:
            return DeliveryError(text, reason=FailureReason.PARSE_ERROR, retryable=False)


def _is_parse_error(exc: DeliveryError) -> bool:
    return exc.reason == FailureReason.CLIENT_ERROR and "can't parse entities" in str(exc).lower()


def _is_not_modified(exc: DeliveryError) -> bool:
    return (
        exc.reason == FailureReason.CLIENT_ERROR and "message is not modified" in str(exc).lower()
    )


class TelegramChannel:
    """Sends to one chat (or forum topic) through the Bot API."""

    kind = TELEGRAM

    def __init__(self, config: TelegramConfig, *, external_url: str, buttons: bool = False) -> None:
        if config.bot_token is None:
            raise ValueError("telegram: bot_token is not set")
        self._config = config
        self._token = config.bot_token.get_secret_value()
        seconds = config.timeout.total_seconds()
        request = HTTPXRequest(
            # PTB's default pool holds one connection, which would queue every send to this
            # chat behind the previous one whatever delivery.per_channel_concurrency says.
            connection_pool_size=_CONNECTION_POOL_SIZE,
            connect_timeout=seconds,
            read_timeout=seconds,
            write_timeout=seconds,
            pool_timeout=seconds,
        )
        self._bot = Bot(self._token, base_url=f"{config.api_url}/bot", request=request)
        self._template = load_template("telegram.html.j2", TemplateFormat.HTML, config.template)
        self._external_url = external_url
        self._buttons = buttons
        self._init_lock = asyncio.Lock()
        self._ready = False

    async def send(self, note: Notification) -> SentMessage:
        """Post the message with its buttons."""
        message = await self._post(note, reply_to=None)
        return SentMessage(message_id=str(message.message_id))

    async def reply(self, note: Notification, first: SentMessage) -> SentMessage:
        """Post a short reminder as a reply to the first message."""
        message = await self._post(note, reply_to=int(first.message_id))
        return SentMessage(message_id=str(message.message_id))

    async def update(self, note: Notification, first: SentMessage) -> SentMessage:
        """Edit the first message in place; ack and resolve drop the Ack button."""
        html_text = render_telegram(note, self._template)

        async def edit(text: str, parse_mode: str | None) -> object:
            return await self._bot.edit_message_text(
                text,
                chat_id=self._config.chat_id,
                message_id=int(first.message_id),
                parse_mode=parse_mode,
                reply_markup=build_keyboard(note) if self._buttons else None,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )

        try:
            await self._with_plain_fallback(html_text, edit)
        except DeliveryError as exc:
            if not _is_not_modified(exc):  # same text twice is already the wanted state
                raise
        return first

    async def close(self) -> None:
        """Close the HTTP client; safe to call twice."""
        await self._bot.shutdown()  # a no-op when never initialized
        self._ready = False

    async def _post(self, note: Notification, *, reply_to: int | None) -> Message:
        html_text = render_telegram(note, self._template)
        critical = note.common_labels.get("severity") == "critical"
        quiet = self._config.disable_notifications and not critical

        async def post(text: str, parse_mode: str | None) -> Message:
            return await self._bot.send_message(
                self._config.chat_id,
                text,
                parse_mode=parse_mode,
                message_thread_id=self._config.message_thread_id,
                disable_notification=quiet,
                reply_markup=build_keyboard(note) if self._buttons else None,
                reply_parameters=(
                    ReplyParameters(reply_to, allow_sending_without_reply=True)
                    if reply_to is not None
                    else None
                ),
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )

        return await self._with_plain_fallback(html_text, post)

    async def _with_plain_fallback(
        self, html_text: str, call: Callable[[str, str | None], Awaitable[T]]
    ) -> T:
        """Send as HTML; if Telegram cannot parse it, send the same words as plain text."""
        try:
            return await self._call(call, html_text, ParseMode.HTML)
        except DeliveryError as exc:
            if not _is_parse_error(exc):
                raise
        plain = html_to_plain(html_text)
        if utf16_len(plain) > TELEGRAM_LIMIT:
            plain = cut_plain(plain, TELEGRAM_LIMIT)
        return await self._call(call, plain, None)

    async def _call(
        self, call: Callable[[str, str | None], Awaitable[T]], text: str, parse_mode: str | None
    ) -> T:
        try:
            await self._ensure_ready()
            return await call(text, parse_mode)
        except TelegramError as exc:
            raise map_telegram_error(exc, self._token) from None

    async def _ensure_ready(self) -> None:
        """Initialize the bot once (one getMe), not on every send."""
        if self._ready:
            return
        async with self._init_lock:
            if not self._ready:
                await self._bot.initialize()
                self._ready = True
