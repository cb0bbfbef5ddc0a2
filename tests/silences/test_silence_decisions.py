"""Pure silence decisions, table-tested with an injected time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from hub.alertmanager_client import PostableSilence, am_matcher, postable_silence_body
from hub.api.silences import SilenceRequest
from hub.config.loader import format_path
from hub.model.outbox import SilenceStepKind
from hub.pipeline.silence import lifecycle_schedule, silenced_by
from hub.routing.matchers import parse_matcher, parse_matchers
from hub.store.silences import Silence, SilenceState

T0 = datetime(2026, 11, 24, 22, 0, tzinfo=UTC)
M = timedelta(minutes=1)


def make_silence(
    matchers: str = 'alertname="DataDrift"',
    *,
    starts: datetime = T0,
    ends: datetime = T0 + 60 * M,
    expired: datetime | None = None,
    sid: int = 1,
) -> Silence:
    return Silence(
        id=sid,
        matchers=tuple(parse_matchers(matchers)),
        starts_at=starts,
        ends_at=ends,
        created_by="ayse",
        comment="",
        created_at=T0,
        updated_at=T0,
        expired_at=expired,
        alertmanager_id=None,
        owner_warned_at=None,
    )


@pytest.mark.parametrize(
    ("now", "expired", "state"),
    [
        (T0 - timedelta(microseconds=1), None, SilenceState.PENDING),
        (T0, None, SilenceState.ACTIVE),
        (T0 + 59 * M, None, SilenceState.ACTIVE),
        (T0 + 60 * M - timedelta(microseconds=1), None, SilenceState.ACTIVE),
        (T0 + 60 * M, None, SilenceState.EXPIRED),
        (T0 + 10 * M, T0 + 10 * M, SilenceState.EXPIRED),
        (T0 + 9 * M, T0 + 10 * M, SilenceState.ACTIVE),
        (T0 - M, T0 - 2 * M, SilenceState.EXPIRED),
    ],
    ids=[
        "before-start",
        "at-start",
        "inside",
        "last-microsecond",
        "at-end",
        "deleted",
        "before-delete",
        "deleted-while-pending",
    ],
)
def test_state_at(now: datetime, expired: datetime | None, state: SilenceState) -> None:
    assert make_silence(expired=expired).state_at(now) is state


LABELS = {"alertname": "DataDrift", "namespace": "staging", "severity": "warning"}


@pytest.mark.parametrize(
    ("matchers", "labels", "now", "silenced"),
    [
        ('alertname="DataDrift"', LABELS, T0 + M, True),
        ('alertname="DataDrift",namespace="prod"', LABELS, T0 + M, False),
        ('alertname=~"Data.*",severity!="critical"', LABELS, T0 + M, True),
        ('alertname!~"Data.*"', LABELS, T0 + M, False),
        ('alertname="DataDrift"', LABELS, T0 - M, False),
        ('alertname="DataDrift"', LABELS, T0 + 60 * M, False),
        ('alertname="DataDrift",team=""', LABELS, T0 + M, True),
        ('alertname="Data"', LABELS, T0 + M, False),
    ],
    ids=[
        "equal",
        "one-matcher-misses",
        "regex-and-not-equal",
        "negative-regex",
        "pending",
        "expired-on-time",
        "missing-label-is-empty",
        "regex-free-equal-is-exact",
    ],
)
def test_silenced_by(matchers: str, labels: dict[str, str], now: datetime, silenced: bool) -> None:
    found = silenced_by([make_silence(matchers)], labels, now)
    assert (found is not None) is silenced


def test_silenced_by_skips_deleted_and_picks_a_live_one() -> None:
    deleted = make_silence(expired=T0 + 5 * M, sid=1)
    live = make_silence('namespace="staging"', sid=2)
    assert silenced_by([deleted, live], LABELS, T0 + 6 * M) is live
    assert silenced_by([deleted], LABELS, T0 + 6 * M) is None


W = SilenceStepKind.WARN_OWNER
E = SilenceStepKind.EXPIRED


@pytest.mark.parametrize(
    ("starts", "ends", "now", "warning", "steps"),
    [
        (T0, T0 + 60 * M, T0, 10 * M, [(W, T0 + 50 * M), (E, T0 + 60 * M)]),
        (T0, T0 + 5 * M, T0, 10 * M, [(W, T0), (E, T0 + 5 * M)]),
        (T0 + 30 * M, T0 + 35 * M, T0, 10 * M, [(W, T0 + 30 * M), (E, T0 + 35 * M)]),
        (T0, T0 + 60 * M, T0, timedelta(0), [(E, T0 + 60 * M)]),
        (T0 - 60 * M, T0 + 5 * M, T0, 10 * M, [(W, T0), (E, T0 + 5 * M)]),
    ],
    ids=["hour", "shorter-than-warning", "pending", "no-warning", "started-earlier"],
)
def test_lifecycle_schedule(
    starts: datetime,
    ends: datetime,
    now: datetime,
    warning: timedelta,
    steps: list[tuple[SilenceStepKind, datetime]],
) -> None:
    assert lifecycle_schedule(make_silence(starts=starts, ends=ends), now, warning) == steps


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('a="b"', {"name": "a", "value": "b", "isRegex": False, "isEqual": True}),
        ('a!="b"', {"name": "a", "value": "b", "isRegex": False, "isEqual": False}),
        ('a=~"b|c"', {"name": "a", "value": "b|c", "isRegex": True, "isEqual": True}),
        ('a!~"b.*"', {"name": "a", "value": "b.*", "isRegex": True, "isEqual": False}),
        ('a="x\\"y"', {"name": "a", "value": 'x"y', "isRegex": False, "isEqual": True}),
    ],
    ids=["equal", "not-equal", "regex", "not-regex", "escaped-quote"],
)
def test_am_matcher(text: str, expected: dict[str, object]) -> None:
    assert am_matcher(parse_matcher(text)) == expected


def test_postable_body_fills_the_comment_alertmanager_requires() -> None:
    body = postable_silence_body(
        PostableSilence(tuple(parse_matchers('alertname="DataDrift"')), T0, T0 + 60 * M, "ayse", "")
    )
    assert body["startsAt"] == "2026-11-24T22:00:00Z"
    assert body["endsAt"] == "2026-11-24T23:00:00Z"
    assert body["createdBy"] == "ayse"
    assert body["comment"]


VALID = {
    "matchers": ['alertname="DataDrift"', 'namespace=~"staging|dev"'],
    "ends_at": "2026-11-24T23:00:00Z",
    "created_by": "ayse",
    "comment": "known drift",
}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"matchers": ['alertname="DataDrift"', "namespace staging"]}, "matchers[1]"),
        ({"matchers": ['alertname="DataDrift"', 'x=~"("']}, "matchers[1]"),
        ({"matchers": [42]}, "matchers[0]"),
        ({"matchers": []}, "matchers"),
        ({"matchers": ['team=~".*"']}, "matchers"),
        ({"ends_at": "2026-11-24T21:00:00Z"}, "ends_at"),
        ({"ends_at": "2026-11-24T23:00:00"}, "ends_at"),
        ({"ends_at": "tomorrow"}, "ends_at"),
        ({"starts_at": "2026-11-24T23:30:00Z"}, "ends_at"),
        ({"created_by": "  "}, "created_by"),
        ({"colour": "red"}, "colour"),
    ],
    ids=[
        "bad-matcher",
        "bad-regex",
        "not-a-string",
        "no-matchers",
        "matches-everything",
        "ends-in-past",
        "naive-time",
        "not-a-time",
        "ends-before-start",
        "blank-owner",
        "unknown-field",
    ],
)
def test_request_validation_names_the_field(change: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        SilenceRequest.model_validate({**VALID, **change}, context={"now": T0})
    assert field in {format_path(tuple(e["loc"])) for e in caught.value.errors()}


def test_request_without_starts_at_starts_now() -> None:
    body = SilenceRequest.model_validate(VALID, context={"now": T0})
    new = body.to_new(T0)
    assert new.starts_at == T0
    assert [str(m) for m in new.matchers] == ['alertname="DataDrift"', 'namespace=~"staging|dev"']
