# ruff: noqa: RUF001  (the digest uses the multiplication sign on purpose)
"""Token bucket and digest text, with exact times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from hub.pipeline.decisions.rate_limit import (
    NOTHING_CRITICAL_HELD,
    TokenBucket,
    build_digest,
    build_digest_header,
    digest_lines,
    take,
)

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
# 20 per 5 min: one token every 15 s.
FULL = TokenBucket.full(20, timedelta(minutes=5), T0)
EMPTY = TokenBucket(20, 20 / 300, 0.0, T0)
HALF_TOKEN = TokenBucket(20, 20 / 300, 0.5, T0)

TAKE_CASES: list[tuple[str, TokenBucket, float, float, bool, float]] = [
    ("full-bucket-allows", FULL, 0, 1.0, True, 19.0),
    ("empty-bucket-refuses", EMPTY, 0, 1.0, False, 0.0),
    ("empty-refilled-after-15s", EMPTY, 15, 1.0, True, 0.0),
    ("empty-not-yet-after-14s", EMPTY, 14, 1.0, False, 14 / 15),
    ("refill-capped-at-capacity", EMPTY, 3600, 1.0, True, 19.0),
    ("clock-step-back-adds-nothing", HALF_TOKEN, -60, 1.0, False, 0.5),
    ("cost-above-one", FULL, 0, 5.0, True, 15.0),
]


@pytest.mark.parametrize(
    ("bucket", "after_s", "cost", "allowed", "tokens_left"),
    [case[1:] for case in TAKE_CASES],
    ids=[case[0] for case in TAKE_CASES],
)
def test_take(
    bucket: TokenBucket, after_s: float, cost: float, allowed: bool, tokens_left: float
) -> None:
    now = T0 + timedelta(seconds=after_s)
    ok, after = take(bucket, now, cost)
    assert ok is allowed
    assert after.tokens == pytest.approx(tokens_left)
    assert after.updated_at == max(now, T0)


def test_take_drains_exactly_capacity() -> None:
    bucket, sent = FULL, 0
    for _ in range(25):
        ok, bucket = take(bucket, T0)
        sent += ok
    assert sent == 20


@pytest.mark.parametrize(
    ("capacity", "rate", "tokens", "updated_at"),
    [
        (0, 1, 0, T0),
        (1, 0, 1, T0),
        (1, 1, 2, T0),
        (1, 1, -1, T0),
        (1, 1, 1, datetime(2024, 5, 1, 12, 0)),
    ],
    ids=["zero-capacity", "no-refill", "over-capacity", "negative-tokens", "naive-time"],
)
def test_bucket_rejects(capacity: float, rate: float, tokens: float, updated_at: datetime) -> None:
    with pytest.raises(ValueError):
        TokenBucket(capacity, rate, tokens, updated_at)


HELD = [("ModelLatencyHigh", "prod", "warning")] * 30 + [("DataDrift", "staging", "info")] * 11
DIGEST_CASES: list[tuple[str, list[tuple[str, str, str]], list[str]]] = [
    ("empty", [], []),
    (
        "by-count-desc",
        HELD,
        ["30 × ModelLatencyHigh · prod (warning)", "11 × DataDrift · staging (info)"],
    ),
    (
        "ties-by-name",
        [("B", "ns", "warning"), ("A", "ns", "warning")],
        ["1 × A · ns (warning)", "1 × B · ns (warning)"],
    ),
    (
        "same-name-other-namespace-is-other-line",
        [("X", "prod", "warning"), ("X", "dev", "warning"), ("X", "prod", "warning")],
        ["2 × X · prod (warning)", "1 × X · dev (warning)"],
    ),
    ("missing-namespace-and-severity", [("X", "", "")], ["1 × X"]),
]


@pytest.mark.parametrize(
    ("held", "lines"),
    [case[1:] for case in DIGEST_CASES],
    ids=[case[0] for case in DIGEST_CASES],
)
def test_digest_lines(held: list[tuple[str, str, str]], lines: list[str]) -> None:
    assert digest_lines(held) == lines


@pytest.mark.parametrize(
    ("count", "window", "reason", "header"),
    [
        (
            41,
            timedelta(minutes=5),
            "rate limit",
            "📦 41 alerts held back in the last 5 min (rate limit)",
        ),
        (
            1,
            timedelta(minutes=5),
            "rate limit",
            "📦 1 alert held back in the last 5 min (rate limit)",
        ),
        (
            3,
            timedelta(hours=8),
            "quiet hours",
            "📦 3 alerts held back in the last 8 h (quiet hours)",
        ),
        (
            2,
            timedelta(seconds=90),
            "rate limit",
            "📦 2 alerts held back in the last 90 s (rate limit)",
        ),
    ],
    ids=["plural", "singular", "hours", "seconds"],
)
def test_build_digest_header(count: int, window: timedelta, reason: str, header: str) -> None:
    assert build_digest_header(count, window, reason) == header


@pytest.mark.parametrize(
    ("held", "reassures"),
    [
        (HELD, True),
        ([*HELD, ("ModelServiceDown", "prod", "critical")], False),
        ([("Pager", "prod", "page")], False),
    ],
    ids=["nothing-critical", "critical-held", "page-counts-as-critical"],
)
def test_build_digest(held: list[tuple[str, str, str]], reassures: bool) -> None:
    lines = build_digest(held, timedelta(minutes=5))
    assert lines[0].startswith(f"📦 {len(held)} alert")
    assert (lines[-1] == NOTHING_CRITICAL_HELD) is reassures
