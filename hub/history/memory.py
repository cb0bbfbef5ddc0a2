"""Memory in the message: has this happened before, and what fixed it?

One line from the history of the same alert name and service, e.g. "seen 4 times in 30 days
· last 3 days ago, resolved in 12 min (rollout restart, cleared)". Nothing when there is no
history. Pure formatting here; the store reads indexed columns (``hub/store/memory.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from hub.channels.render import format_duration_human

WINDOW = timedelta(days=30)


@dataclass(frozen=True)
class PastIncidents:
    """Earlier incidents of one alert name and service within the window."""

    count: int
    last_started: datetime | None = None
    last_resolved: datetime | None = None
    last_action: str | None = None  # "rollout restart, cleared"


def action_words(event_type: str, detail: Mapping[str, Any]) -> str:
    """A recorded action outcome in a few words: its kind and result when the event says."""
    kind = detail.get("kind") or detail.get("action")
    result = detail.get("result") or detail.get("outcome")
    parts = [str(p).replace("_", " ") for p in (kind, result) if p]
    return ", ".join(parts) or event_type.replace("_", " ")


def ago(elapsed: timedelta) -> str:
    """Coarse and spoken: ``3 days ago``, ``5 h ago``, ``12 min ago``."""
    if elapsed >= timedelta(days=1):
        days = elapsed.days
        return f"{days} day{'s' if days != 1 else ''} ago"
    return f"{format_duration_human(elapsed)} ago"


def history_line(past: PastIncidents, now: datetime, window: timedelta = WINDOW) -> str | None:
    """The line, or ``None`` when the alert has not fired before in the window."""
    if past.count <= 0 or past.last_started is None:
        return None
    times = "once" if past.count == 1 else f"{past.count} times"
    line = f"seen {times} in {window.days} days · last {ago(now - past.last_started)}"
    if past.last_resolved is not None:
        line += f", resolved in {format_duration_human(past.last_resolved - past.last_started)}"
    else:
        line += ", still open"
    if past.last_action:
        line += f" ({past.last_action})"
    return line
