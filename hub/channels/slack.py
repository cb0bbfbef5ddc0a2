"""Slack adapter: Block Kit messages, updated in place with a one-line thread reply."""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from hub.channels.errors import DeliveryError, FailureReason, scrub
from hub.channels.model import Notification
from hub.channels.render import (
    MessageView,
    TemplateFormat,
    build_view,
    escape_mrkdwn,
    load_template,
    render_view,
)
from hub.config.receivers import SlackConfig
from hub.model.notify import NotifyKind, SentMessage

SLACK = "slack"
HEADER_LIMIT = 150
SECTION_LIMIT = 3000
FIELD_LIMIT = 2000
MAX_FIELDS = 10
MAX_BLOCKS = 50
_AUTH_ERRORS = frozenset(
    {
        "invalid_auth",
        "not_authed",
        "account_inactive",
        "token_revoked",
        "token_expired",
        "missing_scope",
        "no_permission",
        "not_allowed_token_type",
    }
)
_SERVER_ERRORS = frozenset(
    {"fatal_error", "internal_error", "service_unavailable", "request_timeout"}
)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": _clip(text, SECTION_LIMIT)}}


def _fields_block(view: MessageView) -> dict[str, Any] | None:
    pairs = [
        ("Namespace", view.namespace),
        ("Service", view.service),
        ("Severity", view.severity),
        ("Since", view.since),
    ]
    fields = [
        {"type": "mrkdwn", "text": _clip(f"*{name}*\n{escape_mrkdwn(value)}", FIELD_LIMIT)}
        for name, value in pairs
        if value
    ][:MAX_FIELDS]
    return {"type": "section", "fields": fields} if fields else None


def _alert_list(view: MessageView) -> str:
    """The alert list as mrkdwn, dropping items until it fits one section."""
    for count in range(len(view.items), -1, -1):
        lines = [
            f"• {escape_mrkdwn(i.name)}"
            + (f" — {escape_mrkdwn(i.summary)}" if i.summary else "")
            + (" (resolved)" if i.resolved else "")
            for i in view.items[:count]
        ]
        more = view.total - count
        if more:
            lines.append(f"• … and {more} more (<{escape_mrkdwn(view.group_url)}|full list>)")
        text = "\n".join(lines)
        if len(text) <= SECTION_LIMIT:
            return text
    return _clip(text, SECTION_LIMIT)


def _logs_block(view: MessageView) -> dict[str, Any] | None:
    if view.logs_unavailable and not view.log_lines:
        return _section(f"Logs unavailable ({escape_mrkdwn(view.logs_unavailable)})")
    # A ``` inside a line would end the code block early; break it with a zero-width space.
    lines = [escape_mrkdwn(line).replace("```", "`\u200b``") for line in view.log_lines]
    while lines:
        text = f"{escape_mrkdwn(view.logs_title)}\n```{chr(10).join(lines)}```"
        if len(text) <= SECTION_LIMIT:
            return _section(text)
        lines.pop()
    return None


def _links_block(view: MessageView) -> dict[str, Any]:
    links = [f"<{escape_mrkdwn(link.url)}|{escape_mrkdwn(link.label)}>" for link in view.links]
    links.append(f"<{escape_mrkdwn(view.incident_url)}|#{view.incident_id}>")
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": " · ".join(links)}]}


def build_blocks(note: Notification) -> list[dict[str, Any]]:
    """Block Kit for a notification, every piece within Slack's limits."""
    view = build_view(note, channel=SLACK)
    header = view.first_line
    blocks: list[dict[str, Any] | None] = [
        {"type": "header", "text": {"type": "plain_text", "text": _clip(header, HEADER_LIMIT)}}
    ]
    if note.kind == NotifyKind.DIGEST:
        body = [escape_mrkdwn(f"• {line}") for line in view.digest_lines]
        blocks.append(_section("\n".join([*body, escape_mrkdwn(view.footer_text)]).strip()))
        return [b for b in blocks if b]
    second = view.since_line if note.kind != NotifyKind.RESOLVED else view.status_line
    if note.kind in (NotifyKind.FIRING, NotifyKind.ACKNOWLEDGED) and view.action_text:
        second = f"{second}\n{view.action_text}"
    if note.kind == NotifyKind.FLAPPING:
        second = view.reason_text
    summary = "\n".join(escape_mrkdwn(p) for p in (view.headline, second, view.history) if p)
    if view.escalation_line:  # the header says why it arrives; the title follows it
        summary = f"*{escape_mrkdwn(view.title)}*\n{summary}".strip()
    if summary:
        blocks.append(_section(summary))
    if note.kind in (NotifyKind.FIRING, NotifyKind.ACKNOWLEDGED):
        blocks.append(_fields_block(view))
        blocks.append(_section(_alert_list(view)))
        blocks.append(_logs_block(view))
    blocks.append(_links_block(view))  # no buttons: Slack presses have no endpoint here
    return [b for b in blocks if b][:MAX_BLOCKS]


def _retry_after(response: AsyncSlackResponse) -> float | None:
    headers = {str(k).lower(): v for k, v in (response.headers or {}).items()}
    try:
        return float(headers["retry-after"])
    except (KeyError, TypeError, ValueError):
        return None


def map_slack_error(exc: Exception, method: str, token: str) -> DeliveryError:
    """Map a slack-sdk or transport error to a reason; the token never reaches the message."""
    if isinstance(exc, SlackApiError):
        status = exc.response.status_code
        data = exc.response.data
        error = str(data.get("error", "")) if isinstance(data, dict) else ""
        text = scrub(f"slack {method}: {error or 'error'} (HTTP {status})", [token])
        if status == 429 or error == "ratelimited":
            return DeliveryError(
                text,
                reason=FailureReason.RATE_LIMITED,
                retryable=True,
                retry_after=_retry_after(exc.response),
            )
        if status >= 500 or error in _SERVER_ERRORS:
            return DeliveryError(text, reason=FailureReason.SERVER_ERROR, retryable=True)
        if error in _AUTH_ERRORS or status in (401, 403):
            return DeliveryError(text, reason=FailureReason.AUTH, retryable=False)
        return DeliveryError(text, reason=FailureReason.CLIENT_ERROR, retryable=False)
    text = scrub(f"slack {method}: {type(exc).__name__}: {exc}", [token])
    if isinstance(exc, TimeoutError):
        return DeliveryError(text, reason=FailureReason.TIMEOUT, retryable=True)
    if isinstance(exc, aiohttp.ClientError | OSError):
        return DeliveryError(text, reason=FailureReason.CONNECTION, retryable=True)
    return DeliveryError(text, reason=FailureReason.PARSE_ERROR, retryable=False)


class SlackChannel:
    """Posts to one Slack channel with a bot token."""

    kind = SLACK

    def __init__(self, config: SlackConfig, *, external_url: str) -> None:
        if config.token is None:
            raise ValueError("slack: token is not set")
        self._config = config
        self._token = config.token.get_secret_value()
        self._timeout = max(1, math.ceil(config.timeout.total_seconds()))
        self._client = AsyncWebClient(
            token=self._token,
            base_url=config.api_url,
            timeout=self._timeout,
            retry_handlers=[],  # retries belong to the pipeline's deliver stage
        )
        self._text = load_template("slack.mrkdwn.j2", TemplateFormat.MRKDWN, config.template)
        self._external_url = external_url

    async def send(self, note: Notification) -> SentMessage:
        """Post the message; its ts is both the message id and the thread root."""
        response = await self._call(
            "chat.postMessage",
            lambda: self._client.chat_postMessage(
                channel=self._config.channel,
                text=self._fallback(note),
                blocks=build_blocks(note),
                unfurl_links=False,
            ),
        )
        ts = str(response["ts"])
        return SentMessage(message_id=f"{response['channel']}:{ts}", thread_id=ts)

    async def update(self, note: Notification, first: SentMessage) -> SentMessage:
        """Rewrite the first message (ack, resolve) and say so in one line in its thread."""
        channel, ts = self._locate(first)
        await self._call(
            "chat.update",
            lambda: self._client.chat_update(
                channel=channel, ts=ts, text=self._fallback(note), blocks=build_blocks(note)
            ),
        )
        line = escape_mrkdwn(build_view(note, max_items=0, channel=SLACK).title)
        return await self._thread_reply(channel, ts, line)

    async def reply(self, note: Notification, first: SentMessage) -> SentMessage:
        """Post a short reminder in the first message's thread."""
        channel, ts = self._locate(first)
        return await self._thread_reply(channel, ts, self._fallback(note))

    async def close(self) -> None:
        """Close the keep-alive session; safe to call twice."""
        session, self._client.session = self._client.session, None
        if session is not None:
            await session.close()

    def _fallback(self, note: Notification) -> str:
        view = build_view(note, max_items=0, channel=SLACK)
        return _clip(render_view(self._text, replace(view, items=())), SECTION_LIMIT)

    def _locate(self, first: SentMessage) -> tuple[str, str]:
        channel, sep, ts = first.message_id.rpartition(":")
        return (channel, ts) if sep else (self._config.channel, first.message_id)

    async def _thread_reply(self, channel: str, ts: str, text: str) -> SentMessage:
        response = await self._call(
            "chat.postMessage",
            lambda: self._client.chat_postMessage(channel=channel, thread_ts=ts, text=text),
        )
        return SentMessage(message_id=f"{response['channel']}:{response['ts']}", thread_id=ts)

    def _keep_alive(self) -> None:
        """Reuse one session: without it the SDK opens a session and a connection per call."""
        if self._client.session is None or self._client.session.closed:
            self._client.session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self._timeout)
            )

    async def _call(
        self, method: str, call: Callable[[], Awaitable[AsyncSlackResponse]]
    ) -> AsyncSlackResponse:
        self._keep_alive()
        try:
            return await call()
        except (TimeoutError, SlackClientError, aiohttp.ClientError, OSError) as exc:
            raise map_slack_error(exc, method, self._token) from None
