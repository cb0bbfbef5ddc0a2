"""One time syntax for every ``since``/``until``: an RFC 3339 time or a look-back like ``7d``.

The API and the CLI both parse through here, so ``since=7d`` means the same everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from hub.config.types import parse_duration

SYNTAX_HINT = "an RFC 3339 time (e.g. 2026-11-24T22:08:00Z) nor a look-back like 7d, 12h, 90m"


class TimeParamError(ValueError):
    """A ``since``/``until`` that cannot be used; the message starts with the parameter name."""


@dataclass(frozen=True)
class Window:
    """A time window; ``None`` on either side leaves it open."""

    since: datetime | None
    until: datetime | None


def parse_moment(name: str, value: str, now: datetime) -> datetime:
    """``value`` as an aware UTC time: a look-back from ``now`` or an RFC 3339 time."""
    text = value.strip()
    try:
        back = parse_duration(text)
    except ValueError:
        return _rfc3339(name, text)
    if back <= timedelta(0):
        raise TimeParamError(f"{name}: a look-back must be longer than 0, e.g. 7d")
    return now - back


def _rfc3339(name: str, text: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(text.replace("z", "Z").replace("Z", "+00:00"))
    except ValueError:
        raise TimeParamError(f"{name}: {text!r} is neither {SYNTAX_HINT}") from None
    if parsed.tzinfo is None:
        raise TimeParamError(f"{name}: RFC 3339 time needs a zone offset, e.g. Z")
    return parsed.astimezone(UTC)


def parse_window(
    since: str | None,
    until: str | None,
    now: datetime,
    *,
    default_since: timedelta | None = None,
    until_now: bool = False,
) -> Window:
    """Both ends of a window; ``until_now`` closes an open end at ``now`` (reports do).

    The window must not be empty: ``since`` before ``until`` (or before now, for reports).
    """
    start = parse_moment("since", since, now) if since is not None else None
    if start is None and default_since is not None:
        start = now - default_since
    end = parse_moment("until", until, now) if until is not None else None
    if end is None and until_now:
        end = now
    if start is not None and end is not None and start >= end:
        other = "now" if until is None else "until"
        raise TimeParamError(f"since: {since!r} is not before {other}")
    return Window(start, end)


def iso_utc(value: datetime) -> str:
    """RFC 3339 in UTC with a ``Z``, as every response writes times."""
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
