"""One time syntax for every ``since``/``until``: table of what parses and what is refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from hub.timeframe import TimeParamError, Window, parse_moment, parse_window

NOW = datetime(2026, 11, 24, 22, 8, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("7d", NOW - timedelta(days=7)),
        ("12h", NOW - timedelta(hours=12)),
        ("90m", NOW - timedelta(minutes=90)),
        ("1h30m", NOW - timedelta(minutes=90)),
        ("2w", NOW - timedelta(days=14)),
        (" 30s ", NOW - timedelta(seconds=30)),
        ("2026-11-20T00:00:00Z", datetime(2026, 11, 20, tzinfo=UTC)),
        ("2026-11-20T00:00:00z", datetime(2026, 11, 20, tzinfo=UTC)),
        ("2026-11-20T03:00:00+03:00", datetime(2026, 11, 20, tzinfo=UTC)),
        ("2026-11-20T00:00:00.250Z", datetime(2026, 11, 20, 0, 0, 0, 250000, tzinfo=UTC)),
        ("2030-01-01T00:00:00Z", datetime(2030, 1, 1, tzinfo=UTC)),
    ],
    ids=[
        "days", "hours", "minutes", "compound", "weeks", "padded", "utc-z", "lower-z",
        "offset", "fraction", "future-time",
    ],
)  # fmt: skip
def test_parse_moment(value: str, expected: datetime) -> None:
    parsed = parse_moment("since", value, NOW)
    assert parsed == expected
    assert parsed.tzinfo is not None


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("yesterday", "since: 'yesterday' is neither an RFC 3339 time"),
        ("", "since: '' is neither"),
        ("0", "since: a look-back must be longer than 0"),
        ("7 days", "is neither"),
        ("-7d", "is neither"),
        ("2026-11-20T00:00:00", "since: RFC 3339 time needs a zone offset"),
        ("2026-13-01T00:00:00Z", "is neither"),
    ],
    ids=["word", "empty", "zero", "spaced-unit", "negative", "naive", "bad-month"],
)
def test_parse_moment_refuses(value: str, message: str) -> None:
    with pytest.raises(TimeParamError) as info:
        parse_moment("since", value, NOW)
    assert message in str(info.value)


@pytest.mark.parametrize(
    ("since", "until", "kwargs", "expected"),
    [
        (None, None, {}, Window(None, None)),
        ("1d", None, {}, Window(NOW - timedelta(days=1), None)),
        (None, "1h", {}, Window(None, NOW - timedelta(hours=1))),
        ("2d", "1d", {}, Window(NOW - timedelta(days=2), NOW - timedelta(days=1))),
        (None, None, {"default_since": timedelta(days=7), "until_now": True},
         Window(NOW - timedelta(days=7), NOW)),
        ("3h", None, {"default_since": timedelta(days=7), "until_now": True},
         Window(NOW - timedelta(hours=3), NOW)),
        ("2030-01-01T00:00:00Z", None, {}, Window(datetime(2030, 1, 1, tzinfo=UTC), None)),
    ],
    ids=["open", "since-only", "until-only", "both", "report-default", "report-since",
         "future-open"],
)  # fmt: skip
def test_parse_window(
    since: str | None, until: str | None, kwargs: dict[str, object], expected: Window
) -> None:
    assert parse_window(since, until, NOW, **kwargs) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("since", "until", "until_now", "message"),
    [
        ("1d", "2d", False, "since: '1d' is not before until"),
        ("1d", "1d", False, "is not before until"),
        ("2030-01-01T00:00:00Z", None, True, "is not before now"),
        ("1d", "soon", False, "until: 'soon' is neither"),
    ],
    ids=["reversed", "empty", "future-report", "bad-until"],
)
def test_parse_window_refuses(since: str, until: str | None, until_now: bool, message: str) -> None:
    with pytest.raises(TimeParamError) as info:
        parse_window(since, until, NOW, until_now=until_now)
    assert message in str(info.value)
