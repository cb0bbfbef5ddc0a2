"""FakeTelegram: the Bot API methods alerthub uses, on loopback, with failure knobs."""

from __future__ import annotations

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

    def __post_init__(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        super().__init__(app)

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
            "answerCallbackQuery": lambda _: web.json_response({"ok": True, "result": True}),
        }.get(method)
        if handler is None:
            return _error(404, "Not Found: method not found")
        return handler(params)

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
