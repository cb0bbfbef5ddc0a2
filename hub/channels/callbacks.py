"""Inline-button payloads: short, versioned strings the bot parses back (``ack:v1:1042``).

Telegram allows 1-64 bytes of ``callback_data``; every payload here stays well under it.
Unknown actions, other versions and anything malformed are refused, never guessed at.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from hub.config.types import format_duration, parse_duration

CALLBACK_VERSION = "v1"
CALLBACK_MAX_BYTES = 64
SILENCE_BUTTON_FOR = timedelta(hours=1)
_MAX_SILENCE = timedelta(days=7)


class CallbackAction(StrEnum):
    """What an inline button asks the hub to do."""

    ACK = "ack"
    SILENCE = "silence"
    RESTART = "restart"  # approves the pending restart action named by its id


@dataclass(frozen=True)
class CallbackData:
    """A parsed button payload: the action, its subject, and (silence) for how long.

    ``subject_id`` is an incident id (ack, silence) or a remediation action id (restart).
    """

    action: CallbackAction
    subject_id: int
    duration: timedelta | None = None


def build_callback_data(
    action: CallbackAction, subject_id: int, duration: timedelta | None = None
) -> str:
    """Encode ``ack:v1:<id>``, ``restart:v1:<action id>`` or ``silence:v1:<id>:<duration>``."""
    data = f"{action.value}:{CALLBACK_VERSION}:{subject_id}"
    if action is CallbackAction.SILENCE:
        if duration is None:
            raise ValueError("a silence button needs a duration")
        data += f":{format_duration(duration)}"
    if len(data.encode()) > CALLBACK_MAX_BYTES:
        raise ValueError("callback data longer than 64 bytes")
    return data


def parse_callback_data(data: str) -> CallbackData:
    """Decode a button payload; raise ``ValueError`` for unknown, old or malformed data."""
    parts = data.split(":")
    if len(data.encode()) > CALLBACK_MAX_BYTES or len(parts) < 3:
        raise ValueError("malformed callback data")
    action_text, version, incident, *rest = parts
    if version != CALLBACK_VERSION:
        raise ValueError(f"unsupported callback version {version[:8]!r}")
    try:
        action = CallbackAction(action_text)
    except ValueError:
        raise ValueError(f"unknown button action {action_text[:16]!r}") from None
    if not incident.isascii() or not incident.isdigit():
        raise ValueError("malformed id")
    if action is not CallbackAction.SILENCE:
        if rest:
            raise ValueError("malformed callback data")
        return CallbackData(action, int(incident))
    if len(rest) != 1:
        raise ValueError("malformed callback data")
    duration = parse_duration(rest[0])
    if not timedelta(0) < duration <= _MAX_SILENCE:
        raise ValueError("silence duration out of range")
    return CallbackData(action, int(incident), duration)
