"""Timeline events as lines a person reads: what happened, in words, and to which category.

Pure: the page, the post-mortem and the CLI describe events the same way. Event types the
hub does not know yet (actions, say) still get a line: their type in words and their detail.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from hub.history.model import IncidentRecord, TimelineEvent


class EventKind(StrEnum):
    """The category of a timeline line (also its CSS class on the page)."""

    ALERT = "alert"
    NOTIFICATION = "notification"
    SUPPRESSION = "suppression"
    ACK = "ack"
    SILENCE = "silence"
    ACTION = "action"
    OTHER = "other"


@dataclass(frozen=True)
class EventLine:
    """One described event."""

    at: datetime
    kind: EventKind
    what: str
    detail: str


_KINDS = {
    "fired": EventKind.ALERT,
    "resolved": EventKind.ALERT,
    "notified": EventKind.NOTIFICATION,
    "delivery_retry": EventKind.NOTIFICATION,
    "delivery_failed": EventKind.NOTIFICATION,
    "escalated": EventKind.NOTIFICATION,
    "enrichment_failed": EventKind.NOTIFICATION,
    "suppressed": EventKind.SUPPRESSION,
    "acknowledged": EventKind.ACK,
    "silence_expiring": EventKind.SILENCE,
    "silence_expired": EventKind.SILENCE,
}


def event_kind(event_type: str) -> EventKind:
    if event_type in _KINDS:
        return _KINDS[event_type]
    return EventKind.ACTION if event_type.startswith("action") else EventKind.OTHER


def _text(detail: Mapping[str, Any], key: str) -> str:
    value = detail.get(key)
    return "" if value is None else str(value)


def _generic(detail: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(detail.items()) if v not in (None, ""))


def _what(event: TimelineEvent) -> tuple[str, str]:
    d = event.detail
    match event.type:
        case "fired":
            return "Alert received", f"receiver {_text(d, 'receiver')}"
        case "resolved":
            return "Resolved", ""
        case "notified":
            what = f"Sent to {_text(d, 'channel')}"
            return what, f"{_text(d, 'receiver')} · {_text(d, 'kind')} ({_text(d, 'reason')})"
        case "suppressed":
            return f"Held back: {_text(d, 'reason') or 'unknown'}", _text(d, "receiver")
        case "acknowledged":
            return f"Acknowledged by {_text(d, 'by')}", _text(d, "comment")
        case "escalated":
            return f"Escalated to {_text(d, 'to')}", ""
        case "silence_expiring":
            return f"Silence #{_text(d, 'silence_id')} expiring", _generic(d)
        case "silence_expired":
            return f"Silence #{_text(d, 'silence_id')} expired", f"owner {_text(d, 'owner')}"
        case "delivery_retry" | "delivery_failed":
            verb = "Delivery will retry" if event.type == "delivery_retry" else "Delivery failed"
            return f"{verb} on {_text(d, 'channel')}", _text(d, "reason")
        case "enrichment_failed":
            return "Logs unavailable", _text(d, "reason")
        case _:
            return event.type.replace("_", " ").capitalize(), _generic(d)


def describe(event: TimelineEvent) -> EventLine:
    """One event in words."""
    what, detail = _what(event)
    return EventLine(at=event.at, kind=event_kind(event.type), what=what, detail=detail)


def timeline_lines(record: IncidentRecord) -> list[EventLine]:
    """The incident's story: when it started firing (Alertmanager's time), then every event."""
    start = EventLine(at=record.started_at, kind=EventKind.ALERT, what="Started firing", detail="")
    lines = [start, *(describe(e) for e in record.timeline)]
    return sorted(lines, key=lambda line: line.at)


@dataclass(frozen=True)
class Delivery:
    """What one channel of one receiver was told about the incident."""

    receiver: str
    channel: str
    messages: int
    first_at: datetime
    last_at: datetime
    last_kind: str


def deliveries(events: Iterable[TimelineEvent]) -> list[Delivery]:
    """What was sent where: one entry per (receiver, channel), first sent first."""
    seen: dict[tuple[str, str], Delivery] = {}
    for e in events:
        if e.type != "notified":
            continue
        key = (_text(e.detail, "receiver"), _text(e.detail, "channel"))
        kind = _text(e.detail, "kind")
        if (prior := seen.get(key)) is None:
            seen[key] = Delivery(*key, messages=1, first_at=e.at, last_at=e.at, last_kind=kind)
        else:
            seen[key] = Delivery(*key, prior.messages + 1, prior.first_at, e.at, kind)
    return sorted(seen.values(), key=lambda d: d.first_at)
