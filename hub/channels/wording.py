"""The phrases a half-awake reader sees first: durations, clock times, severity, first lines.

Pure functions of a ``Notification``; every channel takes its words from here, so Telegram,
Slack and email say the same thing the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta, tzinfo

from hub.channels.model import Notification
from hub.model.notify import NotifyKind

SEVERITY_MARKERS: Mapping[str, str] = {
    "critical": "🔴",
    "page": "🔴",
    "error": "🔴",
    "warning": "🟡",
    "info": "🔵",
}
"""One marker per severity, the same in every channel; anything else gets ``OTHER_MARKER``."""
OTHER_MARKER = "⚪"
ACKED_MARKER = "🟠"
RESOLVED_MARKER = "✅"


def severity_marker(severity: str) -> str:
    """🔴 critical, 🟡 warning, 🔵 info, ⚪ anything else (or none)."""
    return SEVERITY_MARKERS.get(severity.strip().lower(), OTHER_MARKER)


def format_duration_human(value: timedelta) -> str:
    """A duration as people say it: ``40 s``, ``18 min``, ``2 h 5 min``, ``3 d 4 h``."""
    seconds = max(0, int(value.total_seconds()))
    if seconds < 60:
        return f"{seconds} s"
    days, rest = divmod(seconds // 60, 1440)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {mins} min" if mins else f"{hours} h"
    return f"{mins} min"


def clock_time(value: datetime, tz: tzinfo, *, seconds: bool = False) -> str:
    """``03:12`` (or ``03:11:58``) in the configured zone."""
    return value.astimezone(tz).strftime("%H:%M:%S" if seconds else "%H:%M")


def zone_label(value: datetime, tz: tzinfo) -> str:
    """The zone's short name at ``value`` (``UTC``, ``CEST``, ``+03``)."""
    return value.astimezone(tz).tzname() or "UTC"


def group_start(note: Notification) -> datetime:
    """When the group started firing: its earliest alert."""
    return min((a.starts_at for a in note.alerts), default=note.now)


def acked_phrase(note: Notification, channel: str | None) -> str:
    """``ayse at 03:15``: who acknowledged, as ``channel`` knows them, and when."""
    if note.ack is None:
        return "someone"
    return f"{note.ack.shown_as(channel)} at {clock_time(note.ack.at, note.tz)}"


def resolved_after(note: Notification) -> str:
    """How long the group fired: from its first start to its last end."""
    ends = [a.ends_at for a in note.alerts if a.ends_at is not None]
    return format_duration_human(max(ends, default=note.now) - group_start(note))


def title(
    note: Notification, alertname: str, severity: str, where: str, channel: str | None
) -> str:
    """The first line: state, severity, alert name."""
    sev = f" · {severity}" if severity else ""
    match note.kind:
        case NotifyKind.ACKNOWLEDGED:
            return f"{ACKED_MARKER} ACKED by {acked_phrase(note, channel)}{sev} · {alertname}"
        case NotifyKind.RESOLVED:
            return f"{RESOLVED_MARKER} RESOLVED after {resolved_after(note)} · {alertname}"
        case NotifyKind.REMINDER:
            age = format_duration_human(note.now - group_start(note))
            return f"⏰ Still firing after {age}, not acknowledged"
        case NotifyKind.FLAPPING:
            return f"🔁 FLAPPING · {alertname} · {where}".rstrip(" ·")
        case NotifyKind.DIGEST:
            return f"📦 {note.reason_text or 'Alerts held back'}"
        case _:
            return f"{severity_marker(severity)} FIRING{sev} · {alertname}"


def escalation_line(note: Notification, severity: str) -> str:
    """``⬆ ESCALATED: critical, unacknowledged for 30 min · first sent to oncall at 03:12``."""
    esc = note.escalation
    if esc is None:
        return ""
    why = f"{severity}, unacknowledged" if severity else "unacknowledged"
    if esc.first_sent_at is None:
        return f"⬆ ESCALATED: {why} · first sent to {esc.first_receiver}"
    waited = format_duration_human(note.now - esc.first_sent_at)
    at = clock_time(esc.first_sent_at, note.tz)
    return f"⬆ ESCALATED: {why} for {waited} · first sent to {esc.first_receiver} at {at}"


def status_line(note: Notification, channel: str | None) -> str:
    """Under a resolved headline: who acknowledged and when, what cleared it, and what
    remediation did (a firing message shows those lines under its since line instead)."""
    parts = []
    if note.ack is not None:
        parts.append(f"acked by {acked_phrase(note, channel)}")
    if note.reason_text and note.kind == NotifyKind.RESOLVED:
        parts.append(note.reason_text)
    if note.kind == NotifyKind.RESOLVED:
        parts.extend(note.action_lines)
    return " · ".join(parts)


def summary_text(note: Notification) -> str:
    """The summary annotation; once resolved, the alert's own resolved text or the past tense."""
    first = note.alerts[0].annotations if note.alerts else {}

    def annotation(name: str) -> str:
        return note.common_annotations.get(name) or first.get(name, "")

    summary = annotation("summary")
    if note.kind != NotifyKind.RESOLVED:
        return summary
    resolved = annotation("resolved_summary")
    if resolved:
        return resolved
    return f"was: {summary}" if summary else ""
