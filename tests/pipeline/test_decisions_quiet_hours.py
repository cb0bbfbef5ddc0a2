"""Quiet hours: parsing, midnight crossing and DST, with fixed aware instants."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import BaseModel, ValidationError

from hub.model.quiet_hours import (
    QuietHours,
    QuietHoursError,
    QuietHoursSpec,
    parse_quiet_hours,
)

ISTANBUL = parse_quiet_hours("mon-fri 22:00-08:00 Europe/Istanbul")  # UTC+3 all year
WEEKEND = parse_quiet_hours("sat,sun 00:00-24:00 UTC")
BERLIN = parse_quiet_hours("22:00-07:00 Europe/Berlin")  # CET/CEST, every day


def utc(y: int, mo: int, d: int, h: int = 0, mi: int = 0, s: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, s, tzinfo=UTC)


# 2024-05-06 is a Monday; 2024-03-31 and 2024-10-27 are Berlin's DST switches (Sundays).
ACTIVE_CASES: list[tuple[str, QuietHours, datetime, bool]] = [
    ("mon-evening-before-start", ISTANBUL, utc(2024, 5, 6, 18, 59), False),
    ("mon-evening-at-start", ISTANBUL, utc(2024, 5, 6, 19, 0), True),
    ("tue-early-morning-in-monday-window", ISTANBUL, utc(2024, 5, 7, 4, 59), True),
    ("tue-at-end-is-outside", ISTANBUL, utc(2024, 5, 7, 5, 0), False),
    ("sat-morning-in-friday-window", ISTANBUL, utc(2024, 5, 11, 4, 0), True),
    ("sat-evening-not-a-quiet-day", ISTANBUL, utc(2024, 5, 11, 20, 0), False),
    ("mon-early-morning-sunday-not-quiet", ISTANBUL, utc(2024, 5, 6, 0, 0), False),
    ("local-time-not-utc", ISTANBUL, utc(2024, 5, 6, 21, 30), True),
    ("weekend-starts-sat-midnight", WEEKEND, utc(2024, 5, 11, 0, 0), True),
    ("weekend-not-friday-night", WEEKEND, utc(2024, 5, 10, 23, 59, 59), False),
    ("weekend-sun-last-second", WEEKEND, utc(2024, 5, 12, 23, 59, 59), True),
    ("weekend-ends-mon-midnight", WEEKEND, utc(2024, 5, 13, 0, 0), False),
    ("spring-start-is-cet", BERLIN, utc(2024, 3, 30, 21, 0), True),
    ("spring-before-start", BERLIN, utc(2024, 3, 30, 20, 59), False),
    ("spring-end-is-cest", BERLIN, utc(2024, 3, 31, 4, 59), True),
    ("spring-after-end-0730-cest", BERLIN, utc(2024, 3, 31, 5, 30), False),
    ("autumn-start-is-cest", BERLIN, utc(2024, 10, 26, 20, 0), True),
    ("autumn-before-start", BERLIN, utc(2024, 10, 26, 19, 59), False),
    ("autumn-0630-cet-still-quiet", BERLIN, utc(2024, 10, 27, 5, 30), True),
    ("autumn-end-is-cet", BERLIN, utc(2024, 10, 27, 6, 0), False),
]


@pytest.mark.parametrize(
    ("quiet", "now", "active"),
    [case[1:] for case in ACTIVE_CASES],
    ids=[case[0] for case in ACTIVE_CASES],
)
def test_is_active_at(quiet: QuietHours, now: datetime, active: bool) -> None:
    assert quiet.is_active_at(now) is active


ENDS_CASES: list[tuple[str, QuietHours, datetime, datetime]] = [
    ("istanbul-monday-night", ISTANBUL, utc(2024, 5, 6, 23, 0), utc(2024, 5, 7, 5, 0)),
    (
        "istanbul-friday-window-on-saturday",
        ISTANBUL,
        utc(2024, 5, 11, 1, 0),
        utc(2024, 5, 11, 5, 0),
    ),
    ("weekend-days-merge", WEEKEND, utc(2024, 5, 11, 10, 0), utc(2024, 5, 13, 0, 0)),
    ("berlin-spring-forward", BERLIN, utc(2024, 3, 31, 1, 0), utc(2024, 3, 31, 5, 0)),
    ("berlin-fall-back", BERLIN, utc(2024, 10, 27, 1, 0), utc(2024, 10, 27, 6, 0)),
]


@pytest.mark.parametrize(
    ("quiet", "now", "ends"),
    [case[1:] for case in ENDS_CASES],
    ids=[case[0] for case in ENDS_CASES],
)
def test_ends_after(quiet: QuietHours, now: datetime, ends: datetime) -> None:
    result = quiet.ends_after(now)
    assert result == ends
    assert result.tzinfo is UTC


def test_ends_after_outside_quiet_hours_refuses() -> None:
    with pytest.raises(ValueError, match="not inside quiet hours"):
        ISTANBUL.ends_after(utc(2024, 5, 6, 12, 0))


def test_always_quiet_ends_after_a_week() -> None:
    always = parse_quiet_hours("00:00-24:00 UTC")
    assert always.ends_after(utc(2024, 5, 6, 12, 0)) == utc(2024, 5, 13, 0, 0)


def test_naive_datetime_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        ISTANBUL.is_active_at(datetime(2024, 5, 6, 23, 0))


PARSE_CASES: list[tuple[str, str, frozenset[int], int, int, str]] = [
    (
        "weekdays",
        "mon-fri 22:00-08:00 Europe/Istanbul",
        frozenset(range(5)),
        1320,
        480,
        "Europe/Istanbul",
    ),
    ("list", "sat,sun 00:00-24:00 UTC", frozenset({5, 6}), 0, 1440, "UTC"),
    ("all-days", "22:00-07:00 Europe/Berlin", frozenset(range(7)), 1320, 420, "Europe/Berlin"),
    ("wrapping-range", "fri-mon 18:00-09:00 UTC", frozenset({4, 5, 6, 0}), 1080, 540, "UTC"),
    ("case-and-full-names", "Monday,WED 9:30-17:00 UTC", frozenset({0, 2}), 570, 1020, "UTC"),
    ("ends-at-midnight", "mon 22:00-00:00 UTC", frozenset({0}), 1320, 0, "UTC"),
]


@pytest.mark.parametrize(
    ("spec", "days", "start", "end", "zone"),
    [case[1:] for case in PARSE_CASES],
    ids=[case[0] for case in PARSE_CASES],
)
def test_parse(spec: str, days: frozenset[int], start: int, end: int, zone: str) -> None:
    quiet = parse_quiet_hours(spec)
    assert (quiet.days, quiet.start_minute, quiet.end_minute, quiet.tz.key) == (
        days,
        start,
        end,
        zone,
    )


ERROR_CASES: list[tuple[str, str, str]] = [
    ("empty", "", "expected '\\[days\\] HH:MM-HH:MM Zone'"),
    ("too-many-parts", "mon fri 22:00-08:00 UTC", "expected"),
    ("missing-zone", "mon-fri 22:00-08:00", "missing time zone"),
    ("unknown-zone", "22:00-08:00 Mars/Olympus", "unknown time zone 'Mars/Olympus'"),
    ("unknown-day", "funday 22:00-08:00 UTC", "unknown day 'funday'"),
    ("bad-range", "22-08 UTC", "invalid time range '22-08'"),
    ("bad-start", "25:00-08:00 UTC", "invalid start time"),
    ("bad-end", "22:00-24:30 UTC", "invalid end time"),
    ("empty-window", "08:00-08:00 UTC", "is empty"),
]


@pytest.mark.parametrize(
    ("spec", "message"),
    [case[1:] for case in ERROR_CASES],
    ids=[case[0] for case in ERROR_CASES],
)
def test_parse_errors(spec: str, message: str) -> None:
    with pytest.raises(QuietHoursError, match=message):
        parse_quiet_hours(spec)


class _Route(BaseModel):
    quiet_hours: QuietHoursSpec | None = None


def test_spec_type_in_config() -> None:
    route = _Route.model_validate({"quiet_hours": "mon-fri  22:00-08:00 Europe/Istanbul"})
    assert route.quiet_hours is not None
    assert route.quiet_hours.is_active_at(utc(2024, 5, 6, 19, 0))
    assert route.model_dump() == {"quiet_hours": "mon-fri 22:00-08:00 Europe/Istanbul"}


@pytest.mark.parametrize(
    ("value", "message"),
    [("22:00-08:00 Nowhere/Else", "unknown time zone"), (5, "a string like")],
    ids=["bad-spec", "not-a-string"],
)
def test_spec_type_errors_name_the_field(value: object, message: str) -> None:
    with pytest.raises(ValidationError) as info:
        _Route.model_validate({"quiet_hours": value})
    error = info.value.errors()[0]
    assert error["loc"] == ("quiet_hours",)
    assert message in error["msg"]
