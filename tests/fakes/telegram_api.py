"""FakeTelegram: the Bot API methods alerthub uses, on loopback, with failure knobs.

Updates people send (commands, button presses) are queued with ``push`` and served by
``getUpdates`` as Telegram does: long polling, kept until a later ``offset`` confirms them,
refused with 409 while a webhook is set.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.fakes import LoopbackServer

DEFAULT_TOKEN = "123456:TEST-token-abcdefghijklmnopqrstuv"
_BOT_USER = {"id": 123456, "is_bot": True, "first_name": "alerthub", "username": "alerthub_bot"}


@dataclass(frozen=True)
class TelegramCall:
    """One request as the fake received it (JSON values in form bodies decoded)."""

    method: str
    token: str
    params: dict[str, Any]


@dataclass(frozen=True)
class Person:
    """A Telegram user who writes to the bot."""

    id: int
    username: str | None = None
    first_name: str = "Test"

    def as_json(self) -> dict[str, Any]:
        user: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.username:
            user["username"] = self.username
        return user


@dataclass
class _Webhook:
    url: str = ""
    secret_token: str | None = None


# Methods that work whatever the failure knobs say (start-up, polling, webhook set-up).
_KNOB_FREE = frozenset({"getMe", "getUpdates", "setWebhook", "deleteWebhook", "getWebhookInfo"})


@dataclass
class _Knobs:
    rate_limited: int = 0
    retry_after: int = 1
    server_errors: int = 0
    reject_html: int = 0


@dataclass
class _Stored:
    chat_id: int | str
    text: str
    reply_markup: Any = None
    thread_id: int | None = None


def _decode(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in "{[":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _error(status: int, description: str, **parameters: Any) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if parameters:
        body["parameters"] = parameters
    return web.json_response(body, status=status)


@dataclass
class FakeTelegram(LoopbackServer):
    """``async with FakeTelegram() as tg: TelegramConfig(api_url=tg.base_url, ...)``.

    Knobs apply to every method except ``getMe`` (so lazy initialization is not affected).
    """

    token: str = DEFAULT_TOKEN
    calls: list[TelegramCall] = field(default_factory=list)
    messages: dict[int, _Stored] = field(default_factory=dict)
    knobs: _Knobs = field(default_factory=_Knobs)
    webhook: _Webhook = field(default_factory=_Webhook)
    _updates: list[dict[str, Any]] = field(default_factory=list)
    _update_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1000))
    _arrived: asyncio.Condition | None = None
    _closing: bool = False

    def __post_init__(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        super().__init__(app)

    async def start(self) -> None:
        self._closing = False
        self._arrived = asyncio.Condition()
        await super().start()

    async def stop(self) -> None:
        """Wake pending long polls first, so stopping never waits for their timeout."""
        self._closing = True
        if self._arrived is not None:
            async with self._arrived:
                self._arrived.notify_all()
        await super().stop()

    def command(self, person: Person, chat_id: int, text: str) -> dict[str, Any]:
        """A message update carrying ``text``, a command as Telegram marks one."""
        message: dict[str, Any] = {
            "message_id": 100000 + len(self.calls),
            "date": int(time.time()),
            "chat": _chat(chat_id, person),
            "from": person.as_json(),
            "text": text,
        }
        if text.startswith("/"):
            length = len(text.split(maxsplit=1)[0].encode("utf-16-le")) // 2
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        return {"update_id": next(self._update_ids), "message": message}

    def press(self, person: Person, message_id: int, data: str) -> dict[str, Any]:
        """A callback-query update: ``person`` pressed a button of a stored message."""
        stored = self.messages[message_id]
        update_id = next(self._update_ids)
        query = {
            "id": f"cq-{update_id}",
            "from": person.as_json(),
            "chat_instance": "-42",
            "data": data,
            "message": self._message(message_id, stored),
        }
        return {"update_id": update_id, "callback_query": query}

    async def push(self, *updates: dict[str, Any]) -> None:
        """Queue updates for ``getUpdates`` and wake a waiting long poll."""
        assert self._arrived is not None, "start the fake first"
        async with self._arrived:
            self._updates.extend(updates)
            self._arrived.notify_all()

    def pending_updates(self) -> list[int]:
        """Ids of updates no ``offset`` has confirmed yet."""
        return [u["update_id"] for u in self._updates]

    def answers(self) -> dict[str, dict[str, Any]]:
        """``answerCallbackQuery`` parameters by callback query id."""
        return {
            str(c.params["callback_query_id"]): c.params
            for c in self.calls_to("answerCallbackQuery")
        }

    def sent_to(self, chat_id: int) -> list[str]:
        """Texts sent to one chat, oldest first (edits not included)."""
        return [
            str(c.params["text"])
            for c in self.calls_to("sendMessage")
            if str(c.params.get("chat_id")) == str(chat_id)
        ]

    def rate_limit(self, calls: int, retry_after: int = 1) -> None:
        """Answer the next ``calls`` calls with 429 and ``retry_after``."""
        self.knobs.rate_limited, self.knobs.retry_after = calls, retry_after

    def fail(self, calls: int) -> None:
        """Answer the next ``calls`` calls with 500."""
        self.knobs.server_errors = calls

    def reject_html_once(self) -> None:
        """Refuse the next HTML message with "can't parse entities"."""
        self.knobs.reject_html = 1

    def calls_to(self, method: str) -> list[TelegramCall]:
        """The recorded calls of one method, oldest first."""
        return [c for c in self.calls if c.method == method]

    async def _params(self, request: web.Request) -> dict[str, Any]:
        if request.content_type == "application/json":
            body = await request.json()
            return dict(body) if isinstance(body, dict) else {}
        form = await request.post()
        return {k: _decode(v) for k, v in form.items() if isinstance(v, str)}

    async def _handle(self, request: web.Request) -> web.Response:
        token, method = request.match_info["token"], request.match_info["method"]
        params = await self._params(request)
        self.calls.append(TelegramCall(method, token, params))
        if token != self.token:
            return _error(401, "Unauthorized")
        if method == "getMe":
            return web.json_response({"ok": True, "result": _BOT_USER})
        if method == "getUpdates":
            return await self._get_updates(params)
        if method in _KNOB_FREE:
            return self._webhook_method(method, params)
        knobs = self.knobs
        if knobs.rate_limited:
            knobs.rate_limited -= 1
            return _error(
                429,
                f"Too Many Requests: retry after {knobs.retry_after}",
                retry_after=knobs.retry_after,
            )
        if knobs.server_errors:
            knobs.server_errors -= 1
            return _error(500, "Internal Server Error")
        if knobs.reject_html and str(params.get("parse_mode", "")).upper() == "HTML":
            knobs.reject_html -= 1
            return _error(
                400, "Bad Request: can't parse entities: Unsupported start tag at byte offset 0"
            )
        handler = {
            "sendMessage": self._send_message,
            "editMessageText": self._edit_text,
            "editMessageReplyMarkup": self._edit_markup,
            "answerCallbackQuery": self._answer_callback,
        }.get(method)
        if handler is None:
            return _error(404, "Not Found: method not found")
        return handler(params)

    async def _get_updates(self, params: dict[str, Any]) -> web.Response:
        """Confirm everything below ``offset``, then answer at once or when updates arrive."""
        if self.webhook.url:
            return _error(
                409,
                "Conflict: can't use getUpdates method while webhook is active;"
                " use deleteWebhook to delete the webhook first",
            )
        offset = int(params.get("offset") or 0)
        limit = int(params.get("limit") or 100)
        timeout = float(params.get("timeout") or 0)
        assert self._arrived is not None
        async with self._arrived:
            if offset:
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
            deadline = time.monotonic() + timeout
            while not self._updates and not self._closing:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                try:
                    await asyncio.wait_for(self._arrived.wait(), left)
                except TimeoutError:
                    break
            batch = self._updates[:limit]
        return web.json_response({"ok": True, "result": batch})

    def _webhook_method(self, method: str, params: dict[str, Any]) -> web.Response:
        if method == "setWebhook":
            self.webhook = _Webhook(str(params.get("url", "")), params.get("secret_token"))
            return web.json_response({"ok": True, "result": True})
        if method == "deleteWebhook":
            if str(params.get("drop_pending_updates", "")).lower() == "true":
                self._updates.clear()
            self.webhook = _Webhook()
            return web.json_response({"ok": True, "result": True})
        info = {"url": self.webhook.url, "has_custom_certificate": False}
        return web.json_response({"ok": True, "result": {**info, "pending_update_count": 0}})

    def _answer_callback(self, params: dict[str, Any]) -> web.Response:
        if not params.get("callback_query_id"):
            return _error(400, "Bad Request: query_id_invalid")
        if len(str(params.get("text", ""))) > 200:
            return _error(400, "Bad Request: MESSAGE_TOO_LONG")
        return web.json_response({"ok": True, "result": True})

    def _message(self, message_id: int, stored: _Stored, *, edited: bool = False) -> dict[str, Any]:
        chat_id = stored.chat_id
        result: dict[str, Any] = {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": {
                "id": int(chat_id) if str(chat_id).lstrip("-").isdigit() else -1001234567890,
                "type": "supergroup",
                "title": "alerts",
            },
            "from": _BOT_USER,
            "text": stored.text,
        }
        if edited:
            result["edit_date"] = int(time.time())
        if stored.reply_markup:
            result["reply_markup"] = stored.reply_markup
        if stored.thread_id is not None:
            result["message_thread_id"] = stored.thread_id
        return result

    def _send_message(self, params: dict[str, Any]) -> web.Response:
        text = str(params.get("text", ""))
        if not text:
            return _error(400, "Bad Request: message text is empty")
        if len(text) > 4096:
            return _error(400, "Bad Request: message is too long")
        message_id = len(self.messages) + 1
        thread = params.get("message_thread_id")
        stored = _Stored(
            chat_id=params.get("chat_id", 0),
            text=text,
            reply_markup=params.get("reply_markup"),
            thread_id=int(thread) if thread is not None else None,
        )
        self.messages[message_id] = stored
        return web.json_response({"ok": True, "result": self._message(message_id, stored)})

    def _edit_text(self, params: dict[str, Any]) -> web.Response:
        message_id = int(params.get("message_id", 0))
        stored = self.messages.get(message_id)
        if stored is None:
            return _error(400, "Bad Request: message to edit not found")
        text, markup = str(params.get("text", "")), params.get("reply_markup")
        if text == stored.text and markup == stored.reply_markup:
            return _error(400, "Bad Request: message is not modified")
        stored.text, stored.reply_markup = text, markup
        body = {"ok": True, "result": self._message(message_id, stored, edited=True)}
        return web.json_response(body)

    def _edit_markup(self, params: dict[str, Any]) -> web.Response:
        stored = self.messages.get(int(params.get("message_id", 0)))
        if stored is None:
            return _error(400, "Bad Request: message to edit not found")
        stored.reply_markup = params.get("reply_markup")
        message_id = int(params["message_id"])
        body = {"ok": True, "result": self._message(message_id, stored, edited=True)}
        return web.json_response(body)


def _chat(chat_id: int, person: Person) -> dict[str, Any]:
    if chat_id == person.id:
        return {"id": chat_id, "type": "private", "first_name": person.first_name}
    return {"id": chat_id, "type": "supergroup", "title": "alerts"}
