"""Quiet hours per route (``mon-fri 22:00-08:00 Europe/Istanbul``), DST-correct via zoneinfo."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import PlainSerializer, PlainValidator

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_FULL_DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_ALL_DAYS = frozenset(range(7))
_MINUTES_PER_DAY = 24 * 60
_MAX_HOPS = 6  # back-to-back windows merge at most a week ahead (always quiet: weekly summary)
_TIME_RANGE_RE = re.compile(r"^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$")


class QuietHoursError(ValueError):
    """A quiet-hours spec that cannot be parsed; the message says which part and why."""


@dataclass(frozen=True)
class QuietHours:
    """Weekly quiet windows in one zone; a window crossing midnight belongs to its start day."""

    spec: str
    days: frozenset[int]  # 0 = Monday
    start_minute: int  # minutes after local midnight, 0..1439
    end_minute: int  # 1..1440; <= start_minute means the window ends the next day
    tz: ZoneInfo

    def is_active_at(self, now: datetime) -> bool:
        """Whether ``now`` (aware) falls inside a quiet window."""
        return self._window_containing(now) is not None

    def ends_after(self, now: datetime) -> datetime:
        """When the quiet time containing ``now`` ends (aware UTC); back-to-back windows merge.

        Raises ``ValueError`` when ``now`` is not inside quiet hours.
        """
        window = self._window_containing(now)
        if window is None:
            raise ValueError(f"{now.isoformat()} is not inside quiet hours {self.spec!r}")
        end = window[1]
        for _ in range(_MAX_HOPS):
            following = self._window_containing(end)
            if following is None:
                break
            end = following[1]
        return end

    def _window_containing(self, now: datetime) -> tuple[datetime, datetime] | None:
        if now.tzinfo is None:
            raise ValueError("quiet hours need a timezone-aware datetime")
        instant = now.astimezone(UTC)
        today = instant.astimezone(self.tz).date()
        for day in (today - timedelta(days=1), today):
            if day.weekday() not in self.days:
                continue
            start, end = self._window_on(day)
            if start <= instant < end:
                return start, end
        return None

    def _window_on(self, day: date) -> tuple[datetime, datetime]:
        """The window starting on local ``day``: wall-clock times, converted to UTC instants."""
        end_day = day if self.end_minute > self.start_minute else day + timedelta(days=1)
        return _instant(day, self.start_minute, self.tz), _instant(
            end_day, self.end_minute, self.tz
        )


def _instant(day: date, minute: int, tz: ZoneInfo) -> datetime:
    """A local wall-clock time as a UTC instant; ambiguous or skipped times read as fold=0."""
    if minute == _MINUTES_PER_DAY:
        day, minute = day + timedelta(days=1), 0
    local = datetime.combine(day, time(minute // 60, minute % 60), tzinfo=tz)
    return local.astimezone(UTC)


def parse_quiet_hours(spec: str) -> QuietHours:
    """Parse ``[days] HH:MM-HH:MM Zone``; days like ``mon-fri``, ``sat,sun`` or ``fri-mon``."""
    parts = spec.split()
    if len(parts) in (1, 2) and _TIME_RANGE_RE.match(parts[-1]):
        raise QuietHoursError(
            f"quiet hours {spec!r}: missing time zone, e.g. '{spec.strip()} Europe/Berlin' or UTC"
        )
    if len(parts) == 2:
        days, (times, zone) = _ALL_DAYS, parts
    elif len(parts) == 3:
        days, times, zone = _parse_days(parts[0]), parts[1], parts[2]
    else:
        raise QuietHoursError(
            f"quiet hours {spec!r}: expected '[days] HH:MM-HH:MM Zone', "
            "e.g. 'mon-fri 22:00-08:00 Europe/Istanbul'"
        )
    start, end = _parse_times(times)
    return QuietHours(
        spec=" ".join(parts), days=days, start_minute=start, end_minute=end, tz=_parse_zone(zone)
    )


def _parse_days(text: str) -> frozenset[int]:
    days: set[int] = set()
    for item in text.lower().split(","):
        first, _, last = item.partition("-")
        lo = _day_index(first)
        hi = _day_index(last) if last else lo
        span = (hi - lo) % 7
        days.update((lo + offset) % 7 for offset in range(span + 1))
    return frozenset(days)


def _day_index(name: str) -> int:
    if name in DAY_NAMES:
        return DAY_NAMES.index(name)
    if name in _FULL_DAY_NAMES:
        return _FULL_DAY_NAMES.index(name)
    raise QuietHoursError(f"unknown day {name!r}: use {', '.join(DAY_NAMES)} (ranges like mon-fri)")


def _parse_times(text: str) -> tuple[int, int]:
    match = _TIME_RANGE_RE.match(text)
    if match is None:
        raise QuietHoursError(f"invalid time range {text!r}: use HH:MM-HH:MM, e.g. 22:00-08:00")
    sh, sm, eh, em = (int(group) for group in match.groups())
    if sh > 23 or sm > 59:
        raise QuietHoursError(f"invalid start time in {text!r}: use 00:00 to 23:59")
    if eh > 24 or em > 59 or (eh == 24 and em != 0):
        raise QuietHoursError(f"invalid end time in {text!r}: use 00:00 to 24:00")
    start, end = sh * 60 + sm, eh * 60 + em
    if start == end:
        raise QuietHoursError(f"time range {text!r} is empty: write 00:00-24:00 for a whole day")
    return start, end


def _parse_zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise QuietHoursError(
            f"unknown time zone {name!r}: use an IANA name like Europe/Berlin or UTC"
        ) from None


def _validate_spec(value: Any) -> QuietHours:
    if isinstance(value, QuietHours):
        return value
    if not isinstance(value, str):
        raise ValueError("quiet hours are a string like 'mon-fri 22:00-08:00 Europe/Istanbul'")  # noqa: TRY004
    return parse_quiet_hours(value)


QuietHoursSpec = Annotated[
    QuietHours,
    PlainValidator(_validate_spec),
    PlainSerializer(lambda value: value.spec, return_type=str),
]
