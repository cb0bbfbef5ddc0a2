"""The one seam every channel adapter implements."""

from __future__ import annotations

from typing import Protocol

from hub.channels.model import Notification
from hub.model.notify import SentMessage


class Channel(Protocol):
    """A thin adapter: render, cut to the channel's limit, send, map errors to reasons.

    Every method raises ``DeliveryError`` on failure and never retries itself.
    """

    kind: str

    async def send(self, note: Notification) -> SentMessage:
        """Post a new message for this notification."""
        ...

    async def update(self, note: Notification, first: SentMessage) -> SentMessage:
        """Change the first message in place (ack, resolve) or thread a reply where it cannot."""
        ...

    async def reply(self, note: Notification, first: SentMessage) -> SentMessage:
        """Post a short reply (reminder) to the first message."""
        ...

    async def close(self) -> None:
        """Release connections; safe to call twice."""
        ...
