"""FakeSlack: the Web API methods alerthub uses, on loopback, with failure knobs."""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.fakes import LoopbackServer

DEFAULT_TOKEN = "xoxb-test-0000-secret-token"


@dataclass(frozen=True)
class SlackCall:
    """One request as the fake received it."""

    method: str
    params: dict[str, Any]
    authorization: str


@dataclass
class FakeSlack(LoopbackServer):
    """``async with FakeSlack() as sl: SlackConfig(api_url=sl.api_url, ...)``."""

    token: str = DEFAULT_TOKEN
    calls: list[SlackCall] = field(default_factory=list)
    messages: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    rate_limited: int = 0
    retry_after: int = 1
    server_errors: int = 0

    def __post_init__(self) -> None:
        app = web.Application()
        app.router.add_post("/api/{method}", self._handle)
        super().__init__(app)

    @property
    def api_url(self) -> str:
        """The ``base_url`` for ``AsyncWebClient``."""
        return f"{self.base_url}/api/"

    def rate_limit(self, calls: int, retry_after: int = 1) -> None:
        """Answer the next ``calls`` calls with 429 and a ``Retry-After`` header."""
        self.rate_limited, self.retry_after = calls, retry_after

    def fail(self, calls: int) -> None:
        """Answer the next ``calls`` calls with 500."""
        self.server_errors = calls

    def calls_to(self, method: str) -> list[SlackCall]:
        """The recorded calls of one method, oldest first."""
        return [c for c in self.calls if c.method == method]

    @staticmethod
    def channel_id(channel: str) -> str:
        """Names map to stable IDs the way Slack answers with IDs."""
        if channel[:1] in "CGD" and channel[1:].isalnum() and channel.isupper():
            return channel
        return f"C{zlib.crc32(channel.lstrip('#').encode()):08X}"

    async def _params(self, request: web.Request) -> dict[str, Any]:
        if request.content_type == "application/json":
            body = await request.json()
            return dict(body) if isinstance(body, dict) else {}
        form = await request.post()
        params: dict[str, Any] = {}
        for key, value in form.items():
            if isinstance(value, str) and value[:1] in "[{":
                params[key] = json.loads(value)
            elif isinstance(value, str):
                params[key] = value
        return params

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await self._params(request)
        auth = request.headers.get("Authorization", "")
        self.calls.append(SlackCall(method, params, auth))
        if self.rate_limited:
            self.rate_limited -= 1
            return web.json_response(
                {"ok": False, "error": "ratelimited"},
                status=429,
                headers={"Retry-After": str(self.retry_after)},
            )
        if self.server_errors:
            self.server_errors -= 1
            return web.Response(status=500, text="Internal Server Error")
        if not auth.startswith("Bearer "):
            return web.json_response({"ok": False, "error": "not_authed"})
        if auth != f"Bearer {self.token}":
            return web.json_response({"ok": False, "error": "invalid_auth"})
        if method == "auth.test":
            return web.json_response(
                {"ok": True, "url": "https://fake.slack.com/", "team": "fake", "user_id": "U1"}
            )
        if method == "chat.postMessage":
            return self._post_message(params)
        if method == "chat.update":
            return self._update(params)
        return web.json_response({"ok": False, "error": "unknown_method"}, status=404)

    def _post_message(self, params: dict[str, Any]) -> web.Response:
        if not params.get("text") and not params.get("blocks"):
            return web.json_response({"ok": False, "error": "no_text"})
        channel = self.channel_id(str(params.get("channel", "")))
        ts = f"1700000000.{len(self.messages) + 1:06d}"
        message = {"type": "message", "text": params.get("text", ""), "ts": ts}
        for key in ("blocks", "thread_ts"):
            if key in params:
                message[key] = params[key]
        self.messages[(channel, ts)] = message
        return web.json_response({"ok": True, "channel": channel, "ts": ts, "message": message})

    def _update(self, params: dict[str, Any]) -> web.Response:
        channel = str(params.get("channel", ""))
        ts = str(params.get("ts", ""))
        if not channel.startswith("C"):
            return web.json_response({"ok": False, "error": "channel_not_found"})
        message = self.messages.get((channel, ts))
        if message is None:
            return web.json_response({"ok": False, "error": "message_not_found"})
        message.update({k: params[k] for k in ("text", "blocks") if k in params})
        text = message["text"]
        return web.json_response(
            {"ok": True, "channel": channel, "ts": ts, "text": text, "message": message}
        )
