"""The bot's pure parts, case by case: permissions, arguments, rate limit, replies, config."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import pytest

from hub.bot.args import (
    AckArgs,
    ArgError,
    HistoryArgs,
    IncidentsArgs,
    SilenceArgs,
    TargetArgs,
    parse_ack,
    parse_action_id,
    parse_history,
    parse_incident,
    parse_incidents,
    parse_nothing,
    parse_silence,
    parse_stats,
    parse_target,
    parse_unsilence,
    split_args,
)
from hub.bot.permissions import Allowed, Command, RefusalReason, Refused, decide
from hub.bot.ratelimit import Bucket, take
from hub.bot.replies import incident_text, refusal_text
from hub.config.bot import BotUserConfig, Role
from hub.config.loader import ConfigError, parse_config
from hub.remediate.model import TargetKind
from hub.reports.response import Episode, response_stats
from hub.routing.matchers import parse_matcher

NOW = datetime(2026, 3, 4, 3, 18, tzinfo=UTC)
CHAT = -1001
ALLOWED = frozenset({CHAT})


def person(role: Role) -> BotUserConfig:
    return BotUserConfig(id=7, name="ayse", role=role)


PERMISSIONS: list[tuple[str, Role | None, int | None, Command, Allowed | Refused]] = [
    ("stranger-help", None, CHAT, Command.HELP, Refused(RefusalReason.UNKNOWN_USER)),
    ("stranger-ack", None, CHAT, Command.ACK, Refused(RefusalReason.UNKNOWN_USER)),
    ("other-chat", Role.ADMIN, -5, Command.HELP, Refused(RefusalReason.CHAT_NOT_ALLOWED)),
    ("no-chat", Role.ADMIN, None, Command.ACK, Refused(RefusalReason.CHAT_NOT_ALLOWED)),
    ("viewer-reads", Role.VIEWER, CHAT, Command.INCIDENTS, Allowed(person(Role.VIEWER))),
    ("viewer-stats", Role.VIEWER, CHAT, Command.STATS, Allowed(person(Role.VIEWER))),
    (
        "viewer-ack",
        Role.VIEWER,
        CHAT,
        Command.ACK,
        Refused(RefusalReason.ROLE_TOO_LOW, Role.RESPONDER),
    ),
    (
        "viewer-silence",
        Role.VIEWER,
        CHAT,
        Command.SILENCE,
        Refused(RefusalReason.ROLE_TOO_LOW, Role.RESPONDER),
    ),
    (
        "viewer-unsilence",
        Role.VIEWER,
        CHAT,
        Command.UNSILENCE,
        Refused(RefusalReason.ROLE_TOO_LOW, Role.RESPONDER),
    ),
    ("responder-ack", Role.RESPONDER, CHAT, Command.ACK, Allowed(person(Role.RESPONDER))),
    ("responder-silence", Role.RESPONDER, CHAT, Command.SILENCE, Allowed(person(Role.RESPONDER))),
    ("operator-ack", Role.OPERATOR, CHAT, Command.ACK, Allowed(person(Role.OPERATOR))),
    ("admin-unsilence", Role.ADMIN, CHAT, Command.UNSILENCE, Allowed(person(Role.ADMIN))),
    ("viewer-actions", Role.VIEWER, CHAT, Command.ACTIONS, Allowed(person(Role.VIEWER))),
    (
        "responder-restart",
        Role.RESPONDER,
        CHAT,
        Command.RESTART,
        Refused(RefusalReason.ROLE_TOO_LOW, Role.OPERATOR),
    ),
    (
        "responder-approve",
        Role.RESPONDER,
        CHAT,
        Command.APPROVE,
        Refused(RefusalReason.ROLE_TOO_LOW, Role.OPERATOR),
    ),
    ("operator-reject", Role.OPERATOR, CHAT, Command.REJECT, Allowed(person(Role.OPERATOR))),
    (
        "operator-pause",
        Role.OPERATOR,
        CHAT,
        Command.PAUSE,
        Refused(RefusalReason.ROLE_TOO_LOW, Role.ADMIN),
    ),
    (
        "operator-circuit-reset",
        Role.OPERATOR,
        CHAT,
        Command.CIRCUIT_RESET,
        Refused(RefusalReason.ROLE_TOO_LOW, Role.ADMIN),
    ),
    ("admin-resume", Role.ADMIN, CHAT, Command.RESUME, Allowed(person(Role.ADMIN))),
]


@pytest.mark.parametrize(
    ("role", "chat", "command", "expected"),
    [c[1:] for c in PERMISSIONS],
    ids=[c[0] for c in PERMISSIONS],
)
def test_permission(
    role: Role | None, chat: int | None, command: Command, expected: Allowed | Refused
) -> None:
    who = person(role) if role is not None else None
    assert decide(who, chat, ALLOWED, command) == expected


def test_refusals_say_what_would_help() -> None:
    unknown = refusal_text(Refused(RefusalReason.UNKNOWN_USER), Command.ACK, 99, CHAT)
    assert "your Telegram id is 99" in unknown
    assert "telegram_bot.users" in unknown
    chat = refusal_text(Refused(RefusalReason.CHAT_NOT_ALLOWED), Command.ACK, 99, -5)
    assert "(-5)" in chat
    role = refusal_text(Refused(RefusalReason.ROLE_TOO_LOW, Role.RESPONDER), Command.ACK, 1, CHAT)
    assert role == "Sorry, /ack needs the responder role."


ARGS: list[tuple[str, Any, str, Any]] = [
    ("ack", parse_ack, "1042", AckArgs(1042, "")),
    ("ack-comment", parse_ack, "1042 looking into it", AckArgs(1042, "looking into it")),
    ("ack-word", parse_ack, "abc", "incident id is a number: /ack 1042"),
    ("ack-none", parse_ack, "", "which incident id? /ack 1042"),
    ("ack-negative", parse_ack, "-3", "incident id is a number: /ack 1042"),
    ("ack-huge", parse_ack, "9" * 40, "incident id is a number: /ack 1042"),
    ("incident", parse_incident, "7", 7),
    ("incident-two", parse_incident, "7 8", "one incident at a time: /incident 1042"),
    ("unsilence-word", parse_unsilence, "x", "silence id is a number: /unsilence 17"),
    (
        "silence-id",
        parse_silence,
        "1042 30m deploy",
        SilenceArgs(1042, (), timedelta(minutes=30), "deploy"),
    ),
    ("silence-id-no-duration", parse_silence, "1042", "for how long? /silence 1042 1h"),
    ("silence-bad-duration", parse_silence, "1042 soon", "duration is like 30m or 4h"),
    ("silence-zero", parse_silence, "1042 0s", "the duration must be more than 0"),
    ("silence-too-long", parse_silence, "1042 1y", "a silence lasts at most 90d"),
    (
        "silence-matchers",
        parse_silence,
        'alertname="High Error" severity=~"warn.*" 4h noisy',
        SilenceArgs(
            None,
            (parse_matcher('alertname="High Error"'), parse_matcher('severity=~"warn.*"')),
            timedelta(hours=4),
            "noisy",
        ),
    ),
    ("silence-matcher-broken", parse_silence, 'alertname=~"(" 1h', "invalid matcher"),
    ("silence-empty-matcher", parse_silence, 'job=~".*" 1h', "must not match everything"),
    ("silence-nothing", parse_silence, "", "what should be silenced?"),
    ("silence-word", parse_silence, "everything 1h", "an incident id or matchers first"),
    ("incidents", parse_incidents, "", IncidentsArgs((), 1)),
    (
        "incidents-page",
        parse_incidents,
        "severity=critical 2",
        IncidentsArgs((parse_matcher("severity=critical"),), 2),
    ),
    ("incidents-word", parse_incidents, "critical", "'critical' is not a matcher"),
    ("incidents-page-0", parse_incidents, "0", "pages count from 1"),
    (
        "target",
        partial(parse_target, command="restart"),
        "deployment/model-api -n prod",
        TargetArgs(TargetKind.DEPLOYMENT, "model-api", "prod"),
    ),
    (
        "target-short-kind",
        partial(parse_target, command="restart"),
        "sts/db",
        TargetArgs(TargetKind.STATEFUL_SET, "db", None),
    ),
    (
        "target-no-kind",
        partial(parse_target, command="restart"),
        "model-api",
        "which workload? /restart deployment/model-api -n prod",
    ),
    (
        "target-bad-kind",
        partial(parse_target, command="restart"),
        "pod/x",
        "kind is deployment, statefulset or daemonset",
    ),
    (
        "target-bad-name",
        partial(parse_target, command="restart"),
        "deployment/Model_API",
        "name 'Model_API' must be lower-case",
    ),
    (
        "target-n-without-namespace",
        partial(parse_target, command="restart"),
        "deployment/x -n",
        "-n needs a namespace",
    ),
    (
        "action-id",
        partial(parse_action_id, command="approve"),
        "x",
        "action id is a number: /approve 12",
    ),
    ("pause-extra", partial(parse_nothing, command="pause"), "now", "/pause takes no arguments"),
]


@pytest.mark.parametrize(
    ("parse", "text", "expected"), [c[1:] for c in ARGS], ids=[c[0] for c in ARGS]
)
def test_arguments(parse: Any, text: str, expected: Any) -> None:
    tokens = split_args(text)
    if isinstance(expected, str) and not isinstance(expected, int):
        with pytest.raises(ArgError) as info:
            parse(tokens)
        assert str(info.value).startswith(expected) or expected in str(info.value)
    else:
        assert parse(tokens) == expected


SINCE: list[tuple[str, str, Any]] = [
    ("default", "", HistoryArgs(None, NOW - timedelta(days=7))),
    ("duration", "24h", HistoryArgs(None, NOW - timedelta(hours=24))),
    ("date", "2026-03-01", HistoryArgs(None, datetime(2026, 3, 1, tzinfo=UTC))),
    ("name", "DataDrift", HistoryArgs("DataDrift", NOW - timedelta(days=7))),
    ("both", "DataDrift 2d", HistoryArgs("DataDrift", NOW - timedelta(days=2))),
    ("future-date", "2027-01-01", "that date is in the future"),
    ("junk", "Data-Drift", "neither an alert name nor a since"),
    ("three", "a b c", "at most an alert name and a since"),
]


@pytest.mark.parametrize(("text", "expected"), [c[1:] for c in SINCE], ids=[c[0] for c in SINCE])
def test_history_arguments(text: str, expected: Any) -> None:
    if isinstance(expected, str):
        with pytest.raises(ArgError, match=expected):
            parse_history(split_args(text), NOW)
    else:
        assert parse_history(split_args(text), NOW) == expected


def test_stats_since() -> None:
    assert parse_stats([], NOW) == NOW - timedelta(days=7)
    assert parse_stats(["30d"], NOW) == NOW - timedelta(days=30)
    with pytest.raises(ArgError, match=r"since is a duration \(7d, 24h\) or a date"):
        parse_stats(["lately"], NOW)


def test_unclosed_quote_is_explained() -> None:
    with pytest.raises(ArgError, match="a quote is not closed"):
        split_args('alertname="High')


B0 = Bucket(0.0, NOW)
RATE: list[tuple[str, Bucket | None, timedelta, bool, bool, float]] = [
    ("first", None, timedelta(0), True, False, 2.0),
    ("has-tokens", Bucket(1.5, NOW), timedelta(0), True, False, 0.5),
    ("empty", B0, timedelta(0), False, True, 0.0),
    ("empty-warned", Bucket(0.0, NOW, warned=True), timedelta(0), False, False, 0.0),
    ("refilled-a-third", B0, timedelta(seconds=20), True, False, 0.0),
    ("refill-capped", B0, timedelta(hours=1), True, False, 2.0),
    ("clock-went-back", Bucket(0.5, NOW), timedelta(seconds=-30), False, True, 0.5),
]


@pytest.mark.parametrize(
    ("bucket", "later", "allowed", "warn", "left"),
    [c[1:] for c in RATE],
    ids=[c[0] for c in RATE],
)
def test_rate_limit(
    bucket: Bucket | None, later: timedelta, allowed: bool, warn: bool, left: float
) -> None:
    verdict = take(bucket, NOW + later, per_minute=3)
    assert (verdict.allowed, verdict.warn) == (allowed, warn)
    assert verdict.bucket.tokens == pytest.approx(left)


def test_incident_reply_escapes_what_it_echoes() -> None:
    item = {
        "id": 5,
        "alertname": "<b>Bad</b>",
        "status": "firing",
        "severity": "critical",
        "started_at": "2026-03-04T03:00:00Z",
        "resolved_at": None,
        "acked_by": "<i>x</i>",
        "acked_at": "2026-03-04T03:05:00Z",
        "labels": {"pod": "<script>alert(1)</script>"},
        "annotations": {"summary": "a & b", "runbook_url": 'https://x/"onmouseover="'},
        "generator_url": "https://prom/graph?a=1&b=2",
        "timeline": [{"type": "<opened>", "at": "2026-03-04T03:00:00Z", "detail": {}}],
    }
    text = incident_text(item)
    for raw in ("<b>Bad", "<script>", "<i>x", "<opened>", '"onmouseover="'):
        assert raw not in text
    assert "&lt;script&gt;" in text
    assert "a &amp; b" in text
    assert 'href="https://prom/graph?a=1&amp;b=2"' in text


def test_response_stats_medians_and_noisiest() -> None:
    def ep(name: str, ack: int | None, resolve: int | None) -> Episode:
        def at(m: int | None) -> datetime | None:
            return NOW + timedelta(minutes=m) if m is not None else None

        return Episode(name, NOW, at(ack), at(resolve))

    stats = response_stats(
        [ep("A", 2, 10), ep("A", 4, None), ep("B", None, 30), ep("A", None, None)], top=1
    )
    assert (stats.incidents, stats.acked, stats.resolved) == (4, 2, 2)
    assert stats.mtta == timedelta(minutes=3)
    assert stats.mttr == timedelta(minutes=20)
    assert stats.noisiest == (("A", 3),)
    assert response_stats([]).mtta is None


BASE = "intake: {token: t-1234}\napi: {token: a-1234}\n"
CONFIG_ERRORS = [
    ("no-token", "telegram_bot: {}\n", "telegram_bot.bot_token_file: set one of bot_token"),
    (
        "webhook-without-secret",
        "telegram_bot: {bot_token: '1:x', mode: webhook}\n",
        "telegram_bot.webhook_secret: webhook mode needs a secret",
    ),
    (
        "bad-secret",
        "telegram_bot: {bot_token: '1:x', webhook_secret: 'a b'}\n",
        "telegram_bot.webhook_secret: must be 1-256 characters",
    ),
    (
        "bad-mode",
        "telegram_bot: {bot_token: '1:x', mode: push}\n",
        "telegram_bot.mode: Input should be 'polling' or 'webhook'",
    ),
    (
        "bad-role",
        "telegram_bot: {bot_token: '1:x', users: [{id: 1, name: a, role: boss}]}\n",
        "telegram_bot.users[0].role: Input should be 'viewer', 'responder', 'operator'",
    ),
    (
        "duplicate-user",
        "telegram_bot: {bot_token: '1:x', users: [{id: 1, name: a, role: admin},"
        " {id: 1, name: b, role: viewer}]}\n",
        "telegram_bot.users[1].id: user 1 is listed twice",
    ),
    (
        "unknown-key",
        "telegram_bot: {bot_token: '1:x', chats: [1]}\n",
        "telegram_bot.chats: unknown key",
    ),
    (
        "missing-env",
        "telegram_bot: {bot_token: '${TELEGRAM_BOT_TOKEN}'}\n",
        "telegram_bot.bot_token: environment variable TELEGRAM_BOT_TOKEN is not set",
    ),
]


@pytest.mark.parametrize(
    ("text", "expected"), [c[1:] for c in CONFIG_ERRORS], ids=[c[0] for c in CONFIG_ERRORS]
)
def test_config_errors_name_the_path(text: str, expected: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config(BASE + text, {})
    assert any(e.startswith(expected) for e in info.value.errors), info.value.errors


def test_config_reads_the_token_from_env_or_file(tmp_path: Any) -> None:
    env = {"TELEGRAM_BOT_TOKEN": "42:from-env", "TELEGRAM_WEBHOOK_SECRET": "hook-1"}
    text = (
        "telegram_bot:\n  bot_token: ${TELEGRAM_BOT_TOKEN}\n  mode: webhook\n"
        "  webhook_secret: ${TELEGRAM_WEBHOOK_SECRET}\n  allowed_chats: [-1001234567890]\n"
        "  users:\n    - {id: 111111, name: ayse, role: operator}\n"
    )
    bot = parse_config(BASE + text, env).config.telegram_bot
    assert bot is not None
    assert bot.bot_token is not None
    assert bot.bot_token.get_secret_value() == "42:from-env"
    assert bot.user(111111) == BotUserConfig(id=111111, name="ayse", role=Role.OPERATOR)
    token_file = tmp_path / "token"
    token_file.write_text("43:from-file\n")
    from_file = parse_config(BASE + f"telegram_bot: {{bot_token_file: '{token_file}'}}\n", {})
    bot = from_file.config.telegram_bot
    assert bot is not None
    assert bot.bot_token is not None
    assert bot.bot_token.get_secret_value() == "43:from-file"
