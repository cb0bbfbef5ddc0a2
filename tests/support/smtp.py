"""A real SMTP server (aiosmtpd) on loopback that records what it accepts."""

from __future__ import annotations

import email
import email.policy
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import Message
from typing import Any

from aiosmtpd.controller import Controller


@dataclass
class RecordingHandler:
    """Stores messages; answers ``rcpt_reply`` / ``data_reply`` when set."""

    messages: list[Message] = field(default_factory=list)
    rcpt_reply: str | None = None
    data_reply: str | None = None

    async def handle_RCPT(  # noqa: N802 (aiosmtpd hook name)
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if self.rcpt_reply:
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        if self.data_reply:
            return self.data_reply
        # The default policy decodes headers, so a subject reads as the client wrote it.
        self.messages.append(
            email.message_from_bytes(envelope.content, policy=email.policy.default)
        )
        return "250 Message accepted for delivery"


def smtp_free_port() -> int:
    """aiosmtpd's Controller cannot use port 0 (it connects to itself to check readiness)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run_smtp(handler: RecordingHandler, **kwargs: Any) -> Iterator[Controller]:
    """Run aiosmtpd for the duration of a fixture."""
    controller = Controller(handler, hostname="127.0.0.1", port=smtp_free_port(), **kwargs)
    controller.start()
    try:
        yield controller
    finally:
        controller.stop()


def html_part(message: Message) -> str:
    """The decoded text/html part of a received email."""
    for part in message.walk():
        if part.get_content_type() == "text/html":
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            return payload.decode(part.get_content_charset() or "utf-8")
    raise AssertionError("the email has no text/html part")
